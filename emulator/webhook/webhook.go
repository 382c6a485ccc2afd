// Package webhook is kycemu's outbound delivery engine, shared by every
// provider. Providers hand it events (provider.Event); it finds the target
// (the event's own URL, else the tenant's configured endpoint, else the
// provider-wide one, else the emulator-wide default), signs each attempt with
// the tenant's webhook secret, and delivers asynchronously: one queue per
// (provider, tenant, URL), delivered in order, the first attempt right away
// and retries with backoff scheduled on the emulator clock, so a manual clock
// fast-forwards them. Every delivery and attempt is kept in a bounded journal
// that the control API reads.
//
// Locking: the engine's mutex is never held during an HTTP call, nor while
// calling a provider's Sign function. Clock timers only take the mutex
// briefly and never wait for a delivery, so they are safe to fire from
// clock.Mock.Advance.
package webhook

import (
	"container/list"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/kycemu/kycemu/emulator/clock"
	"github.com/kycemu/kycemu/emulator/internal/fake"
	"github.com/kycemu/kycemu/emulator/provider"
)

// The engine is the emulator's provider.Webhooks.
var _ provider.Webhooks = (*Engine)(nil)

// Delivery statuses.
const (
	StatusQueued        = "queued"        // waiting for earlier events of its endpoint
	StatusDelayed       = "delayed"       // held back by a delay or reorder fault
	StatusDelivering    = "delivering"    // an attempt is in flight
	StatusRetrying      = "retrying"      // the last attempt failed; the next waits on the clock
	StatusDelivered     = "delivered"     // a 2xx answer was received
	StatusFailed        = "failed"        // every attempt failed; given up
	StatusUndeliverable = "undeliverable" // no target URL was configured
	StatusDropped       = "dropped"       // a drop fault swallowed it
	StatusDiscarded     = "discarded"     // the queue was full, or the tenant was reset
)

// DefaultSchedule returns the retry schedule used for events that bring
// none: three quick retries, 10s, 1m and 5m after the failed attempts (four
// attempts in all).
func DefaultSchedule() []time.Duration {
	return []time.Duration{10 * time.Second, time.Minute, 5 * time.Minute}
}

// Config configures an Engine. Zero fields take the documented defaults.
type Config struct {
	// Clock schedules retries and stamps attempts. Default: clock.Real.
	Clock clock.Clock
	// Rand is the root random source: webhook secrets and delivery ids are
	// derived from it per (provider, tenant). Default: seed 1.
	Rand *fake.Source
	// Log receives delivery failures at debug level. Default: discard.
	Log *slog.Logger
	// DefaultURL receives events whose tenant configured no endpoint.
	// Default: none (such events are journaled as undeliverable).
	DefaultURL string
	// Timeout bounds one attempt (wall time). Default: 10s.
	Timeout time.Duration
	// Workers is the number of concurrent HTTP attempts. Default: 8.
	Workers int
	// QueueSize caps the deliveries not yet finished (queued, delayed,
	// in flight or waiting for a retry); events beyond it are journaled as
	// discarded. Default: 10000.
	QueueSize int
	// JournalSize caps the finished deliveries kept for the control API;
	// the oldest finished ones are forgotten first. Default: 1000.
	JournalSize int
	// Client sends the requests. Default: a client with Timeout that does
	// not follow redirects.
	Client *http.Client
	// Stamp is the clock whose time signatures carry (Kulipa's signed
	// timestamp). Receivers compare a signed timestamp with their own wall
	// clock, so the default is the wall clock even when Clock is manual:
	// advancing a manual clock by hours never makes a webhook look forged.
	// Bodies and the delivery journal keep Clock's time.
	Stamp clock.Clock
	// OnAttempt, when set, is told of every attempt made (for metrics).
	// It runs under the engine's lock: it must be quick and must not call
	// the engine. Default: none.
	OnAttempt func(provider string, a Attempt)
	// OnFinish, when set, is told of every delivery that ends, with its
	// final status (delivered, failed, undeliverable, dropped, discarded),
	// under the same rules as OnAttempt. Default: none.
	OnFinish func(provider, status string)
	// Store keeps deliveries, endpoints and ids across restarts (see
	// Restore). Default: none; the engine forgets everything when closed.
	Store Store
	// Signers sign each provider's webhooks by tenant; an event of a
	// provider listed here is signed by it rather than by Event.Sign.
	Signers map[string]Signer
}

