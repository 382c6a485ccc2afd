package oas

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// The kinds of Finding. Each names one way a value differs from its schema.
const (
	// FindExtra is a field the value has and the schema does not declare.
	FindExtra = "extra-field"
	// FindMissing is a field the schema requires and the value lacks.
	FindMissing = "missing-required"
	// FindType is a value of another JSON type than the schema's (null
	// where the schema is not nullable, a string where it says number).
	FindType = "type"
	// FindFormat is a string that breaks the schema's format (date-time,
	// uuid, email, ...).
	FindFormat = "format"
	// FindEnum is a value outside the schema's enum.
	FindEnum = "enum"
	// FindConstraint is a value that breaks a pattern, length or range.
	FindConstraint = "constraint"
)

// Finding is one difference between a JSON value and a schema. It never
// holds a submitted value, except Got of an enum finding: the value that is
// not in the enum, which names vocabulary (a status, an event name), and
// which callers mask like any other string they write.
type Finding struct {
	Kind string `json:"kind"`
	// Path is the field as a dot path; "[]" stands for every item of an
	// array and "*" for every value of a map. "" is the whole value.
	Path string `json:"path"`
	// Want is what the schema says: a type, a format, the allowed values,
	// the broken constraint.
	Want string `json:"want,omitempty"`
	// Got is what the value is: its JSON type, or the value outside an enum.
	Got string `json:"got,omitempty"`
}

// Schema is one schema of a document, ready to compare values against.
type Schema struct {
	name string
	s    *openapi3.Schema
	opts []openapi3.SchemaValidationOption
}

// Name is the component name the schema refers to ("Error"), or "".
func (s *Schema) Name() string { return s.name }

// ComponentSchema returns a named component schema.
func (d *Doc) ComponentSchema(name string) (*Schema, bool) {
	ref, ok := d.parsed().t.Components.Schemas[name]
	if !ok || ref.Value == nil {
		return nil, false
	}
	return &Schema{name: name, s: ref.Value, opts: d.respOpts.SchemaValidationOptions}, true
}

// Response is what a document declares for one status of an operation.
type Response struct {
	// Listed reports whether the status, or its range (4XX), is listed; a
	// status only the default response covers is not listed.
	Listed bool
	// Declared reports whether any response, the default included, covers
	// the status.
	Declared bool
	// ContentTypes are the media types the covering response declares.
	ContentTypes []string
	// Schema is the body schema for the asked content type, nil when the
	// response declares no body or none for that type.
	Schema *Schema
}

// Response looks up the response op declares for status and the body
// schema for contentType.
func (d *Doc) Response(op *Operation, status int, contentType string) Response {
	var out Response
	d.parsed()
	resps := op.kin().Operation.Responses
	if resps == nil {
		return out
	}
	ref := resps.Status(status)
	out.Listed = ref != nil
	if ref == nil {
		ref = resps.Default()
	}
	if ref == nil || ref.Value == nil {
		return out
	}
	out.Declared = true
	for ct := range ref.Value.Content {
		out.ContentTypes = append(out.ContentTypes, ct)
	}
	sort.Strings(out.ContentTypes)
	if mt := ref.Value.Content.Get(contentType); mt != nil && mt.Schema != nil && mt.Schema.Value != nil {
		out.Schema = &Schema{name: refName(mt.Schema.Ref), s: mt.Schema.Value, opts: d.respOpts.SchemaValidationOptions}
	}
	return out
}

