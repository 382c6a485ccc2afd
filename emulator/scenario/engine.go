package scenario

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/kycemu/kycemu/emulator/clock"
	"github.com/kycemu/kycemu/emulator/internal/fake"
	"github.com/kycemu/kycemu/emulator/provider"
)

// DefaultMaxLatency caps scripted latencies unless the engine is told
// otherwise.
const DefaultMaxLatency = 30 * time.Second

// Engine keeps the scenarios of every provider and implements
// provider.Scenarios. It is safe for concurrent use.
type Engine struct {
	clock      clock.Clock
	rand       *fake.Source
	log        *slog.Logger
	maxLatency time.Duration

	mu     sync.RWMutex
	cat    Catalog
	layers map[Origin]map[string][]*Scenario // origin -> provider -> in load order
	// shown caches each provider's scenarios in force (effective): Plan
	// reads them on every session creation while the layers change
	// rarely, so every change of a layer recomputes them (refresh). The
	// lists are shared with readers and never changed in place.
	shown    map[string][]Entry
	defaults map[tenantKey]string
	// builtins supplies a provider's built-in layer the first time
	// anything needs it (UseLazyBuiltins); pending holds the providers it
	// has not supplied yet.
	builtins func(prov string) ([]*Scenario, error)
	pending  map[string]bool
	reload   ReloadStatus

	// fmu guards the fault state sessions change: the count of plans
	// handed out (which seeds upload faults) and the fault counters. It
	// is separate from mu so that creating sessions only reads mu.
	fmu      sync.Mutex
	plans    map[tenantKey]int
	counters map[counterKey]*counter
}

type tenantKey struct{ provider, tenant string }

// Config configures an Engine.
type Config struct {
	Clock clock.Clock
	// Rand is the emulator's root source; fault probabilities draw from
	// streams derived from it per tenant and scenario.
	Rand *fake.Source
	Log  *slog.Logger
	// MaxLatency caps every scripted latency (real time). Zero means
	// DefaultMaxLatency.
	MaxLatency time.Duration
}

// NewEngine returns an engine with no catalogue and no scenarios; call
// SetCatalog before loading any.
func NewEngine(cfg Config) *Engine {
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Rand == nil {
		cfg.Rand = fake.New(1)
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxLatency <= 0 {
		cfg.MaxLatency = DefaultMaxLatency
	}
	return &Engine{
		clock: cfg.Clock, rand: cfg.Rand, log: cfg.Log, maxLatency: cfg.MaxLatency,
		cat:      Catalog{},
		layers:   map[Origin]map[string][]*Scenario{OriginBuiltin: {}, OriginFile: {}, OriginAPI: {}},
		defaults: map[tenantKey]string{},
		plans:    map[tenantKey]int{},
		counters: map[counterKey]*counter{},
	}
}

// SetCatalog tells the engine which providers exist.
func (e *Engine) SetCatalog(cat Catalog) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.cat = cat
}

// Catalog returns the providers the engine checks scenarios against.
func (e *Engine) Catalog() Catalog {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.cat
}

// MaxLatency is the cap on scripted latencies.
func (e *Engine) MaxLatency() time.Duration { return e.maxLatency }

// LoadBuiltins loads the built-in scenarios from fsys, laid out as
// <provider>/<name>.yaml. Files of providers that are not in the catalogue
// are skipped. Messages name the files "scenarios/<provider>/<file>".
func (e *Engine) LoadBuiltins(fsys fs.FS) error {
	scs, err := ParseBuiltins(fsys, e.Catalog())
	if err != nil {
		return err
	}
	e.UseBuiltins(scs)
	return nil
}

// ParseBuiltins reads and checks the built-in scenarios as LoadBuiltins
// does, against cat, and returns them for UseBuiltins.
func ParseBuiltins(fsys fs.FS, cat Catalog) ([]*Scenario, error) {
	return parseBuiltins(fsys, cat, ".")
}

// ParseProviderBuiltins is ParseBuiltins for one provider's directory
// only: what UseLazyBuiltins asks for. A provider without built-in
// scenarios has none, and no error.
func ParseProviderBuiltins(fsys fs.FS, cat Catalog, prov string) ([]*Scenario, error) {
	if _, ok := cat[prov]; !ok || prov == "." || strings.Contains(prov, "/") {
		return nil, fmt.Errorf("read built-in scenarios: no provider %q in the catalogue", prov)
	}
	if _, err := fs.Stat(fsys, prov); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return parseBuiltins(fsys, cat, prov)
}

