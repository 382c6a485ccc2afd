package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/kycemu/kycemu/emulator/internal/httpx"
	"github.com/kycemu/kycemu/emulator/internal/oas"
	"github.com/kycemu/kycemu/emulator/provider"
)

// mount is one provider wired into the emulator: its spec, its router and
// the request pipeline around its handlers.
type mount struct {
	e        *Emulator
	p        provider.Provider
	doc      *oas.Doc
	router   httpx.Router[target]
	handlers map[string]provider.Handler
	// untypedJSON: the provider reads JSON bodies sent without a JSON
	// Content-Type (provider.UntypedJSON).
	untypedJSON bool
	// root serves the provider's RootRoutes; nil without any.
	root *httpx.Router[target]
	cors httpx.CORS
	// notFound and notAllowed answer paths no route matches, and paths
	// routed under other methods only.
	notFound, notAllowed http.Handler
	// lastURLs is what urlsFor made last: requests mostly come with one
	// Host, so their URLs are reused rather than concatenated anew.
	lastURLs atomic.Pointer[publicURLs]
}

// publicURLs are a request's public root URL and the URL of the route base
// under it, for the scheme, host and base they were made of.
type publicURLs struct {
	scheme, host, base string
	root, full         string
}

// target is what a route leads to: a spec operation, run through the
// validating pipeline, or an extra route's handler.
type target struct {
	op      *oas.Operation
	handler provider.Handler
	extra   http.Handler
}

// maxParams is how many path parameters are matched without allocating,
// more than any template has (two, today).
const maxParams = 6

func newMount(e *Emulator, p provider.Provider, doc *oas.Doc) (*mount, error) {
	m := &mount{e: e, p: p, doc: doc, handlers: p.Handlers()}
	m.notFound = m.routeError(provider.NotFound("no such route"))
	m.notAllowed = m.routeError(provider.Errorf(provider.KindMethod, "method not allowed on this route"))
	if u, ok := p.(provider.UntypedJSON); ok {
		m.untypedJSON = u.UntypedJSON()
	}
	pol := provider.CORS{Methods: []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"}, ExposeHeaders: []string{"X-Request-Id", "Retry-After"}}
	if cp, ok := p.(provider.CORSPolicy); ok {
		pol = cp.CORS()
	}
	m.cors = httpx.CORS{Origins: e.cfg.corsOrigins, Methods: pol.Methods, ExposeHeaders: pol.ExposeHeaders, MaxAge: time.Hour}
	if rr, ok := p.(provider.RootRoutes); ok {
		m.root = new(httpx.Router[target])
		for _, rt := range rr.RootRoutes() {
			m.root.Handle(rt.Method, rt.Path, target{extra: m.extra(rt.Handler)})
		}
	}
	ops := doc.Operations()
	for _, op := range ops {
		if _, ok := m.handlers[op.ID]; !ok {
			return nil, fmt.Errorf("operation %q (%s %s) has no handler", op.ID, op.Method, op.Path)
		}
	}
	if x, ok := p.(provider.Extras); ok {
		for _, rt := range x.Extras() {
			m.router.Handle(rt.Method, rt.Path, target{extra: m.extra(rt.Handler)})
		}
	}
	for _, base := range doc.BasePaths() {
		for _, op := range ops {
			m.router.Handle(op.Method, base+op.Path, target{op: op, handler: m.handlers[op.ID]})
		}
	}
	return m, nil
}

// rootURL is the public URL of the emulator's root for r: --public-url, or
// the request's scheme and Host.
func (m *mount) rootURL(r *http.Request) string {
	root, _ := m.urlsFor(r, "")
	return root
}

// urlsFor returns rootURL(r) and that URL followed by base.
func (m *mount) urlsFor(r *http.Request, base string) (root, full string) {
	scheme, host := "", ""
	if m.e.cfg.publicURL == "" {
		scheme, host = "http", r.Host
		if r.TLS != nil {
			scheme = "https"
		}
		if p := r.Header.Get("X-Forwarded-Proto"); p == "https" || p == "http" {
			scheme = p
		}
	}
	if u := m.lastURLs.Load(); u != nil && u.scheme == scheme && u.host == host && u.base == base {
		return u.root, u.full
	}
	root = m.e.cfg.publicURL
	if root == "" {
		root = scheme + "://" + host
	}
	root = strings.TrimSuffix(root, "/")
	u := &publicURLs{scheme: scheme, host: host, base: base, root: root, full: root + base}
	m.lastURLs.Store(u)
	return u.root, u.full
}

// handleCORS applies the provider's CORS policy; it reports whether the
// request was a preflight, answered (or refused with 403) here.
func (m *mount) handleCORS(w http.ResponseWriter, r *http.Request) bool {
	preflight, allowed := m.cors.Handle(w, r)
	if preflight && !allowed {
		m.fail(w, r, "", provider.Errorf(provider.KindForbidden, "CORS request not allowed: this origin or method is not allowed"))
	}
	return preflight
}

// withURLs gives a control route the provider's public URLs (BaseURL,
// RootURL), as if the request had come through the mount.
func (m *mount) withURLs(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		root := m.rootURL(r)
		h.ServeHTTP(w, r.WithContext(provider.WithRoute(r.Context(), root+"/"+m.p.Name(), root, provider.Vars(r))))
	})
}

