package emulator

import (
	"fmt"
	"slices"
	"sync"

	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/scenario"
	"github.com/kycemu/kycemu/scenarios"
)

// Scenarios returns the scenario engine: the catalogue of loaded
// scenarios, tenant defaults, and Put/Delete as the control API does them.
func (e *Emulator) Scenarios() *scenario.Engine { return e.scenarios }

// catalog describes the mounted providers for the scenario loader.
func (e *Emulator) catalog() scenario.Catalog {
	cat := scenario.Catalog{}
	for _, m := range e.mounts {
		p := m.p
		info := &scenario.ProviderInfo{Name: p.Name(), Operations: m.doc.OperationIDs()}
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

// startScenarios hands the scenario engine the built-in scenarios, to
// parse provider by provider as each is first needed, loads the scenario
// directory, and starts watching it.
func (e *Emulator) startScenarios() error {
	cat := e.catalog()
	e.scenarios.SetCatalog(cat)
	key := sync.OnceValue(func() string { return catalogKey(cat) }) // once some provider's are needed
	e.scenarios.UseLazyBuiltins(func(prov string) ([]*scenario.Scenario, error) {
		return builtinScenarios(key(), cat, prov)
	})
	if dir := e.cfg.scenarioDir; dir != "" {
		if err := e.scenarios.LoadDir(dir); err != nil {
			return fmt.Errorf("load scenarios from %s:\n%w", dir, err)
		}
		e.stopWatch = e.scenarios.Watch(dir, e.cfg.scenarioPoll)
	}
	return nil
}

// parsedBuiltins keeps the built-in scenarios once parsed, by the
// catalogue they were checked against (catalogKey) and provider. The
// files are embedded and the scenarios are never changed once loaded, so
// every emulator of a process with the same providers can share one
// parse: a test binary that starts an emulator per test parses a
// provider's built-ins once, not per test.
var parsedBuiltins struct {
	sync.Mutex
	byKey map[builtinKey]*builtinParse
}

type builtinKey struct{ catalog, provider string }

type builtinParse struct {
	once sync.Once
	scs  []*scenario.Scenario
	err  error
}

// builtinScenarios parses the built-in scenarios of prov for cat (whose
// catalogKey is key), or returns the parse another emulator with the same
// catalogue already made.
func builtinScenarios(key string, cat scenario.Catalog, prov string) ([]*scenario.Scenario, error) {
	k := builtinKey{key, prov}
	parsedBuiltins.Lock()
	if parsedBuiltins.byKey == nil {
		parsedBuiltins.byKey = map[builtinKey]*builtinParse{}
	}
	bp := parsedBuiltins.byKey[k]
	if bp == nil {
		bp = &builtinParse{}
		parsedBuiltins.byKey[k] = bp
	}
	parsedBuiltins.Unlock()
	bp.once.Do(func() { bp.scs, bp.err = scenario.ParseProviderBuiltins(scenarios.FS(), cat, prov) })
	return bp.scs, bp.err
}

// catalogKey writes out what the scenario loader checks a file against:
// each provider's operations, session kinds and upload fault kinds. The
// rest of a catalogue entry — the status machines, default plans and
// option checks — comes from the provider's code, the same for every
// emulator of one binary at the moment New loads the scenarios.
func catalogKey(cat scenario.Catalog) string {
	var b []byte
	list := func(tag byte, xs []string) {
		b = append(b, tag)
		for _, x := range xs {
			b = append(b, x...)
			b = append(b, 0) // in no name
		}
	}
	for _, name := range cat.Names() {
		info := cat[name]
		kinds := make([]string, 0, len(info.Machines))
		for k := range info.Machines {
			kinds = append(kinds, k)
		}
		slices.Sort(kinds)
		list('p', []string{name})
		list('o', info.Operations)
		list('k', kinds)
		list('u', info.UploadKinds)
		b = append(b, 'c', bit(info.CheckOptions != nil), bit(info.Default != nil), '\n')
	}
	return string(b)
}

func bit(ok bool) byte {
	if ok {
		return '1'
	}
	return '0'
}
