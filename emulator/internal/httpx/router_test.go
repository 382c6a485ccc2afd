package httpx

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path"
	"strings"
	"testing"

	"github.com/gorilla/mux"
)

// templates mixes what providers route: spec paths under two base paths,
// literals beside parameters, trailing slashes and a bucket's rest-of-path.
var templates = []struct{ method, path string }{
	{"GET", "/api/v1/sessions"},
	{"POST", "/api/v1/sessions"},
	{"GET", "/api/v1/sessions/{id}"},
	{"POST", "/api/v1/sessions/{id}/process"},
	{"GET", "/api/v1/sessions/search"}, // after {id}: never reached, as with mux
	{"GET", "/v2/things/{a}/{b}"},
	{"GET", "/"},
	{"POST", "/_s3/{bucket}"},
	{"POST", "/_s3/{bucket}/"},
	{"GET", "/_s3/{bucket}/{key:.+}"},
	{"HEAD", "/_s3/{bucket}/{key:.+}"},
	{"PUT", "/_s3/{bucket}/{key:.+}"},
}

// TestRouterAgreesWithMux routes the same requests through gorilla/mux,
// whose semantics the routes were written for, and through Router.
func TestRouterAgreesWithMux(t *testing.T) {
	var rt Router[int]
	mr := mux.NewRouter()
	for i, tp := range templates {
		rt.Handle(tp.method, tp.path, i)
		mr.Handle(tp.path, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Route", tp.method+" "+tp.path)
			vars := mux.Vars(r)
			for k, v := range vars {
				w.Header().Set("X-Var-"+k, v)
			}
		})).Methods(tp.method)
	}
	mr.NotFoundHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(404) })
	mr.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(405) })
	paths := []string{
		"/", "/api", "/api/v1", "/api/v1/", "/api/v1/sessions", "/api/v1/sessions/", "/api/v1/sessions/abc",
		"/api/v1/sessions/search", "/api/v1/sessions/abc/process", "/api/v1/sessions/abc/process/",
		"/api/v1/sessions/abc/other", "/API/v1/sessions", "/v2/things/x", "/v2/things/x/y", "/v2/things/x/y/z",
		"/_s3", "/_s3/b", "/_s3/b/", "/_s3/b/k", "/_s3/b/k/with/slashes", "/_s3/b/k/", "/_s3/b/%2Fx",
		"/api/v1/sessions/a%20b", "/nothing/here",
	}
	for _, p := range paths {
		for _, method := range []string{"GET", "POST", "PUT", "HEAD", "DELETE"} {
			req := httptest.NewRequest(method, p, nil)
			w := httptest.NewRecorder()
			mr.ServeHTTP(w, req)
			if CleanPath(req.URL.Path) != req.URL.Path {
				// The caller redirects before routing.
				if w.Code != http.StatusMovedPermanently {
					t.Errorf("%s %s: not clean, yet mux says %d", method, p, w.Code)
				}
				continue
			}
			var buf [4]Param
			i, ps, outcome := rt.Match(method, req.URL.Path, buf[:0])
			switch outcome {
			case NotFound:
				if w.Code != 404 {
					t.Errorf("%s %s: Router says 404, mux %d %s", method, p, w.Code, w.Header().Get("X-Route"))
				}
			case MethodNotAllowed:
				if w.Code != 405 {
					t.Errorf("%s %s: Router says 405, mux %d %s", method, p, w.Code, w.Header().Get("X-Route"))
				}
			case Matched:
				want := templates[i].method + " " + templates[i].path
				if got := w.Header().Get("X-Route"); w.Code != 200 || got != want {
					t.Errorf("%s %s: Router matched %s, mux %d %s", method, p, want, w.Code, got)
					continue
				}
				for _, pm := range ps {
					if got := w.Header().Get("X-Var-" + pm.Name); got != pm.Value {
						t.Errorf("%s %s: {%s} = %q, mux %q", method, p, pm.Name, pm.Value, got)
					}
				}
				if len(ps) != strings.Count(templates[i].path, "{") {
					t.Errorf("%s %s: %d params for %s", method, p, len(ps), templates[i].path)
				}
			}
		}
	}
}

