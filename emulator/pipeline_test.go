package emulator

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kycemu/kycemu/emulator/clock"
	"github.com/kycemu/kycemu/emulator/internal/httpx"
	"github.com/kycemu/kycemu/emulator/provider"
)

// stub is a minimal provider that misbehaves on purpose.
type stub struct{}

const fakeSpec = `
openapi: 3.0.3
info: {title: Fake, version: "1"}
servers: [{url: "https://api.fake.test/v1"}]
security: [{key: []}]
paths:
  /things:
    post:
      operationId: createThing
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [name]
              properties:
                name: {type: string, minLength: 2}
                size: {type: integer, maximum: 10}
      responses:
        "201":
          description: ok
          content:
            application/json:
              schema: {type: object, required: [id], properties: {id: {type: string}}}
        default: {$ref: '#/components/responses/Error'}
  /panic:
    get:
      operationId: panics
      responses:
        default: {$ref: '#/components/responses/Error'}
  /plain-error:
    get:
      operationId: plainError
      security: []
      responses:
        default: {$ref: '#/components/responses/Error'}
  /off-spec:
    get:
      operationId: offSpec
      security: []
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: object, required: [id], properties: {id: {type: string}}}
components:
  securitySchemes:
    key: {type: apiKey, in: header, name: x-key}
  responses:
    Error:
      description: error
      content:
        application/json:
          schema: {$ref: '#/components/schemas/Error'}
  schemas:
    Error:
      type: object
      required: [code, message]
      properties:
        code: {type: string}
        message: {type: string}
`

func (stub) Name() string    { return "fake" }
func (stub) Spec() []byte    { return []byte(fakeSpec) }
func (stub) Hosts() []string { return []string{"api.fake.test"} }
func (stub) Handlers() map[string]provider.Handler {
	return map[string]provider.Handler{
		"createThing": func(c *provider.Call) error { return c.JSON(201, map[string]string{"id": "t1"}) },
		"panics":      func(*provider.Call) error { panic("kaboom") },
		"plainError":  func(*provider.Call) error { return errors.New("database on fire: secret detail") },
		"offSpec":     func(c *provider.Call) error { return c.JSON(200, map[string]int{"id": 7}) },
	}
}
func (stub) Authenticate(r *http.Request) (string, *provider.Error) {
	if k := r.Header.Get("x-key"); k != "" {
		return k, nil
	}
	return "", provider.Errorf(provider.KindUnauthorized, "no key")
}
func (stub) WriteError(w http.ResponseWriter, _ *http.Request, e *provider.Error) {
	provider.WriteJSON(w, e.Status, map[string]string{"code": string(e.Kind), "message": e.Message})
}

// mountForTest mounts p on e, as New mounts the built-in providers.
func mountForTest(t *testing.T, e *Emulator, p provider.Provider) {
	t.Helper()
	doc, err := e.loadDoc(p.Spec())
	if err != nil {
		t.Fatal(err)
	}
	if err := e.add(p, doc); err != nil {
		t.Fatal(err)
	}
}

