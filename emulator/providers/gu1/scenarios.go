package gu1

import "github.com/kycemu/kycemu/emulator/provider"

// DefaultPlan is the plan of validations that no scenario and no sandbox
// taxId drives (for scenarios without a timeline, and the catalogue).
func (p *Provider) DefaultPlan(string) *provider.Plan { return defaultPlan() }
