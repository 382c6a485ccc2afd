package oas

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// vendor is a small document with the defects Gatenox's has: null types,
// a oneOf that repeats a branch, an array without items, a download
// declared as JSON, and operations that declare only their success.
const vendor = `
openapi: 3.0.0
info: {title: Vendor, version: 1.0.0, description: Long prose that the extract drops.}
servers: [{url: "https://api.vendor.test", description: Production}]
tags: [{name: default}]
paths:
  /things/{id}:
    get:
      tags: [default]
      summary: Get a thing
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}, example: abc}
      responses:
        '200':
          description: OK
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Thing'}
              example: {thing: {id: abc, note: null}}
  /things/{id}/audit:
    get:
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        '200':
          description: OK
          content:
            application/json:
              schema:
                type: object
                properties:
                  stamps: {type: array}
                  codes: {type: array, items: {oneOf: [{type: string}, {type: string}, {type: integer}]}}
  /things/latest/audit:
    get:
      responses:
        '200': {description: OK, content: {application/json: {schema: {type: object, required: [latest], properties: {latest: {type: boolean}}}}}}
  /files/{rest}:
    get:
      parameters:
        - {name: rest, in: path, required: true, schema: {type: string}}
      responses:
        '200': {description: OK, content: {application/json: {}}}
components:
  schemas:
    Thing:
      type: object
      properties:
        thing:
          type: object
          properties:
            id: {type: string}
            description: {type: string, description: a property named description stays}
            note: {type: 'null'}
    Other:
      type: object
      properties:
        note: {type: string}
        owner: {type: 'null'}
    Third:
      type: object
      properties:
        owner: {$ref: '#/components/schemas/Other'}
`

var vendorRepairs = []Repair{
	{Pointer: "/paths/~1files~1{rest}/get/responses/200/content", Set: map[string]any{
		"application/pdf": map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}}, Why: "a file"},
	{Rule: "null-types", Why: "null types"},
	{Rule: "oneof-repeats", Why: "repeats"},
	{Rule: "array-items", Why: "items"},
	{Rule: "error-responses", Why: "errors"},
}

func loadVendor(t *testing.T) *Official {
	t.Helper()
	x, err := Extract([]byte(vendor), "extract")
	if err != nil {
		t.Fatal(err)
	}
	o, err := LoadOfficial(x, vendorRepairs)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestExtractDropsProseKeepsStructure(t *testing.T) {
	x, err := Extract([]byte(vendor), "line one\nline two")
	if err != nil {
		t.Fatal(err)
	}
	s := string(x)
	for _, gone := range []string{"Long prose", "Production", "Get a thing", "example", "tags", "a property named"} {
		if strings.Contains(s, gone) {
			t.Errorf("the extract keeps %q", gone)
		}
	}
	for _, kept := range []string{"# line one", "# line two", "description: {type: string}", "/things/{id}:", "note:", "$ref"} {
		if !strings.Contains(s, kept) {
			t.Errorf("the extract lost %q:\n%s", kept, s)
		}
	}
}

func TestLoadOfficialNeedsItsRepairs(t *testing.T) {
	x, err := Extract([]byte(vendor), "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOfficial(x, nil); err == nil {
		t.Fatal("a document with null types loaded unrepaired")
	}
	bad := []struct {
		name string
		r    Repair
	}{
		{"no why", Repair{Rule: "null-types"}},
		{"unknown rule", Repair{Rule: "make-it-work", Why: "x"}},
		{"dangling pointer", Repair{Pointer: "/paths/~1nope/get", Set: map[string]any{}, Why: "x"}},
		{"set and remove", Repair{Pointer: "/info/title", Set: "x", Remove: true, Why: "x"}},
		{"no change", Repair{Pointer: "/info/title", Set: "Vendor", Why: "x"}},
	}
	for _, tc := range bad {
		if _, err := LoadOfficial(x, append([]Repair{tc.r}, vendorRepairs...)); err == nil {
			t.Errorf("%s: loaded", tc.name)
		}
	}
	// A rule that finds nothing to change is stale.
	if _, err := LoadOfficial(x, append(vendorRepairs, Repair{Rule: "oneof-repeats", Why: "twice"})); err == nil {
		t.Error("a rule that changed nothing passed")
	}
}

func TestOfficialFindPrefersLiterals(t *testing.T) {
	o := loadVendor(t)
	if n := len(o.Operations()); n != 4 {
		t.Fatalf("operations: %d", n)
	}
	op, params, ok := o.Find(http.MethodGet, "/things/latest/audit")
	if !ok || op.Path != "/things/latest/audit" {
		t.Fatalf("latest: %v %v", op, ok)
	}
	op, params, ok = o.Find(http.MethodGet, "/things/x1/audit")
	if !ok || op.Path != "/things/{id}/audit" || params["id"] != "x1" {
		t.Fatalf("audit: %v %v %v", op, params, ok)
	}
	if _, _, ok := o.Find(http.MethodPost, "/things/x1"); ok {
		t.Fatal("a method the path lacks matched")
	}
	if _, _, ok := o.Find(http.MethodGet, "/things//audit"); ok {
		t.Fatal("an empty segment matched a parameter")
	}
	if got := strings.Join(op.Statuses(), ","); got != "200,default" {
		t.Fatalf("statuses %s", got)
	}
}

func TestOfficialValidateResponse(t *testing.T) {
	o := loadVendor(t)
	js := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	cases := []struct {
		name, path string
		status     int
		header     http.Header
		body       string
		valid      bool
	}{
		{"null where the example was null", "/things/a", 200, js, `{"thing":{"id":"a","note":null}}`, true},
		{"a value where the example was null", "/things/a", 200, js, `{"thing":{"id":"a","note":"n"}}`, true},
		{"the type the property has elsewhere", "/things/a", 200, js, `{"thing":{"id":"a","note":5}}`, false},
		{"wrong type", "/things/a", 200, js, `{"thing":{"id":5}}`, false},
		{"omitted keys", "/things/a", 200, js, `{"thing":{}}`, true},
		{"array without items", "/things/a/audit", 200, js, `{"stamps":[[1],[]],"codes":["x",1]}`, true},
		{"repeated oneOf branch", "/things/a/audit", 200, js, `{"codes":["x"]}`, true},
		{"required key", "/things/latest/audit", 200, js, `{}`, false},
		{"error envelope", "/things/a", 404, js, `{"error":{"code":404,"message":"Not Found"}}`, true},
		{"errors envelope", "/things/a", 401, js, `{"errors":{"token":"missing token"}}`, true},
		{"no envelope", "/things/a", 404, js, `{"message":"Not Found"}`, false},
		{"a file", "/files/abc", 200, http.Header{"Content-Type": {"application/pdf"}}, "%PDF-1.4", true},
		{"a file of another type", "/files/abc", 200, http.Header{"Content-Type": {"text/html"}}, "<p>", false},
		{"no operation", "/nothing", 200, js, `{}`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := o.ValidateResponse(context.Background(), http.MethodGet, tc.path, tc.status, tc.header, []byte(tc.body))
			if (err == nil) != tc.valid {
				t.Fatalf("valid=%v, err=%v", tc.valid, err)
			}
		})
	}
}