func parseBuiltins(fsys fs.FS, cat Catalog, root string) ([]*Scenario, error) {
	var files []File
	err := fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !isYAML(p) {
			return nil
		}
		if _, ok := cat[strings.Split(p, "/")[0]]; !ok {
			return nil
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		files = append(files, File{Name: path.Join("scenarios", p), Data: b})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read built-in scenarios: %w", err)
	}
	scs, err := LoadFiles(files, cat)
	if err != nil {
		return nil, fmt.Errorf("load built-in scenarios:\n%w", err)
	}
	for _, sc := range scs {
		sc.Origin = OriginBuiltin
	}
	return scs, nil
}

// UseBuiltins makes scs, from ParseBuiltins, the built-in layer. The engine
// only reads them, so one parse can serve every engine whose catalogue it
// was checked against.
func (e *Engine) UseBuiltins(scs []*Scenario) { e.setLayer(OriginBuiltin, scs) }

// UseLazyBuiltins makes the built-in layer of each provider of the
// catalogue what load returns for it, asked the first time the engine
// needs that provider's scenarios: creating a session, listing, looking up
// or putting one. An emulator then parses the built-in scenarios of the
// providers it is asked about only, when it is first asked, instead of
// every provider's at start-up. load must be safe for concurrent use (two
// requests may need the same provider at once); the scenarios it returns
// are only read. The built-ins are embedded and tested, so an error from
// load means a broken build: the request that needed them panics.
func (e *Engine) UseLazyBuiltins(load func(prov string) ([]*Scenario, error)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.builtins = load
	e.pending = map[string]bool{}
	for name := range e.cat {
		e.pending[name] = true
	}
	e.layers[OriginBuiltin] = map[string][]*Scenario{}
	e.refresh()
}

// needs reports whether the built-ins of prov (of every provider, for
// "") are still to be loaded; the caller holds the lock.
func (e *Engine) needs(prov string) bool {
	return len(e.pending) > 0 && (prov == "" || e.pending[prov])
}

// ensure loads the built-ins of prov (of every provider, for "") that
// are not loaded yet. The caller holds no lock.
func (e *Engine) ensure(prov string) {
	e.mu.RLock()
	need := e.needs(prov)
	e.mu.RUnlock()
	if need {
		e.loadPending(prov)
	}
}

// rlock takes the read lock with the built-ins of prov (of every
// provider, for "") loaded.
func (e *Engine) rlock(prov string) {
	e.mu.RLock()
	if !e.needs(prov) {
		return
	}
	e.mu.RUnlock()
	e.loadPending(prov)
	e.mu.RLock()
}

