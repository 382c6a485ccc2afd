// Package receiver is a webhook receiver for tests: an HTTP server on the
// loopback interface that checks each delivery's signature the way the
// provider's documentation tells an integrator to, keeps what it accepted,
// and lets a test wait for an event with a timeout.
//
// It works the same whether kycemu runs in-process (testkit) or in a
// container (testkit/container, which reaches the receiver through
// testcontainers' host port access), and it imports neither.
//
// A receiver that knows its provider's events (WithEvents; testkit's
// Server.Webhooks and the container module's RouteWebhooks set them) fails
// a WaitEvent for any other name at once, listing the names the provider
// sends, instead of waiting for an event that cannot come.
package receiver

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kycemu/kycemu/testkit/control"
	"github.com/kycemu/kycemu/testkit/verify"
)

// Event is one delivery the receiver accepted.
type Event struct {
	// Name is the event name read from the body's "event", "eventName" or
	// "type" field, when the body is a JSON object that has one.
	Name       control.Event
	Method     string
	Path       string
	Header     http.Header
	Body       []byte
	ReceivedAt time.Time
	// Verified reports whether a Verifier checked the signature (false when
	// the receiver has none).
	Verified bool
}

// Decode unmarshals the body into v.
func (e Event) Decode(v any) error { return json.Unmarshal(e.Body, v) }

// Rejection is a delivery refused because its signature did not verify.
type Rejection struct {
	Event
	Err error
}

// Verifier checks the signature of one delivery (see package verify).
type Verifier = verify.Verifier

// VerifierFunc adapts a function to Verifier.
type VerifierFunc = verify.VerifierFunc

// ErrSignature is wrapped by every signature failure.
var ErrSignature = verify.ErrSignature

// HMACSHA256 verifies a header holding the hex HMAC-SHA256 of the raw body
// under secret (an optional "sha256=" prefix is accepted). This is gu1's
// X-Webhook-Signature scheme.
func HMACSHA256(header, secret string) Verifier { return verify.HMACSHA256(header, secret) }

// Signature headers of the providers whose webhooks kycemu signs with an
// HMAC-SHA256 of the raw body.
const (
	// GU1Header is gu1's documented signature header.
	GU1Header = verify.GU1Header
	// NotusHeader is the header of kycemu's invented Notus webhooks (Notus
	// documents none).
	NotusHeader = verify.NotusHeader
)

// ForProvider returns the verifier of a provider's webhook signatures under
// a tenant's secret (read it from the control API: Harness.WebhookSecret).
func ForProvider(provider, secret string) (Verifier, error) {
	return verify.ForProvider(provider, secret)
}

// Receiver is a running webhook receiver. The zero value is not usable;
// call New.
type Receiver struct {
	// URL is the receiver's base URL, http://127.0.0.1:<port>. Deliveries to
	// any path under it are accepted.
	URL string

	t   tb
	srv *httptest.Server

	mu        sync.Mutex
	verifier  Verifier
	provider  string          // whose events these are, for messages
	known     []control.Event // the events provider sends; nil: unchecked
	failFirst int
	seen      int
	events    []Event
	taken     []bool
	rejected  []Rejection
	changed   chan struct{}
}

// Option configures a Receiver.
type Option func(*Receiver)

// WithVerifier checks every delivery's signature; a delivery that fails is
// answered 401 and kept in Rejected, not in Events. Default: no check.
func WithVerifier(v Verifier) Option { return func(r *Receiver) { r.verifier = v } }

// WithEvents tells the receiver which events provider sends (such as
// gu1.Events() from testkit/providers/gu1): WaitEvent then fails at once for
// any other name, listing these (none: provider sends no webhooks).
// Default: any name is waited for.
func WithEvents(provider string, events ...control.Event) Option {
	return func(r *Receiver) { r.provider, r.known = provider, append([]control.Event{}, events...) }
}

// FailFirst answers 500 to the first n deliveries (before any signature
// check), to exercise the sender's retries. Default: 0.
func FailFirst(n int) Option { return func(r *Receiver) { r.failFirst = n } }

// tb is the part of testing.TB that Wait uses.
type tb interface {
	Helper()
	Fatalf(format string, args ...any)
	Context() context.Context
}

// New starts a receiver on 127.0.0.1 and closes it when the test ends. Wait
// fails t when no event comes.
func New(t testing.TB, opts ...Option) *Receiver {
	t.Helper()
	r := listen(t, opts)
	t.Cleanup(r.Close)
	return r
}

// Listen starts a receiver that is not tied to a test (for TestMain,
// examples and programs); Close it when done. Wait panics when no event
// comes; Receive returns an error.
func Listen(opts ...Option) *Receiver { return listen(panicker{}, opts) }

func listen(t tb, opts []Option) *Receiver {
	r := &Receiver{t: t, changed: make(chan struct{})}
	for _, o := range opts {
		o(r)
	}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	r.URL = r.srv.URL
	return r
}

// Close stops the receiver. Calling it again does nothing.
func (r *Receiver) Close() { r.srv.Close() }

type panicker struct{}

func (panicker) Helper()                           {}
func (panicker) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }
func (panicker) Context() context.Context          { return context.Background() }

