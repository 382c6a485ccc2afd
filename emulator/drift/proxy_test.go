package drift_test

import (
	"bytes"
	"compress/gzip"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kycemu/kycemu/emulator/drift"
)

// echo is an upstream that answers every request with what it received.
func echo(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"method": r.Method, "uri": r.RequestURI, "host": r.Host,
			"size": len(b), "sum": hex.EncodeToString(b[:min(len(b), 8)]), "key": r.Header.Get("x-api-key"),
			"hop": r.Header.Get("Keep-Alive")})
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// The proxy forwards method, path (escapes included), query, headers and
// body unchanged, bodies over its limit too, and never drops hop-by-hop
// rules.
func TestProxyForwardsRequestsUnchanged(t *testing.T) {
	up, _ := echo(t)
	proxy, dir := startProxy(t, map[string]string{"kulipa": up.URL + "/base"}, drift.WithMaxBody(1024))
	big := bytes.Repeat([]byte("0123456789abcdef"), 1000)
	send := func(method, path string, body []byte) map[string]any {
		req, _ := http.NewRequest(method, proxy.URL+path, bytes.NewReader(body))
		req.Header.Set("x-api-key", "k-1")
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Keep-Alive", "timeout=5")
		req.Header.Set("Connection", "keep-alive")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var got map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&got)
		return got
	}
	u, _ := http.NewRequest(http.MethodGet, up.URL, nil)
	for _, tc := range []struct {
		method, path, uri string
		body              []byte
	}{
		{http.MethodPut, "/kulipa/v1/kycs?x=1&x=2&y=%20", "/base/v1/kycs?x=1&x=2&y=%20", big},
		{http.MethodGet, "/kulipa/v1/users/a%2Fb", "/base/v1/users/a%2Fb", nil},
	} {
		got := send(tc.method, tc.path, tc.body)
		want := map[string]any{"method": tc.method, "uri": tc.uri, "host": u.Host, "size": float64(len(tc.body)),
			"sum": hex.EncodeToString(tc.body[:min(len(tc.body), 8)]), "key": "k-1", "hop": ""}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s %s: upstream saw %s = %v, want %v", tc.method, tc.path, k, got[k], v)
			}
		}
	}
	_, xs := report(t, dir)
	if len(xs) != 2 || xs[0].Operation != "createKyc" || xs[0].Request.Body.Omitted != "larger than 1024 bytes" || len(xs[0].Notes) == 0 {
		t.Fatalf("a body over the limit must be forwarded, described and noted unchecked: %+v", xs[0])
	}
}

func TestProxyRefusesWhatItShouldNotForward(t *testing.T) {
	up, hits := echo(t)
	proxy, _ := startProxy(t, map[string]string{"gu1": up.URL})
	cases := []struct {
		name, method, path string
		status             int
	}{
		{"a provider not proxied", http.MethodGet, "/notus/api/v1/kyc/x", http.StatusNotFound},
		{"the root", http.MethodGet, "/", http.StatusNotFound},
		{"a host no answer handed out", http.MethodGet, "/_proxy/ext/gu1/https/evil.test/steal", http.StatusNotFound},
		{"a bad scheme", http.MethodGet, "/_proxy/ext/gu1/file/etc/passwd", http.StatusNotFound},
		{"webhooks of a provider not proxied", http.MethodPost, "/_proxy/webhooks/kulipa", http.StatusNotFound},
		{"webhooks by GET", http.MethodGet, "/_proxy/webhooks/gu1", http.StatusNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, tc.method, proxy.URL+tc.path, nil, nil)
			var env struct {
				Error struct{ Code, Message string }
			}
			if r.status != tc.status || json.Unmarshal(r.body, &env) != nil || env.Error.Code != "not_found" {
				t.Fatalf("%d %s", r.status, r.body)
			}
		})
	}
	if hits.Load() != 0 {
		t.Fatalf("%d refused requests reached the upstream", hits.Load())
	}
	if r := call(t, http.MethodGet, proxy.URL+"/_proxy/health", nil, nil); r.status != http.StatusOK || !strings.Contains(string(r.body), `"gu1"`) {
		t.Fatalf("health: %d %s", r.status, r.body)
	}
}

