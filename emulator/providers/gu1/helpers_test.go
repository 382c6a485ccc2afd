package gu1_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
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
	t   *testing.T
	emu *emulator.Emulator
	srv *testkit.Server
	doc *oas.Doc
}

func newEnv(t *testing.T, opts ...emulator.Option) *env {
	t.Helper()
	srv := testkit.Start(t, testkit.WithManualClock(t0), testkit.WithSeed(1), testkit.WithEmulatorOptions(opts...))
	return &env{t: t, emu: srv.Emulator(), srv: srv, doc: testutil.Spec(t, "gu1")}
}

// response is a decoded JSON answer.
type response struct {
	status int
	body   map[string]any
	raw    []byte
}

func (r response) str(path ...string) string {
	var v any = r.body
	for _, p := range path {
		m, _ := v.(map[string]any)
		v = m[p]
	}
	s, _ := v.(string)
	return s
}

func (r response) val(path ...string) any {
	var v any = r.body
	for _, p := range path {
		m, _ := v.(map[string]any)
		v = m[p]
	}
	return v
}

// call sends a request; headers alternate name, value. Any 5xx fails the
// test: client mistakes never earn one, and strict mode turns a response
// that breaks the spec into a 500.
func (e *env) call(method, path string, body any, headers ...string) response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewReader([]byte(b))
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
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := response{status: resp.StatusCode, raw: raw}
	_ = json.Unmarshal(raw, &out.body)
	if resp.StatusCode >= 500 {
		e.t.Fatalf("%s %s answered %d: %s", method, path, resp.StatusCode, raw)
	}
	return out
}

// advance moves the manual clock through the control API.
func (e *env) advance(d time.Duration) {
	e.t.Helper()
	if r := e.call(http.MethodPost, "/_emulator/clock", map[string]string{"advance": d.String()}); r.status != 200 {
		e.t.Fatalf("advance: %d %s", r.status, r.raw)
	}
}

// client is a gu1 API client: one API key in one organisation.
type client struct {
	e        *env
	key, org string
}

func (e *env) client(key, org string) *client { return &client{e: e, key: key, org: org} }

func (c *client) tenant() string { return c.key + ":" + c.org }

func (c *client) do(method, path string, body any, headers ...string) response {
	c.e.t.Helper()
	h := append([]string{"Authorization", "Bearer " + c.key, "X-Organization-ID", c.org}, headers...)
	return c.e.call(method, "/gu1"+path, body, h...)
}

// person creates a person entity and returns its id.
func (c *client) person(taxID string) string {
	c.e.t.Helper()
	body := map[string]any{"type": "person", "name": "Ana Souza", "countryCode": "BR",
		"entityData": map[string]any{"person": map[string]any{"firstName": "Ana", "lastName": "Souza"}}}
	if taxID != "" {
		body["taxId"] = taxID
	}
	r := c.do(http.MethodPost, "/entities", body)
	if r.status != http.StatusCreated {
		c.e.t.Fatalf("create entity: %d %s", r.status, r.raw)
	}
	return r.str("entity", "id")
}

// validate creates a validation and returns the answer.
func (c *client) validate(entityID string, extra map[string]any) response {
	c.e.t.Helper()
	body := map[string]any{"entityId": entityID}
	for k, v := range extra {
		body[k] = v
	}
	r := c.do(http.MethodPost, "/api/kyc/validations", body)
	if r.status != http.StatusCreated {
		c.e.t.Fatalf("create validation: %d %s", r.status, r.raw)
	}
	return r
}

func (c *client) status(validationID string) string {
	c.e.t.Helper()
	r := c.do(http.MethodGet, "/api/kyc/validations/"+validationID, nil)
	if r.status != 200 {
		c.e.t.Fatalf("get validation: %d %s", r.status, r.raw)
	}
	return r.str("status")
}

