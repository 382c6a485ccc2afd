package oas

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"go.yaml.in/yaml/v4"
)

// This file holds what kycemu needs to hold a vendor's own OpenAPI
// document against kycemu's answers: an extract that keeps a document's
// structure without its prose and examples (what a repository may keep of
// a document it has no licence to copy), the repairs that make a defective
// document usable, and response validation by method, concrete path and
// status. kycemu's own document (Load) stays the source of routes and
// request validation; an Official is only ever used by tests.

// Official is a vendor's document, repaired and loaded.
type Official struct {
	t    *openapi3.T
	ops  []*OfficialOperation
	opts *openapi3filter.Options
}

// OfficialOperation is one method on one path of a vendor's document.
type OfficialOperation struct {
	Method string
	// Path is the templated path, e.g. /api/v1/verifications/{id}.
	Path  string
	segs  []string
	route *routers.Route
}

// Repair is one change made to a vendor's document before it is used. A
// repair is either a named rule applied across the document (Rule) or a
// change at one place (Pointer, a JSON pointer, with Set or Remove). Why
// says what in the vendor's own material justifies it.
type Repair struct {
	Rule    string `yaml:"rule,omitempty" json:"rule,omitempty"`
	Pointer string `yaml:"pointer,omitempty" json:"pointer,omitempty"`
	Set     any    `yaml:"set,omitempty" json:"set,omitempty"`
	Remove  bool   `yaml:"remove,omitempty" json:"remove,omitempty"`
	Why     string `yaml:"why" json:"why"`
}

// rules are the named repairs a Repair.Rule may name:
//
//	null-types       `type: 'null'` is not an OpenAPI 3.0 type (it is what a
//	                 generator writes for a null example). Such a schema
//	                 becomes nullable, taking the type its property has
//	                 elsewhere in the document when that is one scalar type;
//	                 a type list with "null" becomes the other type,
//	                 nullable; and a property that is null at one place and
//	                 typed at another is nullable everywhere.
//	oneof-repeats    a oneOf whose branches repeat each other can never hold
//	                 for a value of the repeated branch; it becomes an anyOf
//	                 of the distinct branches.
//	array-items      an array schema without items (OpenAPI 3.0 requires
//	                 them) takes items of any type.
//	error-responses  every operation without a default response gets one for
//	                 the error envelopes: {"error":{code,message}} and
//	                 {"errors":{...}}.
var rules = map[string]func(doc map[string]any) int{
	"null-types":      ruleNullTypes,
	"oneof-repeats":   ruleOneOfRepeats,
	"error-responses": ruleErrorResponses,
	"array-items":     ruleArrayItems,
}

// Extract returns a vendor's document without its prose and examples:
// description, summary, example, examples and externalDocs keywords go
// (properties that happen to carry those names stay), and so do tags. What
// is left is the structure: paths, methods, parameters, statuses and
// schemas. header becomes the leading comment of the result.
func Extract(spec []byte, header string) ([]byte, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(spec, &root); err != nil {
		return nil, fmt.Errorf("parse document: %w", err)
	}
	if root.Kind != yaml.DocumentNode || len(root.Content) != 1 {
		return nil, errors.New("parse document: not a single YAML document")
	}
	strip(root.Content[0], "")
	root.HeadComment = header
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&root); err != nil {
		return nil, fmt.Errorf("write extract: %w", err)
	}
	return buf.Bytes(), nil
}

// prose are the keywords Extract drops.
var prose = map[string]bool{"description": true, "summary": true, "example": true, "examples": true,
	"externalDocs": true, "tags": true}

// nameMaps are the keywords whose values map names (not keywords) to
// objects: inside them every key is kept.
var nameMaps = map[string]bool{"properties": true, "schemas": true, "paths": true, "responses": true,
	"headers": true, "content": true, "securitySchemes": true, "requestBodies": true, "parameters": true,
	"links": true, "callbacks": true, "variables": true, "encoding": true, "mapping": true}

