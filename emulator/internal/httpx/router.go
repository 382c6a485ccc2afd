package httpx

import (
	"fmt"
	"path"
	"strings"
	"sync"
)

// Router matches a method and a path against route templates without
// regular expressions. A template is a path of segments, each one of:
//
//   - a literal ("sessions"), matched exactly and case-sensitively;
//   - {name}, matching one non-empty segment (no slash);
//   - {name:.+}, as the last segment only, matching the rest of the path,
//     slashes included (an object key under a bucket, say).
//
// These are the semantics gorilla/mux gave the same templates, which the
// routes were written for: routes are tried in the order they were added and
// the first whose path and method both match wins; a path that some route
// matches under another method only is a 405 (MethodNotAllowed), and a path
// no route matches is a 404 (NotFound). Paths are matched as decoded
// (URL.Path), so an escaped slash in a segment is a slash.
//
// T is what a route leads to (a handler, an operation); a Router is
// read-only once built and may then be shared by goroutines.
type Router[T any] struct {
	routes []route[T]
}

type route[T any] struct {
	method   string
	template string
	segs     []segment
	// slashes is how many slashes a path it matches has (at least as many,
	// with rest): a cheap first test.
	slashes int
	// rest: the last segment is a {name:.+} taking the rest of the path.
	rest  bool
	value T
}

// segment is a literal (name == "") or a parameter.
type segment struct {
	lit, name string
}

// Param is one path parameter of a matched route.
type Param struct {
	Name, Value string
}

// Params are a matched route's parameters, in template order.
type Params []Param

// Get returns the value of a parameter, or "".
func (ps Params) Get(name string) string {
	for _, p := range ps {
		if p.Name == name {
			return p.Value
		}
	}
	return ""
}

// Map returns the parameters as a map (nil without any).
func (ps Params) Map() map[string]string {
	if len(ps) == 0 {
		return nil
	}
	m := make(map[string]string, len(ps))
	for _, p := range ps {
		m[p.Name] = p.Value
	}
	return m
}

// Outcome is how a path matched.
type Outcome int

// The outcomes of Router.Match.
const (
	// Matched: a route matched path and method.
	Matched Outcome = iota
	// MethodNotAllowed: some route matched the path, none the method.
	MethodNotAllowed
	// NotFound: no route matched the path.
	NotFound
)

// Handle adds a route. It panics on a template the router cannot match
// (one not starting with a slash, a parameter pattern other than .+, or
// .+ anywhere but last): templates are the program's own, so a bad one is
// a programming error found at start-up.
func (rt *Router[T]) Handle(method, template string, v T) {
	t := parseTemplate(template)
	rt.routes = append(rt.routes, route[T]{method: method, template: template, segs: t.segs, slashes: len(t.segs), rest: t.rest, value: v})
}

// parsedTemplate is a template cut into its segments.
type parsedTemplate struct {
	segs []segment
	rest bool
}

// parsedTemplates keeps every template parsed, by its text: the same routes are
// added to the router of every emulator a process starts (a test binary
// starts one per test), and a parse, read-only once made, can serve them
// all.
var parsedTemplates sync.Map // string -> parsedTemplate

func parseTemplate(template string) parsedTemplate {
	if t, ok := parsedTemplates.Load(template); ok {
		return t.(parsedTemplate)
	}
	if !strings.HasPrefix(template, "/") {
		panic(fmt.Sprintf("httpx: route template %q does not start with a slash", template))
	}
	var t parsedTemplate
	n := strings.Count(template, "/")
	t.segs = make([]segment, 0, n)
	i := 0
	for s := range strings.SplitSeq(template[1:], "/") {
		i++
		if !strings.HasPrefix(s, "{") || !strings.HasSuffix(s, "}") {
			if strings.ContainsAny(s, "{}") {
				panic(fmt.Sprintf("httpx: route template %q: a parameter must be a whole segment", template))
			}
			t.segs = append(t.segs, segment{lit: s})
			continue
		}
		name, pattern, hasPattern := strings.Cut(s[1:len(s)-1], ":")
		switch {
		case name == "":
			panic(fmt.Sprintf("httpx: route template %q: a parameter without a name", template))
		case hasPattern && (pattern != ".+" || i != n):
			panic(fmt.Sprintf("httpx: route template %q: only a last {name:.+} segment may carry a pattern", template))
		}
		t.rest = hasPattern
		t.segs = append(t.segs, segment{name: name})
	}
	parsedTemplates.Store(template, t)
	return t
}

// Route is a route as it was added: its method and template.
type Route struct {
	Method, Template string
}

// Routes lists every route in the order it was added (the order Match
// tries them), for an index of the endpoints or a test that checks them
// against a document.
func (rt *Router[T]) Routes() []Route {
	out := make([]Route, len(rt.routes))
	for i, r := range rt.routes {
		out[i] = Route{r.method, r.template}
	}
	return out
}

// Match finds the route for method and path, appending its parameters to
// ps (pass a small stack buffer's ps[:0] to match without allocating).
func (rt *Router[T]) Match(method, path string, ps Params) (T, Params, Outcome) {
	outcome := NotFound
	slashes := strings.Count(path, "/")
	for i := range rt.routes {
		r := &rt.routes[i]
		if r.slashes != slashes && (!r.rest || slashes < r.slashes) {
			continue
		}
		n := len(ps)
		var ok bool
		if ps, ok = r.match(path, ps); !ok {
			ps = ps[:n]
			continue
		}
		if r.method == method {
			return r.value, ps, Matched
		}
		ps = ps[:n]
		outcome = MethodNotAllowed
	}
	var zero T
	return zero, ps, outcome
}

// match reports whether path fits r's template, appending its parameters.
func (r *route[T]) match(p string, ps Params) (Params, bool) {
	if p == "" || p[0] != '/' {
		return ps, false
	}
	p = p[1:]
	for i, s := range r.segs {
		last := i == len(r.segs)-1
		if last && r.rest {
			if p == "" {
				return ps, false
			}
			return append(ps, Param{s.name, p}), true
		}
		seg, tail, more := strings.Cut(p, "/")
		if more == last {
			// Too many segments for the template, or too few.
			return ps, false
		}
		if s.name == "" {
			if seg != s.lit {
				return ps, false
			}
		} else {
			if seg == "" {
				return ps, false
			}
			ps = append(ps, Param{s.name, seg})
		}
		p = tail
	}
	return ps, true
}

// CleanPath returns the canonical form of a request path (no "." or ".."
// segments, no doubled slashes, a trailing slash kept), as routers redirect
// to it; it returns p itself when p is already canonical.
func CleanPath(p string) string {
	if clean(p) {
		return p // the usual case, decided without path.Clean's copy
	}
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

// clean reports whether CleanPath leaves p as it is: p starts with a slash
// and no segment but the last is empty, and none is . or ..
func clean(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] != '/' {
			continue
		}
		seg := p[i+1:]
		if j := strings.IndexByte(seg, '/'); j >= 0 {
			seg = seg[:j]
			if j == 0 {
				return false // an empty segment before another
			}
		}
		if seg == "." || seg == ".." {
			return false
		}
	}
	return true
}