func newFakeEmulator(t *testing.T, opts ...Option) *httptest.Server {
	t.Helper()
	e, err := New(append([]Option{WithStrictResponses(true), WithClock(clock.NewManual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	mountForTest(t, e, stub{})
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv
}

func call(t *testing.T, srv *httptest.Server, method, path, body string, hdr map[string]string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if len(b) > 0 {
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s %s: not JSON: %s", method, path, b)
		}
	}
	return resp.StatusCode, m
}

func TestPipeline(t *testing.T) {
	srv := newFakeEmulator(t)
	key := map[string]string{"x-key": "k"}
	cases := []struct {
		name, method, path, body string
		hdr                      map[string]string
		status                   int
		code                     string
	}{
		{"created", "POST", "/fake/v1/things", `{"name":"ab"}`, key, 201, ""},
		{"by host", "POST", "/v1/things", `{"name":"ab"}`, map[string]string{"x-key": "k", "Host": "api.fake.test:443"}, 201, ""},
		{"no credential", "POST", "/fake/v1/things", `{"name":"ab"}`, nil, 401, "unauthorized"},
		{"invalid body", "POST", "/fake/v1/things", `{"name":"a"}`, key, 400, "invalid"},
		{"over maximum", "POST", "/fake/v1/things", `{"name":"ab","size":11}`, key, 400, "invalid"},
		{"body too large", "POST", "/fake/v1/things", `{"name":"` + strings.Repeat("a", 2048) + `"}`, key, 413, "too_large"},
		{"unknown path", "GET", "/fake/v1/nothing", "", key, 404, "not_found"},
		{"wrong method", "DELETE", "/fake/v1/things", "", key, 405, "method"},
		{"panic is contained", "GET", "/fake/v1/panic", "", key, 500, "internal"},
		{"plain error is hidden", "GET", "/fake/v1/plain-error", "", nil, 500, "internal"},
	}
	srvSmall := newFakeEmulator(t, WithMaxBodyBytes(1024))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := srv
			if tc.status == 413 {
				s = srvSmall
			}
			status, body := call(t, s, tc.method, tc.path, tc.body, tc.hdr)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %v", status, tc.status, body)
			}
			if tc.code != "" && body["code"] != tc.code {
				t.Fatalf("code %v, want %s", body["code"], tc.code)
			}
			if msg, _ := body["message"].(string); strings.Contains(msg, "secret") {
				t.Fatalf("internal detail leaked: %v", body)
			}
		})
	}
}

func TestStrictModeCatchesOffSpecResponses(t *testing.T) {
	status, body := call(t, newFakeEmulator(t), "GET", "/fake/v1/off-spec", "", nil)
	if status != 500 || body["kycemu"] != "strict response validation failed" || !strings.Contains(body["error"].(string), "id") {
		t.Fatalf("%d %v", status, body)
	}
	e, err := New(WithStrictResponses(false))
	if err != nil {
		t.Fatal(err)
	}
	mountForTest(t, e, stub{})
	srv := httptest.NewServer(e)
	defer srv.Close()
	if status, _ := call(t, srv, "GET", "/fake/v1/off-spec", "", nil); status != 200 {
		t.Fatalf("non-strict: %d", status)
	}
}

func TestControlAPI(t *testing.T) {
	srv := newFakeEmulator(t)
	cases := []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"health", "GET", "/_emulator/health", "", 200, ""},
		{"advance", "POST", "/_emulator/clock", `{"advance":"90s"}`, 200, ""},
		{"set", "POST", "/_emulator/clock", `{"set":"2026-01-01T01:00:00Z"}`, 200, ""},
		{"set backwards", "POST", "/_emulator/clock", `{"set":"2025-01-01T00:00:00Z"}`, 409, "clock_backwards"},
		{"bad duration", "POST", "/_emulator/clock", `{"advance":"soon"}`, 400, "invalid_duration"},
		{"negative duration", "POST", "/_emulator/clock", `{"advance":"-1s"}`, 400, "invalid_duration"},
		{"both", "POST", "/_emulator/clock", `{"advance":"1s","set":"2027-01-01T00:00:00Z"}`, 400, "invalid_body"},
		{"unknown field", "POST", "/_emulator/clock", `{"forward":"1s"}`, 400, "invalid_body"},
		{"unknown session", "GET", "/_emulator/sessions/nope", "", 404, "session_not_found"},
		{"act on unknown session", "POST", "/_emulator/sessions/nope/approve", "", 404, "session_not_found"},
		{"unknown provider filter", "GET", "/_emulator/sessions?provider=zzz", "", 404, "unknown_provider"},
		{"unknown spec", "GET", "/_emulator/specs/zzz", "", 404, "unknown_provider"},
		{"bad limit", "GET", "/_emulator/requests?limit=x", "", 400, "invalid_limit"},
		{"unknown control route", "GET", "/_emulator/nope", "", 404, "not_found"},
		{"wrong control method", "DELETE", "/_emulator/health", "", 405, "method_not_allowed"},
		{"nothing mounted", "GET", "/nowhere", "", 404, "not_found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := call(t, srv, tc.method, tc.path, tc.body, nil)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %v", status, tc.status, body)
			}
			if tc.code != "" {
				if got := body["error"].(map[string]any)["code"]; got != tc.code {
					t.Fatalf("code %v, want %s", got, tc.code)
				}
			}
		})
	}
	_, clk := call(t, srv, "GET", "/_emulator/clock", "", nil)
	if clk["mode"] != "manual" || clk["now"] != "2026-01-01T01:00:00Z" {
		t.Fatalf("clock: %v", clk)
	}
}

