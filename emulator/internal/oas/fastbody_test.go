package oas

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/kycemu/kycemu/specs"
)

// TestFastBodyNeverMoreLenient is the fast path's differential test: for
// every request body schema of every embedded document, bodies built from
// the schema and mutated in every way the generator knows are checked both
// ways, and whenever the fast path says valid, kin-openapi (today's path:
// json.Unmarshal, then VisitJSON with the request body options) must agree.
func TestFastBodyNeverMoreLenient(t *testing.T) {
	names := append(specs.Names(), specs.Control)
	var fastCompiled, schemas, baseValid, baseAnswered int
	for _, name := range names {
		d, err := Load(specs.MustRead(name))
		if err != nil {
			t.Fatal(err)
		}
		d.parsed()
		for _, op := range d.ops {
			kop := op.kin().Operation
			if kop.RequestBody == nil || kop.RequestBody.Value == nil {
				continue
			}
			media := jsonMedia(kop.RequestBody.Value, "application/json")
			if media == nil {
				continue
			}
			s := media.Schema.Value
			schemas++
			f := d.fastSchema(s)
			if f != nil {
				fastCompiled++
			}
			g := &gen{d: d}
			valid := g.value(s, 0)
			bodies := g.bodies(s, valid)
			var kinValid, fastValidN, answered int
			if kinAccepts(d, s, bodies[0]) {
				baseValid++
				if fastValid(f, bodies[0]) {
					baseAnswered++
				} else {
					t.Logf("%s %s: no fast answer for the body as built: %s", name, op.ID, bodies[0])
					if name == "notus" {
						t.Errorf("notus %s: the fast path does not answer for %s", op.ID, bodies[0])
					}
				}
			}
			for _, body := range bodies {
				kin := kinAccepts(d, s, body)
				fast := fastValid(f, body)
				if fast && !kin {
					t.Errorf("%s %s: fast path accepts a body kin-openapi refuses: %s", name, op.ID, body)
				}
				if kin {
					kinValid++
					if fast {
						answered++
					}
				}
				if fast {
					fastValidN++
				}
			}
			t.Logf("%s %-32s fast form: %-5v bodies %4d, kin-valid %4d, fast answered %4d of them",
				name, op.ID, f != nil, len(bodies), kinValid, answered)
		}
	}
	t.Logf("%d of %d request body schemas have a fast form; of the %d generated bodies kin-openapi accepts as built, the fast path answers for %d",
		fastCompiled, schemas, baseValid, baseAnswered)
}

func kinAccepts(d *Doc, s *openapi3.Schema, body []byte) bool {
	var v any
	if json.Unmarshal(body, &v) != nil {
		// Today's path would hand the body to openapi3filter; the fast
		// path must never have accepted it. Counted as refused.
		return false
	}
	return s.VisitJSON(v, d.bodyOpts...) == nil
}

// gen builds values for a schema: one meant to be valid, and mutations.
type gen struct {
	d *Doc
}

var candidates = []any{
	"abc", "ABC", "A", "US", "USA", "DE", "en", "en-US", "x1", "123", "1234567890", "John", "+14155550123",
	"https://example.com/cb", "2024-01-02", "2024-01-02T03:04:05Z", "a@b.co",
	"0b2f5c3e-1a2b-4c3d-8e9f-0a1b2c3d4e5f", "AB123456", "1990-01-01", "male", "passport",
}

func (g *gen) ok(s *openapi3.Schema, v any) bool {
	b, _ := json.Marshal(v)
	var back any
	_ = json.Unmarshal(b, &back)
	return s.VisitJSON(back, g.d.bodyOpts...) == nil
}

// value is a value s accepts, as near as the generator can make one.
func (g *gen) value(s *openapi3.Schema, depth int) any {
	if s == nil || depth > 8 {
		return nil
	}
	if len(s.Enum) > 0 {
		return s.Enum[0]
	}
	for _, sub := range append(slices.Clone(s.AllOf), append(s.OneOf, s.AnyOf...)...) {
		if sub.Value != nil {
			return g.value(sub.Value, depth+1)
		}
	}
	switch {
	case s.Type.Is("object") || s.Type == nil && len(s.Properties) > 0:
		m := map[string]any{}
		for name, p := range s.Properties {
			if p.Value.ReadOnly {
				continue
			}
			m[name] = g.value(p.Value, depth+1)
		}
		return m
	case s.Type.Is("array"):
		n := max(int(s.MinItems), 1)
		if s.MaxItems != nil && uint64(n) > *s.MaxItems {
			n = int(*s.MaxItems)
		}
		var out []any
		for range n {
			if s.Items != nil {
				out = append(out, g.value(s.Items.Value, depth+1))
			}
		}
		return out
	case s.Type.Is("integer"):
		v := 1.0
		if s.Min != nil {
			v = math.Ceil(*s.Min)
		}
		return v
	case s.Type.Is("number"):
		v := 1.5
		if s.Min != nil {
			v = *s.Min + 0.5
		}
		if s.Max != nil && v > *s.Max {
			v = *s.Max
		}
		return v
	case s.Type.Is("boolean"):
		return true
	case s.Type.Is("string"):
		for _, c := range candidates {
			if g.ok(s, c) {
				return c
			}
		}
		v := strings.Repeat("a", max(int(s.MinLength), 3))
		if s.MaxLength != nil && uint64(len(v)) > *s.MaxLength {
			v = v[:*s.MaxLength]
		}
		return v
	}
	return "x"
}

