package oas

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/kycemu/kycemu/emulator/internal/jsonx"
)

// The fast path of request body validation.
//
// Checking a JSON body with kin-openapi means decoding it into `any` first:
// a map per object, an interface per value, a string per key, all of which
// the collector then pays for. Most bodies are valid, and for those the
// answer needs none of it. fastValid walks the body's bytes against a
// precompiled form of the schema (fastSchema) and answers one of two things:
// "valid", when kin-openapi would accept the body too, or "don't know", when
// the body may be invalid or uses something the walk does not model. On
// "don't know" the caller runs today's path, which alone produces the
// errors clients see. The walk may be stricter than kin-openapi, never more
// lenient.
//
// Only the keywords the embedded specs' request bodies use are modelled,
// each as kin-openapi's OpenAPI 3.0 validator (schema_3point0_validator.go)
// reads it; a schema with any other keyword set anywhere in its tree gets
// no fast form (compileFast returns nil) and is always left to kin-openapi.

// fastSchema is a schema as the walk checks it.
type fastSchema struct {
	s *openapi3.Schema
	// empty is the schema kin-openapi treats as {} (IsEmpty): anything but
	// null goes.
	empty    bool
	nullable bool
	// enum is the schema's enum when it lists strings only.
	enum []string

	// Strings.
	minLength uint64
	maxLength *uint64
	pattern   *regexp.Regexp
	format    openapi3.StringFormatValidator

	// Numbers: intFormat is the validator of the schema's integer format,
	// if it has one kin-openapi knows.
	intFormat openapi3.IntegerFormatValidator
	min, max  *float64
	exclMin   bool
	exclMax   bool

	// Arrays.
	minItems uint64
	maxItems *uint64
	items    *fastSchema

	// Objects: props are the declared properties, each with its bit in the
	// masks of seen properties; required is the mask of required ones.
	props      map[string]fastProp
	required   uint64
	addlClosed bool
	addl       *fastSchema
}

type fastProp struct {
	bit      uint64
	schema   *fastSchema
	readOnly bool
}

// compileFast returns the fast form of s, or nil when s, or any schema
// under it, uses a keyword the walk does not model. formats are the string
// format validators kin-openapi is given for request bodies. A schema that
// refers back to itself gets none: kin-openapi stops visiting a schema it
// is already visiting for the same value, which the walk does not mimic.
func compileFast(s *openapi3.Schema, formats map[string]openapi3.StringFormatValidator) *fastSchema {
	return compileFastIn(s, formats, map[*openapi3.Schema]bool{})
}

