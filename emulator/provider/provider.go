// Package provider is the contract between the emulator core and each
// emulated KYC vendor. A provider is one package that embeds an OpenAPI
// document and supplies a handler per operationId, an authenticator and an
// error writer; the core does routing, validation, tenancy, faults and the
// journal. Providers import this package and never the emulator itself.
package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/kycemu/kycemu/emulator/clock"
	"github.com/kycemu/kycemu/emulator/internal/fake"
)

// Provider is one emulated vendor.
type Provider interface {
	// Name is the mount name: "notus" is served under /notus.
	Name() string
	// Spec returns the OpenAPI 3.0 document that defines every route.
	Spec() []byte
	// Hosts lists the vendor's real API hosts; requests arriving with one of
	// them as Host are routed here without the mount prefix.
	Hosts() []string
	// Handlers maps every operationId in the spec to its handler.
	Handlers() map[string]Handler
	// Authenticate returns the tenant of a request to an operation that
	// declares a security requirement. A nil *Error means authenticated.
	Authenticate(r *http.Request) (tenant string, err *Error)
	// WriteError writes e in the vendor's own error envelope.
	WriteError(w http.ResponseWriter, r *http.Request, e *Error)
}

// Extras is implemented by providers that serve routes outside their API
// surface, such as a fake storage bucket or a hosted verification page.
// Extra routes are mounted beside the spec's routes and are not validated.
type Extras interface {
	Extras() []Route
}

// RootRoutes is implemented by providers that also serve routes at the
// emulator's root, outside their mount: a storage bucket that path-style S3
// clients address as <endpoint>/<bucket>/<key>. Each route's path must
// start with a literal segment of its own (the bucket name) that no other
// provider or root route uses. BaseURL of such a request is the root URL.
type RootRoutes interface {
	RootRoutes() []Route
}

// CORS is the cross-origin policy of a provider's routes, for browsers
// that call them from pages of another origin. The emulator applies it
// with the origins it is configured to allow.
type CORS struct {
	// Methods are the methods a preflight may ask for.
	Methods []string
	// ExposeHeaders are the response headers scripts may read, beyond the
	// CORS-safelisted ones (S3 buckets expose ETag, say).
	ExposeHeaders []string
}

// CORSPolicy is implemented by providers whose routes need a CORS policy
// other than the emulator's default (GET, HEAD, POST, PUT, PATCH, DELETE;
// X-Request-Id and Retry-After exposed).
type CORSPolicy interface {
	CORS() CORS
}

// UntypedJSON is implemented by providers whose vendor reads a JSON body
// whatever its Content-Type says, as its own examples rely on (B2Core's curl
// examples send --data-raw JSON without a header, so curl labels it
// application/x-www-form-urlencoded). For an operation whose body is
// declared as application/json only, the core then reads a body that
// parses as JSON and comes with no Content-Type, curl's form default or
// text/plain (fetch's default for a string) as application/json.
type UntypedJSON interface {
	// UntypedJSON reports whether such bodies are accepted.
	UntypedJSON() bool
}

// Route is an extra route. Path is relative to the provider's mount and may
// hold {name} segments (one segment each) and, last, one {name:.+} segment
// taking the rest of the path; read their values with Vars.
type Route struct {
	Method  string
	Path    string
	Handler http.Handler
}

// Action is an outcome forced through the control API.
type Action struct {
	Name   string `json:"action"`
	Reason string `json:"reason,omitempty"`
}

// Session is the provider-neutral view of a verification session.
type Session struct {
	Provider  string       `json:"provider"`
	Tenant    string       `json:"tenant"`
	ID        string       `json:"id"`
	Kind      string       `json:"kind"`
	Status    string       `json:"status"`
	Scenario  string       `json:"scenario,omitempty"`
	Actions   []string     `json:"actions"`
	CreatedAt time.Time    `json:"createdAt"`
	UpdatedAt time.Time    `json:"updatedAt"`
	History   []Transition `json:"history"`
}

// Transition is one status change in a session's life.
type Transition struct {
	From   string    `json:"from,omitempty"`
	To     string    `json:"to"`
	At     time.Time `json:"at"`
	By     string    `json:"by"` // client, timeline, control, clock
	Reason string    `json:"reason,omitempty"`
}

// Env is what the emulator hands a provider when it builds one.
type Env struct {
	Clock clock.Clock
	// Rand is the root random source; derive one per tenant with
	// Rand.Derive(name, tenant) so seeded runs are reproducible.
	Rand *fake.Source
	Log  *slog.Logger
	// Webhooks delivers outbound events; never nil.
	Webhooks Webhooks
	// Scenarios picks the outcome plan for a new session; never nil.
	Scenarios Scenarios
}