// replacements are values every position is tried with.
var replacements = []any{
	nil, true, false, 0.0, 1.0, -1.0, 1.5, 1e300, -1e300, 2147483648.0, 9.3e18, "", "x", "é", "ZZ-not-in-enum",
	"not-a-uuid", "0b2f5c3e-1a2b-4c3d-8e9f-0a1b2c3d4e5", "a@b", "2024-13-01", "2024-01-02T25:00:00Z",
	strings.Repeat("y", 300), "日本語", []any{}, []any{"x"}, map[string]any{}, map[string]any{"k": 1.0},
}

// bodies returns the valid value's body and its mutations, as bytes.
func (g *gen) bodies(s *openapi3.Schema, valid any) [][]byte {
	var out [][]byte
	add := func(v any) {
		b, err := json.Marshal(v)
		if err == nil {
			out = append(out, b)
		}
	}
	add(valid)
	for _, r := range replacements {
		add(r)
	}
	// Every position in the valid value, replaced, removed, or grown.
	var walk func(v any, set func(any), s *openapi3.Schema, depth int)
	walk = func(v any, set func(any), s *openapi3.Schema, depth int) {
		if depth > 6 {
			return
		}
		for _, r := range replacements {
			set(r)
			add(valid)
		}
		if s != nil {
			for _, e := range s.Enum {
				set(e)
				add(valid)
			}
			if s.MaxLength != nil {
				set(strings.Repeat("b", int(*s.MaxLength)))
				add(valid)
				set(strings.Repeat("b", int(*s.MaxLength)+1))
				add(valid)
				set(strings.Repeat("é", int(*s.MaxLength)))
				add(valid)
			}
			if s.MinLength > 0 {
				set(strings.Repeat("b", int(s.MinLength)-1))
				add(valid)
			}
			for _, b := range []*float64{s.Min, s.Max} {
				if b != nil {
					for _, d := range []float64{-1, -0.5, 0, 0.5, 1} {
						set(*b + d)
						add(valid)
					}
				}
			}
		}
		set(v)
		switch v := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(v))
			for k := range v {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				old := v[k]
				delete(v, k)
				add(valid)
				v[k] = old
				var ps *openapi3.Schema
				if s != nil && s.Properties[k] != nil {
					ps = s.Properties[k].Value
				}
				walk(old, func(n any) { v[k] = n }, ps, depth+1)
			}
			v["zzExtra"] = 1.0
			add(valid)
			v["zzExtra"] = nil
			add(valid)
			delete(v, "zzExtra")
			if s != nil {
				for name, p := range s.Properties {
					if _, ok := v[name]; !ok && p.Value != nil {
						v[name] = g.value(p.Value, depth+1)
						add(valid)
						delete(v, name)
					}
				}
			}
		case []any:
			var is *openapi3.Schema
			if s != nil && s.Items != nil {
				is = s.Items.Value
			}
			for i := range v {
				old := v[i]
				walk(old, func(n any) { v[i] = n }, is, depth+1)
				v[i] = old
			}
			if len(v) > 0 {
				set(append(slices.Clone(v), v...))
				add(valid)
				set([]any{})
				add(valid)
				set(v)
			}
		}
	}
	walk(valid, func(n any) { valid = n }, s, 0)

	// Byte-level forms of the valid body: escapes, whitespace, duplicate
	// keys, numbers beyond float64, invalid UTF-8, trailing data.
	base, _ := json.Marshal(valid)
	out = append(out,
		escapeAll(base),
		[]byte(" \n\t"+string(base)+"\r\n"),
		append(slices.Clone(base), []byte(" x")...),
		append(slices.Clone(base), base...),
	)
	if len(base) > 1 && base[0] == '{' {
		for _, extra := range []string{`"zz":1e400,`, `"zz":"\ud800",`, "\"zz\":\"\xff\",", `"zz":{"a":[1,2,{"b":null}]},`, "\"\xff\":1,"} {
			out = append(out, []byte("{"+extra+string(base[1:])))
		}
		// Each top-level key twice, the first time with a replacement.
		if m, ok := valid.(map[string]any); ok {
			for k := range m {
				for _, r := range []any{nil, 1.0, "ZZ", "", map[string]any{}} {
					kb, _ := json.Marshal(k)
					rb, _ := json.Marshal(r)
					out = append(out, []byte("{"+string(kb)+":"+string(rb)+","+string(base[1:])))
					out = append(out, []byte(strings.TrimSuffix(string(base), "}")+","+string(kb)+":"+string(rb)+"}"))
				}
			}
		}
	}
	return out
}