func compileFastIn(s *openapi3.Schema, formats map[string]openapi3.StringFormatValidator, visiting map[*openapi3.Schema]bool) *fastSchema {
	if s == nil || visiting[s] || !onlyModelled(s) {
		return nil
	}
	visiting[s] = true
	defer delete(visiting, s)

	f := &fastSchema{s: s, empty: s.IsEmpty(), nullable: s.Nullable}
	if s.Type.IncludesNull() {
		return nil
	}
	for _, v := range s.Enum {
		str, ok := v.(string)
		if !ok {
			return nil
		}
		f.enum = append(f.enum, str)
	}
	if len(s.Enum) > 0 && f.enum == nil {
		return nil
	}

	f.minLength, f.maxLength = s.MinLength, s.MaxLength
	if s.Pattern != "" {
		// kin-openapi rewrites \uXXXX escapes before compiling (intoGoRegexp);
		// a pattern it would rewrite is left to it.
		if patRewrite.MatchString(s.Pattern) {
			return nil
		}
		re, err := regexp.Compile(s.Pattern)
		if err != nil {
			return nil
		}
		f.pattern = re
	}

	if s.Format != "" {
		// The format is looked up as kin-openapi looks it up for each kind of
		// value; an unknown one is ignored by it, and so here.
		if v, ok := formats[s.Format]; ok {
			f.format = v
		} else if v, ok := openapi3.SchemaStringFormats[s.Format]; ok {
			f.format = v
		}
		if _, ok := openapi3.SchemaNumberFormats[s.Format]; ok {
			return nil
		}
		f.intFormat = openapi3.SchemaIntegerFormats[s.Format]
	}

	// OpenAPI 3.0's exclusive bounds are booleans; a numeric one is 3.1's.
	if s.ExclusiveMin.Value != nil || s.ExclusiveMax.Value != nil {
		return nil
	}
	f.min, f.max = s.Min, s.Max
	f.exclMin = s.ExclusiveMin.Bool != nil && *s.ExclusiveMin.Bool && s.Min != nil
	f.exclMax = s.ExclusiveMax.Bool != nil && *s.ExclusiveMax.Bool && s.Max != nil

	f.minItems, f.maxItems = s.MinItems, s.MaxItems
	if s.Items != nil {
		if f.items = compileFastIn(s.Items.Value, formats, visiting); f.items == nil {
			return nil
		}
	}

	if len(s.Properties) > 64 {
		return nil
	}
	if len(s.Properties) > 0 {
		f.props = make(map[string]fastProp, len(s.Properties))
		bit := uint64(1)
		for name, ref := range s.Properties {
			if ref == nil || ref.Value == nil {
				return nil
			}
			ps := compileFastIn(ref.Value, formats, visiting)
			if ps == nil {
				return nil
			}
			f.props[name] = fastProp{bit: bit, schema: ps, readOnly: ref.Value.ReadOnly}
			bit <<= 1
		}
	}
	for _, name := range s.Required {
		p, ok := f.props[name]
		if !ok {
			// Required but not declared: its presence would need tracking
			// among the undeclared keys.
			return nil
		}
		f.required |= p.bit
	}
	if has := s.AdditionalProperties.Has; has != nil && !*has {
		f.addlClosed = true
	} else if ref := s.AdditionalProperties.Schema; ref != nil {
		if ref.Value == nil {
			return nil
		}
		if f.addl = compileFastIn(ref.Value, formats, visiting); f.addl == nil {
			return nil
		}
	}
	return f
}

var patRewrite = regexp.MustCompile(`\\u[0-9A-F]{4}`)

// onlyModelled reports whether s sets no keyword but those the walk models
// and the annotations, which change nothing about a request's validity
// (defaults are not set on request bodies: SkipSettingDefaults; writeOnly
// only matters to responses). It clears what it knows on a copy and asks
// whether anything is left, so a keyword added to kin-openapi later counts
// as unmodelled until someone looks at it.
func onlyModelled(s *openapi3.Schema) bool {
	c := *s
	// Annotations.
	c.Extensions, c.Origin = nil, nil
	c.Title, c.Description, c.Comment = "", "", ""
	c.Default, c.Example, c.Examples = nil, nil, nil
	c.ExternalDocs, c.XML = nil, nil
	c.Deprecated, c.WriteOnly, c.AllowEmptyValue = false, false, false
	// Modelled keywords.
	c.Type, c.Format, c.Enum, c.Nullable, c.ReadOnly = nil, "", nil, false, false
	c.MinLength, c.MaxLength, c.Pattern = 0, nil, ""
	c.Min, c.Max = nil, nil
	c.ExclusiveMin, c.ExclusiveMax = openapi3.ExclusiveBound{}, openapi3.ExclusiveBound{}
	c.MinItems, c.MaxItems, c.Items = 0, nil, nil
	c.Required, c.Properties, c.AdditionalProperties = nil, nil, openapi3.AdditionalProperties{}
	return reflect.ValueOf(c).IsZero()
}

// fastValid reports whether body, a JSON document, is certainly valid
// against f. false means "don't know".
func fastValid(f *fastSchema, body []byte) bool {
	if f == nil || !json.Valid(body) {
		return false
	}
	w := walker{b: body}
	w.ws()
	if !w.value(f) {
		return false
	}
	w.ws()
	return w.i == len(w.b)
}

