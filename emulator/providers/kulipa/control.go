package kulipa

import (
	"net/http"
	"strings"

	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
)

// outcomes are Kulipa's control actions. Forced outcomes walk the main
// line (pending -> submitted) when the machine does not allow them
// directly, sending every webhook on the way.
var outcomes = provider.Outcomes{Machine: machine, Forward: forward, Noun: "KYC",
	Targets: map[string]string{"submit": Submitted, "complete": Submitted, "approve": Verified, "verify": Verified,
		"reject": Rejected, "expire": Expired},
	Listed: []string{"submit", "approve", "reject", "expire"}}

// actionsOf lists the control actions a KYC allows now.
func actionsOf(r *state.Record) []string { return outcomes.Allowed(r.Status) }

// act forces an outcome: submit (or complete), approve (or verify), reject
// or expire.
func (p *Provider) act(tx *state.Tx, r *state.Record, a provider.Action) error {
	return outcomes.Force(r.Status, a, func(to, reason string) { p.move(tx, r, to, "control", reason) })
}

// ScenarioOf returns the scenario of the KYC a call names.
func (p *Provider) ScenarioOf(c *provider.Call) string {
	id := c.Params["kycId"]
	if id == "" {
		return ""
	}
	var name string
	_ = p.state.ViewRecord(kindKyc, strings.ToLower(id), func(_ *state.Tx, r *state.Record) error {
		if c.Tenant == "" || c.Tenant == r.Tenant { // another tenant's: the handler answers 404
			name = r.Scenario()
		}
		return nil
	})
	return name
}

// Controls serves Kulipa's emulator settings under
// /_emulator/providers/kulipa.
func (p *Provider) Controls() []provider.Route {
	return []provider.Route{
		{Method: http.MethodGet, Path: "/settings", Handler: http.HandlerFunc(p.getSettings)},
		{Method: http.MethodPut, Path: "/settings", Handler: http.HandlerFunc(p.putSettings)},
	}
}