// Attempt is one HTTP try of a delivery.
type Attempt struct {
	N          int       `json:"n"`
	At         time.Time `json:"at"`
	StatusCode int       `json:"statusCode,omitempty"`
	Error      string    `json:"error,omitempty"`
	DurationMS float64   `json:"durationMs"`
	// Response holds the first bytes of the receiver's answer.
	Response string `json:"response,omitempty"`
	// Headers are the request headers the attempt sent, signature
	// headers included.
	Headers http.Header `json:"headers,omitempty"`
}

// Delivery is one event on its way to one URL, as the control API shows it.
type Delivery struct {
	ID        string `json:"id"`
	Seq       uint64 `json:"seq"`
	Provider  string `json:"provider"`
	Tenant    string `json:"tenant"`
	Event     string `json:"event"`
	SessionID string `json:"sessionId,omitempty"`
	// URL is the target; "" when none was configured.
	URL    string `json:"url"`
	Status string `json:"status"`
	// Faults lists the faults applied (delay, duplicate, reorder,
	// bad_signature, drop).
	Faults        []string   `json:"faults,omitempty"`
	RedeliveryOf  string     `json:"redeliveryOf,omitempty"`
	CreatedAt     time.Time  `json:"createdAt"`
	NextAttemptAt *time.Time `json:"nextAttemptAt,omitempty"`
	FinishedAt    *time.Time `json:"finishedAt,omitempty"`
	MaxAttempts   int        `json:"maxAttempts"`
	Attempts      []Attempt  `json:"attempts"`
	Body          []byte     `json:"-"`
	Payload       any        `json:"body"`
	Error         string     `json:"error,omitempty"`
}

// Filter selects deliveries; zero fields match everything.
type Filter struct {
	Provider  string
	Tenant    string
	SessionID string
	Event     string
	Status    string
	// Limit keeps the most recent Limit matches; 0 keeps all.
	Limit int
}

func (f Filter) match(d *delivery) bool {
	return (f.Provider == "" || f.Provider == d.Provider) &&
		(f.Tenant == "" || f.Tenant == d.Tenant) &&
		(f.SessionID == "" || f.SessionID == d.SessionID) &&
		(f.Event == "" || f.Event == d.Event) &&
		(f.Status == "" || f.Status == d.Status)
}

// Endpoint is a configured target: for one tenant of a provider, or for
// every tenant of a provider when Tenant is "".
type Endpoint struct {
	Provider string `json:"provider"`
	Tenant   string `json:"tenant,omitempty"`
	URL      string `json:"url"`
}

// ErrNotFound is returned for an unknown (or forgotten) delivery.
var ErrNotFound = errors.New("no delivery with that id")

// ErrInProgress is returned when redelivering a delivery not yet finished.
var ErrInProgress = errors.New("the delivery has not finished yet")

// ErrClosed is returned once the engine is closed.
var ErrClosed = errors.New("the webhook engine is closed")

// delivery is the engine's record of a Delivery.
type delivery struct {
	Delivery
	explicitURL string
	schedule    []time.Duration
	sign        func(secret string, body []byte, at time.Time) http.Header
	badSig      bool
	queue       *queue
	elem        *list.Element
	timer       clock.Timer
	gone        bool // forgotten by Reset or evicted from the journal
	finished    bool
	live        bool // counted in Engine.pending
}

// queue is the ordered line of deliveries to one (provider, tenant, URL).
type queue struct {
	key   qkey
	items []*delivery // items[0] is the head: in flight, waiting or next
	busy  bool        // the head is in flight, waiting for a retry or ready
	held  *delivery   // a reordered delivery waiting for the next event
}

type qkey struct{ provider, tenant, url string }

type tkey struct{ provider, tenant string }

// tenantState is what the engine derives per (provider, tenant).
type tenantState struct {
	secret string
	ids    *fake.Source
}

