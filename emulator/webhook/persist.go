package webhook

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kycemu/kycemu/emulator/clock"
	"github.com/kycemu/kycemu/emulator/internal/fake"
)

// Store keeps the engine's deliveries, endpoints and id streams across
// restarts; the state layer's *state.Store satisfies it. Puts are not waited
// for: an event sent inside a provider's transaction reaches the store
// before that transaction's own writes, so it is durable when the client's
// answer is.
type Store interface {
	Put(ns, key string, val []byte)
	Delete(ns, key string)
	Scan(ns string, fn func(key string, val []byte) error) error
}

// Signer signs the attempts of a provider's webhooks by tenant; the
// emulator hands the engine the providers that implement
// provider.WebhookSigner, so deliveries restored after a restart are
// signed as before.
type Signer func(tenant, secret string, body []byte, at time.Time) http.Header

// Namespaces of the engine in a Store.
const (
	nsDeliveries = "webhook-deliveries"
	nsEndpoints  = "webhook-endpoints"
	nsStreams    = "webhook-streams"
)

// stored is a delivery as kept in a Store.
type stored struct {
	Delivery
	RawBody     []byte          `json:"rawBody"`
	ExplicitURL string          `json:"explicitUrl,omitempty"`
	Schedule    []time.Duration `json:"schedule"`
	BadSig      bool            `json:"badSig,omitempty"`
	Held        bool            `json:"held,omitempty"`
}

func seqKey(seq uint64) string { return fmt.Sprintf("%020d", seq) }

func pairKey(a, b string) string { return a + "\x00" + b }

// save stores a delivery's current state; the caller holds the lock.
func (e *Engine) save(d *delivery) {
	if e.cfg.Store == nil || d.gone {
		return
	}
	s := stored{Delivery: d.view(), RawBody: d.Body, ExplicitURL: d.explicitURL, Schedule: d.schedule, BadSig: d.badSig,
		Held: d.queue != nil && d.queue.held == d}
	s.Payload = nil
	b, err := json.Marshal(s)
	if err != nil {
		e.cfg.Log.Error("webhook: a delivery could not be stored", "delivery", d.ID, "error", err)
		return
	}
	e.cfg.Store.Put(nsDeliveries, seqKey(d.Seq), b)
}

func (e *Engine) unsave(d *delivery) {
	if e.cfg.Store != nil {
		e.cfg.Store.Delete(nsDeliveries, seqKey(d.Seq))
	}
}

// saveStream stores how far a tenant's delivery-id stream has gone.
func (e *Engine) saveStream(prov, tenant string, t *tenantState) {
	if e.cfg.Store != nil {
		e.cfg.Store.Put(nsStreams, pairKey(prov, tenant), []byte(strconv.FormatUint(t.ids.Draws(), 10)))
	}
}

// Restore reads the engine's state back from its Store: endpoints, id
// streams, the journal of finished deliveries, and the deliveries still on
// their way, which resume where they stopped — a retry waits for its
// scheduled time (a time already past fires at once), an attempt that was
// in flight when the process stopped is made again (webhooks are delivered
// at least once). Call it once, before the first Send.
func (e *Engine) Restore() error {
	if e.cfg.Store == nil {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := e.cfg.Store.Scan(nsEndpoints, func(k string, v []byte) error {
		prov, tenant, _ := strings.Cut(k, "\x00")
		e.endpoints[tkey{prov, tenant}] = string(v)
		return nil
	}); err != nil {
		return fmt.Errorf("restore webhook endpoints: %w", err)
	}
	if err := e.cfg.Store.Scan(nsStreams, func(k string, v []byte) error {
		prov, tenant, _ := strings.Cut(k, "\x00")
		n, err := strconv.ParseUint(string(v), 10, 64)
		if err != nil {
			return fmt.Errorf("stream %q: %w", k, err)
		}
		t := e.tenant(prov, tenant)
		t.ids = fake.Resume(t.ids.Seed(), n)
		return nil
	}); err != nil {
		return fmt.Errorf("restore webhook ids: %w", err)
	}
	var live []*delivery
	var held []bool
	if err := e.cfg.Store.Scan(nsDeliveries, func(_ string, v []byte) error {
		var s stored
		if err := json.Unmarshal(v, &s); err != nil {
			return fmt.Errorf("decode delivery: %w", err)
		}
		d := &delivery{Delivery: s.Delivery, explicitURL: s.ExplicitURL, schedule: s.Schedule, badSig: s.BadSig}
		d.Body = s.RawBody
		d.Payload = payloadOf(d.Body)
		if d.Attempts == nil {
			d.Attempts = []Attempt{}
		}
		d.sign = e.signerFor(d.Provider, d.Tenant)
		d.elem = e.all.PushBack(d)
		e.byID[d.ID] = d
		if d.Seq > e.seq {
			e.seq = d.Seq
		}
		if d.FinishedAt != nil {
			d.finished = true
			e.finished = append(e.finished, d)
			return nil
		}
		live = append(live, d)
		held = append(held, s.Held)
		return nil
	}); err != nil {
		return fmt.Errorf("restore webhook deliveries: %w", err)
	}
	sort.SliceStable(e.finished, func(i, j int) bool { return e.finished[i].FinishedAt.Before(*e.finished[j].FinishedAt) })
	now := e.cfg.Clock.Now()
	for i, d := range live {
		e.pending++
		d.live = true
		wait := time.Duration(0)
		if d.NextAttemptAt != nil {
			wait = d.NextAttemptAt.Sub(now)
		}
		switch {
		case held[i] || d.Status == StatusDelayed:
			e.resume(d, wait, func() { e.enqueue(d) })
		case d.Status == StatusRetrying && wait > 0:
			q := e.queueFor(d)
			q.items = append(q.items, d)
			q.busy = true
			e.resume(d, wait, func() { e.makeReady(q) })
		default: // queued, delivering, or a retry already due
			e.enqueue(d)
		}
	}
	return nil
}

// after runs f once d has passed on the clock; a panic in f is logged and
// the engine goes on.
func (e *Engine) after(d time.Duration, f func()) clock.Timer {
	return e.cfg.Clock.AfterFunc(d, func() {
		defer func() {
			if v := recover(); v != nil {
				e.cfg.Log.Error("webhook: a timer panicked", "panic", v)
			}
		}()
		f()
	})
}

// resume runs f under the lock once wait has passed on the clock (at once
// when it is not positive); the caller holds the lock.
func (e *Engine) resume(d *delivery, wait time.Duration, f func()) {
	if wait <= 0 {
		f()
		return
	}
	d.timer = e.after(wait, func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		if d.gone || e.closed || d.finished {
			return
		}
		d.timer = nil
		f()
	})
}

// RegisterSigner makes s sign a provider's webhooks (Config.Signers).
func (e *Engine) RegisterSigner(prov string, s Signer) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cfg.Signers == nil {
		e.cfg.Signers = map[string]Signer{}
	}
	e.cfg.Signers[prov] = s
}

// signerFor returns how a provider's webhooks to a tenant are signed (nil
// for an unsigned provider).
func (e *Engine) signerFor(prov, tenant string) func(string, []byte, time.Time) http.Header {
	s, ok := e.cfg.Signers[prov]
	if !ok {
		return nil
	}
	return func(secret string, body []byte, at time.Time) http.Header { return s(tenant, secret, body, at) }
}

func payloadOf(body []byte) any {
	if json.Valid(body) {
		return json.RawMessage(body)
	}
	return string(body)
}