// Handler serves one operation. Returning an *Error writes it in the
// provider's envelope; any other error becomes a 500 in that envelope and is
// logged.
type Handler func(c *Call) error

// Call is one request to an operation, after routing, authentication and
// validation.
type Call struct {
	W  http.ResponseWriter
	R  *http.Request
	Op string
	// Tenant is set by Authenticate; handlers of unauthenticated operations
	// may set it once they know whose object was touched, for the journal.
	Tenant string
	// Params holds the path parameters.
	Params map[string]string
	// Body is the raw request body (already validated against the spec).
	Body []byte
	// BaseURL is the public URL of this provider's mount, without a
	// trailing slash, e.g. http://localhost:8080/notus.
	BaseURL string
	// Scenario is the value of the X-Kycemu-Scenario header, if any.
	Scenario string
	// Session may be set by a handler to the id of the session the call
	// created or touched: the request journal then links the call to it
	// straight away, rather than looking for it among the ids the bodies
	// name (SessionHeader does the same from a response).
	Session string
}

// ScenarioHeader names a scenario on the request that creates a session.
const ScenarioHeader = "X-Kycemu-Scenario"

// SessionHeader names, on a response, the id of the session the request
// touched when the request itself does not (a hosted page reached by a
// token): the request journal links the request to that session.
const SessionHeader = "X-Kycemu-Session"

// BodyDecoder is a request body type that decodes its usual JSON itself,
// without encoding/json's reflection. DecodeJSON reports true once it has
// set the value exactly as json.Unmarshal would from body; when it cannot
// be sure of that (an unusual body, or a bad one) it reports false and
// leaves the value as it was, and Bind asks json.Unmarshal, whose answers
// and errors stay the reference.
type BodyDecoder interface {
	DecodeJSON(body []byte) bool
}

// Bind decodes the JSON body into v: through v's own DecodeJSON when it is
// a BodyDecoder and can, else with encoding/json.
func (c *Call) Bind(v any) error {
	if len(c.Body) == 0 {
		return Invalid("", "request body is required")
	}
	if d, ok := v.(BodyDecoder); ok && d.DecodeJSON(c.Body) {
		return nil
	}
	if err := json.Unmarshal(c.Body, v); err != nil {
		return Invalid("", "request body is not valid JSON for this operation")
	}
	return nil
}

// Query returns a query parameter.
func (c *Call) Query(name string) string { return c.R.URL.Query().Get(name) }

// JSON writes v as a JSON response.
func (c *Call) JSON(status int, v any) error {
	writeJSON(c.W, status, v)
	return nil
}

// Kind classifies an error independently of any vendor's vocabulary; each
// provider maps kinds to its own codes and envelope.
type Kind string

// The kinds the core produces, plus the common ones handlers use.
const (
	KindInvalid       Kind = "invalid"       // 400: body, query or path breaks the spec
	KindUnauthorized  Kind = "unauthorized"  // 401: missing or bad credential
	KindForbidden     Kind = "forbidden"     // 403
	KindNotFound      Kind = "not_found"     // 404: unknown route or object
	KindMethod        Kind = "method"        // 405: route exists, method does not
	KindConflict      Kind = "conflict"      // 409: state forbids the operation
	KindTooLarge      Kind = "too_large"     // 413: body over the limit
	KindUnprocessable Kind = "unprocessable" // 422
	KindRateLimited   Kind = "rate_limited"  // 429
	KindInternal      Kind = "internal"      // 500
	KindUnavailable   Kind = "unavailable"   // 503
)

// Error is an error with an HTTP status, written by the provider's
// WriteError in its own envelope. Messages never repeat submitted values.
type Error struct {
	Status int
	Kind   Kind
	// Code is the vendor's machine-readable code (e.g. "ENTITY_NOT_FOUND");
	// empty means the provider derives it from Kind.
	Code    string
	Message string
	// Field is the offending input location as a dot path ("documentId",
	// "query.limit"), when known.
	Field string
	// Header holds extra response headers, e.g. Retry-After.
	Header http.Header
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%d %s: %s: %s", e.Status, e.Kind, e.Field, e.Message)
	}
	return fmt.Sprintf("%d %s: %s", e.Status, e.Kind, e.Message)
}