// Statuses lists the response keys op declares ("200", "4XX", "default").
func (op *Operation) Statuses() []string {
	var out []string
	if r := op.kin().Operation.Responses; r != nil {
		for k := range r.Map() {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func refName(ref string) string {
	if i := strings.LastIndex(ref, "/"); i >= 0 {
		return ref[i+1:]
	}
	return ref
}

// Check compares a JSON-decoded value (as encoding/json decodes into any)
// with the schema and returns every difference, each once, sorted by path.
// Unlike validation it does not stop at the first problem, and it also
// reports fields the schema does not declare even where the schema allows
// them.
func (s *Schema) Check(v any) []Finding {
	c := checker{opts: s.opts, seen: map[Finding]bool{}}
	c.walk(s.s, v, "")
	sort.SliceStable(c.out, func(i, j int) bool { return c.out[i].Path < c.out[j].Path })
	return c.out
}

type checker struct {
	opts  []openapi3.SchemaValidationOption
	out   []Finding
	seen  map[Finding]bool
	depth int
}

func (c *checker) add(f Finding) {
	if !c.seen[f] {
		c.seen[f] = true
		c.out = append(c.out, f)
	}
}

// walk compares v with s at path; composition is resolved first.
func (c *checker) walk(s *openapi3.Schema, v any, path string) {
	if s == nil || c.depth > 64 {
		return
	}
	c.depth++
	defer func() { c.depth-- }()
	s = flatten(s)
	if alts := append(append([]*openapi3.SchemaRef{}, s.OneOf...), s.AnyOf...); len(alts) > 0 {
		c.alternatives(s, alts, v, path)
		return
	}
	if v == nil {
		if !nullable(s) {
			c.add(Finding{Kind: FindType, Path: path, Want: typeName(s), Got: "null"})
		}
		return
	}
	got := jsonType(v)
	if types := declaredTypes(s); len(types) > 0 && !permits(types, got) {
		c.add(Finding{Kind: FindType, Path: path, Want: strings.Join(types, " or "), Got: got})
		return
	}
	switch x := v.(type) {
	case map[string]any:
		c.object(s, x, path)
	case []any:
		if s.Items != nil {
			for _, item := range x {
				c.walk(s.Items.Value, item, join(path, "[]"))
			}
		}
	default:
		c.leaf(s, v, path)
	}
}

// alternatives resolves oneOf/anyOf by the branch that fits best: the one
// with the fewest findings (the first on a tie). The outer schema's own
// keywords apply to every branch.
func (c *checker) alternatives(s *openapi3.Schema, alts []*openapi3.SchemaRef, v any, path string) {
	outer := *s
	outer.OneOf, outer.AnyOf = nil, nil
	var best []Finding
	tried := false
	for _, alt := range alts {
		if alt == nil || alt.Value == nil {
			continue
		}
		merged := &openapi3.Schema{AllOf: openapi3.SchemaRefs{{Value: &outer}, alt}}
		sub := checker{opts: c.opts, seen: map[Finding]bool{}, depth: c.depth}
		sub.walk(merged, v, path)
		if !tried || len(sub.out) < len(best) {
			best, tried = sub.out, true
		}
		if len(best) == 0 {
			return
		}
	}
	for _, f := range best {
		c.add(f)
	}
}

func (c *checker) object(s *openapi3.Schema, v map[string]any, path string) {
	for _, name := range s.Required {
		if _, ok := v[name]; !ok {
			c.add(Finding{Kind: FindMissing, Path: join(path, name)})
		}
	}
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	addl := s.AdditionalProperties
	for _, k := range keys {
		if p, ok := s.Properties[k]; ok {
			if p != nil {
				c.walk(p.Value, v[k], join(path, k))
			}
			continue
		}
		switch {
		case addl.Schema != nil && addl.Schema.Value != nil:
			c.walk(addl.Schema.Value, v[k], join(path, "*"))
		case addl.Has != nil && *addl.Has:
			// A declared free map: any key is fine.
		case len(s.Properties) > 0 || (addl.Has != nil && !*addl.Has):
			c.add(Finding{Kind: FindExtra, Path: join(path, k), Got: jsonType(v[k])})
		}
	}
}

// leaf checks a string, number or boolean against enum, format and the
// other value constraints, by validating it against the schema's
// value-level keywords alone.
func (c *checker) leaf(s *openapi3.Schema, v any, path string) {
	if len(s.Enum) > 0 && !inEnum(s.Enum, v) {
		c.add(Finding{Kind: FindEnum, Path: path, Want: enumList(s.Enum), Got: fmt.Sprint(v)})
	}
	leaf := &openapi3.Schema{
		Format: s.Format, Pattern: s.Pattern, MinLength: s.MinLength, MaxLength: s.MaxLength,
		Min: s.Min, Max: s.Max, ExclusiveMin: s.ExclusiveMin, ExclusiveMax: s.ExclusiveMax, MultipleOf: s.MultipleOf,
	}
	err := leaf.VisitJSON(v, append([]openapi3.SchemaValidationOption{openapi3.MultiErrors()}, c.opts...)...)
	if err == nil {
		return
	}
	var errs []error
	var me openapi3.MultiError
	if errors.As(err, &me) {
		errs = me
	} else {
		errs = []error{err}
	}
	for _, e := range errs {
		var se *openapi3.SchemaError
		if !errors.As(e, &se) {
			continue
		}
		if se.SchemaField == "format" {
			c.add(Finding{Kind: FindFormat, Path: path, Want: s.Format})
			continue
		}
		c.add(Finding{Kind: FindConstraint, Path: path, Want: constraint(s, se.SchemaField)})
	}
}

func constraint(s *openapi3.Schema, field string) string {
	switch field {
	case "pattern":
		return "pattern " + s.Pattern
	case "minLength":
		return "minLength " + strconv.FormatUint(s.MinLength, 10)
	case "maxLength":
		if s.MaxLength != nil {
			return "maxLength " + strconv.FormatUint(*s.MaxLength, 10)
		}
	case "minimum":
		if s.Min != nil {
			return "minimum " + strconv.FormatFloat(*s.Min, 'g', -1, 64)
		}
	case "maximum":
		if s.Max != nil {
			return "maximum " + strconv.FormatFloat(*s.Max, 'g', -1, 64)
		}
	}
	return field
}

// flatten merges allOf branches into one schema: properties, required
// fields and the first type, format and enum found; the outer schema's own
// keywords win.
func flatten(s *openapi3.Schema) *openapi3.Schema {
	if len(s.AllOf) == 0 {
		return s
	}
	m := *s
	m.AllOf = nil
	m.Properties = openapi3.Schemas{}
	for k, v := range s.Properties {
		m.Properties[k] = v
	}
	m.Required = append([]string(nil), s.Required...)
	for _, ref := range s.AllOf {
		if ref == nil || ref.Value == nil {
			continue
		}
		b := flatten(ref.Value)
		for k, v := range b.Properties {
			if _, ok := m.Properties[k]; !ok {
				m.Properties[k] = v
			}
		}
		m.Required = append(m.Required, b.Required...)
		if m.Type == nil || m.Type.IsEmpty() {
			m.Type = b.Type
		}
		if m.Format == "" {
			m.Format = b.Format
		}
		if m.Enum == nil {
			m.Enum = b.Enum
		}
		if m.Items == nil {
			m.Items = b.Items
		}
		if m.Pattern == "" {
			m.Pattern = b.Pattern
		}
		m.Nullable = m.Nullable || b.Nullable
		if m.AdditionalProperties.Has == nil && m.AdditionalProperties.Schema == nil {
			m.AdditionalProperties = b.AdditionalProperties
		}
		if len(m.OneOf) == 0 && len(m.AnyOf) == 0 {
			m.OneOf, m.AnyOf = b.OneOf, b.AnyOf
		}
	}
	if len(m.Properties) == 0 {
		m.Properties = nil
	}
	return &m
}

func nullable(s *openapi3.Schema) bool {
	if s.Nullable || (s.Type != nil && s.Type.IncludesNull()) {
		return true
	}
	// A schema that constrains nothing accepts null too.
	return len(declaredTypes(s)) == 0 && len(s.Enum) == 0
}

// declaredTypes is the schema's type list, or the type its keywords imply
// (properties imply an object, items an array).
func declaredTypes(s *openapi3.Schema) []string {
	if s.Type != nil && !s.Type.IsEmpty() {
		return s.Type.Slice()
	}
	switch {
	case len(s.Properties) > 0 || s.AdditionalProperties.Schema != nil:
		return []string{"object"}
	case s.Items != nil:
		return []string{"array"}
	}
	return nil
}

func typeName(s *openapi3.Schema) string {
	if t := declaredTypes(s); len(t) > 0 {
		return strings.Join(t, " or ")
	}
	return "a value"
}

func permits(types []string, got string) bool {
	for _, t := range types {
		if t == got || (t == "number" && got == "integer") {
			return true
		}
	}
	return false
}

// jsonType names the JSON type of a value encoding/json decoded into any;
// a whole number is an integer.
func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		if x == math.Trunc(x) && !math.IsInf(x, 0) {
			return "integer"
		}
		return "number"
	case json.Number:
		if _, err := x.Int64(); err == nil {
			return "integer"
		}
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func inEnum(enum []any, v any) bool {
	for _, e := range enum {
		if e == v {
			return true
		}
		if f, ok := v.(float64); ok {
			if i, ok := e.(int); ok && float64(i) == f {
				return true
			}
		}
	}
	return false
}

func enumList(enum []any) string {
	if len(enum) > 12 {
		return fmt.Sprintf("one of %d values", len(enum))
	}
	vals := make([]string, len(enum))
	for i, e := range enum {
		vals[i] = fmt.Sprint(e)
	}
	return strings.Join(vals, ", ")
}

func join(path, name string) string {
	switch {
	case path == "":
		return name
	case name == "[]":
		return path + name
	}
	return path + "." + name
}
