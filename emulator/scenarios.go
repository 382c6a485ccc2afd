package emulator

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/kycemu/kycemu/emulator/internal/oas"
	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/scenario"
	"github.com/kycemu/kycemu/scenarios"
)

// Scenarios returns the scenario engine: the catalogue of loaded
// scenarios, tenant defaults, and Put/Delete as the control API does them.
func (e *Emulator) Scenarios() *scenario.Engine { return e.scenarios }

// catalog describes the mounted providers for the scenario loader.
func (e *Emulator) catalog() scenario.Catalog {
	ps := make([]provider.Provider, len(e.mounts))
	docs := make(map[string]*oas.Doc, len(e.mounts))
	for i, m := range e.mounts {
		ps[i] = m.p
		docs[m.p.Name()] = m.doc
	}
	return catalogOf(ps, docs)
}

// catalogOf describes providers for the scenario loader, given each one's
// document by name.
func catalogOf(ps []provider.Provider, docs map[string]*oas.Doc) scenario.Catalog {
	cat := scenario.Catalog{}
	for _, p := range ps {
		info := &scenario.ProviderInfo{Name: p.Name()}
		info.Operations = docs[p.Name()].OperationIDs()
		if x, ok := p.(provider.Machines); ok {
			info.Machines = x.Machines()
		}
		if x, ok := p.(provider.Uploader); ok {
			info.UploadKinds = x.UploadFaultKinds()
		}
		if x, ok := p.(provider.DefaultPlans); ok {
			info.Default = x.DefaultPlan
		}
		if x, ok := p.(provider.OptionChecker); ok {
			info.CheckOptions = x.CheckOptions
		}
		cat[p.Name()] = info
	}
	return cat
}

// parseBuiltinsAhead starts parsing the built-in scenarios for ps while
// New mounts them: the parse needs only the providers and their documents,
// and startScenarios then finds it done or under way (builtinScenarios
// shares one parse per catalogue).
func (e *Emulator) parseBuiltinsAhead(ps []provider.Provider, docs map[string]*oas.Doc) {
	cat := catalogOf(ps, docs)
	e.aheadCatalog = cat
	go func() { _, _ = builtinScenarios(cat) }()
}

// startScenarios loads the built-in scenarios and the scenario directory,
// and starts watching the directory.
func (e *Emulator) startScenarios() error {
	// The catalogue parseBuiltinsAhead made describes the same providers
	// and documents the mounts now hold.
	cat := e.aheadCatalog
	if cat == nil {
		cat = e.catalog()
	}
	e.aheadCatalog = nil
	e.scenarios.SetCatalog(cat)
	builtin, err := builtinScenarios(cat)
	if err != nil {
		return err
	}
	e.scenarios.UseBuiltins(builtin)
	if dir := e.cfg.scenarioDir; dir != "" {
		if err := e.scenarios.LoadDir(dir); err != nil {
			return fmt.Errorf("load scenarios from %s:\n%w", dir, err)
		}
		e.stopWatch = e.scenarios.Watch(dir, e.cfg.scenarioPoll)
	}
	return nil
}

// parsedBuiltins keeps the built-in scenarios once parsed, by the
// catalogue they were checked against (catalogKey). The files are
// embedded and the scenarios are never changed once loaded, so every
// emulator of a process with the same providers can share one parse: a
// test binary that starts an emulator per test parses them once, not per
// test.
var parsedBuiltins struct {
	sync.Mutex
	byCatalog map[string]*builtinParse
}

type builtinParse struct {
	once sync.Once
	scs  []*scenario.Scenario
	err  error
}

// builtinScenarios parses the built-in scenarios for cat, or returns the
// parse another emulator with the same catalogue already made.
func builtinScenarios(cat scenario.Catalog) ([]*scenario.Scenario, error) {
	key := catalogKey(cat)
	parsedBuiltins.Lock()
	if parsedBuiltins.byCatalog == nil {
		parsedBuiltins.byCatalog = map[string]*builtinParse{}
	}
	bp := parsedBuiltins.byCatalog[key]
	if bp == nil {
		bp = &builtinParse{}
		parsedBuiltins.byCatalog[key] = bp
	}
	parsedBuiltins.Unlock()
	bp.once.Do(func() { bp.scs, bp.err = scenario.ParseBuiltins(scenarios.FS(), cat) })
	return bp.scs, bp.err
}

// catalogKey writes out what the scenario loader checks a file against:
// each provider's operations, session kinds and upload fault kinds. The
// rest of a catalogue entry — the status machines, default plans and
// option checks — comes from the provider's code, the same for every
// emulator of one binary at the moment New loads the scenarios.
func catalogKey(cat scenario.Catalog) string {
	var b strings.Builder
	for _, name := range cat.Names() {
		info := cat[name]
		kinds := make([]string, 0, len(info.Machines))
		for k := range info.Machines {
			kinds = append(kinds, k)
		}
		slices.Sort(kinds)
		fmt.Fprintf(&b, "%s ops=%q kinds=%q uploads=%q options=%t default=%t\n", name, info.Operations, kinds,
			info.UploadKinds, info.CheckOptions != nil, info.Default != nil)
	}
	return b.String()
}
