package emulator

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kycemu/kycemu/emulator/clock"
	"github.com/kycemu/kycemu/emulator/internal/httpx"
	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/scenario"
	"github.com/kycemu/kycemu/emulator/state"
	"github.com/kycemu/kycemu/emulator/webhook"
)

// The control operations, shared by the JSON API and the console: each
// reads or changes state once and answers a value or an *opError, which
// the JSON view writes in the control envelope and the console shows as a
// message.

// opError is a control operation's refusal.
type opError struct {
	Status  int
	Code    string
	Message string
}

func (e *opError) Error() string { return e.Message }

func refuse(status int, code, msg string) *opError {
	return &opError{Status: status, Code: code, Message: msg}
}

func writeOpError(w http.ResponseWriter, err *opError) {
	writeControlError(w, err.Status, err.Code, err.Message)
}

// queryParams returns the query, refusing a parameter not in allowed.
func queryParams(r *http.Request, allowed ...string) (url.Values, *opError) {
	q := r.URL.Query()
	for k := range q {
		if !slices.Contains(allowed, k) {
			if len(allowed) == 0 {
				return nil, refuse(http.StatusBadRequest, "unknown_parameter", "unknown query parameter "+strconv.Quote(k)+"; this endpoint takes none")
			}
			return nil, refuse(http.StatusBadRequest, "unknown_parameter",
				"unknown query parameter "+strconv.Quote(k)+"; use "+strings.Join(allowed, ", "))
		}
	}
	return q, nil
}

// checkQuery writes a 400 and reports false when the query holds a
// parameter not in allowed.
func checkQuery(w http.ResponseWriter, r *http.Request, allowed ...string) bool {
	if _, err := queryParams(r, allowed...); err != nil {
		writeOpError(w, err)
		return false
	}
	return true
}

func (e *Emulator) providerKnown(name string) *opError {
	if _, ok := e.byName[name]; name != "" && !ok {
		return refuse(http.StatusNotFound, "unknown_provider", "no provider by that name")
	}
	return nil
}

// sessionPage is one page of the session list.
type sessionPage struct {
	Sessions []provider.Session
	Next     uint64
	Total    int
}

// sessions lists sessions in creation order, a page at a time.
func (e *Emulator) sessions(f state.Filter, after uint64, limit int) (sessionPage, *opError) {
	if err := e.providerKnown(f.Provider); err != nil {
		return sessionPage{}, err
	}
	out, next, total := e.store.Sessions(f, after, limit)
	return sessionPage{Sessions: out, Next: next, Total: total}, nil
}

// act forces an action on a session.
func (e *Emulator) act(id string, a provider.Action) (provider.Session, *opError) {
	if a.Name == "" {
		return provider.Session{}, refuse(http.StatusBadRequest, "invalid_body", `name the action: {"action":"approve"}`)
	}
	s, err := e.store.Act(id, a)
	if err != nil {
		var pe *provider.Error
		if errors.As(err, &pe) {
			return provider.Session{}, refuse(pe.Status, pe.CodeOr(string(pe.Kind)), pe.Message)
		}
		return provider.Session{}, refuse(http.StatusInternalServerError, "internal", "action failed")
	}
	return s, nil
}

// shiftClock advances a manual clock by a Go duration, or sets it to an
// RFC 3339 time; exactly one of the two is given.
func (e *Emulator) shiftClock(advance, set string) *opError {
	m, ok := e.clock.(*clock.Mock)
	if !ok {
		return refuse(http.StatusConflict, "clock_not_manual", "the clock follows real time; start kycemu with --clock manual to move it")
	}
	switch {
	case advance != "" && set != "":
		return refuse(http.StatusBadRequest, "invalid_body", `give either "advance" or "set", not both`)
	case advance != "":
		d, err := time.ParseDuration(strings.TrimPrefix(strings.TrimSpace(advance), "+"))
		if err != nil || d < 0 {
			return refuse(http.StatusBadRequest, "invalid_duration", `"advance" must be a non-negative Go duration such as "90s" or "1h30m"`)
		}
		_, _ = m.Advance(d)
	case set != "":
		t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(set))
		if err != nil {
			return refuse(http.StatusBadRequest, "invalid_time", `"set" must be an RFC 3339 time`)
		}
		if err := m.Set(t); err != nil {
			return refuse(http.StatusConflict, "clock_backwards", "the clock cannot move backwards")
		}
	default:
		return refuse(http.StatusBadRequest, "invalid_body", `give "advance" (a duration) or "set" (an RFC 3339 time)`)
	}
	return nil
}

// journalFilter reads the journal's filter parameters.
func journalFilter(q url.Values) (httpx.Filter, *opError) {
	f := httpx.Filter{Provider: q.Get("provider"), Tenant: q.Get("tenant"), Operation: q.Get("operation"), Session: q.Get("session")}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			return f, refuse(http.StatusBadRequest, "invalid_limit", "limit must be a positive integer")
		}
		f.Limit = n
	}
	if b := q.Get("before"); b != "" {
		n, err := strconv.ParseUint(b, 10, 64)
		if err != nil || n == 0 {
			return f, refuse(http.StatusBadRequest, "invalid_cursor", "before must be the seq of a journal entry")
		}
		f.Before = n
	}
	return f, nil
}