// loadPending loads the pending built-ins of prov (of every provider, for
// ""), parsing outside the lock.
func (e *Engine) loadPending(prov string) {
	e.mu.RLock()
	var provs []string
	for p := range e.pending {
		if prov == "" || p == prov {
			provs = append(provs, p)
		}
	}
	load := e.builtins
	e.mu.RUnlock()
	got := map[string][]*Scenario{}
	for _, p := range provs {
		scs, err := load(p)
		if err != nil {
			panic(fmt.Sprintf("the built-in scenarios of %s do not load: %v", p, err))
		}
		got[p] = scs
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	changed := false
	for p, scs := range got {
		if e.pending[p] { // not loaded meanwhile by another caller
			delete(e.pending, p)
			e.layers[OriginBuiltin][p] = scs
			changed = true
		}
	}
	if changed {
		e.refresh()
	}
}

func isYAML(p string) bool { return strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml") }

// replace swaps a whole layer (built-in or file).
func (e *Engine) replace(o Origin, scs []*Scenario) {
	for _, sc := range scs {
		sc.Origin = o
	}
	e.setLayer(o, scs)
}

// setLayer swaps a whole layer for scs, which it does not change.
func (e *Engine) setLayer(o Origin, scs []*Scenario) {
	layer := map[string][]*Scenario{}
	for _, sc := range scs {
		layer[sc.Provider] = append(layer[sc.Provider], sc)
	}
	e.mu.Lock()
	e.layers[o] = layer
	if o == OriginBuiltin {
		e.builtins, e.pending = nil, nil
	}
	e.refresh()
	e.mu.Unlock()
}

// order is the shadowing order, highest first.
var order = []Origin{OriginAPI, OriginFile, OriginBuiltin}

// lookup returns the scenario a name means for a provider; the caller
// holds the read lock.
func (e *Engine) lookup(prov, name string) *Scenario {
	for _, o := range order {
		for _, sc := range e.layers[o][prov] {
			if sc.Name == name {
				return sc
			}
		}
	}
	return nil
}

// Get returns the scenario a name means for a provider.
func (e *Engine) Get(prov, name string) (*Scenario, bool) {
	e.rlock(prov)
	defer e.mu.RUnlock()
	sc := e.lookup(prov, name)
	return sc, sc != nil
}

// Entry is a scenario in the catalogue with the lower-origin scenarios of
// the same name it hides.
type Entry struct {
	*Scenario
	Hides []Origin
}

// List returns the scenarios in force, for one provider or all ("") —
// providers in name order, each in selection order: API-put, then files,
// then built-ins.
func (e *Engine) List(prov string) []Entry {
	e.rlock(prov)
	defer e.mu.RUnlock()
	var out []Entry
	for _, p := range e.cat.Names() {
		if prov != "" && p != prov {
			continue
		}
		out = append(out, e.effective(p)...)
	}
	return out
}

// effective lists a provider's scenarios in selection order without the
// shadowed ones; the caller holds the read lock and must not change the
// list.
func (e *Engine) effective(prov string) []Entry { return e.shown[prov] }

// refresh recomputes every provider's effective list after a layer
// changed; the caller holds the write lock.
func (e *Engine) refresh() {
	shown := map[string][]Entry{}
	for _, o := range order {
		for prov := range e.layers[o] {
			if _, done := shown[prov]; !done {
				shown[prov] = e.compute(prov)
			}
		}
	}
	e.shown = shown
}

// compute builds a provider's effective list from the layers. Its Hides
// are clipped so that a reader appending to one copies it.
func (e *Engine) compute(prov string) []Entry {
	var out []Entry
	index := map[string]int{}
	for _, o := range order {
		for _, sc := range e.layers[o][prov] {
			if i, seen := index[sc.Name]; seen {
				out[i].Hides = append(out[i].Hides, o)
				continue
			}
			index[sc.Name] = len(out)
			out = append(out, Entry{Scenario: sc})
		}
	}
	for i := range out {
		out[i].Hides = slices.Clip(out[i].Hides)
	}
	return slices.Clip(out)
}

// ErrNotFound is returned for a scenario name a provider does not have.
var ErrNotFound = errors.New("no such scenario")

// ErrNotDeletable is returned when deleting a built-in or file scenario.
var ErrNotDeletable = errors.New("only scenarios put through the control API can be deleted")

// Put loads YAML (one or more documents) into the API layer, replacing
// put scenarios of the same names. When prov and name are given, the body
// must hold exactly that one scenario. label names the body in messages.
// Nothing is put unless every scenario loads.
func (e *Engine) Put(label string, data []byte, prov, name string) ([]*Scenario, error) {
	scs, err := Load(label, data, e.Catalog())
	if err != nil {
		return nil, err
	}
	if prov != "" || name != "" {
		var errs Errors
		if len(scs) != 1 {
			errs = append(errs, Error{Pos: Pos{label, 1, 1}, Msg: fmt.Sprintf("the body must hold exactly one scenario, found %d", len(scs))})
		} else if scs[0].Provider != prov || scs[0].Name != name {
			errs = append(errs, Error{Pos: scs[0].Pos, Msg: fmt.Sprintf("the scenario is %s/%s but the URL names %s/%s", scs[0].Provider, scs[0].Name, prov, name)})
		}
		if len(errs) > 0 {
			return nil, errs
		}
	}
	for _, sc := range scs {
		e.ensure(sc.Provider) // what the put scenarios hide
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, sc := range scs {
		sc.Origin = OriginAPI
		list := e.layers[OriginAPI][sc.Provider]
		replaced := false
		for i, old := range list {
			if old.Name == sc.Name {
				list[i], replaced = sc, true
				break
			}
		}
		if !replaced {
			list = append(list, sc)
		}
		e.layers[OriginAPI][sc.Provider] = list
	}
	e.refresh()
	return scs, nil
}

// Adopt puts one scenario of a body into the API layer, as Put did when
// the body was first sent (the emulator restores put scenarios this way
// after a restart).
func (e *Engine) Adopt(label string, data []byte, prov, name string) error {
	scs, err := Load(label, data, e.Catalog())
	if err != nil {
		return err
	}
	for _, sc := range scs {
		if sc.Provider == prov && sc.Name == name {
			sc.Origin = OriginAPI
			e.ensure(prov)
			e.mu.Lock()
			e.layers[OriginAPI][prov] = append(e.layers[OriginAPI][prov], sc)
			e.refresh()
			e.mu.Unlock()
			return nil
		}
	}
	return fmt.Errorf("%s: no scenario %s/%s", label, prov, name)
}

// Delete removes a scenario put through the control API (and the tenant
// defaults naming it, unless a file or built-in scenario of that name
// remains).
func (e *Engine) Delete(prov, name string) error {
	e.ensure(prov)
	e.mu.Lock()
	defer e.mu.Unlock()
	list := e.layers[OriginAPI][prov]
	for i, sc := range list {
		if sc.Name == name {
			e.layers[OriginAPI][prov] = append(list[:i:i], list[i+1:]...)
			e.refresh()
			if e.lookup(prov, name) == nil {
				for k, v := range e.defaults {
					if k.provider == prov && v == name {
						delete(e.defaults, k)
					}
				}
			}
			return nil
		}
	}
	if sc := e.lookup(prov, name); sc != nil {
		return fmt.Errorf("%w: %s/%s is a %s scenario", ErrNotDeletable, prov, name, sc.Origin)
	}
	return ErrNotFound
}

// Default is a tenant's default scenario for a provider.
type Default struct {
	Provider string `json:"provider"`
	Tenant   string `json:"tenant"`
	Scenario string `json:"scenario"`
}

// SetDefault makes name the scenario of the tenant's new sessions of the
// provider that neither name a scenario nor match one.
func (e *Engine) SetDefault(prov, tenant, name string) error {
	e.ensure(prov)
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.cat[prov]; !ok {
		return fmt.Errorf("unknown provider %q", prov)
	}
	if e.lookup(prov, name) == nil {
		return ErrNotFound
	}
	e.defaults[tenantKey{prov, tenant}] = name
	return nil
}

// ClearDefault forgets a tenant's default; it reports whether there was one.
func (e *Engine) ClearDefault(prov, tenant string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	k := tenantKey{prov, tenant}
	_, ok := e.defaults[k]
	delete(e.defaults, k)
	return ok
}

// Defaults lists the tenants' defaults, sorted.
func (e *Engine) Defaults() []Default {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]Default, 0, len(e.defaults))
	for k, v := range e.defaults {
		out = append(out, Default{Provider: k.provider, Tenant: k.tenant, Scenario: v})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Provider != out[j].Provider {
			return out[i].Provider < out[j].Provider
		}
		return out[i].Tenant < out[j].Tenant
	})
	return out
}