// serveRoot dispatches a request to one of the provider's RootRoutes.
func (m *mount) serveRoot(w http.ResponseWriter, r *http.Request) {
	m.dispatch(w, r, m.root, "", "")
}

// serve strips the mount prefix (empty for host routing) and dispatches.
func (m *mount) serve(w http.ResponseWriter, r *http.Request, prefix string) {
	m.dispatch(w, r, &m.router, prefix, prefix)
}

// dispatch routes r by its path less prefix and runs what it matched, with
// the provider's public URLs (root+base) and the path variables in its
// context. The provider sees the path without the prefix on a shallow copy
// of r with a URL of its own: a deep Clone per request is not needed, as
// the one change to headers down the pipeline (typeJSON) copies them first.
func (m *mount) dispatch(w http.ResponseWriter, r *http.Request, rt *httpx.Router[target], prefix, base string) {
	p := strings.TrimPrefix(r.URL.Path, prefix)
	if p == "" {
		p = "/"
	}
	var buf [maxParams]httpx.Param
	t, params, outcome := rt.Match(r.Method, p, buf[:0])
	root, full := m.urlsFor(r, base)
	vars := params.Map()
	r2 := r.WithContext(provider.WithRoute(r.Context(), full, root, vars))
	if prefix != "" {
		u := *r.URL
		u.Path = p
		if r.URL.RawPath != "" {
			u.RawPath = strings.TrimPrefix(r.URL.RawPath, prefix)
		}
		r2.URL = &u
	}
	w.Header().Set("X-Request-Id", m.e.requestID())
	if m.handleCORS(w, r2) {
		return
	}
	if clean := httpx.CleanPath(p); clean != p {
		// A path with . or .. segments or doubled slashes is redirected to
		// its canonical form, as gorilla/mux, the router before this one,
		// did; the prefix is kept, so the redirect lands on the mount.
		u := *r.URL
		u.Path, u.RawPath = prefix+clean, ""
		w.Header().Set("Location", u.String())
		w.WriteHeader(http.StatusMovedPermanently)
		return
	}
	switch {
	case outcome == httpx.NotFound:
		m.notFound.ServeHTTP(w, r2)
	case outcome == httpx.MethodNotAllowed:
		m.notAllowed.ServeHTTP(w, r2)
	case t.op != nil:
		m.operation(w, r2, t.op, t.handler, vars)
	default:
		t.extra.ServeHTTP(w, r2)
	}
}

