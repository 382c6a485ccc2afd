// Package oas is the emulator's only importer of kin-openapi. It loads a
// provider's OpenAPI document, lists its operations for routing, and
// validates requests and responses against it. Validation problems come back
// as value-free Problems: no message repeats what a client submitted.
package oas

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/kycemu/kycemu/emulator/internal/httpx"
)

// Doc is a loaded, validated OpenAPI document. What routing needs (its
// outline: operations, base paths, title) is known from the start; the
// parsed document behind validation may not be there yet (see
// LoadEmbedded), and every method that needs it parses it first, or waits
// for the parse under way (parsed).
type Doc struct {
	raw     []byte
	outline *Outline
	ops     []*Operation

	// parseOnce sets t, reqOpts and respOpts and each operation's route,
	// or parseErr; nothing reads them before it is done.
	parseOnce sync.Once
	ready     atomic.Bool // set once attach is done (Parsed)
	parseErr  error
	t         *openapi3.T
	reqOpts   *openapi3filter.Options
	respOpts  *openapi3filter.Options
	// bodyOpts are the options kin-openapi would check a request body's
	// value with (validateBody).
	bodyOpts []openapi3.SchemaValidationOption
	// formats are the string format validators in bodyOpts.
	formats map[string]openapi3.StringFormatValidator
	// fastBodies reports whether request bodies may take the fast path
	// (fastbody.go); fast holds each body schema's fast form, or a nil
	// *fastSchema for one that has none, keyed by *openapi3.Schema.
	fastBodies bool
	fast       sync.Map
}

// Operation is one method on one path of the document.
type Operation struct {
	ID     string
	Method string
	// Path is the templated path relative to the server base, e.g.
	// /kyc/sessions/{sessionId}.
	Path string
	// Secured reports whether the operation declares a security
	// requirement (its own, or the document's default).
	Secured bool
	// JSONBody reports whether the request body, if any, is declared as
	// application/json and nothing else.
	JSONBody bool

	// doc is the document the operation is from; route is set once doc
	// is parsed (kin).
	doc   *Doc
	route *routers.Route

	// checkOnce sets check, the route requests are validated on (see
	// checkRoute).
	checkOnce sync.Once
	check     *routers.Route
}

// checkRoute is the route request validation runs on: the operation's
// without its security requirements. The emulator authenticates requests
// itself (provider.Authenticate), so kin-openapi's security step runs with
// a no-op authentication function and could only fail on a scheme required
// but not declared, which Load already refuses; all it would do is read the
// body once more.
func (op *Operation) checkRoute() *routers.Route {
	op.checkOnce.Do(func() {
		route := op.kin()
		bare := *route.Operation
		bare.Security = &openapi3.SecurityRequirements{}
		rt := *route
		rt.Operation = &bare
		op.check = &rt
	})
	return op.check
}

var (
	uuidRE  = `^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`
	emailRE = `^[^@\s]+@[^@\s]+\.[^@\s]+$`
)

// uuidFormat checks the uuid format as uuidRE does, without a regular
// expression: every request naming a session by its id passes it.
type uuidFormat struct{}

func (uuidFormat) Validate(v string) error {
	if !isUUID(v) {
		// kin-openapi's words for a regexp format's refusal.
		return fmt.Errorf(`string doesn't match pattern "%s"`, uuidRE)
	}
	return nil
}

