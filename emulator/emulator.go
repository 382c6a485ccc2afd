// Package emulator is kycemu's public facade: it builds every emulated KYC
// provider, routes requests to them by mount prefix (/notus, /gu1, ...) or by
// the vendor's real Host, validates each request against the provider's
// OpenAPI document, and serves the control API under /_emulator/.
package emulator

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/kycemu/kycemu/emulator/clock"
	"github.com/kycemu/kycemu/emulator/internal/fake"
	"github.com/kycemu/kycemu/emulator/internal/httpx"
	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/scenario"
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
	control http.Handler
	started time.Time
	reqIDs  *fake.Source
	hooks   *webhook.Engine
	metrics *metrics

	scenarios *scenario.Engine
	stopWatch func()
	closeOnce sync.Once
}

// New builds an emulator with every built-in provider.
func New(opts ...Option) (*Emulator, error) {
	cfg := defaults()
	for _, o := range opts {
		o(&cfg)
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
	}
	e.reqIDs = e.rand.Derive("request-ids")
	e.started = e.clock.Now()
	e.metrics = newMetrics(e)
	e.hooks = webhook.New(webhook.Config{Clock: e.clock, Rand: e.rand, Log: cfg.log, DefaultURL: cfg.webhookURL,
		OnAttempt: e.metrics.attempt, OnFinish: e.metrics.finish})
	e.scenarios = scenario.NewEngine(scenario.Config{Clock: e.clock, Rand: e.rand, Log: cfg.log, MaxLatency: cfg.maxLatency})
	env := provider.Env{
		Clock:     e.clock,
		Rand:      e.rand,
		Log:       cfg.log,
		Webhooks:  e.hooks,
		Scenarios: e.scenarios,
	}
	for _, p := range builtins(env) {
		if err := e.add(p); err != nil {
			return nil, err
		}
	}
	if err := e.startScenarios(); err != nil {
		_ = e.Close()
		return nil, err
	}
	e.control = e.controlRoutes()
	return e, nil
}

// add mounts a provider.
func (e *Emulator) add(p provider.Provider) error {
	m, err := newMount(e, p)
	if err != nil {
		return fmt.Errorf("mount %s: %w", p.Name(), err)
	}
	e.mounts = append(e.mounts, m)
	e.byName[p.Name()] = m
	for _, h := range p.Hosts() {
		e.byHost[strings.ToLower(h)] = m
	}
	return nil
}

// Close stops background work: the webhook workers (attempts in flight are
// aborted) and the scenario directory watcher. It is safe to call more than
// once.
func (e *Emulator) Close() error {
	e.closeOnce.Do(func() {
		if e.stopWatch != nil {
			e.stopWatch()
		}
	})
	return e.hooks.Close()
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
	for _, m := range e.mounts {
		if r, ok := m.p.(provider.Resetter); ok {
			r.Reset(tenant)
		}
	}
	e.scenarios.Reset(tenant)
	e.journal.Clear(tenant)
	e.hooks.Reset(tenant)
}

// ServeHTTP routes a request to the control API, to a provider by Host, or
// to a provider by mount prefix.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/_emulator" || strings.HasPrefix(r.URL.Path, "/_emulator/") {
		e.control.ServeHTTP(w, r)
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