// A dead upstream is a 502 in the proxy's envelope, noted in the record,
// and not drift.
func TestProxyWithDeadUpstream(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	proxy, dir := startProxy(t, map[string]string{"gatenox": dead.URL})
	r := call(t, http.MethodGet, proxy.URL+"/gatenox/api/v1/invites/individuals", map[string]string{"Authorization": "Bearer t"}, nil)
	if r.status != http.StatusBadGateway || !strings.Contains(string(r.body), "upstream_unreachable") {
		t.Fatalf("%d %s", r.status, r.body)
	}
	rep, xs := report(t, dir)
	if rep.Drift || len(xs[0].Notes) != 1 || !strings.HasPrefix(xs[0].Notes[0], "upstream unreachable") {
		t.Fatalf("report %+v, notes %v", rep, xs[0].Notes)
	}
}

// A gzip-encoded answer is checked decoded and reaches the client as sent.
func TestProxyChecksCompressedAnswers(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		_, _ = zw.Write([]byte(`{"message":"no such user","code":"not_found_error","extra":1}`))
		_ = zw.Close()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write(b.Bytes())
	}))
	t.Cleanup(up.Close)
	proxy, dir := startProxy(t, map[string]string{"kulipa": up.URL})
	r := call(t, http.MethodGet, proxy.URL+"/kulipa/v1/users/u1", map[string]string{"x-api-key": "k"}, nil)
	if r.status != http.StatusNotFound || !strings.Contains(string(r.body), "no such user") {
		t.Fatalf("%d %s", r.status, r.body)
	}
	rep, _ := report(t, dir)
	if !hasFinding(rep, "getUser", "error-envelope", "-", "real: {code,extra,message}") {
		t.Fatalf("the decoded body was not checked:\n%s", reportText(t, rep))
	}
}