func TestClockCannotMoveWhenReal(t *testing.T) {
	e, err := New()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	defer srv.Close()
	status, body := call(t, srv, "POST", "/_emulator/clock", `{"advance":"1s"}`, nil)
	if status != 409 || body["error"].(map[string]any)["code"] != "clock_not_manual" {
		t.Fatalf("%d %v", status, body)
	}
	if err := e.Advance(time.Second); err == nil {
		t.Fatal("Advance on a real clock should fail")
	}
}

func TestIndexListsProviders(t *testing.T) {
	status, body := call(t, newFakeEmulator(t), "GET", "/", "", nil)
	if status != 200 || len(body["providers"].([]any)) < 2 {
		t.Fatalf("%d %v", status, body)
	}
}

func TestSpecCacheSharesDocuments(t *testing.T) {
	c := NewSpecCache()
	a, err := New(WithSpecCache(c))
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(WithSpecCache(c))
	if err != nil {
		t.Fatal(err)
	}
	other, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for i := range a.mounts {
		if a.mounts[i].doc != b.mounts[i].doc {
			t.Errorf("%s: emulators with one cache parsed twice", a.mounts[i].p.Name())
		}
		if a.mounts[i].doc == other.mounts[i].doc {
			t.Errorf("%s: an emulator without the cache shares a document", a.mounts[i].p.Name())
		}
	}
}

// BenchmarkNew measures building an emulator with every provider, with and
// without a shared spec cache.
func BenchmarkNew(b *testing.B) {
	for _, shared := range []bool{false, true} {
		name := "own-specs"
		var opts []Option
		if shared {
			name = "spec-cache"
			opts = append(opts, WithSpecCache(NewSpecCache()))
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				e, err := New(opts...)
				if err != nil {
					b.Fatal(err)
				}
				_ = e.Close()
			}
		})
	}
}

// loose is the stub with a vendor that reads JSON bodies whatever their
// Content-Type says.
type loose struct{ stub }

func (loose) Name() string      { return "loose" }
func (loose) Hosts() []string   { return nil }
func (loose) UntypedJSON() bool { return true }

func TestUntypedJSONIsPerProvider(t *testing.T) {
	srv := newFakeEmulator(t)
	e := srv.Config.Handler.(*Emulator)
	mountForTest(t, e, loose{})
	send := func(path, ctype, body string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(body))
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		req.Header.Set("x-key", "k")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	cases := []struct {
		path, ctype, body string
		status            int
	}{
		{"/loose/v1/things", "application/x-www-form-urlencoded", `{"name":"ab"}`, 201}, // curl --data-raw
		{"/loose/v1/things", "", `{"name":"ab"}`, 201},
		{"/loose/v1/things", "text/plain;charset=UTF-8", `{"name":"ab"}`, 201},         // fetch with a string body
		{"/loose/v1/things", "application/x-www-form-urlencoded", `{"name":"a"}`, 400}, // still validated
		{"/loose/v1/things", "application/x-www-form-urlencoded", `name=ab`, 400},
		{"/loose/v1/things", "image/png", `{"name":"ab"}`, 400},
		{"/fake/v1/things", "application/x-www-form-urlencoded", `{"name":"ab"}`, 400},
		{"/fake/v1/things", "", `{"name":"ab"}`, 400},
	}
	for _, tc := range cases {
		if got := send(tc.path, tc.ctype, tc.body); got != tc.status {
			t.Errorf("%s (%q, %s): %d, want %d", tc.path, tc.ctype, tc.body, got, tc.status)
		}
	}
}