// walker walks a document json.Valid has accepted, so it need not check
// the syntax again: it only finds where each value ends.
type walker struct {
	b []byte
	i int
}

func (w *walker) ws() { w.i = jsonx.SkipSpace(w.b, w.i) }

// value checks the value at w.i against f and moves past it.
func (w *walker) value(f *fastSchema) bool {
	c := w.b[w.i]
	if c == 'n' {
		w.i += len("null")
		// kin-openapi accepts null first thing when the schema permits it,
		// and refuses it otherwise (the combinators it might find it
		// elsewhere in are not modelled).
		return f.nullable
	}
	if f.empty {
		return w.skip()
	}
	switch {
	case c == '{':
		return w.object(f)
	case c == '[':
		return w.array(f)
	case c == '"':
		return w.str(f)
	case c == 't' || c == 'f':
		if len(f.enum) > 0 || !f.s.Type.Permits(openapi3.TypeBoolean) {
			return false
		}
		if c == 't' {
			w.i += len("true")
		} else {
			w.i += len("false")
		}
		return true
	default:
		return w.number(f)
	}
}

// skip moves past the value at w.i, whatever it holds, and reports whether
// json.Unmarshal would decode it: a number beyond float64 it refuses.
func (w *walker) skip() bool {
	switch c := w.b[w.i]; c {
	case '"':
		w.stringEnd()
	case 't', 'n':
		w.i += len("true")
	case 'f':
		w.i += len("false")
	case '{', '[':
		w.i++
		w.ws()
		if d := w.b[w.i]; d == '}' || d == ']' {
			w.i++
			return true
		}
		for {
			w.ws()
			if c == '{' {
				w.stringEnd()
				w.ws()
				w.i++ // :
				w.ws()
			}
			if !w.skip() {
				return false
			}
			w.ws()
			d := w.b[w.i]
			w.i++
			if d == '}' || d == ']' {
				return true
			}
		}
	default:
		_, ok := w.float()
		return ok
	}
	return true
}

// float moves past the number at w.i and returns it as json.Unmarshal
// decodes a number into any.
func (w *walker) float() (float64, bool) {
	start := w.i
	for w.i < len(w.b) && isNumberByte(w.b[w.i]) {
		w.i++
	}
	v, err := strconv.ParseFloat(string(w.b[start:w.i]), 64)
	return v, err == nil && !math.IsInf(v, 0) && !math.IsNaN(v)
}