func TestRouterParams(t *testing.T) {
	var rt Router[string]
	rt.Handle("GET", "/a/{x}/b/{rest:.+}", "r")
	_, ps, outcome := rt.Match("GET", "/a/1/b/c/d", nil)
	if outcome != Matched || ps.Get("x") != "1" || ps.Get("rest") != "c/d" || ps.Get("none") != "" {
		t.Fatalf("got %v %v", outcome, ps)
	}
	if m := ps.Map(); len(m) != 2 || m["rest"] != "c/d" {
		t.Fatalf("Map: %v", m)
	}
	if Params(nil).Map() != nil {
		t.Fatal("no params, yet a map")
	}
}

// TestRouterRoutes: Routes lists what was added, as it was added, duplicate
// templates under other methods included.
func TestRouterRoutes(t *testing.T) {
	var rt Router[int]
	if got := rt.Routes(); len(got) != 0 {
		t.Fatalf("empty router lists %v", got)
	}
	for i, tp := range templates {
		rt.Handle(tp.method, tp.path, i)
	}
	got := rt.Routes()
	if len(got) != len(templates) {
		t.Fatalf("%d routes listed, %d added", len(got), len(templates))
	}
	for i, tp := range templates {
		if got[i] != (Route{tp.method, tp.path}) {
			t.Errorf("route %d: %v, want %s %s", i, got[i], tp.method, tp.path)
		}
	}
	got[0].Template = "/changed"
	if rt.Routes()[0].Template != templates[0].path {
		t.Error("Routes shares its slice with the router")
	}
}

func TestRouterRefusesTemplates(t *testing.T) {
	for _, tp := range []string{"a/b", "/a/{x:[0-9]+}", "/a/{rest:.+}/b", "/a/x{y}", "/a/{}"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%q accepted", tp)
				}
			}()
			new(Router[int]).Handle("GET", tp, 0)
		}()
	}
}

func TestCleanPath(t *testing.T) {
	for in, want := range map[string]string{
		"": "/", "/": "/", "/a/b": "/a/b", "/a/b/": "/a/b/", "/a//b": "/a/b", "/a/./b/": "/a/b/",
		"/a/../b": "/b", "a": "/a", "/..": "/",
	} {
		if got := CleanPath(in); got != want {
			t.Errorf("CleanPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCleanPathAgreesWithPathClean: the fast test of cleanness and
// path.Clean (with the trailing slash kept) agree on every short path over
// a small alphabet.
func TestCleanPathAgreesWithPathClean(t *testing.T) {
	slow := func(p string) string {
		if p == "" {
			return "/"
		}
		if p[0] != '/' {
			p = "/" + p
		}
		np := path.Clean(p)
		if p[len(p)-1] == '/' && np != "/" {
			np += "/"
		}
		return np
	}
	var walk func(p string)
	walk = func(p string) {
		if got, want := CleanPath(p), slow(p); got != want {
			t.Fatalf("CleanPath(%q) = %q, want %q", p, got, want)
		}
		if len(p) < 7 {
			for _, c := range []string{"/", ".", "a"} {
				walk(p + c)
			}
		}
	}
	walk("")
}

func BenchmarkRouterMatch(b *testing.B) {
	var rt Router[int]
	for i, tp := range templates {
		rt.Handle(tp.method, tp.path, i)
	}
	b.ReportAllocs()
	for b.Loop() {
		var buf [4]Param
		rt.Match("GET", "/_s3/b/k/with/slashes", buf[:0])
	}
}

// A template the router cannot match is a programming error: Handle panics
// on it, every time (a bad template is never kept as parsed).
func TestBadTemplatesPanic(t *testing.T) {
	for _, tmpl := range []string{"no-slash", "/a/b{c}", "/a/{}", "/a/{rest:.+}/b", "/a/{id:[0-9]+}"} {
		for range 2 {
			func() {
				defer func() {
					if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), tmpl) {
						t.Errorf("%q: recovered %v", tmpl, r)
					}
				}()
				var rt Router[int]
				rt.Handle("GET", tmpl, 1)
			}()
		}
	}
	// The same template in two routers matches alike in both.
	var a, b Router[int]
	a.Handle("GET", "/v1/{id}/files/{key:.+}", 1)
	b.Handle("GET", "/v1/{id}/files/{key:.+}", 2)
	for _, rt := range []*Router[int]{&a, &b} {
		_, ps, out := rt.Match("GET", "/v1/s1/files/x/y.png", nil)
		if out != Matched || ps.Get("id") != "s1" || ps.Get("key") != "x/y.png" {
			t.Fatalf("match %v %v", out, ps)
		}
	}
}
