// Package emulator is kycemu's public facade: it builds every emulated KYC
// provider, routes requests to them by mount prefix (/notus, /gu1, ...) or by
// the vendor's real Host, validates each request against the provider's
// OpenAPI document, and serves the control API under /_emulator/.
package emulator

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kycemu/kycemu/emulator/clock"
	"github.com/kycemu/kycemu/emulator/internal/fake"
	"github.com/kycemu/kycemu/emulator/internal/httpx"
	"github.com/kycemu/kycemu/emulator/internal/oas"
	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/scenario"
	"github.com/kycemu/kycemu/emulator/state"
	"github.com/kycemu/kycemu/emulator/state/boltstore"
	"github.com/kycemu/kycemu/emulator/webhook"
)

// Emulator serves every provider and the control API. It is an
// http.Handler; the zero value is not usable, call New.
type Emulator struct {
	cfg     config
	clock   clock.Clock
	rand    *fake.Source
	journal *httpx.Journal
	mounts  []*mount
	byName  map[string]*mount
	byHost  map[string]*mount
	byRoot  map[string]*mount // first path segment of a RootRoute -> its provider
	control http.Handler
	console http.Handler
	started time.Time
	reqIDs  *fake.Source
	hooks   *webhook.Engine
	metrics *metrics

	scenarios *scenario.Engine
	store     *state.Store
	// scenarioStore keeps scenarios and defaults set through the control
	// API in the data directory.
	scenarioStore scenarioStore
	stopWatch     func()
	closeOnce     sync.Once
	closeErr      error
}

// New builds an emulator with every built-in provider.
func New(opts ...Option) (*Emulator, error) {
	cfg := defaults()
	for _, o := range opts {
		o(&cfg)
	}
	backend, err := openBackend(&cfg)
	if err != nil {
		return nil, err
	}
	if !cfg.seedSet {
		var b [8]byte
		_, _ = rand.Read(b[:])
		cfg.seed = int64(binary.BigEndian.Uint64(b[:]) &^ (1 << 63))
	}
	e := &Emulator{
		cfg:     cfg,
		clock:   cfg.clock,
		rand:    fake.New(cfg.seed),
		journal: httpx.NewJournal(cfg.journalSize),
		byName:  map[string]*mount{},
		byHost:  map[string]*mount{},
		byRoot:  map[string]*mount{},
	}
	e.reqIDs = e.rand.Derive("request-ids")
	e.started = e.clock.Now()
	e.metrics = newMetrics(e)
	wcfg := webhook.Config{Clock: e.clock, Rand: e.rand, Log: cfg.log, DefaultURL: cfg.webhookURL,
		OnAttempt: e.metrics.attempt, OnFinish: e.metrics.finish}
	e.scenarios = scenario.NewEngine(scenario.Config{Clock: e.clock, Rand: e.rand, Log: cfg.log, MaxLatency: cfg.maxLatency})
	e.store = state.New(state.Config{Clock: e.clock, Rand: e.rand, Log: cfg.log, Backend: backend, Limits: cfg.limits,
		RestorePlan: func(prov, _, tenant string, p *provider.Plan) { e.scenarios.RestorePlan(prov, tenant, p) }})
	if e.store.Durable() {
		wcfg.Store = e.store
	}
	e.hooks = webhook.New(wcfg)
	env := provider.Env{
		Clock:     e.clock,
		Rand:      e.rand,
		Log:       cfg.log,
		Webhooks:  e.hooks,
		Scenarios: e.scenarios,
	}
	for _, p := range builtins(env, e.store) {
		// An embedded document comes back at once, from its outline; its
		// parse is left to the first request that needs it.
		doc, err := e.loadDoc(p.Spec())
		if err != nil {
			_ = e.Close()
			return nil, fmt.Errorf("mount %s: load %s spec: %w", p.Name(), p.Name(), err)
		}
		if err := e.add(p, doc); err != nil {
			_ = e.Close()
			return nil, err
		}
		if s, ok := p.(provider.WebhookSigner); ok {
			e.hooks.RegisterSigner(p.Name(), s.SignWebhook)
		}
	}
	if err := e.startScenarios(); err != nil {
		_ = e.Close()
		return nil, err
	}
	if err := e.restore(); err != nil {
		_ = e.Close()
		return nil, err
	}
	e.control = e.controlRoutes()
	e.console = e.recoverControl(e.lazyConsole())
	return e, nil
}