var kindStatus = map[Kind]int{
	KindInvalid:       http.StatusBadRequest,
	KindUnauthorized:  http.StatusUnauthorized,
	KindForbidden:     http.StatusForbidden,
	KindNotFound:      http.StatusNotFound,
	KindMethod:        http.StatusMethodNotAllowed,
	KindConflict:      http.StatusConflict,
	KindTooLarge:      http.StatusRequestEntityTooLarge,
	KindUnprocessable: http.StatusUnprocessableEntity,
	KindRateLimited:   http.StatusTooManyRequests,
	KindInternal:      http.StatusInternalServerError,
	KindUnavailable:   http.StatusServiceUnavailable,
}

// Errorf returns an error of the given kind with its usual status.
func Errorf(kind Kind, format string, args ...any) *Error {
	return &Error{Status: StatusOf(kind), Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// StatusOf returns the usual HTTP status of a kind (500 for unknown kinds).
func StatusOf(kind Kind) int {
	if s, ok := kindStatus[kind]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// KindOf is the inverse of StatusOf: the kind of an HTTP error status. An
// unlisted status is KindInternal from 500 up and KindInvalid below.
func KindOf(status int) Kind {
	for k, s := range kindStatus {
		if s == status {
			return k
		}
	}
	if status >= 500 {
		return KindInternal
	}
	return KindInvalid
}

// Invalid returns a 400 about one field.
func Invalid(field, format string, args ...any) *Error {
	e := Errorf(KindInvalid, format, args...)
	e.Field = field
	return e
}

// NotFound returns a 404.
func NotFound(format string, args ...any) *Error { return Errorf(KindNotFound, format, args...) }

// WithCode sets the vendor code and returns e.
func (e *Error) WithCode(code string) *Error { e.Code = code; return e }

// WithStatus overrides the status and returns e.
func (e *Error) WithStatus(status int) *Error { e.Status = status; return e }

// CodeOr returns e.Code, or def when it is empty.
func (e *Error) CodeOr(def string) string {
	if e.Code != "" {
		return e.Code
	}
	return def
}

// CopyHeader adds e's extra headers to w.
func (e *Error) CopyHeader(w http.ResponseWriter) {
	for k, vs := range e.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
}

// routeKey is the context key of a request's routeInfo: the core sets all
// three fields in one context value, so routing costs one derived context.
type routeKey struct{}

type routeInfo struct {
	base, root string
	vars       map[string]string
}

// routeContext is a context carrying a routeInfo: context.WithValue and
// the value in one allocation, as every request routed to a provider
// makes one.
type routeContext struct {
	context.Context
	info routeInfo
}

func (c *routeContext) Value(key any) any {
	if key == (routeKey{}) {
		return &c.info
	}
	return c.Context.Value(key)
}

func routeOf(ctx context.Context) routeInfo {
	ri, _ := ctx.Value(routeKey{}).(*routeInfo)
	if ri == nil {
		return routeInfo{}
	}
	return *ri
}

// WithRoute records in one go what routing learnt of a request: the public
// URL of the provider mount it arrived through, that of the emulator's root,
// and the path variables of the route it matched.
func WithRoute(ctx context.Context, base, root string, vars map[string]string) context.Context {
	return &routeContext{Context: ctx, info: routeInfo{base: base, root: root, vars: vars}}
}

// WithBaseURL records the public URL of the provider mount a request arrived
// through; the core sets it before routing.
func WithBaseURL(ctx context.Context, base string) context.Context {
	ri := routeOf(ctx)
	return WithRoute(ctx, base, ri.root, ri.vars)
}

// BaseURL returns the public URL of the provider mount r arrived through,
// without a trailing slash, e.g. http://localhost:8080/notus.
func BaseURL(r *http.Request) string { return routeOf(r.Context()).base }

// WithRootURL records the public URL of the emulator's root (the base URL
// without the mount prefix); the core sets it before routing.
func WithRootURL(ctx context.Context, root string) context.Context {
	ri := routeOf(ctx)
	return WithRoute(ctx, ri.base, root, ri.vars)
}

// RootURL returns the public URL of the emulator's root r arrived through,
// without a trailing slash, e.g. http://localhost:8080: where RootRoutes
// are served.
func RootURL(r *http.Request) string { return routeOf(r.Context()).root }

// Vars returns the path variables of an extra route.
func Vars(r *http.Request) map[string]string { return routeOf(r.Context()).vars }

// Controls is implemented by providers with settings of their own (B2Core's
// verification levels, say). Its routes are mounted under
// /_emulator/providers/{name}; paths are relative to that prefix.
type Controls interface {
	Controls() []Route
}
