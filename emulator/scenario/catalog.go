package scenario

import (
	"sort"

	"github.com/kycemu/kycemu/emulator/provider"
)

// Catalog describes the mounted providers, as much as the loader needs to
// check a scenario: it is built by the emulator from its mounts, so this
// package needs neither the emulator nor any provider package.
type Catalog map[string]*ProviderInfo

// ProviderInfo is what the loader and the engine know of one provider.
type ProviderInfo struct {
	Name string
	// Machines maps each session kind to its status machine; a provider
	// without machines takes no timeline.
	Machines map[string]*provider.Machine
	// Operations are the operationIds of the provider's spec.
	Operations []string
	// UploadKinds are the upload fault kinds the provider honours.
	UploadKinds []string
	// Default returns the provider's default plan of a kind (nil when the
	// provider has none); scenarios without a timeline use its steps.
	Default func(kind string) *provider.Plan
	// CheckOptions validates a scenario's options for one session kind;
	// nil means the provider takes no options.
	CheckOptions func(kind string, options map[string]any) error
}

// Names returns the provider names, sorted.
func (c Catalog) Names() []string {
	out := make([]string, 0, len(c))
	for n := range c {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Kinds returns the provider's session kinds, sorted.
func (p *ProviderInfo) Kinds() []string {
	out := make([]string, 0, len(p.Machines))
	for k := range p.Machines {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (p *ProviderInfo) hasOperation(id string) bool {
	for _, o := range p.Operations {
		if o == id {
			return true
		}
	}
	return false
}

// statuses returns every status of the machines of the given kinds (all
// kinds when empty), sorted.
func (p *ProviderInfo) statuses(kinds []string) []string {
	seen := map[string]bool{}
	for _, m := range p.machines(kinds) {
		for _, s := range m.Statuses() {
			seen[s] = true
		}
	}
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// machines returns the distinct machines of the given kinds (all kinds when
// empty), in kind order, with the first kind using each.
func (p *ProviderInfo) machines(kinds []string) []*provider.Machine {
	if len(kinds) == 0 {
		kinds = p.Kinds()
	}
	var out []*provider.Machine
	seen := map[*provider.Machine]bool{}
	for _, k := range kinds {
		m := p.Machines[k]
		if m != nil && !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	return out
}