// add mounts a provider.
func (e *Emulator) add(p provider.Provider, doc *oas.Doc) error {
	m, err := newMount(e, p, doc)
	if err != nil {
		return fmt.Errorf("mount %s: %w", p.Name(), err)
	}
	if rr, ok := p.(provider.RootRoutes); ok {
		for _, rt := range rr.RootRoutes() {
			seg, _, _ := strings.Cut(strings.TrimPrefix(rt.Path, "/"), "/")
			if other, taken := e.byRoot[seg]; (taken && other.p.Name() != p.Name()) || e.byName[seg] != nil || seg == p.Name() ||
				seg == "" || strings.ContainsAny(seg, "{}") || seg == "_emulator" {
				return fmt.Errorf("mount %s: root route %s does not start with a segment of its own", p.Name(), rt.Path)
			}
			e.byRoot[seg] = m
		}
	}
	e.mounts = append(e.mounts, m)
	e.byName[p.Name()] = m
	for _, h := range p.Hosts() {
		e.byHost[strings.ToLower(h)] = m
	}
	return nil
}

// Close stops background work: the webhook workers (attempts in flight are
// aborted), the scenario directory watcher and the timelines; it writes
// what is pending to the data directory and closes it. It is safe to call
// more than once.
func (e *Emulator) Close() error {
	e.closeOnce.Do(func() {
		if e.stopWatch != nil {
			e.stopWatch()
		}
		e.closeErr = errors.Join(e.hooks.Close(), e.store.Close())
	})
	return e.closeErr
}

// restore brings back what the data directory holds — the manual clock's
// time first, so timelines re-arm against it, then the records, then the
// webhook queue — and keeps the manual clock's time stored from now on.
func (e *Emulator) restore() error {
	m, manual := e.clock.(*clock.Mock)
	if manual && e.store.Durable() {
		b, ok, err := e.store.Get(nsEmulator, "clock")
		if err != nil {
			return fmt.Errorf("read the stored clock: %w", err)
		}
		if ok {
			var at time.Time
			if err := at.UnmarshalText(b); err != nil {
				return fmt.Errorf("read the stored clock: %w", err)
			}
			// A manual clock resumes where it stood, whatever its start:
			// time does not pass for it while kycemu is down.
			if err := m.Resume(at); err != nil && at.After(m.Now()) {
				_ = m.Set(at)
			}
		}
	}
	e.scenarioStore.e = e
	if err := e.scenarioStore.restore(); err != nil {
		return fmt.Errorf("restore scenarios: %w", err)
	}
	if err := e.store.Load(); err != nil {
		return fmt.Errorf("load state: %w", err)
	}
	if err := e.hooks.Restore(); err != nil {
		return err
	}
	if manual && e.store.Durable() {
		m.OnMove(func(at time.Time) {
			b, _ := at.MarshalText()
			if err := e.store.PutSync(nsEmulator, "clock", b); err != nil {
				e.cfg.log.Error("the manual clock's time could not be stored", "error", err)
			}
		})
	}
	return nil
}

// nsEmulator is the emulator's own namespace in the state backend.
const nsEmulator = "emulator"

// State returns the store that keeps every provider's records.
func (e *Emulator) State() *state.Store { return e.store }

// openBackend opens the configured state backend and settles the seed: a
// data directory remembers the seed it was created with, and a different
// explicit seed is refused (its ids would collide with the stored ones).
func openBackend(cfg *config) (state.Backend, error) {
	b := cfg.backend
	if b == nil && cfg.dataDir != "" {
		bb, err := boltstore.Open(cfg.dataDir, time.Second)
		if err != nil {
			return nil, err
		}
		b = bb
	}
	if b == nil {
		return nil, nil
	}
	stored, err := b.Get("meta", []byte("seed"))
	switch {
	case errors.Is(err, state.ErrNotFound):
		if !cfg.seedSet {
			var r [8]byte
			_, _ = rand.Read(r[:])
			cfg.seed, cfg.seedSet = int64(binary.BigEndian.Uint64(r[:])&^(1<<63)), true
		}
		if err := b.Commit([]state.Op{{NS: "meta", Key: []byte("seed"), Val: []byte(strconv.FormatInt(cfg.seed, 10))}}); err != nil {
			_ = b.Close()
			return nil, fmt.Errorf("store the seed: %w", err)
		}
	case err != nil:
		_ = b.Close()
		return nil, fmt.Errorf("read the stored seed: %w", err)
	default:
		seed, perr := strconv.ParseInt(string(stored), 10, 64)
		if perr != nil {
			_ = b.Close()
			return nil, fmt.Errorf("read the stored seed: %w", perr)
		}
		if cfg.seedSet && seed != cfg.seed {
			_ = b.Close()
			return nil, fmt.Errorf("the data directory was created with seed %d; start with that seed or without --seed", seed)
		}
		cfg.seed, cfg.seedSet = seed, true
	}
	return b, nil
}