// strip drops prose from n. in is the keyword n is the value of, or, when
// n is an entry of a name map, that map's keyword with a "/" in front.
func strip(n *yaml.Node, in string) {
	n.HeadComment, n.LineComment, n.FootComment = "", "", ""
	switch n.Kind {
	case yaml.SequenceNode:
		for _, c := range n.Content {
			strip(c, "/"+in)
		}
	case yaml.MappingNode:
		kept := n.Content[:0]
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if !nameMaps[in] && prose[k.Value] {
				continue
			}
			k.HeadComment, k.LineComment, k.FootComment = "", "", ""
			if nameMaps[in] {
				strip(v, "/"+in)
			} else {
				strip(v, k.Value)
			}
			kept = append(kept, k, v)
		}
		n.Content = kept
		if in == "/responses" {
			// A response must have a description; the extract keeps an empty one.
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "description"},
				&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: ""})
		}
	}
}

// LoadOfficial parses a vendor's document (or its extract), applies the
// repairs in order and loads it. A repair that changes nothing is an error:
// the document it was written for has changed. The repaired document must
// be valid OpenAPI 3.0.
func LoadOfficial(spec []byte, repairs []Repair) (*Official, error) {
	var raw any
	if err := yaml.Unmarshal(spec, &raw); err != nil {
		return nil, fmt.Errorf("parse official document: %w", err)
	}
	doc, ok := normalize(raw).(map[string]any)
	if !ok {
		return nil, errors.New("parse official document: not a mapping")
	}
	for i, rp := range repairs {
		if err := apply(doc, rp); err != nil {
			return nil, fmt.Errorf("repair %d (%s): %w", i+1, rp.label(), err)
		}
	}
	js, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("encode repaired document: %w", err)
	}
	loader := openapi3.NewLoader()
	t, err := loader.LoadFromData(js)
	if err != nil {
		return nil, fmt.Errorf("load repaired document: %w", err)
	}
	if err := t.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("validate repaired document: %w", err)
	}
	o := &Official{t: t, opts: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}}
	for _, path := range t.Paths.InMatchingOrder() {
		item := t.Paths.Value(path)
		for method, op := range item.Operations() {
			o.ops = append(o.ops, &OfficialOperation{Method: method, Path: path, segs: strings.Split(path, "/"),
				route: &routers.Route{Spec: t, Path: path, PathItem: item, Method: method, Operation: op}})
		}
	}
	sort.Slice(o.ops, func(i, j int) bool {
		if o.ops[i].Path != o.ops[j].Path {
			return o.ops[i].Path < o.ops[j].Path
		}
		return o.ops[i].Method < o.ops[j].Method
	})
	return o, nil
}

func (rp Repair) label() string {
	if rp.Rule != "" {
		return "rule " + rp.Rule
	}
	return rp.Pointer
}

// Version returns info.version.
func (o *Official) Version() string { return o.t.Info.Version }

// Operations lists the document's operations, sorted by path then method.
func (o *Official) Operations() []*OfficialOperation { return o.ops }

// Statuses returns the statuses an operation declares ("200", "default").
func (op *OfficialOperation) Statuses() []string {
	var out []string
	for code := range op.route.Operation.Responses.Map() {
		out = append(out, code)
	}
	sort.Strings(out)
	return out
}

// Find returns the operation a concrete, decoded path and method fall under, with
// the path parameters; of several templates that match, the one with the
// most literal segments wins.
func (o *Official) Find(method, path string) (*OfficialOperation, map[string]string, bool) {
	segs := strings.Split(path, "/")
	var best *OfficialOperation
	bestScore := -1
	for _, op := range o.ops {
		if op.Method != method || len(op.segs) != len(segs) {
			continue
		}
		score, match := 0, true
		for i, s := range op.segs {
			switch {
			case isParam(s):
				match = match && segs[i] != ""
			case s == segs[i]:
				score++
			default:
				match = false
			}
		}
		if match && score > bestScore {
			best, bestScore = op, score
		}
	}
	if best == nil {
		return nil, nil, false
	}
	params := map[string]string{}
	for i, s := range best.segs {
		if isParam(s) {
			params[s[1:len(s)-1]] = segs[i]
		}
	}
	return best, params, true
}

func isParam(seg string) bool { return strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") }

// ValidateResponse checks one answer to method on a concrete, decoded path
// (without any mount prefix or query) against the operation it falls
// under.
func (o *Official) ValidateResponse(ctx context.Context, method, path string, status int, header http.Header, body []byte) error {
	op, params, found := o.Find(method, path)
	if !found {
		return fmt.Errorf("%s %s is no operation of the official document", method, path)
	}
	r, err := http.NewRequestWithContext(ctx, method, "https://official.invalid/", nil)
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	r.URL.Path = path
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: op.route,
			Options: o.opts},
		Status: status, Header: header, Options: o.opts,
	}
	in.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(ctx, in); err != nil {
		return fmt.Errorf("response %d to %s %s breaks the official document: %w", status, method, op.Path, err)
	}
	return nil
}