// The recorder keeps at most its file count and body size.
func TestRecorderIsBounded(t *testing.T) {
	up, _ := echo(t)
	dir := t.TempDir()
	rec, err := drift.NewRecorder(dir, 3, 64)
	if err != nil {
		t.Fatal(err)
	}
	p, err := drift.New(map[string]string{"gu1": up.URL}, drift.WithRecorder(rec))
	if err != nil {
		t.Fatal(err)
	}
	proxy := httptest.NewServer(p)
	t.Cleanup(proxy.Close)
	for range 5 {
		r := call(t, http.MethodPost, proxy.URL+"/gu1/entities", map[string]string{"Authorization": "Bearer b"},
			map[string]any{"name": strings.Repeat("n", 100)})
		if r.status != http.StatusOK {
			t.Fatalf("a full recorder must not stop forwarding: %d", r.status)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) != 3 || rec.Dropped() != 2 {
		t.Fatalf("%d files, %d dropped", len(files), rec.Dropped())
	}
	b, _ := os.ReadFile(files[0])
	var x drift.Exchange
	if err := json.Unmarshal(b, &x); err != nil || x.Request.Body.Omitted != "larger than 64 bytes" || x.Request.Body.JSON != nil {
		t.Fatalf("body over the record limit: %+v", x.Request.Body)
	}
	// A new recorder on the same directory counts what is there.
	again, _ := drift.NewRecorder(dir, 3, 0)
	if ok, _ := again.Write(&drift.Exchange{Seq: 99}); ok {
		t.Fatal("a full directory took another file")
	}
}

// Each provider's webhook signature scheme: what kycemu's spec says passes,
// anything else is named.
func TestWebhookSignatureSchemes(t *testing.T) {
	up, _ := echo(t)
	proxy, dir := startProxy(t, map[string]string{"kulipa": up.URL, "gatenox": up.URL, "b2core": up.URL})
	kulipaEvent := `{"eventId":"6f1c2b7e-8a34-4c1d-9e2f-0a1b2c3d4e5f","eventName":"user.activated","eventTargetId":"usr-6f1c2b7e-8a34-4c1d-9e2f-0a1b2c3d4e5f","userId":"usr-6f1c2b7e-8a34-4c1d-9e2f-0a1b2c3d4e5f","userStatus":"active","createdAt":"2026-03-01T12:00:00Z"}`
	gatenoxEvent := `{"event":"state_change","new_state":"new","prev_state":"processing","verification_id":"6f1c2b7e-8a34-4c1d-9e2f-0a1b2c3d4e5f"}`
	// A DER ECDSA signature: SEQUENCE { INTEGER 1, INTEGER 1 }.
	der := "3006020101020101"
	cases := []struct {
		provider, body string
		header         map[string]string
		want           string // "" for no signature finding
	}{
		{"kulipa", kulipaEvent, map[string]string{"x-kulipa-signature": der, "x-kulipa-signature-ts": "1772366400000", "x-kulipa-key-id": "k1"}, ""},
		{"kulipa", kulipaEvent, map[string]string{"x-kulipa-signature": der, "x-kulipa-signature-ts": "2026-03-01T12:00:00Z", "x-kulipa-key-id": "k1"}, "another timestamp format"},
		{"kulipa", kulipaEvent, map[string]string{"x-kulipa-signature": "not-hex!", "x-kulipa-signature-ts": "1772366400000", "x-kulipa-key-id": "k1"}, "neither hex nor base64"},
		{"kulipa", kulipaEvent, map[string]string{"x-kulipa-signature": "abcd", "x-kulipa-signature-ts": "1772366400000", "x-kulipa-key-id": "k1"}, "not a DER ECDSA signature"},
		{"kulipa", kulipaEvent, map[string]string{"X-Signature": der}, "headers X-Signature"},
		{"gatenox", gatenoxEvent, nil, ""},
		{"gatenox", gatenoxEvent, map[string]string{"X-Gatenox-Signature": "abc"}, "headers X-Gatenox-Signature"},
		{"b2core", `{"event":"level.changed"}`, nil, ""},
	}
	for _, tc := range cases {
		if st := sendWebhook(t, proxy.URL+"/_proxy/webhooks/"+tc.provider, []byte(tc.body), tc.header); st != http.StatusNoContent {
			t.Fatalf("%s webhook answered %d", tc.provider, st)
		}
	}
	_, xs := report(t, dir)
	for i, tc := range cases {
		var sig []drift.Finding
		for _, f := range xs[i].Findings {
			if f.Kind == drift.KindSignature {
				sig = append(sig, f)
			}
		}
		switch {
		case tc.want == "" && len(sig) > 0:
			t.Errorf("#%d %s: unexpected %v", i+1, tc.provider, sig)
		case tc.want != "" && (len(sig) != 1 || !strings.Contains(sig[0].Got, tc.want)):
			t.Errorf("#%d %s: %v, want one naming %q", i+1, tc.provider, sig, tc.want)
		}
	}
	if f := xs[len(cases)-1].Findings; len(f) != 1 || f[0].Kind != drift.KindWebhook {
		t.Errorf("b2core documents no webhooks: %v", f)
	}
	if f := xs[0].Findings; len(f) != 0 || !strings.Contains(strings.Join(xs[0].Notes, " "), "not verified") {
		t.Errorf("a well-formed kulipa webhook without a key: findings %v, notes %v", f, xs[0].Notes)
	}
}

// An HTML page where the spec declares JSON (a gateway's error page, say)
// is named as a content-type finding beside the unlisted status.
func TestProxyNamesAnUndeclaredContentType(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = io.WriteString(w, "<html><body>Bad gateway</body></html>")
	}))
	t.Cleanup(up.Close)
	proxy, dir := startProxy(t, map[string]string{"notus": up.URL})
	r := call(t, http.MethodGet, proxy.URL+"/notus/api/v1/kyc/individual-verification-sessions/standard/6f1c2b7e-8a34-4c1d-9e2f-0a1b2c3d4e5f",
		map[string]string{"x-api-key": "k"}, nil)
	if r.status != http.StatusBadGateway || !strings.Contains(string(r.body), "Bad gateway") {
		t.Fatalf("the page did not reach the client: %d %s", r.status, r.body)
	}
	rep, _ := report(t, dir)
	if !hasFinding(rep, "getStandardIndividualSession", "content-type", "-", "spec: application/json; real: text/html") ||
		!hasFinding(rep, "getStandardIndividualSession", "undocumented-status", "-", "real: 502") {
		t.Fatalf("report:\n%s", reportText(t, rep))
	}
}
