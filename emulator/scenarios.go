package emulator

import (
	"fmt"

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
		info := &scenario.ProviderInfo{Name: m.p.Name()}
		for _, op := range m.doc.Operations() {
			info.Operations = append(info.Operations, op.ID)
		}
		if x, ok := m.p.(provider.Machines); ok {
			info.Machines = x.Machines()
		}
		if x, ok := m.p.(provider.Uploader); ok {
			info.UploadKinds = x.UploadFaultKinds()
		}
		if x, ok := m.p.(provider.DefaultPlans); ok {
			info.Default = x.DefaultPlan
		}
		if x, ok := m.p.(provider.OptionChecker); ok {
			info.CheckOptions = x.CheckOptions
		}
		cat[m.p.Name()] = info
	}
	return cat
}

// startScenarios loads the built-in scenarios and the scenario directory,
// and starts watching the directory.
func (e *Emulator) startScenarios() error {
	e.scenarios.SetCatalog(e.catalog())
	if err := e.scenarios.LoadBuiltins(scenarios.FS()); err != nil {
		return err
	}
	if dir := e.cfg.scenarioDir; dir != "" {
		if err := e.scenarios.LoadDir(dir); err != nil {
			return fmt.Errorf("load scenarios from %s:\n%w", dir, err)
		}
		e.stopWatch = e.scenarios.Watch(dir, e.cfg.scenarioPoll)
	}
	return nil
}