// normalize turns YAML's decoded maps into map[string]any throughout.
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalize(e)
		}
		return x
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[fmt.Sprint(k)] = normalize(e)
		}
		return out
	case []any:
		for i, e := range x {
			x[i] = normalize(e)
		}
		return x
	}
	return v
}

func apply(doc map[string]any, rp Repair) error {
	if strings.TrimSpace(rp.Why) == "" {
		return errors.New("a repair must say why")
	}
	if rp.Rule != "" {
		rule, known := rules[rp.Rule]
		if !known {
			return errors.New("unknown rule")
		}
		if rule(doc) == 0 {
			return errors.New("the rule changed nothing")
		}
		return nil
	}
	if rp.Pointer == "" || rp.Remove == (rp.Set != nil) {
		return errors.New("a point repair needs a pointer and either set or remove")
	}
	parts := strings.Split(strings.TrimPrefix(rp.Pointer, "/"), "/")
	for i, p := range parts {
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(p, "~1", "/"), "~0", "~")
	}
	var cur any = doc
	for _, p := range parts[:len(parts)-1] {
		next, err := child(cur, p)
		if err != nil {
			return err
		}
		cur = next
	}
	last := parts[len(parts)-1]
	switch c := cur.(type) {
	case map[string]any:
		if rp.Remove {
			if _, ok := c[last]; !ok {
				return fmt.Errorf("nothing at %q to remove", last)
			}
			delete(c, last)
			return nil
		}
		set := normalize(rp.Set)
		if reflect.DeepEqual(c[last], set) {
			return errors.New("the value is already there")
		}
		c[last] = set
		return nil
	case []any:
		i, err := strconv.Atoi(last)
		if err != nil || i < 0 || i >= len(c) {
			return fmt.Errorf("no item %q", last)
		}
		if rp.Remove {
			return errors.New("items cannot be removed; set the list instead")
		}
		c[i] = normalize(rp.Set)
		return nil
	}
	return errors.New("the pointer does not end in an object or a list")
}

func child(v any, key string) (any, error) {
	switch c := v.(type) {
	case map[string]any:
		if next, ok := c[key]; ok {
			return next, nil
		}
	case []any:
		if i, err := strconv.Atoi(key); err == nil && i >= 0 && i < len(c) {
			return c[i], nil
		}
	}
	return nil, fmt.Errorf("the pointer does not resolve at %q", key)
}

// visitSchemas calls fn for every schema object of the document with the
// name of the property it describes ("" when it is not a property).
func visitSchemas(doc map[string]any, fn func(name string, s map[string]any)) {
	var schema func(name string, v any)
	schema = func(name string, v any) {
		s, ok := v.(map[string]any)
		if !ok {
			return
		}
		fn(name, s)
		if props, ok := s["properties"].(map[string]any); ok {
			for _, k := range sortedKeys(props) {
				schema(k, props[k])
			}
		}
		schema("", s["items"])
		schema("", s["additionalProperties"])
		schema("", s["not"])
		for _, k := range []string{"allOf", "anyOf", "oneOf"} {
			if list, ok := s[k].([]any); ok {
				for _, b := range list {
					schema("", b)
				}
			}
		}
	}
	content := func(v any) {
		if c, ok := v.(map[string]any); ok {
			for _, mt := range sortedKeys(c) {
				if m, ok := c[mt].(map[string]any); ok {
					schema("", m["schema"])
				}
			}
		}
	}
	params := func(v any) {
		if list, ok := v.([]any); ok {
			for _, p := range list {
				if m, ok := p.(map[string]any); ok {
					schema("", m["schema"])
				}
			}
		}
	}
	if comps, ok := doc["components"].(map[string]any); ok {
		if schemas, ok := comps["schemas"].(map[string]any); ok {
			for _, k := range sortedKeys(schemas) {
				schema("", schemas[k])
			}
		}
	}
	forEachOperation(doc, func(_ string, op map[string]any) {
		params(op["parameters"])
		if rb, ok := op["requestBody"].(map[string]any); ok {
			content(rb["content"])
		}
		if rs, ok := op["responses"].(map[string]any); ok {
			for _, code := range sortedKeys(rs) {
				if r, ok := rs[code].(map[string]any); ok {
					content(r["content"])
				}
			}
		}
	})
}

