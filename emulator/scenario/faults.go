package scenario

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kycemu/kycemu/emulator/internal/fake"
	"github.com/kycemu/kycemu/emulator/provider"
)

// counterKey scopes a fault's counts: per scenario definition (a put or a
// reload starts afresh), per tenant, per fault.
type counterKey struct {
	sc     *Scenario
	tenant string
	fault  int
}

// counter counts the calls a fault has seen and how often it fired; for a
// rate limit, the calls of the current window.
type counter struct {
	mu     sync.Mutex
	calls  int
	fired  int
	rand   *fake.Source
	window time.Time
	inWin  int
}

// hit counts one matching call and reports whether the trigger fires.
// The caller holds c.mu.
func (c *counter) hit(t Trigger) bool {
	c.calls++
	if c.calls <= t.Skip {
		return false
	}
	if t.Times > 0 && c.fired >= t.Times {
		return false
	}
	n := c.calls - t.Skip
	switch {
	case t.Every > 0:
		if n%t.Every != 0 {
			return false
		}
	case t.Probability > 0 && t.Probability < 1:
		if c.rand.Float64() >= t.Probability {
			return false
		}
	}
	c.fired++
	return true
}

// Fire is what the scripted faults do to one call.
type Fire struct {
	// Scenario is the scenario whose faults applied.
	Scenario string
	// Latency holds the call back (real time, already capped).
	Latency time.Duration
	// Drop closes the connection without an answer (after Latency).
	Drop bool
	// Answer replaces the handler's answer; nil lets the handler run
	// (after Latency).
	Answer *Answer
	// Notes describe what happened, for the journal.
	Notes []string
}

// Answer is a scripted answer to a call.
type Answer struct {
	Status int
	// Code and Message fill the provider's error envelope when Body is
	// nil.
	Code    string
	Message string
	// Body, when not nil, is sent as is under ContentType.
	Body        []byte
	ContentType string
	Header      http.Header
}

// Note joins the notes for the journal.
func (f *Fire) Note() string { return strings.Join(f.Notes, "; ") }

// CallFault decides the faults of one call to an operation. The scenario
// whose faults apply is the session's (the scenario of the session the call
// touches), else the one the X-Kycemu-Scenario header names, else the
// tenant's default. It returns the scenario's name ("" when none applies)
// and nil when no fault fires.
func (e *Engine) CallFault(prov, op, tenant, session, header string) (string, *Fire) {
	e.rlock(prov)
	name := session
	if name == "" {
		name = header
	}
	if name == "" {
		name = e.defaults[tenantKey{prov, tenant}]
	}
	var sc *Scenario
	if name != "" {
		sc = e.lookup(prov, name)
	}
	e.mu.RUnlock()
	if sc == nil {
		return "", nil
	}
	if len(sc.Faults) == 0 {
		return name, nil
	}
	var f *Fire
	fire := func() *Fire {
		if f == nil {
			f = &Fire{Scenario: sc.Name}
		}
		return f
	}
	for i := range sc.Faults {
		ft := &sc.Faults[i]
		if len(ft.Operations) > 0 && !contains(ft.Operations, op) {
			continue
		}
		c := e.counter(counterKey{sc, tenant, i})
		c.mu.Lock()
		if ft.RateLimit != nil {
			over, wait := c.limit(e.clock.Now(), ft.RateLimit)
			c.mu.Unlock()
			if over {
				fr := fire()
				fr.Latency += ft.Latency
				fr.Notes = append(fr.Notes, fmt.Sprintf("faults[%d]: rate limit %d per %s exceeded", i, ft.RateLimit.Requests, formatDuration(ft.RateLimit.Per)))
				if fr.Answer == nil && !fr.Drop {
					fr.Answer = answer(ft.Respond, http.StatusTooManyRequests, wait)
				}
			}
			continue
		}
		hit := c.hit(ft.Trigger)
		c.mu.Unlock()
		if !hit {
			continue
		}
		fr := fire()
		fr.Latency += ft.Latency
		var what []string
		if ft.Latency > 0 {
			what = append(what, "latency "+formatDuration(ft.Latency))
		}
		switch {
		case fr.Answer != nil || fr.Drop:
		case ft.Drop:
			fr.Drop = true
			what = append(what, "drop")
		case ft.Respond != nil:
			fr.Answer = answer(ft.Respond, ft.Respond.Status, 0)
			what = append(what, "respond "+strconv.Itoa(fr.Answer.Status))
		}
		fr.Notes = append(fr.Notes, fmt.Sprintf("faults[%d]: %s", i, strings.Join(what, ", ")))
	}
	if f != nil && f.Latency > e.maxLatency {
		f.Notes = append(f.Notes, "latency capped at "+formatDuration(e.maxLatency))
		f.Latency = e.maxLatency
	}
	return sc.Name, f
}

