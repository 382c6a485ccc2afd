package webhook

import (
	"net/http"
	"path"
	"sort"
	"time"

	"github.com/kycemu/kycemu/emulator/provider"
)

// Fault defaults.
const (
	// DefaultFaultDelay is how long a delay fault without a Delay holds an
	// event back.
	DefaultFaultDelay = 30 * time.Second
	// DefaultReorderWait is how long a reordered event waits for the next
	// event of its endpoint before it goes anyway (when the fault gives no
	// Delay).
	DefaultReorderWait = time.Minute
)

// applied is what an event's faults do to its delivery.
type applied struct {
	drop, duplicate, badSig, reorder bool
	delay, hold                      time.Duration
	names                            []string
}

// ckey counts the uses of one fault of one session, for WebhookFault.Times.
type ckey struct {
	provider, tenant, session string
	index                     int
}

func countTenant(k ckey) string { return k.tenant }

// faults works out which of the event's faults apply; the caller holds the
// lock.
func (e *Engine) faults(ev provider.Event) applied {
	var a applied
	for i, f := range ev.Faults {
		if f.Event != "" {
			if ok, err := path.Match(f.Event, ev.Name); err != nil || !ok {
				continue
			}
		}
		if f.Times > 0 {
			k := ckey{ev.Provider, ev.Tenant, ev.SessionID, i}
			if e.counts[k] >= f.Times {
				continue
			}
			e.counts[k]++
		}
		switch f.Kind {
		case "drop":
			a.drop = true
		case "duplicate":
			a.duplicate = true
		case "bad_signature":
			a.badSig = true
		case "delay":
			d := f.Delay
			if d <= 0 {
				d = DefaultFaultDelay
			}
			a.delay += d
		case "reorder":
			a.reorder = true
			a.hold = f.Delay
			if a.hold <= 0 {
				a.hold = DefaultReorderWait
			}
		default:
			continue
		}
		a.names = append(a.names, f.Kind)
	}
	return a
}

// Send accepts an event for delivery and returns at once: the network is
// only touched by the engine's workers. Events of a closed engine are
// ignored.
func (e *Engine) Send(ev provider.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return
	}
	a := e.faults(ev)
	sign := ev.Sign
	if s := e.signerFor(ev.Provider, ev.Tenant); s != nil {
		sign = s
	}
	d := e.newDelivery(ev.Provider, ev.Tenant, ev.Name, ev.SessionID, ev.URL, ev.Body, sign, ev.Retry)
	d.Faults, d.badSig = a.names, a.badSig
	e.admit(d, a)
	if a.duplicate && d.live {
		c := e.newDelivery(ev.Provider, ev.Tenant, ev.Name, ev.SessionID, ev.URL, ev.Body, sign, ev.Retry)
		c.Faults, c.badSig = a.names, a.badSig
		e.admit(c, a)
	}
}

// Redeliver sends a finished delivery's event again, as a new delivery
// (without the original's faults) to the target that applies now: the
// event's own URL, else the tenant's current endpoint.
func (e *Engine) Redeliver(id string) (Delivery, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return Delivery{}, ErrClosed
	}
	d, ok := e.byID[id]
	if !ok {
		return Delivery{}, ErrNotFound
	}
	if !d.finished {
		return Delivery{}, ErrInProgress
	}
	n := e.newDelivery(d.Provider, d.Tenant, d.Event, d.SessionID, d.explicitURL, d.Body, d.sign, d.schedule)
	n.RedeliveryOf = d.ID
	e.admit(n, applied{})
	return n.view(), nil
}

// newDelivery journals a new delivery; the caller holds the lock.
func (e *Engine) newDelivery(prov, tenant, name, session, explicit string, body []byte,
	sign func(string, []byte, time.Time) http.Header, retry []time.Duration) *delivery {
	t := e.tenant(prov, tenant)
	if retry == nil {
		retry = DefaultSchedule()
	}
	e.seq++
	d := &delivery{
		Delivery: Delivery{
			ID: t.ids.UUID(), Seq: e.seq, Provider: prov, Tenant: tenant, Event: name, SessionID: session,
			CreatedAt: e.cfg.Clock.Now(), MaxAttempts: len(retry) + 1, Attempts: []Attempt{}, Body: body,
		},
		explicitURL: explicit, sign: sign, schedule: retry,
	}
	d.Payload = payloadOf(body)
	d.URL, _ = e.resolve(prov, tenant, explicit)
	d.elem = e.all.PushBack(d)
	e.byID[d.ID] = d
	e.saveStream(prov, tenant, t)
	return d
}