// escapeAll writes every letter inside the JSON strings of b as a \u
// escape, so that keys and values mean the same but read differently.
func escapeAll(b []byte) []byte {
	var out bytes.Buffer
	in := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c == '\\' && in:
			out.WriteByte(c)
			i++
			out.WriteByte(b[i])
		case c == '"':
			in = !in
			out.WriteByte(c)
		case in && ('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'):
			fmt.Fprintf(&out, `\u%04x`, c)
		default:
			out.WriteByte(c)
		}
	}
	return out.Bytes()
}

// TestFastBodySchemas checks the fast path on schemas built for each
// keyword it models, against kin-openapi, including the ones it refuses to
// model.
func TestFastBodySchemas(t *testing.T) {
	const doc = `
openapi: 3.0.3
info: {title: T, version: "1"}
paths:
  /a:
    post:
      requestBody:
        content:
          application/json:
            schema:
              type: object
              required: [id, n]
              additionalProperties: false
              properties:
                id: {type: string, format: uuid}
                n: {type: integer, format: int32, minimum: 1, maximum: 10, exclusiveMaximum: true}
                f: {type: number, minimum: 0.5}
                s: {type: string, minLength: 2, maxLength: 3, pattern: '^[a-zé]+$'}
                e: {type: string, enum: [a, b], nullable: true}
                m: {type: string, format: email}
                d: {type: string, format: date}
                dt: {type: string, format: date-time}
                l: {type: array, minItems: 1, maxItems: 2, items: {type: boolean}}
                o: {type: object, additionalProperties: {type: integer}}
                any: {}
                ro: {type: string, readOnly: true}
      responses: {"200": {description: ok}}
  /b:
    post:
      requestBody:
        content:
          application/json:
            schema:
              oneOf: [{type: string}, {type: integer}]
      responses: {"200": {description: ok}}
`
	d, err := Load([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	d.parsed()
	schema := func(path string) *openapi3.Schema {
		return jsonMedia(d.t.Paths.Value(path).Post.RequestBody.Value, "application/json").Schema.Value
	}
	if f := d.fastSchema(schema("/b")); f != nil {
		t.Errorf("oneOf has a fast form")
	}
	s := schema("/a")
	f := d.fastSchema(s)
	if f == nil {
		t.Fatal("no fast form")
	}
	const id = `"id":"0b2f5c3e-1a2b-4c3d-8e9f-0a1b2c3d4e5f"`
	cases := []struct {
		body string
		fast bool
	}{
		{`{` + id + `,"n":1}`, true},
		{` {` + id + ` , "n" : 9 } `, true},
		{`{` + id + `,"n":10}`, false},
		{`{` + id + `,"n":0}`, false},
		{`{` + id + `,"n":1.5}`, false},
		{`{` + id + `,"n":1.0}`, true},
		{`{` + id + `,"n":1e0}`, true},
		{`{` + id + `}`, false},
		{`{"n":1}`, false},
		{`{` + id + `,"n":1,"x":1}`, false},
		{`{"id":"nope","n":1}`, false},
		{`{"\u0069d":"0b2f5c3e-1a2b-4c3d-8e9f-0a1b2c3d4e5f","n":1}`, true},
		{`{` + id + `,"n":1,"f":0.5}`, true},
		{`{` + id + `,"n":1,"f":0.4}`, false},
		{`{` + id + `,"n":1,"f":1e400}`, false},
		{`{` + id + `,"n":1,"s":"ab"}`, true},
		{`{` + id + `,"n":1,"s":"éé"}`, true},
		{`{` + id + `,"n":1,"s":"\u00e9\u00e9\u00e9"}`, true},
		{`{` + id + `,"n":1,"s":"a"}`, false},
		{`{` + id + `,"n":1,"s":"abcd"}`, false},
		{`{` + id + `,"n":1,"s":"AB"}`, false},
		{`{` + id + `,"n":1,"e":"a"}`, true},
		{`{` + id + `,"n":1,"e":null}`, true},
		{`{` + id + `,"n":1,"e":"c"}`, false},
		{`{` + id + `,"n":1,"s":null}`, false},
		{`{` + id + `,"n":1,"m":"a@b.co"}`, true},
		{`{` + id + `,"n":1,"m":"a@b"}`, false},
		{`{` + id + `,"n":1,"d":"2024-02-03"}`, true},
		{`{` + id + `,"n":1,"d":"2024-02-30x"}`, false},
		{`{` + id + `,"n":1,"dt":"2024-02-03T04:05:06Z"}`, true},
		{`{` + id + `,"n":1,"dt":"2024-02-03"}`, false},
		{`{` + id + `,"n":1,"l":[true]}`, true},
		{`{` + id + `,"n":1,"l":[]}`, false},
		{`{` + id + `,"n":1,"l":[true,false,true]}`, false},
		{`{` + id + `,"n":1,"l":["x"]}`, false},
		{`{` + id + `,"n":1,"o":{"a":1,"b":2}}`, true},
		{`{` + id + `,"n":1,"o":{"a":"x"}}`, false},
		{`{` + id + `,"n":1,"any":{"a":[1,{"b":null}],"c":"\"}"}}`, true},
		{`{` + id + `,"n":1,"any":1e400}`, false},
		{`{` + id + `,"n":1,"ro":"x"}`, false},
		{`{` + id + `,"n":1,"n":2}`, false},
		{`{` + id + `,"n":1} x`, false},
		{`[` + id + `]`, false},
		{`null`, false},
	}
	for _, c := range cases {
		got := fastValid(f, []byte(c.body))
		if got != c.fast {
			t.Errorf("fastValid(%s) = %v, want %v", c.body, got, c.fast)
		}
		if got && !kinAccepts(d, s, []byte(c.body)) {
			t.Errorf("fastValid(%s): kin-openapi refuses it", c.body)
		}
	}
}

// notusCreate is the body the notus provider's create benchmarks post.
const notusCreate = `{"birthDate":"15/03/1990","documentCategory":"DRIVERS_LICENSE","documentCountry":"BRAZIL","documentId":"12345678909","firstName":"Ana","lastName":"Souza"}`

func notusCreateSchema(tb testing.TB) (*Doc, *openapi3.Schema) {
	d, err := Load(specs.MustRead("notus"))
	if err != nil {
		tb.Fatal(err)
	}
	d.parsed()
	for _, op := range d.ops {
		if op.ID == "createStandardIndividualSession" {
			return d, jsonMedia(op.kin().Operation.RequestBody.Value, "application/json").Schema.Value
		}
	}
	tb.Fatal("no createStandardIndividualSession")
	return nil, nil
}

func TestFastBodyNotusCreate(t *testing.T) {
	d, s := notusCreateSchema(t)
	if !kinAccepts(d, s, []byte(notusCreate)) {
		t.Fatal("kin-openapi refuses the body")
	}
	if !fastValid(d.fastSchema(s), []byte(notusCreate)) {
		t.Fatal("the fast path does not answer for the notus create body")
	}
}

// BenchmarkNotusCreateBody compares the fast path with today's path
// (json.Unmarshal into any, then VisitJSON) on the notus create body.
func BenchmarkNotusCreateBody(b *testing.B) {
	d, s := notusCreateSchema(b)
	body := []byte(notusCreate)
	b.Run("fast", func(b *testing.B) {
		f := d.fastSchema(s)
		b.ReportAllocs()
		for b.Loop() {
			if !fastValid(f, body) {
				b.Fatal("refused")
			}
		}
	})
	b.Run("kin", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if !kinAccepts(d, s, body) {
				b.Fatal("refused")
			}
		}
	})
}

