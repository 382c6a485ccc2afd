package oas

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"
)

const spec = `
openapi: 3.0.3
info: {title: T, version: "1"}
servers: [{url: "https://x.test/api/v2"}, {url: "https://x.test/v2"}, {url: "https://y.test/api/v2"}]
paths:
  /items/{id}:
    post:
      operationId: postItem
      parameters:
        - {name: id, in: path, required: true, schema: {type: string, format: uuid}}
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 100}}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              required: [name, kind]
              properties:
                name: {type: string, minLength: 2, maxLength: 5}
                kind: {type: string, enum: [a, b]}
                code: {type: string, pattern: '^\d+$'}
                email: {type: string, format: email}
                when: {type: string, format: date}
                n: {type: integer, minimum: 0, maximum: 9}
                tags: {type: array, maxItems: 1, items: {type: string}}
                nested: {type: object, required: [deep], properties: {deep: {type: boolean}}}
      responses:
        "200": {description: ok}
`

func load(t testing.TB) (*Doc, *Operation) {
	t.Helper()
	d, err := Load([]byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	ops := d.Operations()
	if len(ops) != 1 {
		t.Fatalf("operations: %d", len(ops))
	}
	return d, ops[0]
}

func validate(t testing.TB, d *Doc, op *Operation, id, query, body string) *Problem {
	t.Helper()
	r := httptest.NewRequest("POST", "/items/"+id+query, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return d.ValidateRequest(context.Background(), d.Request(op, r, map[string]string{"id": id}), []byte(body))
}

func TestBasePaths(t *testing.T) {
	d, _ := load(t)
	if got := strings.Join(d.BasePaths(), ","); got != "/api/v2,/v2" {
		t.Fatalf("base paths %q", got)
	}
}

const ok = "11111111-2222-4333-8444-555555555555"

func TestProblems(t *testing.T) {
	d, op := load(t)
	cases := []struct {
		name, id, query, body string
		in, field, reason     string
	}{
		{"valid", ok, "", `{"name":"ab","kind":"a"}`, "", "", ""},
		{"missing", ok, "", `{"name":"ab"}`, "body", "kind", "is required"},
		{"enum", ok, "", `{"name":"ab","kind":"SECRET"}`, "body", "kind", "must be one of the allowed values: a, b"},
		{"pattern", ok, "", `{"name":"ab","kind":"a","code":"12SECRET"}`, "body", "code", `must match the pattern ^\d+$`},
		{"too short", ok, "", `{"name":"S","kind":"a"}`, "body", "name", "must be at least 2 characters long"},
		{"too long", ok, "", `{"name":"SECRET","kind":"a"}`, "body", "name", "must be at most 5 characters long"},
		{"email", ok, "", `{"name":"ab","kind":"a","email":"SECRET"}`, "body", "email", "must be a valid email"},
		{"date", ok, "", `{"name":"ab","kind":"a","when":"2026-02-30"}`, "body", "when", "must be a valid date"},
		{"max", ok, "", `{"name":"ab","kind":"a","n":10}`, "body", "n", "must be at most 9"},
		{"type", ok, "", `{"name":"ab","kind":"a","n":"SECRET"}`, "body", "n", "must be of type integer"},
		{"items", ok, "", `{"name":"ab","kind":"a","tags":["x","SECRET"]}`, "body", "tags", "must have at most 1 items"},
		{"nested", ok, "", `{"name":"ab","kind":"a","nested":{}}`, "body", "nested.deep", "is required"},
		{"unknown field", ok, "", `{"name":"ab","kind":"a","SECRET":1}`, "body", "SECRET", "is not an accepted field"},
		{"path format", "SECRET", "", `{"name":"ab","kind":"a"}`, "path", "id", "must be a valid uuid"},
		{"query range", ok, "?limit=1000", `{"name":"ab","kind":"a"}`, "query", "limit", "must be at most 100"},
		{"query type", ok, "?limit=SECRET", `{"name":"ab","kind":"a"}`, "query", "limit", "has the wrong type or format"},
		{"not json", ok, "", `{"SECRET`, "body", "", "could not be parsed for the declared content type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := validate(t, d, op, tc.id, tc.query, tc.body)
			if tc.reason == "" {
				if p != nil {
					t.Fatalf("unexpected problem %v", p)
				}
				return
			}
			if p == nil {
				t.Fatal("no problem reported")
			}
			if p.In != tc.in || p.Field != tc.field || p.Reason != tc.reason {
				t.Fatalf("got %+v", *p)
			}
			if strings.Contains(p.Reason, "SECRET") {
				t.Fatalf("reason repeats the value: %q", p.Reason)
			}
		})
	}
}

// FuzzProblemsNeverEchoValues sends arbitrary strings into every field and
// checks that no reason contains them.
func FuzzProblemsNeverEchoValues(f *testing.F) {
	d, op := load(f)
	f.Add("SECRETVALUE", "x")
	f.Add("12", "ab")
	f.Fuzz(func(t *testing.T, v, w string) {
		if len(v) < 6 || strings.ContainsAny(v, `"\`) {
			return // short values could match words of a message by chance
		}
		body, _ := json.Marshal(map[string]any{"name": w, "kind": v, "code": v, "email": v, "when": v, "tags": []string{v, v}})
		p := validate(t, d, op, ok, "", string(body))
		if p != nil && strings.Contains(p.Reason, v) {
			t.Fatalf("reason %q repeats %q", p.Reason, v)
		}
	})
}

func TestValidateError(t *testing.T) {
	d, err := Load([]byte(strings.Replace(spec, "paths:", `components:
  schemas:
    Error: {type: object, required: [message], properties: {message: {type: string}}}
paths:`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if err := d.ValidateError([]byte(`{"message":"x"}`)); err != nil {
		t.Fatal(err)
	}
	if err := d.ValidateError([]byte(`{"msg":"x"}`)); err == nil {
		t.Fatal("an error body without message passed")
	}
}

func TestPropertyEnum(t *testing.T) {
	doc, err := Load([]byte(`openapi: 3.0.3
info: {title: t, version: "1"}
paths: {}
components:
  schemas:
    Event:
      oneOf:
        - $ref: '#/components/schemas/A'
        - allOf:
            - $ref: '#/components/schemas/B'
            - type: object
              properties: {type: {type: string, enum: [c.one, a.one]}}
    A:
      type: object
      properties: {event: {type: string, enum: [a.one, a.two]}}
    B:
      type: object
      properties: {other: {type: string, enum: [ignored]}}
`))
	if err != nil {
		t.Fatal(err)
	}
	if got := propertyEnum(doc.t, "Event", "event", "type"); !slices.Equal(got, []string{"a.one", "a.two", "c.one"}) {
		t.Fatalf("propertyEnum = %v", got)
	}
	if got := propertyEnum(doc.t, "Missing", "event"); got != nil {
		t.Fatalf("missing schema: %v", got)
	}
}

// TestValidationSkipsOnlyTheSecurityStep: requests are validated without
// kin-openapi's security step (the emulator authenticates itself; Load
// refuses undeclared schemes, the one failure that step had), the body still
// checked and left readable.
func TestValidationSkipsOnlyTheSecurityStep(t *testing.T) {
	const secured = `
openapi: 3.0.3
info: {title: T, version: "1"}
components:
  securitySchemes:
    key: {type: apiKey, in: header, name: x-api-key}
security: [{key: []}]
paths:
  /things:
    post:
      operationId: create
      requestBody: {content: {application/json: {schema: {type: object, required: [a]}}}}
      responses: {"200": {description: ok}}
`
	d, err := Load([]byte(secured))
	if err != nil {
		t.Fatal(err)
	}
	op := d.Operations()[0]
	for body, valid := range map[string]bool{`{"a":1}`: true, `{"b":1}`: false, ``: true} {
		r := httptest.NewRequest(op.Method, op.Path, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		if p := d.ValidateRequest(context.Background(), d.Request(op, r, nil), []byte(body)); (p == nil) != valid {
			t.Errorf("%q: %v", body, p)
		}
		if b, _ := io.ReadAll(r.Body); string(b) != body {
			t.Errorf("%q: body left as %q", body, b)
		}
	}
	if op.checkRoute() == op.route || len(*op.checkRoute().Operation.Security) != 0 || op.route.Operation.Security != nil {
		t.Error("the security step was kept, or the document's operation changed")
	}
	if _, err := Load([]byte(strings.Replace(secured, "[{key: []}]", "[{nowhere: []}]", 1))); err == nil {
		t.Error("a document requiring an undeclared scheme loaded")
	}
}

func TestUUIDFormatIsTheRegexp(t *testing.T) {
	re := regexp.MustCompile(uuidRE)
	for _, v := range []string{"", "6f1c9a52-3f0e-4b8e-9d6a-0c1d2e3f4a5b", "6F1C9A52-3F0E-4B8E-9D6A-0C1D2E3F4A5B",
		"6f1c9a52-3f0e-4b8e-9d6a-0c1d2e3f4a5", "6f1c9a52-3f0e-4b8e-9d6a-0c1d2e3f4a5bb", "6f1c9a52a3f0e-4b8e-9d6a-0c1d2e3f4a5b",
		"6f1c9a52-3f0e-4b8e-9d6a-0c1d2e3f4a5g", "6f1c9a52-3f0e-4b8e-9d6a-0c1d2e3f4a5\n", "g f1c9a52-3f0e-4b8e-9d6a-0c1d2e3f4a5",
		"6f1c9a52-3f0e-4b8e-9d6a-0c1d2e3f4é", "--------------------------------0000"} {
		if got, want := (uuidFormat{}).Validate(v) == nil, re.MatchString(v); got != want {
			t.Errorf("%q: %v, the regexp says %v", v, got, want)
		}
	}
	if err := (uuidFormat{}).Validate("x"); err == nil || err.Error() != `string doesn't match pattern "`+uuidRE+`"` {
		t.Errorf("refusal: %v", err)
	}
}

// The body check of ValidateRequest (validateBody) answers as kin-openapi's
// own, openapi3filter.ValidateRequestBody, does: same problem, or none.
func TestBodyCheckAnswersAsKinOpenAPI(t *testing.T) {
	d, op := load(t)
	bodies := []string{
		`{"name":"ab","kind":"a"}`, `{"name":"ab"}`, `{"name":"ab","kind":"SECRET"}`, `{"name":"ab","kind":"a","code":"12x"}`,
		`{"name":"S","kind":"a"}`, `{"name":"ab","kind":"a","email":"x"}`, `{"name":"ab","kind":"a","email":"a@b.co"}`,
		`{"name":"ab","kind":"a","when":"2026-02-30"}`, `{"name":"ab","kind":"a","n":10}`, `{"name":"ab","kind":"a","n":1.5}`,
		`{"name":"ab","kind":"a","n":3}`, `{"name":"ab","kind":"a","n":3.0}`, `{"name":"ab","kind":"a","n":-0}`, `{"name":"ab","kind":"a","n":1e400}`,
		`{"name":"ab","kind":"a","n":"3"}`, `{"name":"ab","kind":"a","tags":["x","y"]}`, `{"name":"ab","kind":"a","nested":{}}`,
		`{"name":"ab","kind":"a","nested":{"deep":true}}`, `{"name":"ab","kind":"a","x":1}`, `{"name":"ab","kind":"a"} trailing`,
		`{"name":"ab","kind":"a"}{}`, `{"SECRET`, `[]`, `"ab"`, `null`, `{"name":null,"kind":"a"}`, `{"name":"ab","name":"abcdef","kind":"a"}`,
		"{\"name\":\"a\xffb\",\"kind\":\"a\"}", `{"name":"\u00e9\u00e9","kind":"a"}`, ` {"name":"ab","kind":"b"} `,
	}
	for _, ct := range []string{"application/json", "Application/JSON; charset=utf-8", "text/plain"} {
		for _, body := range bodies {
			r := httptest.NewRequest("POST", "/items/"+ok, strings.NewReader(body))
			r.Header.Set("Content-Type", ct)
			got := d.ValidateRequest(context.Background(), d.Request(op, r, map[string]string{"id": ok}), []byte(body))
			if b, _ := io.ReadAll(r.Body); string(b) != body {
				t.Errorf("%s %s: body left %q", ct, body, b)
			}

			kr := httptest.NewRequest("POST", "/items/"+ok, strings.NewReader(body))
			kr.Header.Set("Content-Type", ct)
			c := d.Request(op, kr, map[string]string{"id": ok})
			var want *Problem
			if err := openapi3filter.ValidateRequestBody(context.Background(), &c.input, op.kin().Operation.RequestBody.Value); err != nil {
				p := describe(err)
				want = &p
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s %s: got %v, kin-openapi %v", ct, body, got, want)
			}
		}
	}
}