func TestCORSAsABucketConfigurationAnswers(t *testing.T) {
	preflight := func(srv *httptest.Server, path, origin, method, headers string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(http.MethodOptions, srv.URL+path, nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", method)
		if headers != "" {
			req.Header.Set("Access-Control-Request-Headers", headers)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	srv := newFakeEmulator(t)
	// The bucket: a browser upload from another origin.
	r := preflight(srv, "/notus-kyc-documents", "http://app.test", "POST", "content-type")
	if r.StatusCode != 200 || r.Header.Get("Access-Control-Allow-Origin") != "*" ||
		!strings.Contains(r.Header.Get("Access-Control-Allow-Methods"), "POST") ||
		r.Header.Get("Access-Control-Allow-Headers") != "content-type" || r.Header.Get("Access-Control-Max-Age") == "" {
		t.Fatalf("bucket preflight: %d %v", r.StatusCode, r.Header)
	}
	// The API: headers the page sends are echoed as allowed.
	r = preflight(srv, "/notus/api/v1/kyc/individual-verification-sessions/standard", "http://app.test", "POST", "content-type,x-api-key")
	if r.StatusCode != 200 || r.Header.Get("Access-Control-Allow-Headers") != "content-type,x-api-key" {
		t.Fatalf("API preflight: %d %v", r.StatusCode, r.Header)
	}
	// A method the policy does not list is refused.
	if r := preflight(srv, "/notus-kyc-documents/kyc/x/front", "http://app.test", "DELETE", ""); r.StatusCode != 403 ||
		r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("DELETE preflight: %d %v", r.StatusCode, r.Header)
	}
	// A real request gets the origin and the exposed headers (ETag for the bucket).
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/notus-kyc-documents/kyc/x/front", nil)
	req.Header.Set("Origin", "http://app.test")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Access-Control-Allow-Origin") != "*" || !strings.Contains(resp.Header.Get("Access-Control-Expose-Headers"), "ETag") {
		t.Fatalf("GET from another origin: %v", resp.Header)
	}
	// The control API answers no cross-origin request.
	if r := preflight(srv, "/_emulator/reset", "http://app.test", "POST", ""); r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("control API preflight: %v", r.Header)
	}

	// Only the configured origins; none turns CORS off.
	only := newFakeEmulator(t, WithCORS("http://app.test"))
	if r := preflight(only, "/gu1/entities", "http://app.test", "POST", ""); r.StatusCode != 200 || r.Header.Get("Access-Control-Allow-Origin") != "http://app.test" {
		t.Fatalf("allowed origin: %d %v", r.StatusCode, r.Header)
	}
	if r := preflight(only, "/gu1/entities", "http://evil.test", "POST", ""); r.StatusCode != 403 || r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("other origin: %d %v", r.StatusCode, r.Header)
	}
	if r := preflight(newFakeEmulator(t, WithCORS()), "/notus-kyc-documents", "http://app.test", "POST", ""); r.Header.Get("Access-Control-Allow-Origin") != "" || r.StatusCode != 403 {
		t.Fatalf("CORS off: %d %v", r.StatusCode, r.Header)
	}
}

// BenchmarkCountRequest measures what metrics add to every API request.
func BenchmarkCountRequest(b *testing.B) {
	e, err := New()
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	b.ReportAllocs()
	for b.Loop() {
		e.metrics.request("notus", "getStandardIndividualSession", 200)
	}
}