// admit puts a new delivery on its way, or finishes it at once when it
// cannot go; the caller holds the lock.
func (e *Engine) admit(d *delivery, a applied) {
	switch {
	case a.drop:
		e.finish(d, StatusDropped, "dropped by a fault of the session's scenario")
		return
	case d.URL == "":
		e.finish(d, StatusUndeliverable, "no webhook URL is configured for this tenant")
		return
	case e.pending >= e.cfg.QueueSize:
		e.finish(d, StatusDiscarded, "the delivery queue is full")
		return
	}
	e.pending++
	d.live = true
	switch {
	case a.delay > 0:
		d.Status = StatusDelayed
		due := e.cfg.Clock.Now().Add(a.delay)
		d.NextAttemptAt = &due
		d.timer = e.after(a.delay, func() {
			e.mu.Lock()
			defer e.mu.Unlock()
			if d.gone || e.closed || d.finished {
				return
			}
			d.timer = nil
			e.enqueue(d)
		})
	case a.reorder:
		e.hold(d, a.hold)
	default:
		e.enqueue(d)
	}
	e.save(d)
}

func (e *Engine) queueFor(d *delivery) *queue {
	k := qkey{d.Provider, d.Tenant, d.URL}
	q, ok := e.queues[k]
	if !ok {
		q = &queue{key: k}
		e.queues[k] = q
	}
	d.queue = q
	return q
}

// enqueue appends a delivery to its endpoint's line, letting a reordered
// delivery held there follow it; the caller holds the lock.
func (e *Engine) enqueue(d *delivery) {
	q := e.queueFor(d)
	d.Status, d.NextAttemptAt = StatusQueued, nil
	q.items = append(q.items, d)
	if h := q.held; h != nil && h != d {
		q.held = nil
		if h.timer != nil {
			h.timer.Stop()
			h.timer = nil
		}
		h.Status = StatusQueued
		q.items = append(q.items, h)
		e.save(h)
	}
	if !q.busy {
		q.busy = true
		e.makeReady(q)
	}
	e.save(d)
}

// hold keeps a reordered delivery back until the next event of its
// endpoint is enqueued, or until wait has passed on the clock.
func (e *Engine) hold(d *delivery, wait time.Duration) {
	q := e.queueFor(d)
	if prev := q.held; prev != nil {
		// Two reordered events in a row: the first goes now.
		q.held = nil
		if prev.timer != nil {
			prev.timer.Stop()
			prev.timer = nil
		}
		e.enqueue(prev)
	}
	q.held = d
	d.Status = StatusDelayed
	due := e.cfg.Clock.Now().Add(wait)
	d.NextAttemptAt = &due
	d.timer = e.after(wait, func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		if d.gone || e.closed || q.held != d {
			return
		}
		q.held, d.timer = nil, nil
		e.enqueue(d)
	})
}

// finish closes a delivery and keeps the journal within its bound; the
// caller holds the lock.
func (e *Engine) finish(d *delivery, status, msg string) {
	now := e.cfg.Clock.Now()
	d.Status, d.Error, d.finished = status, msg, true
	d.FinishedAt, d.NextAttemptAt = &now, nil
	if e.cfg.OnFinish != nil {
		e.cfg.OnFinish(d.Provider, status)
	}
	if d.live {
		d.live = false
		e.pending--
	}
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
	e.finished = append(e.finished, d)
	e.save(d)
	for len(e.finished) > e.cfg.JournalSize {
		old := e.finished[0]
		e.finished[0] = nil
		e.finished = e.finished[1:]
		e.forget(old)
	}
}

func sortEndpoints(eps []Endpoint) {
	sort.Slice(eps, func(i, j int) bool {
		if eps[i].Provider != eps[j].Provider {
			return eps[i].Provider < eps[j].Provider
		}
		return eps[i].Tenant < eps[j].Tenant
	})
}