// isUUID reports whether v is 8-4-4-4-12 hexadecimal digits.
func isUUID(v string) bool {
	if len(v) != 36 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// Raw returns the document as it was loaded.
func (d *Doc) Raw() []byte { return d.raw }

// JSON returns the document as JSON.
func (d *Doc) JSON() ([]byte, error) { return d.parsed().t.MarshalJSON() }

// Title returns info.title.
func (d *Doc) Title() string { return d.outline.Title }

// Version returns info.version.
func (d *Doc) Version() string { return d.outline.Version }

// BasePaths returns the path part of every server URL ("" for a server at
// the root), deduplicated, in document order.
func (d *Doc) BasePaths() []string { return slices.Clone(d.outline.BasePaths) }

// Operations lists every operation, sorted by path then method. Every call
// hands out the same operations.
func (d *Doc) Operations() []*Operation { return slices.Clone(d.ops) }

// OperationIDs lists the operationId of every operation, in the order of
// Operations: the scenario catalogue needs only the names.
func (d *Doc) OperationIDs() []string {
	out := make([]string, len(d.ops))
	for i, op := range d.ops {
		out[i] = op.ID
	}
	return out
}

// Problem is one reason a request breaks the document.
type Problem struct {
	// In is where the problem is: body, query, path, header or cookie.
	In string
	// Field is the offending field as a dot path, or "" for the whole part.
	Field string
	// Reason says what is wrong without repeating the submitted value.
	Reason string
}

func (p Problem) String() string {
	if p.Field == "" {
		return p.In + ": " + p.Reason
	}
	return p.Field + ": " + p.Reason
}

// Checked is a request that passed (or failed) validation; keep it to
// validate the response.
type Checked struct {
	input openapi3filter.RequestValidationInput
}

// Request prepares r for validation against op; the result also serves to
// validate the response, whether or not the request itself was valid.
func (d *Doc) Request(op *Operation, r *http.Request, params map[string]string) *Checked {
	return &Checked{input: openapi3filter.RequestValidationInput{
		Request:    r,
		PathParams: params,
		Route:      op.checkRoute(),
		Options:    d.parsed().reqOpts,
	}}
}

// ValidateRequest checks the request against its operation. body is the
// buffered request body; r.Body is reset to it afterwards.
func (d *Doc) ValidateRequest(ctx context.Context, c *Checked, body []byte) *Problem {
	// kin-openapi checks the parameters only (Options.ExcludeRequestBody):
	// the body is checked next, by validateBody.
	err := openapi3filter.ValidateRequest(ctx, &c.input)
	if err == nil {
		err = d.validateBody(ctx, &c.input, body)
	}
	setBody(c.input.Request, body)
	if err != nil {
		p := describe(err)
		return &p
	}
	return nil
}

// validateBody checks a request's body as openapi3filter.ValidateRequestBody
// does, and returns what it would. That function reads the body afresh with
// io.ReadAll and decodes it through a json.Decoder, for every request; the
// usual body, a JSON document sent as application/json, is decoded here
// with json.Unmarshal from the bytes already read instead, and checked
// against the schema with the options kin-openapi would pass. Any other
// body, and one json.Unmarshal refuses (kin-openapi's decoder accepts
// trailing data, say), is left to kin-openapi, so each answer is its own.
//
// The values differ in one way: numbers are float64 here where kin-openapi
// has json.Number. Its validator turns a json.Number into a float64 before
// anything else, and compares enums either way, so the outcome is the same;
// a number beyond float64, which the two would refuse differently, makes
// json.Unmarshal fail and so goes to kin-openapi.
//
// Before any of that, a JSON body is offered to the fast path (fastbody.go),
// which accepts most valid bodies from their bytes alone; what it does not
// accept takes the way above, so every refusal is still kin-openapi's.
func (d *Doc) validateBody(ctx context.Context, in *openapi3filter.RequestValidationInput, body []byte) error {
	rb := in.Route.Operation.RequestBody
	if rb == nil {
		return nil
	}
	if media := jsonMedia(rb.Value, in.Request.Header.Get("Content-Type")); media != nil && len(body) > 0 {
		// The fast path first: it answers for most valid bodies without
		// decoding them; for any other it has no answer.
		if d.fastBodies && fastValid(d.fastSchema(media.Schema.Value), body) {
			// As kin-openapi leaves the request it has read.
			in.Request.ContentLength = int64(len(body))
			return nil
		}
		var value any
		if json.Unmarshal(body, &value) == nil {
			in.Request.ContentLength = int64(len(body))
			if err := media.Schema.Value.VisitJSON(value, d.bodyOpts...); err != nil {
				return &openapi3filter.RequestError{Input: in, RequestBody: rb.Value, Reason: "doesn't match schema", Err: err}
			}
			return nil
		}
	}
	setBody(in.Request, body)
	return openapi3filter.ValidateRequestBody(ctx, in, rb.Value)
}

// jsonMedia is the media type of rb kin-openapi would decode a body of
// contentType with as JSON: a JSON media type it declares with a schema, no
// encoding and not binary. It is nil for any other.
func jsonMedia(rb *openapi3.RequestBody, contentType string) *openapi3.MediaType {
	mt, _, _ := strings.Cut(contentType, ";")
	if !strings.EqualFold(strings.TrimSpace(mt), "application/json") || len(rb.Content) == 0 {
		return nil
	}
	media := rb.Content.Get(contentType)
	if media == nil || media.Schema == nil || media.Schema.Value == nil || media.Encoding[""] != nil ||
		media.Schema.Value.Type.Is("string") && media.Schema.Value.Format == "binary" {
		return nil
	}
	return media
}

// fastSchema returns the fast form of a request body schema, compiled at
// its first use; nil when it has none.
func (d *Doc) fastSchema(s *openapi3.Schema) *fastSchema {
	if f, ok := d.fast.Load(s); ok {
		return f.(*fastSchema)
	}
	f, _ := d.fast.LoadOrStore(s, compileFast(s, d.formats))
	return f.(*fastSchema)
}

// setBody gives r a fresh reader over body; an empty body is
// http.NoBody, which the validator has no need to read. The reader the
// pipeline gave r (httpx.ReadBody) is rewound rather than replaced.
func setBody(r *http.Request, body []byte) {
	if len(body) == 0 {
		r.Body = http.NoBody
		return
	}
	if br, ok := r.Body.(*httpx.BodyReader); ok {
		br.Reset(body)
		return
	}
	r.Body = httpx.NewBodyReader(body)
}

// ValidateError checks an error body written outside any operation (an
// unknown route, say) against the document's Error component schema.
func (d *Doc) ValidateError(body []byte) error {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return fmt.Errorf("error body is not JSON: %w", err)
	}
	if err := d.ValidateValue("Error", v); err != nil {
		return fmt.Errorf("error body breaks the Error schema: %w", err)
	}
	return nil
}

