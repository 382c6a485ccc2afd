package kulipa

import (
	"net/http"
	"strings"

	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
)

// actions maps control-API actions to the status they lead to. Forced
// outcomes walk the main line (pending -> submitted) when the machine does
// not allow them directly, sending every webhook on the way.
var actions = map[string]string{
	"submit":   Submitted,
	"complete": Submitted,
	"approve":  Verified,
	"verify":   Verified,
	"reject":   Rejected,
	"expire":   Expired,
}

// actionOrder is the order actions are listed in.
var actionOrder = []string{"submit", "approve", "reject", "expire"}

// actionsOf lists the control actions a KYC allows now.
func actionsOf(r *state.Record) []string {
	var out []string
	for _, a := range actionOrder {
		if machine.Path(r.Status, actions[a], forward) != nil {
			out = append(out, a)
		}
	}
	return out
}

// act forces an outcome: submit (or complete), approve (or verify), reject
// or expire.
func (p *Provider) act(tx *state.Tx, r *state.Record, a provider.Action) error {
	to, known := actions[a.Name]
	if !known {
		return provider.Invalid("action",
			"unknown action; use submit, approve, reject or expire").WithCode("unknown_action")
	}
	if !p.walk(tx, r, to, "control", a.Reason) {
		return provider.Errorf(provider.KindConflict,
			"cannot %s a KYC that is %s", a.Name, r.Status).WithCode("action_not_allowed")
	}
	return nil
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
