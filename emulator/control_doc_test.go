package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kycemu/kycemu/emulator/clock"
	"github.com/kycemu/kycemu/emulator/internal/httpx"
	"github.com/kycemu/kycemu/emulator/internal/oas"
	"github.com/kycemu/kycemu/specs"
	"github.com/kycemu/kycemu/testkit/control"
)

func controlDoc(t *testing.T) *oas.Doc {
	t.Helper()
	doc, err := oas.Load(specs.MustRead(specs.Control))
	if err != nil {
		t.Fatalf("specs/control/openapi.yaml: %v", err)
	}
	return doc
}

var pathVar = regexp.MustCompile(`\{[^}]*\}`)

// route is "METHOD /path/{}" with path variables unnamed.
func route(method, path string) string { return method + " " + pathVar.ReplaceAllString(path, "{}") }

// TestEveryControlRouteIsDocumented lists the control routes: an endpoint
// added without its entry in specs/control/openapi.yaml fails here, and so
// does an entry whose endpoint is gone.
func TestEveryControlRouteIsDocumented(t *testing.T) {
	doc := controlDoc(t)
	e, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	documented := map[string]bool{}
	base := doc.BasePaths()[0]
	for _, op := range doc.Operations() {
		documented[route(op.Method, base+op.Path)] = true
	}
	routed := map[string]bool{}
	for _, rt := range e.controlRouter().routes.Routes() {
		routed[route(rt.Method, rt.Template)] = true
	}
	var missing, stale []string
	for r := range routed {
		if !documented[r] {
			missing = append(missing, r)
		}
	}
	for r := range documented {
		if !routed[r] {
			stale = append(stale, r)
		}
	}
	sort.Strings(missing)
	sort.Strings(stale)
	if len(missing) > 0 {
		t.Errorf("control endpoints missing from specs/control/openapi.yaml:\n  %s", strings.Join(missing, "\n  "))
	}
	if len(stale) > 0 {
		t.Errorf("specs/control/openapi.yaml documents endpoints the control router does not serve:\n  %s", strings.Join(stale, "\n  "))
	}
	if len(routed) < 40 {
		t.Fatalf("walked only %d routes", len(routed))
	}
}

// contract is an http.RoundTripper that validates every control request
// and its response against the control API's document, and records which
// operations were exercised.
type contract struct {
	t       *testing.T
	doc     *oas.Doc
	router  httpx.Router[*oas.Operation]
	ops     []*oas.Operation
	next    http.RoundTripper
	mu      sync.Mutex
	seen    map[string]bool
	answers map[string]map[int]bool // operationId -> statuses seen
}

func newContract(t *testing.T) *contract {
	doc := controlDoc(t)
	c := &contract{t: t, doc: doc, next: http.DefaultTransport, seen: map[string]bool{}, answers: map[string]map[int]bool{}}
	base := doc.BasePaths()[0]
	c.ops = doc.Operations()
	for _, op := range c.ops {
		c.router.Handle(op.Method, base+op.Path, op)
	}
	return c
}

func (c *contract) RoundTrip(req *http.Request) (*http.Response, error) {
	op, vars, outcome := c.router.Match(req.Method, req.URL.Path, nil)
	if outcome != httpx.Matched {
		c.t.Errorf("%s %s: no operation of the control document matches", req.Method, req.URL.Path)
		return c.next.RoundTrip(req)
	}
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	checked := c.doc.Request(op, req.Clone(req.Context()), vars.Map())
	if p := c.doc.ValidateRequest(req.Context(), checked, body); p != nil && req.Context().Value(deliberate{}) == nil {
		c.t.Errorf("request %s %s (%s) breaks the document: %s", req.Method, req.URL, op.ID, p)
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	resp, err := c.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(raw))
	if err := c.doc.ValidateResponse(req.Context(), checked, resp.StatusCode, resp.Header, raw); err != nil {
		c.t.Errorf("response to %s %s (%s) breaks the document: %.600v\n%.300s", req.Method, req.URL, op.ID, err, raw)
	}
	c.mu.Lock()
	c.seen[op.ID] = true
	if c.answers[op.ID] == nil {
		c.answers[op.ID] = map[int]bool{}
	}
	c.answers[op.ID][resp.StatusCode] = true
	c.mu.Unlock()
	return resp, nil
}