func isNumberByte(c byte) bool {
	return '0' <= c && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

// stringEnd moves past the string starting at w.i and reports whether it
// needs unquoting: an escape, or bytes that are not UTF-8 (json.Unmarshal
// replaces them).
func (w *walker) stringEnd() (raw []byte, plain bool) {
	start := w.i + 1
	plain = true
	i := start
	for {
		c := w.b[i]
		if c == '"' {
			break
		}
		if c == '\\' {
			plain = false
			i += 2
			continue
		}
		if c >= utf8.RuneSelf {
			plain = false
		}
		i++
	}
	w.i = i + 1
	return w.b[start:i], plain
}

// text returns the string at w.i as json.Unmarshal would decode it, and
// moves past it. A plain string is returned as the body's bytes; any other
// is decoded by encoding/json itself.
func (w *walker) text() ([]byte, bool) {
	start := w.i
	raw, plain := w.stringEnd()
	if plain || utf8.Valid(raw) && bytes.IndexByte(raw, '\\') < 0 {
		return raw, true
	}
	var s string
	if json.Unmarshal(w.b[start:w.i], &s) != nil {
		return nil, false
	}
	return []byte(s), true
}

func (w *walker) str(f *fastSchema) bool {
	v, ok := w.text()
	if !ok || !f.s.Type.Permits(openapi3.TypeString) {
		return false
	}
	if len(f.enum) > 0 {
		found := false
		for _, e := range f.enum {
			if string(v) == e {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	if f.minLength != 0 || f.maxLength != nil {
		// As kin-openapi counts: UTF-16 code units of the decoded runes.
		n := uint64(0)
		for _, r := range string(v) {
			if utf16.IsSurrogate(r) {
				n += 2
			} else {
				n++
			}
		}
		if n < f.minLength || f.maxLength != nil && n > *f.maxLength {
			return false
		}
	}
	if f.pattern != nil && !f.pattern.Match(v) {
		return false
	}
	if f.format != nil && f.format.Validate(string(v)) != nil {
		return false
	}
	return true
}

func (w *walker) number(f *fastSchema) bool {
	// A number beyond float64 json.Unmarshal refuses, and today's path
	// sends it to kin-openapi's own decoder.
	v, ok := w.float()
	if !ok || len(f.enum) > 0 {
		return false
	}
	t := f.s.Type
	requireInteger := t.Permits(openapi3.TypeInteger) && !t.Permits(openapi3.TypeNumber)
	if requireInteger {
		// big.NewFloat(v).IsInt(), for a finite v.
		if math.Trunc(v) != v {
			return false
		}
		if f.intFormat != nil && !intFormatOK(f.intFormat, v) {
			return false
		}
	} else if !t.Permits(openapi3.TypeNumber) {
		return false
	}
	if f.exclMin && !(v > *f.min) || f.exclMax && !(v < *f.max) {
		return false
	}
	if f.min != nil && !(*f.min <= v) || f.max != nil && !(*f.max >= v) {
		return false
	}
	return true
}

// intFormatOK is kin-openapi's validateIntegerFormat as a yes or no.
func intFormatOK(f openapi3.IntegerFormatValidator, v float64) bool {
	switch {
	case v == float64(math.MaxInt64):
		return f.Validate(math.MaxInt64) == nil
	case v >= float64(math.MinInt64) && v < float64(math.MaxInt64):
		return f.Validate(int64(v)) == nil
	default:
		return false
	}
}

func (w *walker) array(f *fastSchema) bool {
	if len(f.enum) > 0 || !f.s.Type.Permits(openapi3.TypeArray) {
		return false
	}
	w.i++ // [
	n := uint64(0)
	w.ws()
	if w.b[w.i] == ']' {
		w.i++
	} else {
		for {
			w.ws()
			if f.items != nil {
				if !w.value(f.items) {
					return false
				}
			} else if !w.skip() {
				return false
			}
			n++
			w.ws()
			c := w.b[w.i]
			w.i++
			if c == ']' {
				break
			}
		}
	}
	return n >= f.minItems && (f.maxItems == nil || n <= *f.maxItems)
}

func (w *walker) object(f *fastSchema) bool {
	if len(f.enum) > 0 || !f.s.Type.Permits(openapi3.TypeObject) {
		return false
	}
	w.i++ // {
	var seen uint64
	w.ws()
	if w.b[w.i] == '}' {
		w.i++
		return seen&f.required == f.required
	}
	for {
		w.ws()
		key, ok := w.text()
		if !ok {
			return false
		}
		w.ws()
		w.i++ // :
		w.ws()
		if p, ok := f.props[string(key)]; ok {
			// A declared property twice is left to json.Unmarshal's rule
			// (the last wins); a readOnly one sent in a request is refused
			// by kin-openapi unless it is null, which is not worth telling
			// apart here.
			if seen&p.bit != 0 || p.readOnly {
				return false
			}
			seen |= p.bit
			if !w.value(p.schema) {
				return false
			}
		} else {
			// An undeclared key: kin-openapi checks the value it ends up
			// with, the last of its duplicates; checking every one of them
			// is as strict or stricter.
			if f.addlClosed {
				return false
			}
			if f.addl != nil {
				if !w.value(f.addl) {
					return false
				}
			} else if !w.skip() {
				return false
			}
		}
		w.ws()
		c := w.b[w.i]
		w.i++
		if c == '}' {
			break
		}
	}
	return seen&f.required == f.required
}