// ValidateResponse checks a recorded response against the operation the
// request was checked for.
func (d *Doc) ValidateResponse(ctx context.Context, c *Checked, status int, header http.Header, body []byte) error {
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &c.input,
		Status:                 status,
		Header:                 header,
		Options:                d.parsed().respOpts,
	}
	in.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(ctx, in); err != nil {
		return fmt.Errorf("response %d to %s %s breaks the spec: %w", status, c.input.Route.Method, c.input.Route.Path, err)
	}
	return nil
}

// ValidateValue checks a JSON-decoded value against a named component
// schema (used for webhook bodies).
func (d *Doc) ValidateValue(schema string, value any) error {
	d.parsed()
	ref, ok := d.t.Components.Schemas[schema]
	if !ok || ref.Value == nil {
		return fmt.Errorf("no component schema %q", schema)
	}
	return ref.Value.VisitJSON(value, d.respOpts.SchemaValidationOptions...)
}

// propertyEnum returns the values a named component schema of t allows for a
// string property: the enum of the first of props the schema (or any
// schema it combines with oneOf, anyOf or allOf) declares, deduplicated in
// document order. It is nil when the schema is absent or declares none;
// webhook bodies use it to list their event names (webhookEvents).
func propertyEnum(t *openapi3.T, schema string, props ...string) []string {
	if t.Components == nil {
		return nil
	}
	ref, ok := t.Components.Schemas[schema]
	if !ok || ref.Value == nil {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	var walk func(s *openapi3.Schema, depth int)
	walk = func(s *openapi3.Schema, depth int) {
		if s == nil || depth > 8 {
			return
		}
		for _, p := range props {
			if pr := s.Properties[p]; pr != nil && pr.Value != nil && len(pr.Value.Enum) > 0 {
				for _, v := range pr.Value.Enum {
					if str, ok := v.(string); ok && !seen[str] {
						seen[str] = true
						out = append(out, str)
					}
				}
				break
			}
		}
		for _, group := range []openapi3.SchemaRefs{s.OneOf, s.AnyOf, s.AllOf} {
			for _, r := range group {
				walk(r.Value, depth+1)
			}
		}
	}
	walk(ref.Value, 0)
	return out
}

func describe(err error) Problem {
	var re *openapi3filter.RequestError
	if errors.As(err, &re) {
		p := Problem{In: "body"}
		if re.Parameter != nil {
			p.In = re.Parameter.In
			p.Field = re.Parameter.Name
		}
		var se *openapi3.SchemaError
		if errors.As(re.Err, &se) {
			field, reason := schemaReason(se)
			if field != "" {
				if p.Field != "" {
					p.Field += "." + field
				} else {
					p.Field = field
				}
			}
			p.Reason = reason
			return p
		}
		var pe *openapi3filter.ParseError
		if errors.As(re.Err, &pe) {
			if re.Parameter != nil {
				p.Reason = "has the wrong type or format"
			} else {
				p.Reason = "could not be parsed for the declared content type"
			}
			return p
		}
		switch {
		case errors.Is(re.Err, openapi3filter.ErrInvalidRequired):
			p.Reason = "is required"
		case errors.Is(re.Err, openapi3filter.ErrInvalidEmptyValue):
			p.Reason = "must not be empty"
		case strings.Contains(re.Error(), "Content-Type"), strings.Contains(re.Error(), "unsupported content type"):
			p.Reason = "content type is not supported for this operation"
		default:
			p.Reason = "is invalid"
		}
		return p
	}
	return Problem{In: "request", Reason: "is invalid"}
}

var quoted = regexp.MustCompile(`"([^"]+)"`)

// schemaReason turns a schema error into a field path and a reason that
// never contains the offending value.
func schemaReason(se *openapi3.SchemaError) (string, string) {
	path := se.JSONPointer()
	s := se.Schema
	reason := "is invalid"
	switch se.SchemaField {
	case "required":
		// kin-openapi reports the missing property in Reason, quoted.
		if m := quoted.FindStringSubmatch(se.Reason); m != nil {
			if len(path) == 0 || path[len(path)-1] != m[1] {
				path = append(path, m[1])
			}
		}
		reason = "is required"
	case "enum":
		reason = "must be one of the allowed values"
		if s != nil && len(s.Enum) > 0 && len(s.Enum) <= 12 {
			vals := make([]string, len(s.Enum))
			for i, v := range s.Enum {
				vals[i] = fmt.Sprint(v)
			}
			reason += ": " + strings.Join(vals, ", ")
		}
	case "pattern":
		reason = "has an invalid format"
		if s != nil && s.Pattern != "" {
			reason = "must match the pattern " + s.Pattern
		}
	case "type":
		reason = "has the wrong type"
		if s != nil && s.Type != nil && len(s.Type.Slice()) > 0 {
			reason = "must be of type " + strings.Join(s.Type.Slice(), " or ")
		}
	case "format":
		reason = "has an invalid format"
		if s != nil && s.Format != "" {
			reason = "must be a valid " + s.Format
		}
	case "minLength":
		if s != nil {
			reason = fmt.Sprintf("must be at least %d characters long", s.MinLength)
		}
	case "maxLength":
		if s != nil && s.MaxLength != nil {
			reason = fmt.Sprintf("must be at most %d characters long", *s.MaxLength)
		}
	case "minimum":
		if s != nil && s.Min != nil {
			reason = fmt.Sprintf("must be at least %v", *s.Min)
		}
	case "maximum":
		if s != nil && s.Max != nil {
			reason = fmt.Sprintf("must be at most %v", *s.Max)
		}
	case "minItems":
		if s != nil {
			reason = fmt.Sprintf("must have at least %d items", s.MinItems)
		}
	case "maxItems":
		if s != nil && s.MaxItems != nil {
			reason = fmt.Sprintf("must have at most %d items", *s.MaxItems)
		}
	case "additionalProperties", "properties":
		if se.SchemaField == "properties" && !strings.Contains(se.Reason, "unsupported") {
			break
		}
		if m := quoted.FindStringSubmatch(se.Reason); m != nil {
			path = append(path, m[1])
		}
		reason = "is not an accepted field"
	case "nullable":
		reason = "must not be null"
	case "maxProperties", "minProperties":
		reason = "has the wrong number of fields"
	}
	return strings.Join(path, "."), reason
}