// FuzzFastBody looks for a body the fast path accepts and kin-openapi
// refuses, against any request body schema of the embedded documents.
// Run it with go test -fuzz FuzzFastBody; as a test it runs the seeds.
func FuzzFastBody(f *testing.F) {
	type target struct {
		d *Doc
		s *openapi3.Schema
	}
	var targets []target
	for _, name := range append(specs.Names(), specs.Control) {
		d, err := Load(specs.MustRead(name))
		if err != nil {
			f.Fatal(err)
		}
		d.parsed()
		for _, op := range d.ops {
			rb := op.kin().Operation.RequestBody
			if rb == nil || rb.Value == nil {
				continue
			}
			if media := jsonMedia(rb.Value, "application/json"); media != nil {
				i := len(targets)
				targets = append(targets, target{d, media.Schema.Value})
				g := &gen{d: d}
				for j, b := range g.bodies(media.Schema.Value, g.value(media.Schema.Value, 0)) {
					if j%7 == 0 {
						f.Add(uint16(i), b)
					}
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, which uint16, body []byte) {
		tg := targets[int(which)%len(targets)]
		if fastValid(tg.d.fastSchema(tg.s), body) && !kinAccepts(tg.d, tg.s, body) {
			t.Errorf("fast path accepts a body kin-openapi refuses: %q", body)
		}
	})
}
