package emulator

import (
	"sort"

	"github.com/kycemu/kycemu/emulator/provider"
)

// machinery is what GET /_emulator/providers adds to a provider's entry
// beyond its spec's catalogue: its session kinds with their statuses, and
// the webhook events it sends.
type machinery struct {
	Kinds  []kindView `json:"kinds"`
	Events []string   `json:"events"`
}

func (m *mount) machinery() machinery { return machinery{Kinds: m.kinds(), Events: m.events()} }

// kindView is one session kind of a provider, as GET /_emulator/providers
// lists it: every status its machine knows and which of them are final.
// Clients check what they wait for against it.
type kindView struct {
	Name     string   `json:"name"`
	Initial  string   `json:"initial"`
	Statuses []string `json:"statuses"`
	Terminal []string `json:"terminal"`
}

// kinds lists the provider's session kinds by name ([] for a provider
// without status machines).
func (m *mount) kinds() []kindView {
	out := []kindView{}
	x, ok := m.p.(provider.Machines)
	if !ok {
		return out
	}
	for name, mc := range x.Machines() {
		k := kindView{Name: name, Initial: mc.Initial, Statuses: mc.Statuses(), Terminal: []string{}}
		for _, s := range k.Statuses {
			if mc.Terminal(s) {
				k.Terminal = append(k.Terminal, s)
			}
		}
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// events lists the webhook event names the provider's spec declares ([]
// for a provider that sends none), from its outline: listing providers
// parses no document.
func (m *mount) events() []string {
	if ev := m.doc.WebhookEvents(); len(ev) > 0 {
		return ev
	}
	return []string{}
}
