package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kycemu/kycemu/emulator/clock"
	"github.com/kycemu/kycemu/emulator/internal/httpx"
	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
)

// The control API is kycemu's own: JSON in, JSON out, errors as
// {"error":{"code":"...","message":"..."}}.

func writeControlError(w http.ResponseWriter, status int, code, msg string) {
	httpx.WriteJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

func (e *Emulator) controlRoutes() http.Handler { return e.recoverControl(e.controlRouter()) }

// controlRouter routes every control endpoint (a test checks its routes
// against specs/control/openapi.yaml).
func (e *Emulator) controlRouter() *handlerRouter {
	r := &handlerRouter{
		notFound: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			writeControlError(w, http.StatusNotFound, "not_found", "no such control endpoint")
		}),
		notAllowed: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			writeControlError(w, http.StatusMethodNotAllowed, "method_not_allowed", "method not allowed on this control endpoint")
		}),
	}
	c := prefixed{r, "/_emulator"}
	c.HandleFunc("/health", e.health, http.MethodGet, http.MethodHead)
	c.HandleFunc("/providers", e.listProviders, http.MethodGet)
	c.HandleFunc("/reset", e.reset, http.MethodPost)
	c.HandleFunc("/sessions", e.listSessions, http.MethodGet)
	c.HandleFunc("/sessions/{id}", e.getSession, http.MethodGet)
	c.HandleFunc("/sessions/{id}/actions", e.actOnSession, http.MethodPost)
	c.HandleFunc("/sessions/{id}/{action}", e.actOnSession, http.MethodPost)
	c.HandleFunc("/clock", e.getClock, http.MethodGet)
	c.HandleFunc("/clock", e.moveClock, http.MethodPost)
	c.HandleFunc("/requests", e.listRequests, http.MethodGet)
	c.HandleFunc("/requests", e.clearRequests, http.MethodDelete)
	c.HandleFunc("/specs", e.listSpecs, http.MethodGet)
	c.HandleFunc("/specs/control", e.getControlSpec, http.MethodGet)
	c.HandleFunc("/specs/{provider}", e.getSpec, http.MethodGet)
	e.scenarioRoutes(c)
	e.webhookRoutes(c)
	e.metricsRoutes(c)
	for _, m := range e.mounts {
		if pc, ok := m.p.(provider.Controls); ok {
			for _, rt := range pc.Controls() {
				r.Handle("/_emulator/providers/"+m.p.Name()+rt.Path, m.withURLs(rt.Handler), rt.Method)
			}
		}
	}
	e.serveControlIndex(r) // last: it lists the routes above
	return r
}

// recoverControl contains a panic in a control handler: it is logged and
// journaled, the client gets a 500 in the control envelope, and the process
// stays up.
func (e *Emulator) recoverControl(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httpx.NewRecorder(w)
		start := time.Now()
		defer func() {
			v := recover()
			if v == nil {
				rec.Flush()
				return
			}
			e.cfg.log.Error("panic in control handler", "path", r.URL.Path, "panic", v)
			rec.Reset()
			writeControlError(rec, http.StatusInternalServerError, "internal", "the control endpoint failed; the emulator keeps running")
			rec.Flush()
			e.journal.Add(httpx.Entry{Time: e.clock.Now(), Operation: "control", Method: r.Method, Path: r.URL.Path,
				Query: r.URL.RawQuery, Status: http.StatusInternalServerError,
				DurationMS: float64(time.Since(start).Microseconds()) / 1000, Error: fmt.Sprintf("panic: %v", v)})
		}()
		h.ServeHTTP(rec, r)
	})
}

func (e *Emulator) health(w http.ResponseWriter, _ *http.Request) {
	httpx.WriteJSON(w, http.StatusOK, map[string]any{
		"status":        "ok",
		"version":       Version(),
		"providers":     e.Providers(),
		"clock":         e.clockView(),
		"uptimeSeconds": e.clock.Now().Sub(e.started).Seconds(),
		"seed":          e.cfg.seed,
	})
}

func (e *Emulator) listProviders(w http.ResponseWriter, _ *http.Request) {
	type op struct {
		ID     string `json:"operationId"`
		Method string `json:"method"`
		Path   string `json:"path"`
	}
	type entry struct {
		Name       string   `json:"name"`
		Title      string   `json:"title"`
		Version    string   `json:"specVersion"`
		Mount      string   `json:"mount"`
		BasePaths  []string `json:"basePaths"`
		Hosts      []string `json:"hosts"`
		Operations []op     `json:"operations"`
		machinery
	}
	out := make([]entry, 0, len(e.mounts))
	for _, m := range e.mounts {
		en := entry{Name: m.p.Name(), Title: m.doc.Title(), Version: m.doc.Version(), Mount: "/" + m.p.Name(),
			BasePaths: m.doc.BasePaths(), Hosts: append([]string{}, m.p.Hosts()...), Operations: []op{}, machinery: m.machinery()}
		for _, o := range m.doc.Operations() {
			en.Operations = append(en.Operations, op{o.ID, o.Method, o.Path})
		}
		out = append(out, en)
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"providers": out})
}

// decodeControl reads an optional JSON body into v.
func decodeControl(w http.ResponseWriter, r *http.Request, v any) bool {
	b, err := httpx.ReadBody(r, 1<<20)
	if errors.Is(err, httpx.ErrTooLarge) {
		writeControlError(w, http.StatusRequestEntityTooLarge, "too_large", "a control request body is at most 1 MiB")
		return false
	}
	if err != nil {
		writeControlError(w, http.StatusBadRequest, "invalid_body", "body could not be read")
		return false
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return true
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeControlError(w, http.StatusBadRequest, "invalid_body", "body must be a JSON object with the documented fields")
		return false
	}
	return true
}