// Webhooks returns the outbound webhook engine: its delivery journal,
// endpoints and secrets.
func (e *Emulator) Webhooks() *webhook.Engine { return e.hooks }

// WebhookSecret returns the secret that signs a provider's webhooks to one
// tenant (for gu1 the tenant is gu1.Tenant(apiKey, organizationID)).
func (e *Emulator) WebhookSecret(provider, tenant string) string {
	return e.hooks.Secret(provider, tenant)
}

// SetWebhookURL sets where a provider's webhooks to one tenant go (to every
// tenant of the provider when tenant is ""); an empty url removes it.
func (e *Emulator) SetWebhookURL(provider, tenant, url string) error {
	if _, ok := e.byName[provider]; !ok {
		return fmt.Errorf("set webhook url: no provider named %q", provider)
	}
	if url != "" {
		if err := checkWebhookURL(url); err != nil {
			return fmt.Errorf("set webhook url: %w", err)
		}
	}
	e.hooks.SetEndpoint(provider, tenant, url)
	return nil
}

// Handler returns the emulator as an http.Handler.
func (e *Emulator) Handler() http.Handler { return e }

// Seed returns the seed in use.
func (e *Emulator) Seed() int64 { return e.cfg.seed }

// Clock returns the emulator's clock.
func (e *Emulator) Clock() clock.Clock { return e.clock }

// Providers returns the names of the mounted providers, in mount order.
func (e *Emulator) Providers() []string {
	out := make([]string, len(e.mounts))
	for i, m := range e.mounts {
		out[i] = m.p.Name()
	}
	return out
}

// Advance moves a manual clock forward, firing whatever falls due. It fails
// on a real clock.
func (e *Emulator) Advance(d time.Duration) error {
	m, ok := e.clock.(*clock.Mock)
	if !ok {
		return fmt.Errorf("advance clock: the clock is not manual")
	}
	_, err := m.Advance(d)
	return err
}

// Reset forgets all state of one tenant, or of everyone when tenant is "".
func (e *Emulator) Reset(tenant string) {
	e.store.Reset(tenant)
	e.scenarios.Reset(tenant)
	e.scenarioStore.defaultsChanged()
	e.journal.Clear(tenant)
	e.hooks.Reset(tenant)
}

// ServeHTTP routes a request to the control API, to a provider by Host, or
// to a provider by mount prefix.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == uiBase || strings.HasPrefix(r.URL.Path, uiBase+"/") {
		e.console.ServeHTTP(w, r)
		return
	}
	if r.URL.Path == "/_emulator" || strings.HasPrefix(r.URL.Path, "/_emulator/") {
		e.control.ServeHTTP(w, r)
		return
	}
	first, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if m, ok := e.byRoot[first]; ok {
		m.serveRoot(w, r)
		return
	}
	host := strings.ToLower(r.Host)
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.HasSuffix(host, "]") {
		host = host[:i]
	}
	if m, ok := e.byHost[host]; ok {
		m.serve(w, r, "")
		return
	}
	name, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if m, ok := e.byName[name]; ok {
		m.serve(w, r, "/"+name)
		return
	}
	if r.URL.Path == "/" {
		e.index(w, r)
		return
	}
	writeControlError(w, http.StatusNotFound, "not_found",
		"no provider is mounted here; paths start with /"+strings.Join(e.Providers(), ", /")+" or /_emulator/")
}

func (e *Emulator) requestID() string {
	return e.reqIDs.UUID()
}
