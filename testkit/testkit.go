// Package testkit runs kycemu inside a test, the way net/http/httptest runs
// a handler: testkit.Start(t) returns a Server listening on a loopback port,
// with its URL, a URL per provider to use in place of the vendor's real base
// URL, an HTTP client, and helpers to force outcomes, move the clock and
// read the request journal. Each Start builds its own emulator, so tests do
// not share state; the server closes when the test ends.
//
// Responses are validated against each provider's OpenAPI document (strict
// mode) unless WithStrictResponses(false) is given: a response that breaks
// the provider's contract reaches the test as a 500 naming the break.
//
// Each helper of control.Harness is a method of Server too (go doc
// testkit.Server lists them), failing the test on error:
//
//	kyc := testkit.Start(t, testkit.WithManualClock(start))
//	svc := myservice.New(kyc.BaseURL("notus"))   // in place of https://api.notus.team/api/v1
//	id := svc.StartVerification(ctx, customer)
//	kyc.Advance(2 * time.Second)                  // Notus's review is over
//	kyc.WaitStatus(id, time.Second, notus.StatusCompleted)
//
// The packages under testkit/providers name each provider's statuses,
// events and tenants. Mistakes fail at once, naming the valid choices: a
// status the session's kind does not have, an event the provider does not
// send, a tenant not shaped like the provider's (a gu1 tenant without its
// organization). A wait on a manual clock that nothing advances says so
// when it gives up.
//
// To run the same tests against a kycemu container instead, see
// testkit/container; both offer the control.Harness helpers.
package testkit

//go:generate go run ./internal/gen/cmd

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kycemu/kycemu/emulator"
	"github.com/kycemu/kycemu/emulator/clock"
	"github.com/kycemu/kycemu/testkit/control"
	"github.com/kycemu/kycemu/testkit/receiver"
)

// specCache lets every server of a test binary share the parsed OpenAPI
// documents: they are read-only, and parsing them is most of what starting
// an emulator costs.
var specCache = emulator.NewSpecCache()

// Server is a kycemu serving on a loopback port for the length of a test.
// Its helper methods (Approve, Reject, Act, Advance, Requests, Reset,
// Session, ...) are those of control.Harness; each fails the test on error
// (a Server from New panics instead).
type Server struct {
	// URL is the base URL of the form http://127.0.0.1:port, with no
	// trailing slash.
	URL string

	h         *control.Harness
	emu       *emulator.Emulator
	srv       *httptest.Server
	ctl       *control.Client
	t         testing.TB // nil for New
	tb        control.TB // t, or a Panicker for New
	closeOnce sync.Once

	mu      sync.Mutex
	closers []func()
}

// Option configures Start.
type Option func(*config)

type config struct {
	strict    bool
	seed      *int64
	clock     clock.Clock
	scenarios string
	logs      bool
	extra     []emulator.Option
}

// WithSeed makes ids, tokens and fake identities reproducible. Default: a
// random seed (read it with Server.Emulator().Seed()).
func WithSeed(seed int64) Option { return func(c *config) { c.seed = &seed } }

// WithManualClock starts a manual clock at start: time only moves through
// Advance. A zero start (time.Time{}) starts it at the wall-clock time, so
// wall-clock webhook verifiers accept what it signs; pass a fixed time
// when a test needs the same timestamps on every run. Default: the wall
// clock.
func WithManualClock(start time.Time) Option {
	return func(c *config) { c.clock = clock.NewManual(start) }
}

// WithClock sets any clock. Default: the wall clock.
func WithClock(k clock.Clock) Option { return func(c *config) { c.clock = k } }

// WithStrictResponses turns validation of every response against the
// provider's spec on or off. Default: on.
func WithStrictResponses(on bool) Option { return func(c *config) { c.strict = on } }

// WithScenarioDir loads the scenario files of dir besides the built-in ones.
// Default: built-in scenarios only.
func WithScenarioDir(dir string) Option { return func(c *config) { c.scenarios = dir } }

// WithLogs sends the emulator's request log to t.Log. Default: discarded.
// Lines logged after the test ends are dropped.
func WithLogs() Option { return func(c *config) { c.logs = true } }

// WithEmulatorOptions passes options straight to emulator.New, after the
// ones above.
func WithEmulatorOptions(opts ...emulator.Option) Option {
	return func(c *config) { c.extra = append(c.extra, opts...) }
}

// Start builds an emulator and serves it on a loopback port until the test
// ends. It fails the test if the emulator cannot be built. The helper
// methods fail t on error.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	var logw *tLogWriter
	cfg := newConfig(opts)
	if cfg.logs {
		logw = &tLogWriter{t: t}
	}
	s, err := start(cfg, logw)
	if err != nil {
		t.Fatalf("testkit: start kycemu: %v", err)
	}
	s.t, s.tb = t, t
	s.h = s.For(t)
	t.Cleanup(func() {
		s.Close()
		if logw != nil {
			logw.done.Store(true)
		}
	})
	return s
}