// journalParams are the filter parameters of the request journal.
var journalParams = []string{"provider", "tenant", "operation", "session", "before", "limit"}

// deliveryFilter reads the delivery journal's filter parameters.
func (e *Emulator) deliveryFilter(q url.Values) (webhook.Filter, *opError) {
	f := webhook.Filter{Provider: q.Get("provider"), Tenant: q.Get("tenant"), SessionID: q.Get("session"),
		Event: q.Get("event"), Status: q.Get("status")}
	if err := e.providerKnown(f.Provider); err != nil {
		return f, err
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			return f, refuse(http.StatusBadRequest, "invalid_limit", "limit must be a positive integer")
		}
		f.Limit = n
	}
	return f, nil
}

// deliveryParams are the filter parameters of the delivery journal.
var deliveryParams = []string{"provider", "tenant", "session", "event", "status", "limit"}

// redeliverOne sends a finished delivery again.
func (e *Emulator) redeliverOne(id string) (webhook.Delivery, *opError) {
	d, err := e.hooks.Redeliver(id)
	switch {
	case errors.Is(err, webhook.ErrNotFound):
		return d, refuse(http.StatusNotFound, "delivery_not_found", "no delivery with that id (the journal keeps the most recent ones)")
	case errors.Is(err, webhook.ErrInProgress):
		return d, refuse(http.StatusConflict, "delivery_in_progress", "the delivery has not finished yet; redeliver it once it is delivered or failed")
	case err != nil:
		return d, refuse(http.StatusServiceUnavailable, "closed", "the emulator is shutting down")
	}
	return d, nil
}

// storeScenarios puts the scenarios of a YAML body (when prov and name are
// given, the body must hold exactly that one); created reports that no
// API-put scenario had that name before. A body that does not load fails
// with scenario.Errors and puts nothing.
func (e *Emulator) storeScenarios(label, prov, name string, body []byte) (docs []scenario.Doc, created bool, err error) {
	created = true
	for _, en := range e.scenarios.List(prov) {
		if name != "" && en.Name == name && en.Origin == scenario.OriginAPI {
			created = false
		}
	}
	scs, err := e.scenarios.Put(label, body, prov, name)
	if err != nil {
		return nil, false, err
	}
	e.scenarioStore.put(body, scs)
	docs = make([]scenario.Doc, len(scs))
	for i, sc := range scs {
		docs[i] = scenarioDoc(scenario.Entry{Scenario: sc})
	}
	return docs, created, nil
}

// setTenantDefault makes a scenario a tenant's default for a provider.
func (e *Emulator) setTenantDefault(in scenario.Default) *opError {
	if in.Provider == "" || in.Tenant == "" || in.Scenario == "" {
		return refuse(http.StatusBadRequest, "invalid_body", `give "provider", "tenant" (the credential) and "scenario"`)
	}
	if _, ok := e.byName[in.Provider]; !ok {
		return refuse(http.StatusNotFound, "unknown_provider", "no provider by that name")
	}
	if err := e.scenarios.SetDefault(in.Provider, in.Tenant, in.Scenario); err != nil {
		return refuse(http.StatusNotFound, "scenario_not_found", "the provider has no scenario by that name")
	}
	e.scenarioStore.defaultsChanged()
	return nil
}

// problem is one thing wrong with a scenario file, as kycemu validate
// prints it (Text).
type problem struct {
	Line    int    `json:"line"`
	Col     int    `json:"col"`
	Message string `json:"message"`
	Text    string `json:"text"`
}

// problemsOf lists the problems of a scenario load error.
func problemsOf(err error) []problem {
	var es scenario.Errors
	if !errors.As(err, &es) {
		return []problem{{Line: 1, Col: 1, Message: err.Error(), Text: err.Error()}}
	}
	out := make([]problem, len(es))
	for i, p := range es {
		out[i] = problem{Line: p.Line, Col: p.Col, Message: p.Msg, Text: p.Error()}
	}
	return out
}

// validation is the result of checking a scenario file without putting it.
type validation struct {
	Valid     bool           `json:"valid"`
	Scenarios []scenario.Doc `json:"scenarios"`
	Problems  []problem      `json:"problems"`
}

// validateScenarios checks a YAML body as kycemu validate checks a file
// named file, against this emulator's providers; nothing is put.
func (e *Emulator) validateScenarios(file string, body []byte) validation {
	out := validation{Scenarios: []scenario.Doc{}, Problems: []problem{}}
	scs, err := scenario.Load(file, body, e.scenarios.Catalog())
	if err != nil {
		out.Problems = problemsOf(err)
		return out
	}
	out.Valid = true
	for _, sc := range scs {
		out.Scenarios = append(out.Scenarios, sc.Doc())
	}
	return out
}
