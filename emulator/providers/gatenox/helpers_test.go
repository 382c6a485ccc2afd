package gatenox_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kycemu/kycemu/emulator"
	"github.com/kycemu/kycemu/emulator/internal/oas"
	"github.com/kycemu/kycemu/emulator/internal/testutil"
	"github.com/kycemu/kycemu/testkit"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// env is one emulator behind a real HTTP server, as a test client sees it.
type env struct {
	t   testing.TB
	emu *emulator.Emulator
	srv *testkit.Server
	doc *oas.Doc
}

func newEnv(t *testing.T, opts ...emulator.Option) *env {
	t.Helper()
	srv := testkit.Start(t, testkit.WithManualClock(t0), testkit.WithSeed(1), testkit.WithEmulatorOptions(opts...))
	return &env{t: t, emu: srv.Emulator(), srv: srv, doc: testutil.Spec(t, "gatenox")}
}

// noRedirects is a client that shows redirects instead of following them.
// It has a transport of its own: httptest.Server.Close (parallel tests end
// at any time) closes http.DefaultTransport's idle connections, which can
// break a request about to reuse one.
var noRedirects = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone(),
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// response is a decoded answer.
type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

// get walks a path of object keys and array indexes ("0").
func (r response) get(path ...string) any {
	var v any = r.body
	for _, p := range path {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			var i int
			if _, err := fmt.Sscan(p, &i); err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

func (r response) str(path ...string) string {
	s, _ := r.get(path...).(string)
	return s
}

func (r response) list(path ...string) []any {
	l, _ := r.get(path...).([]any)
	return l
}

// send sends a request. Any 5xx fails the test: client mistakes never
// earn one, and strict mode turns a response that breaks the spec into a
// 500.
func (e *env) send(req *http.Request) response {
	e.t.Helper()
	resp, err := noRedirects.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := response{status: resp.StatusCode, header: resp.Header, raw: raw}
	if strings.Contains(resp.Header.Get("Content-Type"), "json") {
		_ = json.Unmarshal(raw, &out.body)
	}
	if resp.StatusCode >= 500 {
		e.t.Fatalf("%s %s answered %d: %s", req.Method, req.URL.Path, resp.StatusCode, raw)
	}
	if api, isAPI := strings.CutPrefix(req.URL.Path, "/gatenox"); isAPI && strings.HasPrefix(api, "/api/") {
		checkOfficial(e.t, req.Method, api, resp.StatusCode, resp.Header, raw)
	}
	return out
}

// call sends a request with an optional JSON body (a string is sent as
// is); headers alternate name, value.
func (e *env) call(method, path string, body any, headers ...string) response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return e.send(req)
}

// advance moves the manual clock through the control API.
func (e *env) advance(d time.Duration) {
	e.t.Helper()
	if r := e.call(http.MethodPost, "/_emulator/clock", map[string]string{"advance": d.String()}); r.status != 200 {
		e.t.Fatalf("advance: %d %s", r.status, r.raw)
	}
}

// settings changes a company's emulator settings.
func (e *env) settings(token string, s map[string]any) response {
	e.t.Helper()
	body := map[string]any{"tenant": token}
	for k, v := range s {
		body[k] = v
	}
	r := e.call(http.MethodPut, "/_emulator/providers/gatenox/settings", body)
	if r.status != 200 {
		e.t.Fatalf("settings: %d %s", r.status, r.raw)
	}
	return r
}

// act forces an action through the control API.
func (e *env) act(id, action string) response {
	e.t.Helper()
	return e.call(http.MethodPost, "/_emulator/sessions/"+id+"/actions", map[string]string{"action": action})
}

// client is a Gatenox API client holding one company token.
type client struct {
	e     *env
	token string
}

func (e *env) client(token string) *client { return &client{e: e, token: token} }

// do calls the API under the /gatenox mount and checks Gatenox's
// response headers.
func (c *client) do(method, path string, body any, headers ...string) response {
	c.e.t.Helper()
	h := append([]string{"Authorization", "Bearer " + c.token}, headers...)
	r := c.e.call(method, "/gatenox"+path, body, h...)
	c.checkHeaders(r)
	return r
}

func (c *client) checkHeaders(r response) {
	c.e.t.Helper()
	if r.header.Get("X-Request-Id") == "" {
		c.e.t.Errorf("no X-Request-Id on a %d answer", r.status)
	}
	if r.body != nil {
		if ct := r.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
			c.e.t.Errorf("Content-Type %q on a %d answer", ct, r.status)
		}
		if r.header.Get("X-Runtime") == "" {
			c.e.t.Errorf("no X-Runtime on a %d answer", r.status)
		}
	}
}

// field is one multipart field; repeat a name for repeated fields.
type field struct{ name, value string }

// form posts a multipart/form-data body, as Gatenox documents for the
// state and risk score endpoints.
func (c *client) form(path string, fields ...field) response {
	c.e.t.Helper()
	return c.formWith(http.MethodPost, path, fields...)
}

