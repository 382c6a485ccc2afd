package b2core

import "github.com/kycemu/kycemu/emulator/provider"

// DefaultPlan is the plan of procedures no scenario drives: the configured
// review (for scenarios without a timeline, and the catalogue).
func (p *Provider) DefaultPlan(string) *provider.Plan { return defaultPlan(p.config()) }