// limit counts a call against a rate limit and reports whether it is over,
// with how long until the window ends. The caller holds c.mu.
func (c *counter) limit(now time.Time, rl *RateLimit) (bool, time.Duration) {
	if c.window.IsZero() || !now.Before(c.window.Add(rl.Per)) {
		c.window, c.inWin = now, 0
	}
	c.inWin++
	if c.inWin <= rl.Requests {
		return false, 0
	}
	return true, c.window.Add(rl.Per).Sub(now)
}

func (e *Engine) counter(k counterKey) *counter {
	e.fmu.Lock()
	defer e.fmu.Unlock()
	c, ok := e.counters[k]
	if !ok {
		c = &counter{rand: e.rand.Derive("scenario-faults", k.sc.Provider, k.tenant, k.sc.Name, strconv.Itoa(k.fault))}
		e.counters[k] = c
	}
	return c
}

// answer renders a scripted answer. status is used when r is nil or for
// a rate limit's default; retry is the computed Retry-After of a rate
// limit (0: none computed).
func answer(r *Respond, status int, retry time.Duration) *Answer {
	a := &Answer{Status: status, Header: http.Header{}}
	if r != nil {
		a.Status = r.Status
		a.Code, a.Message = r.Code, r.Message
		for k, v := range r.Headers {
			a.Header.Set(k, v)
		}
		if r.RetryAfter > 0 {
			retry = r.RetryAfter
		}
		if r.HasBody {
			switch b := r.Body.(type) {
			case string:
				a.Body, a.ContentType = []byte(b), "text/plain; charset=utf-8"
			default:
				a.Body, _ = json.Marshal(b)
				a.ContentType = "application/json"
			}
			if ct := a.Header.Get("Content-Type"); ct != "" {
				a.ContentType = ct
			}
		}
	}
	if retry <= 0 && a.Status == http.StatusTooManyRequests && a.Header.Get("Retry-After") == "" {
		retry = time.Second
	}
	if retry > 0 && a.Header.Get("Retry-After") == "" {
		a.Header.Set("Retry-After", strconv.FormatInt(int64(math.Ceil(retry.Seconds())), 10))
	}
	if a.Message == "" {
		a.Message = defaultMessage(a.Status)
	}
	return a
}

func defaultMessage(status int) string {
	switch status {
	case http.StatusTooManyRequests:
		return "too many requests; retry later"
	case http.StatusServiceUnavailable:
		return "service temporarily unavailable; retry later"
	case http.StatusInternalServerError:
		return "internal server error"
	case http.StatusBadGateway:
		return "bad gateway"
	case http.StatusGatewayTimeout:
		return "gateway timeout"
	}
	if t := http.StatusText(status); t != "" {
		return strings.ToLower(t)
	}
	return "request failed"
}

// Error renders a scripted answer without a body as a provider error, for
// the provider's WriteError.
func (a *Answer) Error() *provider.Error {
	return &provider.Error{Status: a.Status, Kind: provider.KindOf(a.Status), Code: a.Code, Message: a.Message, Header: a.Header}
}

// uploadFaults is one session's upload faults with their own counts.
type uploadFaults struct {
	faults   []UploadFault
	max      time.Duration
	mu       sync.Mutex
	counters []counter
	rand     *fake.Source
}

// Upload decides the fault of one upload of slot: every fault whose slot
// glob fits counts it, and the first (in file order) that fires decides.
func (u *uploadFaults) Upload(slot string) *provider.UploadFault {
	u.mu.Lock()
	defer u.mu.Unlock()
	var out *provider.UploadFault
	for i := range u.faults {
		f := &u.faults[i]
		if f.Slot != "" && !glob(f.Slot, slot) {
			continue
		}
		c := &u.counters[i]
		c.rand = u.rand
		// Every matching fault counts the upload; the first that fires
		// decides it.
		if c.hit(f.Trigger) && out == nil {
			out = &provider.UploadFault{Kind: f.Kind, Latency: min(f.Latency, u.max)}
		}
	}
	return out
}