// Engine delivers webhooks. It implements provider.Webhooks.
type Engine struct {
	cfg    Config
	client *http.Client
	ctx    context.Context
	cancel context.CancelFunc
	start  sync.Once
	wg     sync.WaitGroup

	mu        sync.Mutex
	cond      *sync.Cond
	closed    bool
	endpoints map[tkey]string
	tenants   map[tkey]*tenantState
	queues    map[qkey]*queue
	ready     []*queue
	all       *list.List // *delivery in creation order
	byID      map[string]*delivery
	finished  []*delivery // finished deliveries, oldest first (a FIFO)
	pending   int
	seq       uint64
	counts    map[ckey]int // fault uses, for WebhookFault.Times
}

// New returns an engine. Its workers start with the first delivery.
func New(cfg Config) *Engine {
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Rand == nil {
		cfg.Rand = fake.New(1)
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Stamp == nil {
		cfg.Stamp = clock.Real{}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 8
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 10000
	}
	if cfg.JournalSize <= 0 {
		cfg.JournalSize = 1000
	}
	client := cfg.Client
	if client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = cfg.Workers // keep one connection per worker alive
		client = &http.Client{
			Transport: tr,
			Timeout:   cfg.Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &Engine{
		cfg: cfg, client: client, ctx: ctx, cancel: cancel,
		endpoints: map[tkey]string{},
		tenants:   map[tkey]*tenantState{},
		queues:    map[qkey]*queue{},
		all:       list.New(),
		byID:      map[string]*delivery{},
		counts:    map[ckey]int{},
	}
	e.cond = sync.NewCond(&e.mu)
	return e
}

// Close stops the workers, aborts attempts in flight and forgets pending
// timers. Deliveries not yet finished stay in the journal as they were. It is
// safe to call more than once.
func (e *Engine) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	for el := e.all.Front(); el != nil; el = el.Next() {
		d := el.Value.(*delivery)
		if d.timer != nil {
			d.timer.Stop()
			d.timer = nil
		}
	}
	e.cond.Broadcast()
	e.mu.Unlock()
	e.cancel()
	e.wg.Wait()
	e.client.CloseIdleConnections()
	return nil
}

// DefaultURL returns the emulator-wide default target ("" for none).
func (e *Engine) DefaultURL() string { return e.cfg.DefaultURL }

// SetEndpoint sets the target of a provider's tenant (every tenant of the
// provider when tenant is ""); an empty url removes it.
func (e *Engine) SetEndpoint(providerName, tenant, url string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	k := tkey{providerName, tenant}
	if url == "" {
		delete(e.endpoints, k)
		if e.cfg.Store != nil {
			e.cfg.Store.Delete(nsEndpoints, pairKey(providerName, tenant))
		}
		return
	}
	e.endpoints[k] = url
	if e.cfg.Store != nil {
		e.cfg.Store.Put(nsEndpoints, pairKey(providerName, tenant), []byte(url))
	}
}

// Endpoints lists the configured endpoints, optionally of one provider
// and/or tenant, sorted by provider then tenant.
func (e *Engine) Endpoints(providerName, tenant string) []Endpoint {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Endpoint, 0, len(e.endpoints))
	for k, u := range e.endpoints {
		if (providerName == "" || k.provider == providerName) && (tenant == "" || k.tenant == tenant) {
			out = append(out, Endpoint{Provider: k.provider, Tenant: k.tenant, URL: u})
		}
	}
	sortEndpoints(out)
	return out
}

// Resolve returns the URL an event of the tenant without a URL of its own
// would go to, and where it came from: "tenant", "provider", "default" or
// "" when nowhere.
func (e *Engine) Resolve(providerName, tenant string) (url, source string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.resolve(providerName, tenant, "")
}

func (e *Engine) resolve(providerName, tenant, explicit string) (string, string) {
	if explicit != "" {
		return explicit, "event"
	}
	if u, ok := e.endpoints[tkey{providerName, tenant}]; ok {
		return u, "tenant"
	}
	if u, ok := e.endpoints[tkey{providerName, ""}]; ok {
		return u, "provider"
	}
	if e.cfg.DefaultURL != "" {
		return e.cfg.DefaultURL, "default"
	}
	return "", ""
}

// Secret returns the webhook secret of a provider's tenant. It is derived
// from the emulator's seed, so a seeded run always hands out the same one.
func (e *Engine) Secret(providerName, tenant string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.tenant(providerName, tenant).secret
}