// New starts a server that is not tied to a test, for TestMain, examples and
// programs; Close it when done. Its helper methods panic on error:
// in tests that share it, bind them to each test with For. WithLogs has no
// effect here.
func New(opts ...Option) (*Server, error) {
	s, err := start(newConfig(opts), nil)
	if err != nil {
		return nil, err
	}
	s.tb = control.Panicker{}
	s.h = control.NewHarness(s.tb, s.Control())
	return s, nil
}

func newConfig(opts []Option) config {
	cfg := config{strict: true}
	for _, o := range opts {
		o(&cfg)
	}
	return cfg
}

func start(cfg config, logw *tLogWriter) (*Server, error) {
	eopts := []emulator.Option{emulator.WithStrictResponses(cfg.strict), emulator.WithSpecCache(specCache)}
	if cfg.seed != nil {
		eopts = append(eopts, emulator.WithSeed(*cfg.seed))
	}
	if cfg.clock != nil {
		eopts = append(eopts, emulator.WithClock(cfg.clock))
	}
	if cfg.scenarios != "" {
		eopts = append(eopts, emulator.WithScenarioDir(cfg.scenarios))
	}
	if logw != nil {
		eopts = append(eopts, emulator.WithLogger(slog.New(slog.NewTextHandler(logw, nil))))
	}
	eopts = append(eopts, cfg.extra...)
	emu, err := emulator.New(eopts...)
	if err != nil {
		return nil, err
	}
	hs := httptest.NewServer(emu)
	return &Server{URL: hs.URL, emu: emu, srv: hs,
		ctl: control.New(hs.URL, control.WithHTTPClient(hs.Client()))}, nil
}

// For returns the helpers bound to t: each fails t on error. Use it when
// several tests share one server (started with New).
func (s *Server) For(t control.TB) *control.Harness { return control.NewHarness(t, s.ctl) }

// Control returns the control API client, whose methods return errors
// instead of failing a test.
func (s *Server) Control() *control.Client { return s.ctl }

// Close shuts the server down and stops the emulator's background work. It
// runs on its own when the test ends; calling it again does nothing.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.srv.Close()
		_ = s.emu.Close()
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, f := range s.closers {
			f()
		}
	})
}

// Webhooks starts a webhook receiver for one tenant of a provider (the
// tenant is the credential: Notus's and Kulipa's API key, gu1's
// "key:organization", Gatenox's token; see the Tenant function of each
// package under testkit/providers): the tenant's webhooks are sent to it,
// and it checks each one's signature the way the provider's docs tell
// integrators to (gu1 and Notus: HMAC with the tenant's secret; Kulipa:
// ECDSA with the key fetched from its key endpoint), answering 401 to a bad
// one. Gatenox's webhooks are unsigned and arrive unverified. Wait on it
// for events: it knows the provider's event names, so WaitEvent with any
// other name fails at once. A tenant not shaped like the provider's, or a
// provider that sends no webhooks (B2Core), fails the test before anything
// starts. It closes with the server (or the test). Options may add
// FailFirst; a WithVerifier is replaced.
func (s *Server) Webhooks(provider, tenant string, opts ...receiver.Option) *receiver.Receiver {
	s.tb.Helper()
	if err := control.CheckTenant(provider, tenant); err != nil {
		s.tb.Fatalf("testkit: webhooks: %v", err)
	}
	p, err := s.ctl.Provider(s.tb.Context(), provider)
	if err != nil {
		s.tb.Fatalf("testkit: webhooks: %v", err)
	}
	if len(p.Events) == 0 {
		s.tb.Fatalf("testkit: webhooks: %s sends no webhooks", provider)
	}
	opts = append(slices.Clip(opts), receiver.WithEvents(provider, p.Events...))
	var rcv *receiver.Receiver
	if s.t != nil {
		rcv = receiver.New(s.t, opts...)
	} else {
		rcv = receiver.Listen(opts...)
		s.mu.Lock()
		s.closers = append(s.closers, rcv.Close)
		s.mu.Unlock()
	}
	h := s.For(s.tb)
	secret := h.RouteWebhooks(provider, tenant, rcv.URL)
	v, err := receiver.ForTenant(provider, tenant, secret, h.BaseURL(provider), s.Client())
	if err != nil {
		s.tb.Fatalf("testkit: webhooks: %v", err)
	}
	rcv.SetVerifier(v)
	return rcv
}

// Client returns an HTTP client for the server (httptest's, which closes
// its idle connections with the server).
func (s *Server) Client() *http.Client { return s.srv.Client() }

// Emulator returns the emulator itself, for what the control API does not
// offer.
func (s *Server) Emulator() *emulator.Emulator { return s.emu }

// tLogWriter writes log lines to t.Log until the test ends.
type tLogWriter struct {
	t    testing.TB
	done atomic.Bool
}

func (w *tLogWriter) Write(p []byte) (int, error) {
	if !w.done.Load() {
		w.t.Log(strings.TrimSuffix(string(p), "\n"))
	}
	return len(p), nil
}
