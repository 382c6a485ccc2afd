package emulator

import (
	"fmt"
	"net/http"

	"github.com/kycemu/kycemu/emulator/internal/httpx"
	"github.com/kycemu/kycemu/emulator/provider"
)

// handlerRouter serves the control API and the console: an httpx.Router of
// handlers with the answers gorilla/mux, the router before it, gave. An
// unclean path is redirected (301) to its clean form before routing; a
// path no route matches goes to notFound, one routed under other methods
// only to notAllowed. Building one compiles nothing, which matters as
// every emulator builds the control API's (a health check is its first
// request).
type handlerRouter struct {
	routes               httpx.Router[http.Handler]
	notFound, notAllowed http.Handler
}

// Handle routes path under each of methods to h. A route without methods
// would, under mux, have matched any; none of ours means that, so it is
// refused as the programming error it would be.
func (hr *handlerRouter) Handle(path string, h http.Handler, methods ...string) {
	if len(methods) == 0 {
		panic(fmt.Sprintf("emulator: route %s has no methods", path))
	}
	for _, m := range methods {
		hr.routes.Handle(m, path, h)
	}
}

// HandleFunc is Handle for a function.
func (hr *handlerRouter) HandleFunc(path string, f http.HandlerFunc, methods ...string) {
	hr.Handle(path, f, methods...)
}

// ServeHTTP routes r. The matched path parameters reach the handler in the
// request's context, read with provider.Vars (as the providers' control
// routes do); a route without any adds nothing to the context.
func (hr *handlerRouter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if clean := httpx.CleanPath(r.URL.Path); clean != r.URL.Path {
		u := *r.URL
		u.Path, u.RawPath = clean, ""
		w.Header().Set("Location", u.String())
		w.WriteHeader(http.StatusMovedPermanently)
		return
	}
	var buf [maxParams]httpx.Param
	h, params, outcome := hr.routes.Match(r.Method, r.URL.Path, buf[:0])
	switch outcome {
	case httpx.NotFound:
		hr.notFound.ServeHTTP(w, r)
	case httpx.MethodNotAllowed:
		hr.notAllowed.ServeHTTP(w, r)
	default:
		if len(params) > 0 {
			// Control routes have no provider URLs of their own; a
			// provider's control route gets them from mount.withURLs.
			r = r.WithContext(provider.WithRoute(r.Context(), "", "", params.Map()))
		}
		h.ServeHTTP(w, r)
	}
}

// prefixed registers routes under a path prefix on one router (every
// route on the one list, so a wrong method answers 405 rather than 404).
type prefixed struct {
	r      *handlerRouter
	prefix string
}

func (p prefixed) HandleFunc(path string, f http.HandlerFunc, methods ...string) {
	p.r.HandleFunc(p.prefix+path, f, methods...)
}