func (e *Engine) tenant(providerName, tenant string) *tenantState {
	k := tkey{providerName, tenant}
	t, ok := e.tenants[k]
	if !ok {
		r := e.cfg.Rand.Derive("webhook", providerName, tenant)
		t = &tenantState{secret: "whsec_" + r.String(fake.Alnum, 32), ids: r.Derive("delivery-ids")}
		e.tenants[k] = t
	}
	return t
}

// Reset forgets one tenant's deliveries (of every provider), or everyone's
// when tenant is "". Deliveries not yet finished are abandoned. Configured
// endpoints are configuration and survive.
func (e *Engine) Reset(tenant string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for el := e.all.Front(); el != nil; {
		next := el.Next()
		d := el.Value.(*delivery)
		if tenant == "" || d.Tenant == tenant {
			e.forget(d)
		}
		el = next
	}
	for k, q := range e.queues {
		if tenant == "" || k.tenant == tenant {
			delete(e.queues, k)
			q.items, q.held = nil, nil
		}
	}
	ready := e.ready[:0]
	for _, q := range e.ready {
		if tenant != "" && q.key.tenant != tenant {
			ready = append(ready, q)
		}
	}
	clear(e.ready[len(ready):])
	e.ready = ready
	kept := e.finished[:0]
	for _, d := range e.finished {
		if !d.gone {
			kept = append(kept, d)
		}
	}
	clear(e.finished[len(kept):])
	e.finished = kept
	for k := range e.tenants {
		if tenant == "" || k.tenant == tenant {
			delete(e.tenants, k)
			if e.cfg.Store != nil {
				e.cfg.Store.Delete(nsStreams, pairKey(k.provider, k.tenant))
			}
		}
	}
	for k := range e.counts {
		if tenant == "" || countTenant(k) == tenant {
			delete(e.counts, k)
		}
	}
}

// forget removes a delivery from the journal and stops its timer; the
// caller holds the lock.
func (e *Engine) forget(d *delivery) {
	if d.gone {
		return
	}
	d.gone = true
	if d.timer != nil {
		d.timer.Stop()
		d.timer = nil
	}
	if d.live {
		d.live = false
		e.pending--
		if e.cfg.OnFinish != nil {
			e.cfg.OnFinish(d.Provider, StatusDiscarded) // abandoned by a reset
		}
	}
	e.all.Remove(d.elem)
	delete(e.byID, d.ID)
	e.unsave(d)
}

// Deliveries lists the journaled deliveries that match f, oldest first.
// With a Limit it walks back from the newest and stops at Limit matches.
func (e *Engine) Deliveries(f Filter) []Delivery {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Delivery, 0)
	for el := e.all.Back(); el != nil; el = el.Prev() {
		if d := el.Value.(*delivery); f.match(d) {
			out = append(out, d.view())
			if f.Limit > 0 && len(out) == f.Limit {
				break
			}
		}
	}
	slices.Reverse(out)
	return out
}

// Page lists the journaled deliveries that match f (its Limit aside) in
// creation order, after the cursor (a Seq; 0 from the oldest), at most
// limit of them; next is the cursor of the following page, 0 at the end.
func (e *Engine) Page(f Filter, after uint64, limit int) (page []Delivery, next uint64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	page = make([]Delivery, 0)
	for el := e.all.Front(); el != nil; el = el.Next() {
		d := el.Value.(*delivery)
		if d.Seq <= after || !f.match(d) {
			continue
		}
		if len(page) == limit {
			return page, page[len(page)-1].Seq
		}
		page = append(page, d.view())
	}
	return page, 0
}

// Delivery returns one journaled delivery.
func (e *Engine) Delivery(id string) (Delivery, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	d, ok := e.byID[id]
	if !ok {
		return Delivery{}, false
	}
	return d.view(), true
}

// Pending returns how many deliveries have not finished yet.
func (e *Engine) Pending() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.pending
}

// view copies a delivery for callers; the caller holds the lock.
func (d *delivery) view() Delivery {
	v := d.Delivery
	v.Attempts = append([]Attempt{}, d.Attempts...)
	v.Faults = append([]string(nil), d.Faults...)
	v.Body = append([]byte(nil), d.Body...)
	return v
}