// formWith sends a multipart/form-data body with any method.
func (c *client) formWith(method, path string, fields ...field) response {
	c.e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range fields {
		if err := mw.WriteField(f.name, f.value); err != nil {
			c.e.t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		c.e.t.Fatal(err)
	}
	req, err := http.NewRequest(method, c.e.srv.URL+"/gatenox"+path, &buf)
	if err != nil {
		c.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+c.token)
	r := c.e.send(req)
	c.checkHeaders(r)
	return r
}

// state calls a state endpoint of a case and expects 200.
func (c *client) state(caseID, event string, fields ...field) response {
	c.e.t.Helper()
	r := c.form("/api/v1/verification_individuals/"+caseID+"/state/"+event, fields...)
	if r.status != http.StatusOK {
		c.e.t.Fatalf("state %s: %d %s", event, r.status, r.raw)
	}
	return r
}

// invite creates invitations, one per recipient, and returns the answer.
func (c *client) invite(recipients ...map[string]any) response {
	c.e.t.Helper()
	r := c.do(http.MethodPost, "/api/v1/invites/individuals", map[string]any{"recipients": recipients})
	if r.status != http.StatusCreated {
		c.e.t.Fatalf("invite: %d %s", r.status, r.raw)
	}
	return r
}

// inviteOne creates one invitation and returns it.
func (c *client) inviteOne(email string) map[string]any {
	c.e.t.Helper()
	return c.invite(map[string]any{"email": email}).list("personal_verifications")[0].(map[string]any)
}

// page opens an invitation_url as the invited person's browser does.
func (e *env) page(invitationURL string) response {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, invitationURL, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.send(req)
}

// submit posts the page's form.
func (e *env) submit(invitationURL string, values url.Values) response {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, invitationURL, strings.NewReader(values.Encode()))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return e.send(req)
}

// complete opens and submits an invitation through its page and returns
// the id of the case it created.
func (c *client) complete(inv map[string]any) string {
	c.e.t.Helper()
	u := inv["invitation_url"].(string)
	if r := c.e.page(u); r.status != 200 {
		c.e.t.Fatalf("open page: %d %s", r.status, r.raw)
	}
	if r := c.e.submit(u, url.Values{"action": {"submit"}}); r.status != http.StatusSeeOther {
		c.e.t.Fatalf("submit page: %d %s", r.status, r.raw)
	}
	return c.caseOf(inv["id"].(string))
}

// caseOf finds an invitation's verification_id through the list.
func (c *client) caseOf(invitationID string) string {
	c.e.t.Helper()
	r := c.do(http.MethodGet, "/api/v1/invites/individuals?per_page=100", nil)
	for _, it := range r.list("personal_verifications") {
		m := it.(map[string]any)
		if m["id"] == invitationID {
			id, _ := m["verification_id"].(string)
			if id == "" {
				c.e.t.Fatalf("invitation has no verification_id: %v", m)
			}
			return id
		}
	}
	c.e.t.Fatalf("invitation not listed")
	return ""
}

// getCase reads a case.
func (c *client) getCase(id string, query ...string) response {
	c.e.t.Helper()
	p := "/api/v1/verification_individuals/" + id
	if len(query) > 0 {
		p += "?" + query[0]
	}
	r := c.do(http.MethodGet, p, nil)
	if r.status != 200 {
		c.e.t.Fatalf("get case: %d %s", r.status, r.raw)
	}
	return r
}

// hook is one webhook a receiver got.
type hook struct {
	body   map[string]any
	header http.Header
}

func (h hook) str(k string) string { s, _ := h.body[k].(string); return s }

// receiver is a local webhook endpoint that validates every body against
// the spec's WebhookEvent schema and checks that nothing signs it.
type receiver struct {
	*httptest.Server
	doc *oas.Doc

	mu       sync.Mutex
	all      []hook
	problems []string
}

func (e *env) receiver() *receiver {
	e.t.Helper()
	rc := &receiver{doc: e.doc}
	rc.Server = httptest.NewServer(http.HandlerFunc(rc.serve))
	e.t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		rc.problems = append(rc.problems, "body is not JSON")
	} else if err := rc.doc.ValidateValue("WebhookEvent", v); err != nil {
		rc.problems = append(rc.problems, fmt.Sprintf("body breaks WebhookEvent: %v", err))
	}
	for name := range r.Header {
		if strings.Contains(strings.ToLower(name), "signature") {
			rc.problems = append(rc.problems, "Gatenox webhooks are unsigned, got "+name)
		}
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		rc.problems = append(rc.problems, "Content-Type "+ct)
	}
	m, _ := v.(map[string]any)
	rc.all = append(rc.all, hook{body: m, header: r.Header.Clone()})
	w.WriteHeader(http.StatusOK)
}

func (rc *receiver) hooks(t *testing.T) []hook {
	t.Helper()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, p := range rc.problems {
		t.Error(p)
	}
	rc.problems = nil
	return append([]hook(nil), rc.all...)
}

// wait waits until the receiver got n webhooks (deliveries run on the
// engine's workers, a moment after the change).
func (rc *receiver) wait(t *testing.T, n int) []hook {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if hs := rc.hooks(t); len(hs) >= n {
			return hs
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %d webhooks; got %v", n, describe(rc.hooks(t)))
		}
		time.Sleep(time.Millisecond)
	}
}

func describe(hs []hook) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		if h.str("event") == "state_change" {
			out[i] = h.str("prev_state") + "→" + h.str("new_state")
		} else {
			out[i] = h.str("event")
		}
	}
	return out
}

// stateChanges keeps the state_change webhooks of one case.
func stateChanges(hs []hook, caseID string) []string {
	var out []string
	for _, h := range hs {
		if h.str("event") == "state_change" && h.str("verification_id") == caseID {
			out = append(out, h.str("prev_state")+"→"+h.str("new_state"))
		}
	}
	return out
}

// useReceiver points the company's webhooks at a receiver through the
// control API.
func (c *client) useReceiver(u string) {
	c.e.t.Helper()
	r := c.e.call(http.MethodPut, "/_emulator/webhooks/endpoints", map[string]string{"provider": "gatenox", "tenant": c.token, "url": u})
	if r.status != 200 {
		c.e.t.Fatalf("set endpoint: %d %s", r.status, r.raw)
	}
}

func equal(t *testing.T, what string, got, want any) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}