// Reset forgets one tenant's defaults and fault counters (everyone's when
// tenant is ""). Scenarios themselves stay.
func (e *Engine) Reset(tenant string) {
	e.mu.Lock()
	for k := range e.defaults {
		if tenant == "" || k.tenant == tenant {
			delete(e.defaults, k)
		}
	}
	e.mu.Unlock()
	e.fmu.Lock()
	for k := range e.plans {
		if tenant == "" || k.tenant == tenant {
			delete(e.plans, k)
		}
	}
	for k := range e.counters {
		if tenant == "" || k.tenant == tenant {
			delete(e.counters, k)
		}
	}
	e.fmu.Unlock()
}

// Plan chooses the plan of a new session: the scenario named by the
// X-Kycemu-Scenario header, else the first whose match fits the creating
// request's body, else the tenant's default, else nil (the provider's
// own default).
func (e *Engine) Plan(prov, kind, tenant, name string, body []byte) (*provider.Plan, *provider.Error) {
	e.rlock(prov)
	defer e.mu.RUnlock()
	var sc *Scenario
	switch {
	case name != "":
		sc = e.lookup(prov, name)
		if sc == nil {
			return nil, provider.Invalid("header."+provider.ScenarioHeader, "unknown scenario for this provider; list them at GET /_emulator/scenarios")
		}
		if !sc.AppliesTo(kind) {
			return nil, provider.Invalid("header."+provider.ScenarioHeader, "the scenario does not apply to this kind of session")
		}
	default:
		var decoded any
		parsed := false
		for _, en := range e.effective(prov) {
			if len(en.Match) == 0 || !en.AppliesTo(kind) {
				continue
			}
			if !parsed {
				decoded, parsed = decodeBody(body), true
			}
			if en.matches(decoded) {
				sc = en.Scenario
				break
			}
		}
		if sc == nil {
			if d, ok := e.defaults[tenantKey{prov, tenant}]; ok {
				if s := e.lookup(prov, d); s != nil && s.AppliesTo(kind) {
					sc = s
				}
			}
		}
	}
	if sc == nil {
		return nil, nil
	}
	return e.plan(sc, kind, tenant), nil
}

