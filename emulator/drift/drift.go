// Package drift compares kycemu with the real providers it emulates. A
// Proxy stands between a client and a provider's real sandbox: it forwards
// every request unchanged, returns the real answer, and checks both against
// kycemu's OpenAPI document for the operation; it also receives the
// provider's real webhooks and checks their signature scheme and payload.
// Each exchange can be recorded (secrets masked) in a directory; Report
// sums the recorded findings per operation and status, and Replay sends the
// recorded requests to a kycemu instance and compares the shapes of its
// answers with the recorded real ones.
package drift

import (
	"encoding/json"
	"net/http"
	"time"
)

// The kinds of Finding beyond the schema differences of oas (extra-field,
// missing-required, type, format, enum, constraint).
const (
	// KindStatus is a status code the operation does not list.
	KindStatus = "undocumented-status"
	// KindEnvelope is an error body that is not the spec's error envelope.
	KindEnvelope = "error-envelope"
	// KindContentType is a body of a media type the response does not
	// declare (or a body where it declares none).
	KindContentType = "content-type"
	// KindRequest is a request the real API accepted and the spec refuses.
	KindRequest = "request-refused-by-spec"
	// KindRoute is a route the real API answers and the spec lacks.
	KindRoute = "undocumented-route"
	// KindSignature is a webhook signed another way than the spec says.
	KindSignature = "webhook-signature"
	// KindWebhook is a webhook from a provider whose spec declares none.
	KindWebhook = "undocumented-webhook"
)

// The kinds of Exchange.
const (
	// ExchangeAPI is a request to an operation of the spec.
	ExchangeAPI = "api"
	// ExchangeLink is a request to a URL an earlier answer handed out (an
	// upload form, a hosted page); nothing in the spec describes it.
	ExchangeLink = "link"
	// ExchangeUnmatched is a request to a route the spec does not have.
	ExchangeUnmatched = "unmatched"
	// ExchangeWebhook is a webhook the provider sent.
	ExchangeWebhook = "webhook"
)

// Finding is one way a real exchange differs from kycemu's spec. Like every
// value the package writes it holds no secret: values appear only where
// they name vocabulary (an enum value, a status code), masked like the rest.
type Finding struct {
	Kind string `json:"kind"`
	// In is where: request, response, webhook or signature.
	In string `json:"in"`
	// Path is the field as a dot path ("session.status", "items[].id").
	Path string `json:"path,omitempty"`
	// Want is what the spec says, Got what the real provider did.
	Want string `json:"want,omitempty"`
	Got  string `json:"got,omitempty"`
}

// String is a finding in one line.
func (f Finding) String() string {
	s := f.Kind + " " + f.In
	if f.Path != "" {
		s += " " + f.Path
	}
	if f.Want != "" {
		s += ": spec " + f.Want
	}
	if f.Got != "" {
		s += ", real " + f.Got
	}
	return s
}

// Exchange is one recorded request and its answer, or one webhook.
type Exchange struct {
	Seq       int       `json:"seq"`
	Time      time.Time `json:"time"`
	Provider  string    `json:"provider"`
	Kind      string    `json:"kind"`
	Operation string    `json:"operation,omitempty"`
	// Event is the event name of a webhook.
	Event      string    `json:"event,omitempty"`
	DurationMS float64   `json:"durationMs"`
	Request    Message   `json:"request"`
	Response   Message   `json:"response"`
	Findings   []Finding `json:"findings,omitempty"`
	// Notes say what was not checked, and why.
	Notes []string `json:"notes,omitempty"`
}

// Message is one side of an exchange, masked.
type Message struct {
	Method string `json:"method,omitempty"`
	// URL is where the request went upstream (for a webhook: where it was
	// forwarded), query masked.
	URL string `json:"url,omitempty"`
	// Path is the request's path under the provider's mount, as the client
	// sent it, and Query its masked query.
	Path   string      `json:"path,omitempty"`
	Query  string      `json:"query,omitempty"`
	Status int         `json:"status,omitempty"`
	Header http.Header `json:"header,omitempty"`
	Body   *Body       `json:"body,omitempty"`
}

// Body is a masked message body. JSON bodies keep their structure with
// secrets replaced; form and text bodies are kept masked; file parts and
// binary bodies (document images) are described, never kept.
type Body struct {
	ContentType string          `json:"contentType,omitempty"`
	Size        int             `json:"size"`
	JSON        json.RawMessage `json:"json,omitempty"`
	Text        string          `json:"text,omitempty"`
	Parts       []Part          `json:"parts,omitempty"`
	// Omitted says why the bytes are not kept.
	Omitted string `json:"omitted,omitempty"`
}

// Part is one part of a multipart body.
type Part struct {
	Name        string `json:"name"`
	FileName    string `json:"fileName,omitempty"`
	ContentType string `json:"contentType,omitempty"`
	Size        int    `json:"size"`
	// Value is a text field's masked value; a file's content is never kept.
	Value string `json:"value,omitempty"`
}