// TestControlClientAgainstTheDocument drives every call of testkit/control
// (and, raw, the endpoints it has no call for) through a transport that
// validates each request and response with specs/control/openapi.yaml, and
// requires every documented operation to have been exercised.
func TestControlClientAgainstTheDocument(t *testing.T) {
	con := newContract(t)
	hc := &http.Client{Transport: con, Timeout: 10 * time.Second}
	t0 := time.Date(2026, 4, 1, 9, 0, 0, 0, time.UTC)
	e, err := New(WithClock(clock.NewManual(t0)), WithSeed(3), WithScenarioDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	t.Cleanup(func() { srv.Close(); _ = e.Close() })
	c := control.New(srv.URL, control.WithHTTPClient(hc))
	ctx := t.Context()
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	refused := func(what string, err error, status int) {
		t.Helper()
		var ce *control.Error
		if !errors.As(err, &ce) || ce.StatusCode != status {
			t.Fatalf("%s: got %v, want a %d", what, err, status)
		}
	}

	// A webhook receiver for the deliveries.
	hooks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	defer hooks.Close()

	_, err = c.Health(ctx)
	must("health", err)
	_, err = c.WaitHealthy(ctx, 10*time.Millisecond)
	must("wait healthy", err)
	ps, err := c.Providers(ctx)
	must("providers", err)
	if len(ps) != 5 {
		t.Fatalf("%d providers", len(ps))
	}
	notusURL, err := c.BaseURL(ctx, "notus")
	must("base url", err)
	_, err = c.Spec(ctx, "gu1")
	must("spec", err)
	_, err = c.Spec(ctx, "nope")
	refused("spec of an unknown provider", err, 404)

	// Sessions and actions.
	must("route webhooks", func() error { _, err := c.RouteWebhooks(ctx, "notus", "doc-key", hooks.URL); return err }())
	id := createNotus(t, notusURL, "doc-key")
	_, err = c.Sessions(ctx, control.SessionFilter{Provider: "notus", Tenant: "doc-key", Status: "PENDING"})
	must("sessions", err)
	_, err = c.Sessions(ctx, control.SessionFilter{Provider: "nope"})
	refused("sessions of an unknown provider", err, 404)
	_, err = c.Session(ctx, id)
	must("session", err)
	_, err = c.Session(ctx, "no-such-session")
	refused("unknown session", err, 404)
	_, err = c.Act(ctx, id, "process", "")
	must("act", err)
	_, err = c.WaitStatus(ctx, id, time.Millisecond, "VERIFYING")
	must("wait status", err)
	_, err = c.Act(ctx, id, "aprove", "")
	refused("unknown action", err, 400)
	_, err = c.Approve(ctx, id)
	must("approve", err)
	_, err = c.Reject(ctx, id, "too late")
	refused("reject a completed session", err, 409)
	id2 := createNotus(t, notusURL, "doc-key")
	_, err = c.Reject(ctx, id2, "blurry")
	must("reject", err)
	id3 := createNotus(t, notusURL, "doc-key")
	_, err = c.Expire(ctx, id3)
	must("expire", err)
	raw(t, hc, http.MethodPost, srv.URL+"/_emulator/sessions/"+createNotus(t, notusURL, "doc-key")+"/actions", "application/json", `{"action":"approve"}`, 200)
	invalid(t, hc, http.MethodPost, srv.URL+"/_emulator/sessions/"+id+"/actions", "application/json", `{}`, 400)

	// Clock.
	_, err = c.Clock(ctx)
	must("clock", err)
	_, err = c.Advance(ctx, time.Minute)
	must("advance", err)
	_, err = c.SetClock(ctx, t0.Add(time.Hour))
	must("set clock", err)
	_, err = c.SetClock(ctx, t0)
	refused("clock backwards", err, 409)
	raw(t, hc, http.MethodPost, srv.URL+"/_emulator/clock", "application/json", `{"advance":"1x"}`, 400)

	// Journal.
	_, err = c.Requests(ctx, control.RequestFilter{Provider: "notus", Tenant: "doc-key", Operation: "createStandardIndividualSession", Session: id, Limit: 5})
	must("requests", err)
	must("clear requests", c.ClearRequests(ctx, "other"))

	// Webhooks.
	var ds []control.Delivery
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		ds, err = c.Deliveries(ctx, control.DeliveryFilter{Provider: "notus", Tenant: "doc-key", Event: "kyc.session.completed", Status: "delivered", Limit: 10})
		must("deliveries", err)
		if len(ds) > 0 || time.Now().After(deadline) {
			break
		}
	}
	if len(ds) == 0 {
		t.Fatal("no delivered webhook")
	}
	_, err = c.Delivery(ctx, ds[0].ID)
	must("delivery", err)
	_, err = c.Delivery(ctx, "no-such-delivery")
	refused("unknown delivery", err, 404)
	_, err = c.Redeliver(ctx, ds[0].ID)
	must("redeliver", err)
	_, err = c.Redeliver(ctx, "no-such-delivery")
	refused("redeliver unknown", err, 404)
	_, err = c.Deliveries(ctx, control.DeliveryFilter{Provider: "nope"})
	refused("deliveries of an unknown provider", err, 404)
	_, err = c.WebhookConfig(ctx, "notus", "doc-key")
	must("webhook config", err)
	must("set webhook url", c.SetWebhookURL(ctx, "gu1", "", hooks.URL))
	refused("bad webhook url", c.SetWebhookURL(ctx, "gu1", "", "ftp://x"), 400)
	must("delete webhook url", c.DeleteWebhookURL(ctx, "gu1", ""))
	raw(t, hc, http.MethodGet, srv.URL+"/_emulator/webhooks?provider=notus&limit=1", "", "", 200)
	invalid(t, hc, http.MethodGet, srv.URL+"/_emulator/webhooks/deliveries?limit=0", "", "", 400)
	raw(t, hc, http.MethodGet, srv.URL+"/_emulator/webhooks/endpoints?provider=notus", "", "", 200)
	invalid(t, hc, http.MethodGet, srv.URL+"/_emulator/webhooks/secret?provider=notus", "", "", 400)

	// Scenarios.
	_, err = c.Scenarios(ctx, "")
	must("scenarios", err)
	_, err = c.Scenarios(ctx, "notus")
	must("scenarios of notus", err)
	const yaml = "name: doc-reject\nprovider: notus\ntimeline:\n  - after: 1s\n    status: EXPIRED\n"
	_, err = c.PutScenario(ctx, "notus", "doc-reject", []byte(yaml))
	must("put scenario", err)
	_, err = c.PutScenario(ctx, "notus", "doc-reject", []byte(yaml))
	must("replace scenario", err)
	_, err = c.PutScenario(ctx, "notus", "doc-broken", []byte("name: doc-broken\nprovider: notus\ntimeline: [{after: soon}]\n"))
	refused("broken scenario", err, 400)
	must("use scenario", c.UseScenario(ctx, "notus", "doc-key", "doc-reject"))
	refused("use unknown scenario", c.UseScenario(ctx, "notus", "doc-key", "nope"), 404)
	must("clear scenario", c.ClearScenario(ctx, "notus", "doc-key"))
	refused("clear no scenario", c.ClearScenario(ctx, "notus", "doc-key"), 404)
	must("reload scenarios", c.ReloadScenarios(ctx))
	must("delete scenario", c.DeleteScenario(ctx, "notus", "doc-reject"))
	refused("delete unknown scenario", c.DeleteScenario(ctx, "notus", "doc-reject"), 404)
	scs, err := c.Scenarios(ctx, "notus")
	must("scenarios", err)
	for _, sc := range scs {
		if sc.Source.Origin == "builtin" {
			refused("delete a built-in scenario", c.DeleteScenario(ctx, "notus", sc.Name), 409)
			raw(t, hc, http.MethodGet, srv.URL+"/_emulator/scenarios/notus/"+sc.Name, "", "", 200)
			raw(t, hc, http.MethodGet, srv.URL+"/_emulator/scenarios/notus/"+sc.Name+"?format=yaml", "", "", 200)
			break
		}
	}
	raw(t, hc, http.MethodGet, srv.URL+"/_emulator/scenarios/notus/nope", "", "", 404)
	raw(t, hc, http.MethodPost, srv.URL+"/_emulator/scenarios", "application/yaml", "name: doc-many\nprovider: gu1\n", 200)
	raw(t, hc, http.MethodPost, srv.URL+"/_emulator/scenarios/validate?file=doc.yaml", "application/yaml", "name: doc-check\nprovider: gu1\n", 200)
	raw(t, hc, http.MethodPost, srv.URL+"/_emulator/scenarios/validate", "application/yaml", "name: doc-check\nprovider: nobody\n", 200)
	raw(t, hc, http.MethodGet, srv.URL+"/_emulator/scenarios/defaults", "", "", 200)
	raw(t, hc, http.MethodPost, srv.URL+"/_emulator/scenarios/defaults", "application/json", `{"provider":"gu1","tenant":"k:o","scenario":"doc-many"}`, 200)
	raw(t, hc, http.MethodDelete, srv.URL+"/_emulator/scenarios/defaults", "application/json", `{"provider":"gu1","tenant":"k:o"}`, 204)
	raw(t, hc, http.MethodGet, srv.URL+"/_emulator/scenarios/nope", "", "", 404)

	// Specs, health without a body, reset.
	raw(t, hc, http.MethodGet, srv.URL+"/_emulator/specs", "", "", 200)
	raw(t, hc, http.MethodGet, srv.URL+"/_emulator/specs/control", "", "", 200)
	raw(t, hc, http.MethodGet, srv.URL+"/_emulator/specs/control?format=json", "", "", 200)
	raw(t, hc, http.MethodHead, srv.URL+"/_emulator/health", "", "", 200)
	must("reset tenant", c.ResetTenant(ctx, "doc-key"))
	must("reset", c.Reset(ctx))

	// Provider controls.
	_, err = c.S3(ctx, "notus")
	must("notus s3", err)
	for _, r := range []struct {
		method, path, body string
		status             int
		bad                bool // breaks the document on purpose
	}{
		{"GET", "/", "", 200, false},
		{"GET", "/metrics", "", 200, false},
		{"GET", "/providers/b2core/config", "", 200, false},
		{"PUT", "/providers/b2core/config", `{"review":{"decision":"approve","delay":"1s"}}`, 200, false},
		{"PUT", "/providers/b2core/config", `{"nope":1}`, 400, true},
		{"DELETE", "/providers/b2core/config", "", 200, false},
		{"GET", "/providers/b2core/clients", "", 200, false},
		{"GET", "/providers/gu1/taxids", "", 200, false},
		{"GET", "/providers/gu1/settings?tenant=k:o", "", 200, false},
		{"PUT", "/providers/gu1/settings", `{"tenant":"k:o","kycConfigured":false}`, 200, false},
		{"GET", "/providers/kulipa/settings", "", 200, false},
		{"GET", "/providers/kulipa/settings?tenant=kk", "", 200, false},
		{"PUT", "/providers/kulipa/settings", `{"tenant":"kk","rateLimit":10}`, 200, false},
		{"GET", "/providers/gatenox/settings?tenant=gt", "", 200, false},
		{"PUT", "/providers/gatenox/settings", `{"tenant":"gt","credits":null,"autoSubmit":false}`, 200, false},
	} {
		ct := ""
		if r.body != "" {
			ct = "application/json"
		}
		if r.bad {
			invalid(t, hc, r.method, srv.URL+"/_emulator"+r.path, ct, r.body, r.status)
		} else {
			raw(t, hc, r.method, srv.URL+"/_emulator"+r.path, ct, r.body, r.status)
		}
	}

	// A real clock refuses to move.
	real, err := New()
	if err != nil {
		t.Fatal(err)
	}
	rs := httptest.NewServer(real)
	defer func() { rs.Close(); _ = real.Close() }()
	_, err = control.New(rs.URL, control.WithHTTPClient(hc)).Advance(ctx, time.Second)
	refused("advance a real clock", err, 409)
	refused("reload without a scenario dir", control.New(rs.URL, control.WithHTTPClient(hc)).ReloadScenarios(ctx), 409)

	var unexercised []string
	for _, op := range con.ops {
		if !con.seen[op.ID] {
			unexercised = append(unexercised, op.ID)
		}
	}
	sort.Strings(unexercised)
	if len(unexercised) > 0 {
		t.Errorf("operations of the control document this test never exercised: %s", strings.Join(unexercised, ", "))
	}
}