// plan builds a session's own copy of a scenario's plan; the caller holds
// the read lock.
func (e *Engine) plan(sc *Scenario, kind, tenant string) *provider.Plan {
	pl := &provider.Plan{Scenario: sc.Name}
	if sc.HasTimeline {
		for _, st := range sc.Timeline {
			pl.Steps = append(pl.Steps, provider.Step{After: st.After, From: st.From, Status: st.Status, Reason: st.Reason})
		}
	} else {
		pl.DefaultSteps = true
		if p := e.cat[sc.Provider]; p != nil && p.Default != nil {
			if def := p.Default(kind); def != nil {
				pl.Steps = append(pl.Steps, def.Steps...)
			}
		}
	}
	if sc.Options != nil {
		pl.Options, _ = deepCopy(sc.Options).(map[string]any)
	}
	for _, w := range sc.Webhooks {
		pl.Webhooks = append(pl.Webhooks, provider.WebhookFault{Event: w.Event, Kind: w.Kind, Delay: w.Delay, Times: w.Times})
	}
	e.attachUploads(sc, tenant, pl)
	return pl
}

// attachUploads gives a plan the scenario's upload faults with counters of
// its own; the caller holds the read lock.
func (e *Engine) attachUploads(sc *Scenario, tenant string, pl *provider.Plan) {
	if len(sc.Uploads) == 0 {
		return
	}
	k := tenantKey{sc.Provider, tenant}
	e.fmu.Lock()
	e.plans[k]++
	n := e.plans[k]
	e.fmu.Unlock()
	pl.Uploads = &uploadFaults{
		faults: sc.Uploads, max: e.maxLatency,
		counters: make([]counter, len(sc.Uploads)),
		rand:     e.rand.Derive("scenario-uploads", sc.Provider, tenant, sc.Name, fmt.Sprint(n)),
	}
}

// RestorePlan re-attaches the upload faults of a plan read back from storage
// after a restart: those of the scenario it names, with fresh counters (a
// restart forgets how many uploads a fault has already hit).
func (e *Engine) RestorePlan(prov, tenant string, pl *provider.Plan) {
	if pl.Scenario == "" {
		return
	}
	e.rlock(prov)
	defer e.mu.RUnlock()
	if sc := e.lookup(prov, pl.Scenario); sc != nil {
		e.attachUploads(sc, tenant, pl)
	}
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, v := range x {
			out[k] = deepCopy(v)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, v := range x {
			out[i] = deepCopy(v)
		}
		return out
	}
	return v
}

// ReloadStatus is the outcome of the last load of the scenario directory.
type ReloadStatus struct {
	Dir       string    `json:"dir,omitempty"`
	At        time.Time `json:"at,omitzero"`
	Files     int       `json:"files"`
	Scenarios int       `json:"scenarios"`
	// Problems holds the messages of a failed reload; the scenarios
	// loaded before stay in force.
	Problems []string `json:"problems,omitempty"`
}

// Reload returns the outcome of the last directory load.
func (e *Engine) Reload() ReloadStatus {
	e.mu.RLock()
	defer e.mu.RUnlock()
	r := e.reload
	r.Problems = append([]string(nil), r.Problems...)
	return r
}