// extra wraps an extra route: panics are contained and the request is
// journaled, but nothing is validated.
func (m *mount) extra(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := httpx.NewRecorder(w)
		defer rec.Release() // once journaled: the entry keeps masked copies, not the buffer
		body := httpx.NewCapture(r.Body, extraCapture)
		if r.Body != nil {
			r.Body = body
		}
		func() {
			defer func() {
				if v := recover(); v != nil {
					m.e.cfg.log.Error("panic in extra route", "provider", m.p.Name(), "path", r.URL.Path, "panic", v)
					rec.Reset()
					m.p.WriteError(rec, r, provider.Errorf(provider.KindInternal, "internal error"))
				}
			}()
			h.ServeHTTP(rec, r)
		}()
		rec.Flush()
		m.record(r, rec, "", "", start, nil, body.Buf.Bytes(), max(body.N, r.ContentLength), annotation{fault: rec.Header().Get(faultHeader)})
	})
}

// operation is the pipeline of one spec operation: read the body,
// authenticate, validate, run the handler, check the response, journal.
func (m *mount) operation(w http.ResponseWriter, r *http.Request, op *oas.Operation, h provider.Handler, params map[string]string) {
	start := time.Now()
	rec := httpx.NewRecorder(w)
	defer rec.Release() // once journaled: the entry keeps masked copies, not the buffer
	c := &provider.Call{W: rec, R: r, Op: op.ID, Params: params, BaseURL: provider.BaseURL(r),
		Scenario: r.Header.Get(provider.ScenarioHeader)}
	var body []byte
	perr := func() *provider.Error {
		var err error
		body, err = httpx.ReadBody(r, m.e.cfg.maxBody)
		if errors.Is(err, httpx.ErrTooLarge) {
			return provider.Errorf(provider.KindTooLarge, "request body is larger than %d bytes", m.e.cfg.maxBody)
		} else if err != nil {
			return provider.Invalid("", "request body could not be read")
		}
		c.Body = body
		if op.Secured {
			tenant, aerr := m.p.Authenticate(r)
			if aerr != nil {
				return aerr
			}
			c.Tenant = tenant
		}
		return nil
	}()
	if perr == nil && m.untypedJSON && op.JSONBody {
		typeJSON(r, body)
	}
	checked := m.doc.Request(op, r, c.Params)
	var ann annotation
	if perr == nil {
		if prob := m.doc.ValidateRequest(r.Context(), checked, body); prob != nil {
			perr = provider.Invalid(prob.Field, "%s", prob.Reason)
			if prob.Field == "" {
				perr.Message = prob.In + " " + prob.Reason
			}
			if prob.In != "body" && prob.Field != "" {
				perr.Field = prob.In + "." + prob.Field
			}
		}
	}
	if perr != nil {
		m.fail(rec, r, op.ID, perr)
	} else {
		// Scripted faults answer before the handler, so a faulted call
		// changes no stored state. Their answers are scripted, not
		// checked against the spec.
		var answered bool
		ann, answered = m.faults(w, rec, r, c)
		if answered {
			if !ann.dropped {
				rec.Flush()
			}
			m.record(r, rec, op.ID, c.Tenant, start, nil, body, int64(len(body)), ann)
			if ann.dropped {
				drop(w)
			}
			return
		}
		m.run(rec, r, c, h)
		ann.session = c.Session
	}
	if !rec.Written() {
		rec.WriteHeader(http.StatusOK)
	}
	if m.e.cfg.strictResponses {
		m.strict(rec, op.ID, m.doc.ValidateResponse(r.Context(), checked, rec.Status, rec.Header(), rec.Body.Bytes()))
	}
	rec.Flush()
	m.record(r, rec, op.ID, c.Tenant, start, perr, body, int64(len(body)), ann)
}

// routeError answers requests that match no operation (unknown path, wrong
// method) in the provider's envelope.
func (m *mount) routeError(e *provider.Error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := httpx.NewRecorder(w)
		defer rec.Release() // once journaled: the entry keeps masked copies, not the buffer
		m.fail(rec, r, "", e)
		if m.e.cfg.strictResponses {
			m.strict(rec, "", m.doc.ValidateError(rec.Body.Bytes()))
		}
		rec.Flush()
		m.record(r, rec, "", "", start, e, nil, 0, annotation{})
	})
}

