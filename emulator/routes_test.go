package emulator

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kycemu/kycemu/emulator/provider"
)

// TestHandlerRouter: the answers the control API and the console had from
// gorilla/mux: unclean paths redirected with their query, 404 and 405 from
// the router's own handlers, HEAD only where a route names it, and path
// parameters in the request's context.
func TestHandlerRouter(t *testing.T) {
	answer := func(s string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Route", s)
			if v := provider.Vars(r); v != nil {
				w.Header().Set("X-Vars", v["id"]+","+v["action"])
			}
		}
	}
	hr := &handlerRouter{notFound: answer("404"), notAllowed: answer("405")}
	hr.HandleFunc("/x/health", answer("health"), http.MethodGet, http.MethodHead)
	hr.HandleFunc("/x/things", answer("things"), http.MethodGet)
	hr.HandleFunc("/x/things/{id}/go", answer("go"), http.MethodPost)
	hr.HandleFunc("/x/things/{id}/{action}", answer("act"), http.MethodPost)
	for _, c := range []struct{ method, target, route, vars, location string }{
		{"GET", "/x/health", "health", "", ""},
		{"HEAD", "/x/health", "health", "", ""},
		{"HEAD", "/x/things", "405", "", ""},
		{"DELETE", "/x/health", "405", "", ""},
		{"GET", "/x/health/", "404", "", ""},
		{"GET", "/x/nothing", "404", "", ""},
		{"POST", "/x/things/7/go", "go", "7,", ""},
		{"POST", "/x/things/7/stop", "act", "7,stop", ""},
		{"GET", "/x/things/7/stop", "405", "", ""},
		{"POST", "/x/things//go", "", "", "/x/things/go"},
		{"GET", "/x/./health?a=1", "", "", "/x/health?a=1"},
	} {
		w := httptest.NewRecorder()
		hr.ServeHTTP(w, httptest.NewRequest(c.method, c.target, nil))
		if c.location != "" {
			if w.Code != http.StatusMovedPermanently || w.Header().Get("Location") != c.location {
				t.Errorf("%s %s: %d to %q, want 301 to %q", c.method, c.target, w.Code, w.Header().Get("Location"), c.location)
			}
			continue
		}
		if got := w.Header().Get("X-Route"); got != c.route {
			t.Errorf("%s %s: routed to %q, want %q", c.method, c.target, got, c.route)
		}
		if got := w.Header().Get("X-Vars"); got != c.vars {
			t.Errorf("%s %s: vars %q, want %q", c.method, c.target, got, c.vars)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("a route without methods was accepted")
		}
	}()
	hr.HandleFunc("/x/any", answer("any"))
}

// TestControlRoutingEnvelope: the control API's routing refusals are in
// its envelope, and a provider's control route gets its URLs.
func TestControlRoutingEnvelope(t *testing.T) {
	e, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for _, c := range []struct {
		method, path string
		status       int
		code         string
	}{
		{"GET", "/_emulator/nothing", 404, `"not_found"`},
		{"GET", "/_emulator/health/", 404, `"not_found"`},
		{"HEAD", "/_emulator/providers", 405, ""}, // a HEAD answer has no body
		{"PATCH", "/_emulator/sessions", 405, `"method_not_allowed"`},
		{"POST", "/_emulator/providers/gu1/taxids", 405, `"method_not_allowed"`},
		{"GET", "/_emulator/providers/notus/s3", 200, `"http://example.com"`}, // its root URL, from mount.withURLs
	} {
		w := httptest.NewRecorder()
		e.ServeHTTP(w, httptest.NewRequest(c.method, c.path, nil))
		if w.Code != c.status || !strings.Contains(w.Body.String(), c.code) {
			t.Errorf("%s %s: %d %s, want %d with %s", c.method, c.path, w.Code, w.Body, c.status, c.code)
		}
	}
}

// urlsFor answers for each request's own scheme and Host, whatever it
// answered the request before.
func TestMountURLsFollowEachRequest(t *testing.T) {
	m := &mount{e: &Emulator{cfg: defaults()}}
	req := func(host, proto string) *http.Request {
		r := httptest.NewRequest("GET", "/", nil)
		r.Host = host
		if proto != "" {
			r.Header.Set("X-Forwarded-Proto", proto)
		}
		return r
	}
	for _, tc := range []struct {
		r          *http.Request
		base       string
		root, full string
	}{
		{req("a.test", ""), "/notus", "http://a.test", "http://a.test/notus"},
		{req("a.test", ""), "/notus", "http://a.test", "http://a.test/notus"},
		{req("a.test", ""), "", "http://a.test", "http://a.test"},
		{req("b.test:8080", ""), "/notus", "http://b.test:8080", "http://b.test:8080/notus"},
		{req("b.test:8080", "https"), "/notus", "https://b.test:8080", "https://b.test:8080/notus"},
		{req("b.test:8080", "gopher"), "/notus", "http://b.test:8080", "http://b.test:8080/notus"},
	} {
		if root, full := m.urlsFor(tc.r, tc.base); root != tc.root || full != tc.full {
			t.Errorf("%s %s: %q %q, want %q %q", tc.r.Host, tc.base, root, full, tc.root, tc.full)
		}
	}
	m.e.cfg.publicURL = "https://public.test/"
	m.lastURLs.Store(nil)
	if root, full := m.urlsFor(req("a.test", "http"), "/notus"); root != "https://public.test" || full != "https://public.test/notus" {
		t.Errorf("public URL: %q %q", root, full)
	}
}
