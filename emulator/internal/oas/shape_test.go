package oas

import (
	"encoding/json"
	"reflect"
	"testing"
)

const shapeSpec = `
openapi: 3.0.3
info: {title: T, version: "1"}
paths:
  /things:
    get:
      operationId: getThing
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Thing'}
        "4XX":
          description: client error
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Error'}
        default:
          description: error
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Error'}
components:
  schemas:
    Error:
      type: object
      additionalProperties: false
      required: [message, id]
      properties:
        message: {type: string}
        id: {type: string}
    Base:
      type: object
      required: [id]
      properties:
        id: {type: string, format: uuid}
    Thing:
      allOf:
        - $ref: '#/components/schemas/Base'
        - type: object
          required: [status, count]
          properties:
            status: {type: string, enum: [PENDING, DONE]}
            count: {type: integer, minimum: 0}
            at: {type: string, format: date-time}
            code: {type: string, pattern: '^[A-Z]{3}$'}
            note: {type: string, nullable: true}
            labels: {type: object, additionalProperties: {type: string}}
            free: {type: object}
            items:
              type: array
              items:
                type: object
                required: [name]
                properties:
                  name: {type: string}
    Event:
      oneOf:
        - type: object
          additionalProperties: false
          required: [event, a]
          properties:
            event: {type: string, enum: [alpha]}
            a: {type: string}
        - type: object
          additionalProperties: false
          required: [event, b]
          properties:
            event: {type: string, enum: [beta]}
            b: {type: integer}
`

func decode(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestSchemaCheckFindsEveryDifference(t *testing.T) {
	d, err := Load([]byte(shapeSpec))
	if err != nil {
		t.Fatal(err)
	}
	thing, _ := d.ComponentSchema("Thing")
	event, _ := d.ComponentSchema("Event")
	const uuid = `"6f1c2b7e-8a34-4c1d-9e2f-0a1b2c3d4e5f"`
	tests := []struct {
		name   string
		schema *Schema
		body   string
		want   []Finding
	}{
		{"clean", thing, `{"id":` + uuid + `,"status":"DONE","count":2,"at":"2026-01-01T00:00:00Z","note":null,
			"labels":{"x":"y"},"free":{"anything":1},"items":[{"name":"n"}]}`, nil},
		{"extra field at two depths", thing, `{"id":` + uuid + `,"status":"DONE","count":1,"risk":"low","items":[{"name":"n","x":true}]}`,
			[]Finding{{Kind: FindExtra, Path: "items[].x", Got: "boolean"}, {Kind: FindExtra, Path: "risk", Got: "string"}}},
		{"missing required from both allOf branches", thing, `{"status":"DONE"}`,
			[]Finding{{Kind: FindMissing, Path: "count"}, {Kind: FindMissing, Path: "id"}}},
		{"enum, format, type, constraint", thing,
			`{"id":"nope","status":"IN_REVIEW","count":-1.5,"at":"yesterday","code":"abcd","note":3,"labels":{"k":1}}`,
			[]Finding{
				{Kind: FindFormat, Path: "at", Want: "date-time"},
				{Kind: FindConstraint, Path: "code", Want: "pattern ^[A-Z]{3}$"},
				{Kind: FindType, Path: "count", Want: "integer", Got: "number"},
				{Kind: FindFormat, Path: "id", Want: "uuid"},
				{Kind: FindType, Path: "labels.*", Want: "string", Got: "integer"},
				{Kind: FindType, Path: "note", Want: "string", Got: "integer"},
				{Kind: FindEnum, Path: "status", Want: "PENDING, DONE", Got: "IN_REVIEW"},
			}},
		{"null where not nullable", thing, `{"id":null,"status":"DONE","count":0}`,
			[]Finding{{Kind: FindType, Path: "id", Want: "string", Got: "null"}}},
		{"array items deduplicated", thing, `{"id":` + uuid + `,"status":"DONE","count":0,"items":[{},{},{}]}`,
			[]Finding{{Kind: FindMissing, Path: "items[].name"}}},
		{"oneOf picks the closest branch", event, `{"event":"beta","b":"x"}`,
			[]Finding{{Kind: FindType, Path: "b", Want: "integer", Got: "string"}}},
		{"oneOf with a new enum value", event, `{"event":"gamma","a":"x"}`,
			[]Finding{{Kind: FindEnum, Path: "event", Want: "alpha", Got: "gamma"}}},
		{"root type", thing, `[1]`, []Finding{{Kind: FindType, Path: "", Want: "object", Got: "array"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.schema.Check(decode(t, tc.body))
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("findings\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestResponseLookup(t *testing.T) {
	d, err := Load([]byte(shapeSpec))
	if err != nil {
		t.Fatal(err)
	}
	op := d.Operations()[0]
	tests := []struct {
		status         int
		ct             string
		listed, schema bool
		name           string
	}{
		{200, "application/json", true, true, "Thing"},
		{200, "application/json; charset=utf-8", true, true, "Thing"},
		{200, "text/html", true, false, ""},
		{404, "application/json", true, true, "Error"},
		{503, "application/json", false, true, "Error"},
	}
	for _, tc := range tests {
		r := d.Response(op, tc.status, tc.ct)
		if r.Listed != tc.listed || !r.Declared || (r.Schema != nil) != tc.schema {
			t.Errorf("%d %s: %+v", tc.status, tc.ct, r)
			continue
		}
		if r.Schema != nil && r.Schema.Name() != tc.name {
			t.Errorf("%d: schema %q, want %q", tc.status, r.Schema.Name(), tc.name)
		}
	}
	if got := op.Statuses(); !reflect.DeepEqual(got, []string{"200", "4XX", "default"}) {
		t.Errorf("statuses %v", got)
	}
}
