package kulipa

import (
	"net/http"
	"slices"
	"strings"

	"github.com/kycemu/kycemu/emulator/provider"
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

// summary is the control-API view of a KYC; the caller holds the tenant
// lock.
func (k *kyc) summary() provider.Session {
	out := provider.Session{Provider: Name, Tenant: k.tenant.name, ID: k.id, Kind: kindKyc, Status: k.status,
		CreatedAt: k.created, UpdatedAt: k.updated, History: slices.Clone(k.history), Actions: []string{}}
	if k.plan != nil {
		out.Scenario = k.plan.Scenario
	}
	for _, a := range actionOrder {
		if machine.Path(k.status, actions[a], forward) != nil {
			out.Actions = append(out.Actions, a)
		}
	}
	return out
}

// Sessions lists KYCs in creation order.
func (p *Provider) Sessions(only string) []provider.Session {
	var out []provider.Session
	p.tenants.Each(func(name string, t *tenant) {
		if only != "" && name != only {
			return
		}
		t.mu.Lock()
		defer t.mu.Unlock()
		for _, k := range t.kycOrder {
			out = append(out, k.summary())
		}
	})
	return out
}

// locked finds a KYC in an index and locks its tenant; the caller must
// call unlock.
func (p *Provider) locked(index map[string]*kyc, id string) (*kyc, func(), bool) {
	p.mu.RLock()
	k, ok := index[id]
	p.mu.RUnlock()
	if !ok {
		return nil, nil, false
	}
	k.tenant.mu.Lock()
	if k.gone {
		k.tenant.mu.Unlock()
		return nil, nil, false
	}
	return k, k.tenant.mu.Unlock, true
}

// Session returns one KYC.
func (p *Provider) Session(id string) (provider.Session, bool) {
	k, unlock, ok := p.locked(p.kycs, strings.ToLower(id))
	if !ok {
		return provider.Session{}, false
	}
	defer unlock()
	return k.summary(), true
}

// Act forces an outcome: submit (or complete), approve (or verify),
// reject or expire.
func (p *Provider) Act(id string, a provider.Action) (provider.Session, error) {
	k, unlock, ok := p.locked(p.kycs, strings.ToLower(id))
	if !ok {
		return provider.Session{}, provider.NotFound("no Kulipa KYC with that id").WithCode("session_not_found")
	}
	defer unlock()
	to, known := actions[a.Name]
	if !known {
		return provider.Session{}, provider.Invalid("action",
			"unknown action; use submit, approve, reject or expire").WithCode("unknown_action")
	}
	if !p.walk(k, to, "control", a.Reason) {
		return provider.Session{}, provider.Errorf(provider.KindConflict,
			"cannot %s a KYC that is %s", a.Name, k.status).WithCode("action_not_allowed")
	}
	return k.summary(), nil
}

// Reset forgets a tenant (or everyone) and stops their timers. The
// provider-wide settings stay; a tenant's overrides go with it.
func (p *Provider) Reset(tenant string) {
	for _, t := range p.tenants.Remove(tenant) {
		t.mu.Lock()
		p.mu.Lock()
		for id, k := range t.kycs {
			k.gone = true
			k.timeline.Stop()
			delete(p.kycs, id)
			delete(p.inquiries, k.inquiry)
		}
		p.mu.Unlock()
		t.mu.Unlock()
	}
}

// ScenarioOf returns the scenario of the KYC a call names.
func (p *Provider) ScenarioOf(c *provider.Call) string {
	id := c.Params["kycId"]
	if id == "" {
		return ""
	}
	k, unlock, ok := p.locked(p.kycs, strings.ToLower(id))
	if !ok {
		return ""
	}
	defer unlock()
	if (c.Tenant != "" && k.tenant.name != c.Tenant) || k.plan == nil {
		return ""
	}
	return k.plan.Scenario
}

// Controls serves Kulipa's emulator settings under
// /_emulator/providers/kulipa.
func (p *Provider) Controls() []provider.Route {
	return []provider.Route{
		{Method: http.MethodGet, Path: "/settings", Handler: http.HandlerFunc(p.getSettings)},
		{Method: http.MethodPut, Path: "/settings", Handler: http.HandlerFunc(p.putSettings)},
	}
}