// secret reads the tenant's webhook secret through the control API.
func (c *client) secret() string {
	c.e.t.Helper()
	q := url.Values{"provider": {"gu1"}, "tenant": {c.tenant()}}
	r := c.e.call(http.MethodGet, "/_emulator/webhooks/secret?"+q.Encode(), nil)
	if r.status != 200 || r.str("secret") == "" {
		c.e.t.Fatalf("secret: %d %s", r.status, r.raw)
	}
	return r.str("secret")
}

// useReceiver points the tenant's webhooks at url through the control API.
func (c *client) useReceiver(u string) {
	c.e.t.Helper()
	r := c.e.call(http.MethodPut, "/_emulator/webhooks/endpoints", map[string]string{"provider": "gu1", "tenant": c.tenant(), "url": u})
	if r.status != 200 {
		c.e.t.Fatalf("set endpoint: %d %s", r.status, r.raw)
	}
}

// hook is one webhook a receiver accepted.
type hook struct {
	Event          string         `json:"event"`
	Timestamp      string         `json:"timestamp"`
	OrganizationID string         `json:"organizationId"`
	Payload        map[string]any `json:"payload"`
	status         int            // what the receiver answered
}

// receiver is a local webhook endpoint that verifies X-Webhook-Signature
// with the tenant's secret and validates every body against the spec's
// WebhookEvent schema. It may be told to fail requests.
type receiver struct {
	*httptest.Server
	secret string
	doc    *oas.Doc

	mu       sync.Mutex
	all      []hook // every request, failed ones included
	problems []string
	fail     func(n int) bool // n counts requests from 1
}

func (e *env) receiver(secret string, fail func(n int) bool) *receiver {
	e.t.Helper()
	rc := &receiver{secret: secret, doc: e.doc, fail: fail}
	rc.Server = httptest.NewServer(http.HandlerFunc(rc.serve))
	e.t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	m := hmac.New(sha256.New, []byte(rc.secret))
	m.Write(raw)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if got, want := r.Header.Get("X-Webhook-Signature"), hex.EncodeToString(m.Sum(nil)); !hmac.Equal([]byte(got), []byte(want)) {
		rc.problems = append(rc.problems, "bad signature on "+string(raw))
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var generic any
	var h hook
	if err := json.Unmarshal(raw, &generic); err != nil {
		rc.problems = append(rc.problems, "body is not JSON")
	} else if err := rc.doc.ValidateValue("WebhookEvent", generic); err != nil {
		rc.problems = append(rc.problems, fmt.Sprintf("body breaks WebhookEvent: %v", err))
	}
	_ = json.Unmarshal(raw, &h)
	h.status = http.StatusOK
	if rc.fail != nil && rc.fail(len(rc.all)+1) {
		h.status = http.StatusInternalServerError
	}
	rc.all = append(rc.all, h)
	w.WriteHeader(h.status)
}

// accepted returns the webhooks answered 200, in arrival order, and fails
// the test on any signature or schema problem.
func (rc *receiver) accepted(t *testing.T) []hook {
	t.Helper()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, p := range rc.problems {
		t.Error(p)
	}
	rc.problems = nil
	var out []hook
	for _, h := range rc.all {
		if h.status == http.StatusOK {
			out = append(out, h)
		}
	}
	return out
}

func (rc *receiver) requests() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.all)
}

func events(hs []hook) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.Event
	}
	return out
}

// waitHooks waits until the receiver accepted n webhooks (deliveries run on
// the engine's workers, so they land a moment after the clock moves).
func (rc *receiver) waitHooks(t *testing.T, n int) []hook {
	t.Helper()
	var hs []hook
	if !testutil.Eventually(func() bool { hs = rc.accepted(t); return len(hs) >= n }) {
		t.Fatalf("timed out waiting for %d webhooks; got %v", n, events(hs))
	}
	return hs
}

// deliveries lists the control API's deliveries of one validation.
func (e *env) deliveries(session string) []map[string]any {
	e.t.Helper()
	r := e.call(http.MethodGet, "/_emulator/webhooks/deliveries?provider=gu1&session="+url.QueryEscape(session), nil)
	var out []map[string]any
	for _, d := range r.val("deliveries").([]any) {
		out = append(out, d.(map[string]any))
	}
	return out
}
