package kulipa_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
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
	return &env{t: t, emu: srv.Emulator(), srv: srv, doc: testutil.Spec(t, "kulipa")}
}

// now reads the emulator's clock.
func (e *env) now() time.Time { return e.emu.Clock().Now() }

// response is a decoded JSON answer.
type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

func (r response) val(path ...string) any {
	var v any = r.body
	for _, p := range path {
		switch x := v.(type) {
		case map[string]any:
			v = x[p]
		case []any:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(x) {
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
	s, _ := r.val(path...).(string)
	return s
}

func (r response) items() []map[string]any {
	var out []map[string]any
	list, _ := r.body["items"].([]any)
	for _, it := range list {
		out = append(out, it.(map[string]any))
	}
	return out
}

// noRedirects is a client that shows redirects instead of following them.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

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
		if headers[i] == "Host" {
			req.Host = headers[i+1]
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := noRedirects.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := response{status: resp.StatusCode, header: resp.Header, raw: raw}
	_ = json.Unmarshal(raw, &out.body)
	if resp.StatusCode >= 500 {
		e.t.Fatalf("%s %s answered %d: %s", method, path, resp.StatusCode, raw)
	}
	return out
}

// form posts an HTML form (the webview).
func (e *env) form(u string, values url.Values) response {
	e.t.Helper()
	resp, err := noRedirects.PostForm(u, values)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 500 {
		e.t.Fatalf("POST %s answered %d: %s", u, resp.StatusCode, raw)
	}
	return response{status: resp.StatusCode, header: resp.Header, raw: raw}
}

// advance moves the manual clock through the control API.
func (e *env) advance(d time.Duration) {
	e.t.Helper()
	if r := e.call(http.MethodPost, "/_emulator/clock", map[string]string{"advance": d.String()}); r.status != 200 {
		e.t.Fatalf("advance: %d %s", r.status, r.raw)
	}
}

// settings changes Kulipa's emulator settings through the control API.
func (e *env) settings(s map[string]any) response {
	e.t.Helper()
	r := e.call(http.MethodPut, "/_emulator/providers/kulipa/settings", s)
	if r.status != 200 {
		e.t.Fatalf("settings: %d %s", r.status, r.raw)
	}
	return r
}

// client is a Kulipa API client with one API key.
type client struct {
	e   *env
	key string
}

func (e *env) client(key string) *client { return &client{e: e, key: key} }

// do calls the Kulipa API under its base URL .../kulipa/v1.
func (c *client) do(method, path string, body any, headers ...string) response {
	c.e.t.Helper()
	h := append([]string{"x-api-key", c.key}, headers...)
	return c.e.call(method, "/kulipa/v1"+path, body, h...)
}

// user creates a user from the minimal documented fields plus extra and
// returns its id.
func (c *client) user(extra map[string]any) string {
	c.e.t.Helper()
	body := map[string]any{"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com", "countryOfResidence": "GB"}
	for k, v := range extra {
		body[k] = v
	}
	r := c.do(http.MethodPost, "/users", body)
	if r.status != http.StatusCreated {
		c.e.t.Fatalf("create user: %d %s", r.status, r.raw)
	}
	return r.str("id")
}

// kyc starts a KYC and returns the answer.
func (c *client) kyc(userID, typ string, extra map[string]any) response {
	c.e.t.Helper()
	body := map[string]any{"userId": userID, "type": typ}
	for k, v := range extra {
		body[k] = v
	}
	r := c.do(http.MethodPut, "/kycs", body)
	if r.status != http.StatusCreated {
		c.e.t.Fatalf("create KYC: %d %s", r.status, r.raw)
	}
	return r
}

func (c *client) get(path string) response {
	c.e.t.Helper()
	r := c.do(http.MethodGet, path, nil)
	if r.status != http.StatusOK {
		c.e.t.Fatalf("GET %s: %d %s", path, r.status, r.raw)
	}
	return r
}

// useReceiver points the tenant's webhooks at u through the control API.
func (c *client) useReceiver(u string) {
	c.e.t.Helper()
	r := c.e.call(http.MethodPut, "/_emulator/webhooks/endpoints", map[string]string{"provider": "kulipa", "tenant": c.key, "url": u})
	if r.status != 200 {
		c.e.t.Fatalf("set endpoint: %d %s", r.status, r.raw)
	}
}

// hook is one webhook a receiver got.
type hook struct {
	EventID       string `json:"eventId"`
	EventName     string `json:"eventName"`
	EventTargetID string `json:"eventTargetId"`
	UserID        string `json:"userId"`
	body          map[string]any
	status        int // what the receiver answered
	at            time.Time
	keyID         string
}

// receiver is a partner's webhook endpoint as Kulipa's docs and SDK
// describe it: it fetches the signing key named by x-kulipa-key-id from
// GET /v1/webhooks/keys/{keyId} (with its API key, caching it), verifies the
// ECDSA P-256 signature over "<ts>.<raw body>", refuses timestamps more than
// 5 minutes old or 1 minute in the future, and validates every body
// against the spec's WebhookEvent schema. It may be told to fail requests.
type receiver struct {
	*httptest.Server
	e    *env
	key  string // the partner's API key
	fail func(n int) bool

	mu       sync.Mutex
	keys     map[string]*ecdsa.PublicKey
	fetches  int
	all      []hook
	problems []string
}

func (c *client) receiver(fail func(n int) bool) *receiver {
	c.e.t.Helper()
	rc := &receiver{e: c.e, key: c.key, fail: fail, keys: map[string]*ecdsa.PublicKey{}}
	rc.Server = httptest.NewServer(http.HandlerFunc(rc.serve))
	c.e.t.Cleanup(rc.Close)
	c.useReceiver(rc.URL)
	return rc
}

// publicKey fetches (once) the key a webhook names.
func (rc *receiver) publicKey(id string) (*ecdsa.PublicKey, error) {
	rc.mu.Lock()
	k, ok := rc.keys[id]
	rc.mu.Unlock()
	if ok {
		return k, nil
	}
	req, _ := http.NewRequest(http.MethodGet, rc.e.srv.URL+"/kulipa/v1/webhooks/keys/"+url.PathEscape(id), nil)
	req.Header.Set("x-api-key", rc.key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var kv struct {
		ID        string `json:"id"`
		Algorithm string `json:"algorithm"`
		PublicKey string `json:"publicKey"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&kv); err != nil || resp.StatusCode != 200 {
		return nil, fmt.Errorf("fetch key: %d", resp.StatusCode)
	}
	if kv.ID != id || kv.Algorithm != "ECDSA_SHA_256" {
		return nil, fmt.Errorf("key %+v", kv)
	}
	blk, _ := pem.Decode([]byte(kv.PublicKey))
	if blk == nil || blk.Type != "PUBLIC KEY" {
		return nil, fmt.Errorf("publicKey is not a PEM public key")
	}
	pub, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		return nil, err
	}
	ek, ok := pub.(*ecdsa.PublicKey)
	if !ok || ek.Curve.Params().Name != "P-256" {
		return nil, fmt.Errorf("not a P-256 key")
	}
	rc.mu.Lock()
	rc.keys[id] = ek
	rc.fetches++
	rc.mu.Unlock()
	return ek, nil
}

// verify checks a webhook's signature and timestamp.
func (rc *receiver) verify(r *http.Request, body []byte) error {
	sig, ts, id := r.Header.Get("x-kulipa-signature"), r.Header.Get("x-kulipa-signature-ts"), r.Header.Get("x-kulipa-key-id")
	if len(id) != 40 {
		return fmt.Errorf("key id %q is not 40 characters", id)
	}
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("timestamp %q is not milliseconds", ts)
	}
	// Replay protection as Kulipa's SDK does it: against the receiver's own
	// wall clock, whatever the emulator's manual clock says.
	at, now := time.UnixMilli(ms), time.Now()
	if at.Before(now.Add(-5*time.Minute)) || at.After(now.Add(time.Minute)) {
		return fmt.Errorf("timestamp %v outside the window around %v", at, now)
	}
	der, err := hex.DecodeString(sig)
	if err != nil {
		return fmt.Errorf("signature is not hex")
	}
	pub, err := rc.publicKey(id)
	if err != nil {
		return err
	}
	digest := sha256.Sum256([]byte(ts + "." + string(body)))
	if !ecdsa.VerifyASN1(pub, digest[:], der) {
		return fmt.Errorf("signature does not verify")
	}
	return nil
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	if err := rc.verify(r, raw); err != nil {
		rc.mu.Lock()
		rc.problems = append(rc.problems, err.Error()+" on "+string(raw))
		rc.mu.Unlock()
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var h hook
	var generic any
	if err := json.Unmarshal(raw, &generic); err != nil {
		rc.mu.Lock()
		rc.problems = append(rc.problems, "body is not JSON")
		rc.mu.Unlock()
	} else if err := rc.e.doc.ValidateValue("WebhookEvent", generic); err != nil {
		rc.mu.Lock()
		rc.problems = append(rc.problems, fmt.Sprintf("body breaks WebhookEvent: %v: %s", err, raw))
		rc.mu.Unlock()
	}
	_ = json.Unmarshal(raw, &h)
	_ = json.Unmarshal(raw, &h.body)
	h.at, h.keyID = rc.e.now(), r.Header.Get("x-kulipa-key-id")
	rc.mu.Lock()
	defer rc.mu.Unlock()
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

func (rc *receiver) requests() []hook {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]hook(nil), rc.all...)
}

func names(hs []hook) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.EventName
	}
	return out
}

// waitHooks waits until the receiver accepted n webhooks (deliveries run on
// the engine's workers, so they land a moment after the clock moves).
func (rc *receiver) waitHooks(t *testing.T, n int) []hook {
	t.Helper()
	var hs []hook
	if !testutil.Eventually(func() bool { hs = rc.accepted(t); return len(hs) >= n }) {
		t.Fatalf("timed out waiting for %d webhooks; got %v", n, names(hs))
	}
	return hs
}

// deliveries lists the control API's deliveries of one KYC.
func (e *env) deliveries(session string) []map[string]any {
	e.t.Helper()
	r := e.call(http.MethodGet, "/_emulator/webhooks/deliveries?provider=kulipa&session="+url.QueryEscape(session), nil)
	var out []map[string]any
	list, _ := r.val("deliveries").([]any)
	for _, d := range list {
		out = append(out, d.(map[string]any))
	}
	return out
}