var methods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

func forEachOperation(doc map[string]any, fn func(path string, op map[string]any)) {
	paths, _ := doc["paths"].(map[string]any)
	for _, p := range sortedKeys(paths) {
		item, _ := paths[p].(map[string]any)
		for _, m := range methods {
			if op, ok := item[m].(map[string]any); ok {
				fn(p, op)
			}
		}
	}
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// typesOf returns a schema's declared types, and whether "null" is one.
func typesOf(s map[string]any) ([]string, bool) {
	var out []string
	null := false
	add := func(t string) {
		if t == "null" {
			null = true
		} else if t != "" {
			out = append(out, t)
		}
	}
	switch t := s["type"].(type) {
	case string:
		add(t)
	case []any:
		for _, e := range t {
			s, _ := e.(string)
			add(s)
		}
	}
	return out, null
}

func ruleNullTypes(doc map[string]any) int {
	scalar := map[string]bool{"string": true, "number": true, "integer": true, "boolean": true}
	seen := map[string]map[string]bool{} // property name -> non-null types
	nullSomewhere := map[string]bool{}
	visitSchemas(doc, func(name string, s map[string]any) {
		if name == "" {
			return
		}
		ts, null := typesOf(s)
		if null {
			nullSomewhere[name] = true
		}
		if _, ref := s["$ref"]; ref {
			ts = []string{"object"}
		}
		for _, t := range ts {
			if seen[name] == nil {
				seen[name] = map[string]bool{}
			}
			seen[name][t] = true
		}
	})
	changed := 0
	visitSchemas(doc, func(name string, s map[string]any) {
		ts, null := typesOf(s)
		switch {
		case null:
			delete(s, "type")
			s["nullable"] = true
			if len(ts) == 1 {
				s["type"] = ts[0]
			} else if len(ts) == 0 && len(seen[name]) == 1 {
				for t := range seen[name] {
					if scalar[t] {
						s["type"] = t
					}
				}
			}
			changed++
		case nullSomewhere[name] && s["nullable"] != true:
			if ref, isRef := s["$ref"]; isRef {
				delete(s, "$ref")
				s["allOf"] = []any{map[string]any{"$ref": ref}}
			}
			s["nullable"] = true
			changed++
		}
	})
	return changed
}

func ruleOneOfRepeats(doc map[string]any) int {
	changed := 0
	visitSchemas(doc, func(_ string, s map[string]any) {
		list, ok := s["oneOf"].([]any)
		if !ok {
			return
		}
		var distinct []any
		for _, b := range list {
			dup := false
			for _, d := range distinct {
				if reflect.DeepEqual(b, d) {
					dup = true
					break
				}
			}
			if !dup {
				distinct = append(distinct, b)
			}
		}
		if len(distinct) == len(list) {
			return
		}
		delete(s, "oneOf")
		s["anyOf"] = distinct
		changed++
	})
	return changed
}

func ruleErrorResponses(doc map[string]any) int {
	changed := 0
	forEachOperation(doc, func(_ string, op map[string]any) {
		rs, ok := op["responses"].(map[string]any)
		if !ok {
			rs = map[string]any{}
			op["responses"] = rs
		}
		if _, has := rs["default"]; has {
			return
		}
		rs["default"] = map[string]any{
			"description": "An error.",
			"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{
				"anyOf": []any{
					map[string]any{"type": "object", "required": []any{"error"}, "properties": map[string]any{
						"error": map[string]any{"type": "object", "required": []any{"code", "message"},
							"properties": map[string]any{
								"code":    map[string]any{"type": "integer"},
								"message": map[string]any{"type": "string"},
							}},
					}},
					map[string]any{"type": "object", "required": []any{"errors"}, "properties": map[string]any{
						"errors": map[string]any{"type": "object"},
					}},
				},
			}}},
		}
		changed++
	})
	return changed
}

func ruleArrayItems(doc map[string]any) int {
	changed := 0
	visitSchemas(doc, func(_ string, s map[string]any) {
		if ts, _ := typesOf(s); len(ts) == 1 && ts[0] == "array" && s["items"] == nil {
			s["items"] = map[string]any{}
			changed++
		}
	})
	return changed
}