// deliberate marks the context of a request that breaks the document on
// purpose (to see the refusal): only its response is checked.
type deliberate struct{}

// raw sends one control request through hc (the validating transport) and
// checks its status.
func raw(t *testing.T, hc *http.Client, method, url, contentType, body string, status int) {
	t.Helper()
	send(t, t.Context(), hc, method, url, contentType, body, status)
}

// invalid is raw for a request that breaks the document on purpose.
func invalid(t *testing.T, hc *http.Client, method, url, contentType, body string, status int) {
	t.Helper()
	send(t, context.WithValue(t.Context(), deliberate{}, true), hc, method, url, contentType, body, status)
}

func send(t *testing.T, ctx context.Context, hc *http.Client, method, url, contentType, body string, status int) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != status {
		t.Fatalf("%s %s: %d %s, want %d", method, url, resp.StatusCode, b, status)
	}
}

// createNotus creates a standard Notus session as a Notus client does
// (through no control call).
func createNotus(t *testing.T, baseURL, apiKey string) string {
	t.Helper()
	body := `{"firstName":"Ana","lastName":"Souza","birthDate":"1990-04-15","documentCategory":"PASSPORT","documentCountry":"BRAZIL","documentId":"123456"}`
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, baseURL+"/kyc/individual-verification-sessions/standard", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", apiKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Session struct{ ID string } `json:"session"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.Session.ID == "" {
		t.Fatalf("create notus session: %d %v", resp.StatusCode, err)
	}
	return out.Session.ID
}