// strict replaces a response that broke the spec with a 500 naming the
// break, so a test cannot miss it.
func (m *mount) strict(rec *httpx.Recorder, op string, err error) {
	if err == nil {
		return
	}
	m.e.cfg.log.Error("response breaks the spec", "provider", m.p.Name(), "operation", op, "error", err)
	rec.Reset()
	httpx.WriteJSON(rec, http.StatusInternalServerError, map[string]any{
		"kycemu": "strict response validation failed", "provider": m.p.Name(),
		"operation": op, "error": err.Error(),
	})
}

// run calls the handler, turning returned errors and panics into the
// provider's error envelope.
func (m *mount) run(rec *httpx.Recorder, r *http.Request, c *provider.Call, h provider.Handler) {
	defer func() {
		if v := recover(); v != nil {
			m.e.cfg.log.Error("panic in handler", "provider", m.p.Name(), "operation", c.Op, "panic", v)
			rec.Reset()
			m.fail(rec, r, c.Op, provider.Errorf(provider.KindInternal, "internal error"))
		}
	}()
	err := h(c)
	if err == nil {
		return
	}
	var pe *provider.Error
	if !errors.As(err, &pe) {
		m.e.cfg.log.Error("handler failed", "provider", m.p.Name(), "operation", c.Op, "error", err)
		pe = provider.Errorf(provider.KindInternal, "internal error")
	}
	if rec.Written() {
		rec.Reset()
	}
	m.fail(rec, r, c.Op, pe)
}

func (m *mount) fail(w http.ResponseWriter, r *http.Request, op string, e *provider.Error) {
	if e.Status == 0 {
		e.Status = provider.StatusOf(e.Kind)
	}
	e.CopyHeader(w)
	m.p.WriteError(w, r, e)
}

func (m *mount) record(r *http.Request, rec *httpx.Recorder, op, tenant string, start time.Time, perr *provider.Error,
	body []byte, size int64, ann annotation) {
	// One reading of the time ends the request, for its duration and its
	// access log line alike.
	end := time.Now()
	e := httpx.Entry{
		RequestID:  rec.Header().Get("X-Request-Id"),
		Time:       m.e.clock.Now(),
		Provider:   m.p.Name(),
		Tenant:     tenant,
		Operation:  op,
		Method:     r.Method,
		Path:       r.URL.Path,
		Query:      httpx.MaskQuery(r.URL.RawQuery),
		Status:     rec.Status,
		DurationMS: float64(end.Sub(start).Microseconds()) / 1000,
		Scenario:   ann.scenario,
		Fault:      ann.fault,
	}
	if perr != nil {
		e.Error = perr.Error()
	}
	m.e.capture(&e, r, rec, body, size, ann.session)
	m.e.journal.Add(e)
	m.e.metrics.request(e.Provider, op, rec.Status)
	// The access log: one line per request at info. The handler is asked
	// first whether info is on, so a quieter level (--log-level warn, or the
	// library's default discarding logger) costs no formatting at all. The
	// line is handed to the handler directly: Logger.LogAttrs would also
	// look up its caller's source position, always this function, on every
	// request, so the line carries none.
	if h := m.e.cfg.log.Handler(); h.Enabled(r.Context(), slog.LevelInfo) {
		line := slog.NewRecord(end, slog.LevelInfo, "request", 0)
		line.AddAttrs(slog.String("provider", e.Provider), slog.String("op", op), slog.String("method", r.Method),
			slog.String("path", r.URL.Path), slog.Int("status", rec.Status), slog.Float64("ms", e.DurationMS),
			slog.String("request_id", e.RequestID))
		_ = h.Handle(r.Context(), line)
	}
}

// typeJSON labels a JSON body that came without a JSON Content-Type (none,
// curl's application/x-www-form-urlencoded default, or text/plain) as
// application/json, for providers whose vendor reads it as JSON anyway.
func typeJSON(r *http.Request, body []byte) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mt {
	case "", "application/x-www-form-urlencoded", "text/plain":
	default:
		return
	}
	if len(body) > 0 && json.Valid(body) {
		// The request is the pipeline's shallow copy: its header map is
		// still the server's, so it is copied before it changes.
		r.Header = r.Header.Clone()
		r.Header.Set("Content-Type", "application/json")
	}
}