// TestUncleanPathsRedirectWithinTheMount: a path with doubled slashes or
// dot segments is redirected to its clean form under the same mount prefix,
// its query kept.
func TestUncleanPathsRedirectWithinTheMount(t *testing.T) {
	e, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for path, want := range map[string]string{
		"/notus/api/v1//kyc/x?a=1":           "/notus/api/v1/kyc/x?a=1",
		"/notus/api/v1/kyc/./x/../y/":        "/notus/api/v1/kyc/y/",
		"/notus-kyc-documents//kyc/a/b":      "/notus-kyc-documents/kyc/a/b",
		"/notus/_s3/notus-kyc-documents/./k": "/notus/_s3/notus-kyc-documents/k",
	} {
		w := httptest.NewRecorder()
		e.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		if w.Code != http.StatusMovedPermanently || w.Header().Get("Location") != want {
			t.Errorf("%s: %d to %q, want 301 to %q", path, w.Code, w.Header().Get("Location"), want)
		}
	}
}

// TestAccessLogLine: at info, every provider request leaves one line
// naming it; at warn, none.
func TestAccessLogLine(t *testing.T) {
	for _, level := range []slog.Level{slog.LevelInfo, slog.LevelWarn} {
		var out strings.Builder
		e, err := New(WithLogger(slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: level}))))
		if err != nil {
			t.Fatal(err)
		}
		w := httptest.NewRecorder()
		e.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/notus/api/v1/kyc/individual-verification-sessions/standard/"+
			"6f1c9a52-3f0e-4b8e-9d6a-0c1d2e3f4a5b", nil))
		_ = e.Close()
		id := w.Header().Get("X-Request-Id")
		var lines []string
		for _, l := range strings.Split(out.String(), "\n") {
			if strings.Contains(l, "msg=request") {
				lines = append(lines, l)
			}
		}
		switch {
		case level == slog.LevelWarn && len(lines) != 0:
			t.Errorf("warn: %q", lines)
		case level == slog.LevelInfo && (len(lines) != 1 || !strings.Contains(lines[0], "level=INFO") ||
			!strings.Contains(lines[0], "provider=notus op=getStandardIndividualSession method=GET path=/api/v1/") ||
			!strings.Contains(lines[0], "status="+strconv.Itoa(w.Code)) || !strings.HasSuffix(lines[0], "request_id="+id)):
			t.Errorf("info: %q (request id %s)", lines, id)
		}
	}
}

// namer is stub with a createThing that names the session it made, for
// the journal, and an unauthenticated plainError that names one too.
type namer struct{ stub }

func (namer) Handlers() map[string]provider.Handler {
	h := stub{}.Handlers()
	h["createThing"] = func(c *provider.Call) error {
		c.Session = "s-named"
		return c.JSON(201, map[string]string{"id": "t1"})
	}
	h["plainError"] = func(c *provider.Call) error {
		c.Session = "s-unowned"
		return c.JSON(200, map[string]string{"id": "t1"})
	}
	return h
}

// TestJournalTakesTheSessionTheHandlerNames: an authenticated call whose
// handler names its session in Call.Session is journaled under it, though
// nothing in its bodies names it (and it is no session of the store); an
// unauthenticated one only when the store knows whose it is (here it does
// not); a call naming none is linked as before, here to none.
func TestJournalTakesTheSessionTheHandlerNames(t *testing.T) {
	e, err := New(WithClock(clock.NewManual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))))
	if err != nil {
		t.Fatal(err)
	}
	mountForTest(t, e, namer{})
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	if status, body := call(t, srv, "POST", "/fake/v1/things", `{"name":"ab"}`, map[string]string{"x-key": "k"}); status != 201 {
		t.Fatalf("create: %d %v", status, body)
	}
	call(t, srv, "GET", "/fake/v1/panic", "", map[string]string{"x-key": "k"})
	call(t, srv, "GET", "/fake/v1/plain-error", "", nil)
	got := e.journal.List(httpx.Filter{Provider: "fake"})
	if len(got) != 3 || got[0].Session != "s-named" || got[0].Tenant != "k" || got[1].Session != "" || got[2].Session != "" {
		t.Fatalf("journal: %+v", got)
	}
}