func (e *Emulator) reset(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Tenant string `json:"tenant"`
	}
	if !checkQuery(w, r, "tenant") || !decodeControl(w, r, &in) {
		return
	}
	if t := r.URL.Query().Get("tenant"); t != "" {
		in.Tenant = t
	}
	e.Reset(in.Tenant)
	scope := "all"
	if in.Tenant != "" {
		scope = "tenant"
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"reset": scope, "tenant": in.Tenant})
}

// maxPage caps the page size of control lists.
const maxPage = 1000

// pageParams reads ?limit= (default 100, at most 1000) and ?after= (the
// cursor a previous page answered as "next"), refusing any parameter not in
// allowed.
func pageParams(w http.ResponseWriter, r *http.Request, allowed ...string) (after uint64, limit int, ok bool) {
	q, qerr := queryParams(r, append(allowed, "limit", "after")...)
	if qerr != nil {
		writeOpError(w, qerr)
		return 0, 0, false
	}
	limit = 100
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > maxPage {
			writeControlError(w, http.StatusBadRequest, "invalid_limit", "limit must be an integer from 1 to 1000")
			return 0, 0, false
		}
		limit = n
	}
	if a := q.Get("after"); a != "" {
		n, err := strconv.ParseUint(a, 10, 64)
		if err != nil {
			writeControlError(w, http.StatusBadRequest, "invalid_cursor", `after must be the "next" value of the previous page`)
			return 0, 0, false
		}
		after = n
	}
	return after, limit, true
}

func (e *Emulator) listSessions(w http.ResponseWriter, r *http.Request) {
	after, limit, ok := pageParams(w, r, "provider", "tenant", "status", "kind")
	if !ok {
		return
	}
	q := r.URL.Query()
	f := state.Filter{Provider: q.Get("provider"), Tenant: q.Get("tenant"), Status: q.Get("status"), Kind: q.Get("kind")}
	page, err := e.sessions(f, after, limit)
	if err != nil {
		writeOpError(w, err)
		return
	}
	body := map[string]any{"sessions": page.Sessions, "total": page.Total}
	if page.Next != 0 {
		body["next"] = strconv.FormatUint(page.Next, 10)
	}
	httpx.WriteJSON(w, http.StatusOK, body)
}

func (e *Emulator) getSession(w http.ResponseWriter, r *http.Request) {
	s, ok := e.store.Session(provider.Vars(r)["id"])
	if !ok {
		writeControlError(w, http.StatusNotFound, "session_not_found", "no session with that id")
		return
	}
	httpx.WriteJSON(w, http.StatusOK, s)
}

func (e *Emulator) actOnSession(w http.ResponseWriter, r *http.Request) {
	vars := provider.Vars(r)
	if _, ok := e.store.Session(vars["id"]); !ok {
		writeControlError(w, http.StatusNotFound, "session_not_found", "no session with that id")
		return
	}
	var a provider.Action
	if !decodeControl(w, r, &a) {
		return
	}
	if name := vars["action"]; name != "" {
		a.Name = name
	}
	s, err := e.act(vars["id"], a)
	if err != nil {
		writeOpError(w, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, s)
}

func (e *Emulator) clockView() map[string]any {
	mode := "real"
	if e.clock.Manual() {
		mode = "manual"
	}
	v := map[string]any{"mode": mode, "now": e.clock.Now().Format(time.RFC3339Nano)}
	if m, ok := e.clock.(*clock.Mock); ok {
		v["pendingTimers"] = m.Pending()
	}
	return v
}

func (e *Emulator) getClock(w http.ResponseWriter, _ *http.Request) {
	httpx.WriteJSON(w, http.StatusOK, e.clockView())
}

func (e *Emulator) moveClock(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Advance string `json:"advance"`
		Set     string `json:"set"`
	}
	if !decodeControl(w, r, &in) {
		return
	}
	if err := e.shiftClock(in.Advance, in.Set); err != nil {
		writeOpError(w, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, e.clockView())
}

func (e *Emulator) listRequests(w http.ResponseWriter, r *http.Request) {
	q, err := queryParams(r, journalParams...)
	if err != nil {
		writeOpError(w, err)
		return
	}
	f, err := journalFilter(q)
	if err != nil {
		writeOpError(w, err)
		return
	}
	entries := e.journal.List(f)
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"requests": entries, "total": len(entries)})
}

func (e *Emulator) clearRequests(w http.ResponseWriter, r *http.Request) {
	if !checkQuery(w, r, "tenant") {
		return
	}
	e.journal.Clear(r.URL.Query().Get("tenant"))
	w.WriteHeader(http.StatusNoContent)
}

func (e *Emulator) listSpecs(w http.ResponseWriter, _ *http.Request) {
	out := map[string]string{}
	for _, m := range e.mounts {
		out[m.p.Name()] = "/_emulator/specs/" + m.p.Name()
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"specs": out})
}

func (e *Emulator) getSpec(w http.ResponseWriter, r *http.Request) {
	if !checkQuery(w, r, "format") {
		return
	}
	m, ok := e.byName[provider.Vars(r)["provider"]]
	if !ok {
		writeControlError(w, http.StatusNotFound, "unknown_provider", "no provider by that name")
		return
	}
	raw := m.doc.Raw()
	if wantsJSON(r) {
		j, err := m.doc.JSON()
		if err != nil {
			writeControlError(w, http.StatusInternalServerError, "internal", "spec could not be converted")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(j)
		return
	}
	w.Header().Set("Content-Type", "application/yaml")
	_, _ = w.Write(raw)
}