// Port returns the TCP port the receiver listens on.
func (r *Receiver) Port() int {
	_, p, _ := net.SplitHostPort(r.srv.Listener.Addr().String())
	n, _ := strconv.Atoi(p)
	return n
}

// SetEvents is WithEvents for a running receiver.
func (r *Receiver) SetEvents(provider string, events ...control.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	WithEvents(provider, events...)(r)
}

// SetVerifier replaces the verifier, for when the secret is only known once
// the emulator runs (read from its control API).
func (r *Receiver) SetVerifier(v Verifier) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.verifier = v
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, 16<<20))
	if err != nil {
		http.Error(w, "unreadable body", http.StatusBadRequest)
		return
	}
	ev := Event{Name: eventName(body), Method: req.Method, Path: req.URL.Path, Header: req.Header.Clone(),
		Body: body, ReceivedAt: time.Now()}
	r.mu.Lock()
	r.seen++
	failing, v := r.seen <= r.failFirst, r.verifier
	r.mu.Unlock()
	if failing {
		http.Error(w, "failing on purpose", http.StatusInternalServerError)
		return
	}
	// Verifying may fetch a key from the provider: not under the lock.
	var verr error
	if v != nil {
		verr = v.Verify(req.Header, body)
		ev.Verified = verr == nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if verr != nil {
		r.rejected = append(r.rejected, Rejection{Event: ev, Err: verr})
		r.notify()
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	r.events = append(r.events, ev)
	r.taken = append(r.taken, false)
	r.notify()
	w.WriteHeader(http.StatusNoContent)
}

// notify wakes waiters; the caller holds r.mu.
func (r *Receiver) notify() {
	close(r.changed)
	r.changed = make(chan struct{})
}

func eventName(body []byte) control.Event {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return ""
	}
	for _, k := range []string{"event", "eventName", "type"} {
		var s string
		if json.Unmarshal(m[k], &s) == nil && s != "" {
			return control.Event(s)
		}
	}
	return ""
}

// Events returns every accepted delivery, in arrival order.
func (r *Receiver) Events() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}

// Rejected returns every delivery refused for its signature.
func (r *Receiver) Rejected() []Rejection {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Rejection(nil), r.rejected...)
}

// Attempts returns how many deliveries arrived, including refused ones.
func (r *Receiver) Attempts() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seen
}

// Receive returns the first accepted event that match reports true for (nil
// matches any) and that no earlier Receive or Wait returned, waiting for it
// until ctx ends.
func (r *Receiver) Receive(ctx context.Context, match func(Event) bool) (Event, error) {
	for {
		r.mu.Lock()
		for i, ev := range r.events {
			if !r.taken[i] && (match == nil || match(ev)) {
				r.taken[i] = true
				r.mu.Unlock()
				return ev, nil
			}
		}
		ch := r.changed
		got := r.summaryLocked()
		r.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return Event{}, fmt.Errorf("no matching webhook: %w (%s)", ctx.Err(), got)
		}
	}
}

// summaryLocked names what arrived, for a wait that ran out: "2 accepted
// (kyc.session.verifying, kyc.session.completed), 0 refused for their
// signature". The caller holds r.mu.
func (r *Receiver) summaryLocked() string {
	var names []string
	for _, ev := range r.events {
		n := string(ev.Name)
		if n == "" {
			n = "unnamed"
		}
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	list := ""
	if len(names) > 0 {
		list = " (" + strings.Join(names, ", ") + ")"
	}
	return fmt.Sprintf("%d accepted%s, %d refused for their signature", len(r.events), list, len(r.rejected))
}

// Wait is Receive bound to the test: it fails the test when no matching
// event arrives within timeout.
func (r *Receiver) Wait(timeout time.Duration, match func(Event) bool) Event {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(r.t.Context(), timeout)
	defer cancel()
	ev, err := r.Receive(ctx, match)
	if err != nil {
		r.t.Fatalf("receiver: %v", err)
	}
	return ev
}

// WaitEvent waits for the next event with the given name. When the
// receiver knows its provider's events (WithEvents), a name that is not one
// of them fails the test at once, listing them.
func (r *Receiver) WaitEvent(timeout time.Duration, name control.Event) Event {
	r.t.Helper()
	if err := r.CheckEvent(name); err != nil {
		r.t.Fatalf("receiver: %v", err)
	}
	return r.Wait(timeout, Named(name))
}

// CheckEvent reports whether name is an event the receiver's provider sends;
// nil when the receiver does not know them (no WithEvents).
func (r *Receiver) CheckEvent(name control.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.known == nil || slices.Contains(r.known, name) {
		return nil
	}
	if len(r.known) == 0 {
		return fmt.Errorf("%s sends no webhooks", r.provider)
	}
	hint := ""
	for _, k := range r.known {
		if strings.EqualFold(string(k), string(name)) {
			hint = fmt.Sprintf(" (names are case-sensitive: %q)", k)
		}
	}
	q := make([]string, len(r.known))
	for i, k := range r.known {
		q[i] = strconv.Quote(string(k))
	}
	return fmt.Errorf("%q is not a %s webhook event%s; %s sends %s", name, r.provider, hint, r.provider, strings.Join(q, ", "))
}

// Named matches events by name.
func Named(name control.Event) func(Event) bool {
	return func(e Event) bool { return e.Name == name }
}
