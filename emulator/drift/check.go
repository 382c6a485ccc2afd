package drift

import (
	"bytes"
	"context"
	"encoding/json"
	"mime"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/kycemu/kycemu/emulator/internal/oas"
)

// exchangeIn is what the proxy hands the checks: the real, unmasked
// request and answer. Nothing of it is written before it is masked.
type exchangeIn struct {
	method, path, query string
	reqHeader           http.Header
	reqBody             []byte
	status              int
	respHeader          http.Header
	respBody            []byte
}

// checkAPI compares a real exchange of one operation with the spec: the
// request (does the spec refuse what the real API accepted?), the status,
// the content type and every field of the body.
func checkAPI(ctx context.Context, m *Masker, s *spec, op *oas.Operation, params map[string]string, x exchangeIn) ([]Finding, []string) {
	var out []Finding
	var notes []string
	r, err := http.NewRequestWithContext(ctx, x.method, "http://upstream"+x.path, bytes.NewReader(x.reqBody))
	if err == nil {
		r.URL.RawQuery = x.query
		r.Header = x.reqHeader.Clone()
		if p := s.doc.ValidateRequest(ctx, s.doc.Request(op, r, params), x.reqBody); p != nil {
			where := p.Field
			if p.In != "body" && p.Field != "" {
				where = p.In + "." + p.Field
			}
			if x.status < 400 {
				out = append(out, Finding{Kind: KindRequest, In: "request", Path: where, Want: p.Reason,
					Got: "accepted with " + strconv.Itoa(x.status)})
			} else {
				notes = append(notes, "the spec refuses this request too ("+p.String()+")")
			}
		}
	}
	ct := x.respHeader.Get("Content-Type")
	resp := s.doc.Response(op, x.status, ct)
	if !resp.Listed {
		out = append(out, Finding{Kind: KindStatus, In: "response", Want: strings.Join(op.Statuses(), ", "),
			Got: strconv.Itoa(x.status)})
	}
	schema := resp.Schema
	switch {
	case !resp.Listed && x.status < 400:
		// An unlisted success is compared with the documented success,
		// not with the default (error) response.
		schema = successSchema(s, op, ct)
	case !resp.Declared && x.status >= 400:
		schema = s.errs
	}
	switch {
	case len(x.respBody) == 0 || x.method == http.MethodHead:
		if schema != nil && x.method != http.MethodHead && x.status != http.StatusNoContent {
			out = append(out, Finding{Kind: oas.FindMissing, In: "response", Want: schemaName(schema), Got: "empty body"})
		}
	case schema == nil && resp.Declared && (resp.Listed || x.status >= 400):
		want := "no body"
		if len(resp.ContentTypes) > 0 {
			want = strings.Join(resp.ContentTypes, ", ")
		}
		out = append(out, Finding{Kind: KindContentType, In: "response", Want: want, Got: mediaType(ct)})
	case schema != nil:
		out = append(out, checkBody(m, "response", schema, x.respBody, x.status >= 400)...)
	}
	return out, notes
}

// checkBody compares a JSON body with a schema. An error body that differs
// yields one error-envelope finding naming the envelope the real API used.
func checkBody(m *Masker, in string, schema *oas.Schema, body []byte, isError bool) []Finding {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return []Finding{{Kind: oas.FindType, In: in, Want: "JSON (" + schemaName(schema) + ")", Got: "not JSON"}}
	}
	fs := schema.Check(v)
	if isError && len(fs) > 0 {
		return []Finding{{Kind: KindEnvelope, In: in, Want: schemaName(schema), Got: m.String(envelope(v, 2))}}
	}
	out := make([]Finding, 0, len(fs))
	for _, f := range fs {
		out = append(out, Finding{Kind: f.Kind, In: in, Path: m.String(f.Path), Want: f.Want, Got: m.String(f.Got)})
	}
	return out
}

// successSchema is the body schema of the first success status op lists.
func successSchema(s *spec, op *oas.Operation, ct string) *oas.Schema {
	for _, st := range op.Statuses() {
		if n, err := strconv.Atoi(st); err == nil && n >= 200 && n < 300 {
			return s.doc.Response(op, n, ct).Schema
		}
	}
	return nil
}

func schemaName(s *oas.Schema) string {
	if s.Name() != "" {
		return s.Name()
	}
	return "the declared schema"
}

func mediaType(ct string) string {
	if ct == "" {
		return "no content type"
	}
	if mt, _, err := mime.ParseMediaType(ct); err == nil {
		return mt
	}
	return "an invalid content type"
}

// envelope writes the shape of a value without its values, keys to depth
// levels: {"error":{"code","message"}} is {error{code,message}}.
func envelope(v any, depth int) string {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if depth > 1 {
			for i, k := range keys {
				if _, ok := x[k].(map[string]any); ok {
					keys[i] = k + envelope(x[k], depth-1)
				}
			}
		}
		return "{" + strings.Join(keys, ",") + "}"
	case []any:
		return "[...]"
	case nil:
		return "null"
	}
	return jsonKind(v)
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64, json.Number:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unknown"
}

var idSegment = regexp.MustCompile(`^[0-9]+$|^[0-9a-fA-F-]{16,}$|.*[0-9].*[0-9].*[0-9].*`)

// templatePath replaces the segments of a path that look like ids (digits,
// uuids, long codes) with {id}, so requests to one unknown route group
// together and carry no identifiers.
func templatePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if s != "" && (idSegment.MatchString(s) || len(s) > 40 || strings.ContainsAny(s, "@[")) {
			segs[i] = "{id}"
		}
	}
	return strings.Join(segs, "/")
}
