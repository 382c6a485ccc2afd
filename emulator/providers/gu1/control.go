package gu1

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"sort"

	"github.com/kycemu/kycemu/emulator/provider"
)

// actions maps control-API actions to the status they lead to. Forced
// outcomes walk the main line (pending -> in_progress -> in_review) when the
// machine does not allow them directly, sending every webhook on the way.
var actions = map[string]string{
	"start":   InProgress,
	"review":  InReview,
	"submit":  InReview,
	"approve": Approved,
	"reject":  Rejected,
	"abandon": Abandoned,
	"expire":  Expired,
	"cancel":  Cancelled,
}

// actionOrder is the order actions are listed in.
var actionOrder = []string{"start", "review", "approve", "reject", "abandon", "expire", "cancel"}

// summary is the control-API view of a validation; the caller holds the
// tenant lock.
func (v *validation) summary() provider.Session {
	out := provider.Session{Provider: Name, Tenant: v.tenant.name, ID: v.id, Kind: kindValidation, Status: v.status,
		Scenario: v.plan.Scenario, CreatedAt: v.created, UpdatedAt: v.updated, History: slices.Clone(v.history),
		Actions: []string{}}
	for _, a := range actionOrder {
		if machine.Path(v.status, actions[a], forward) != nil {
			out.Actions = append(out.Actions, a)
		}
	}
	return out
}

// Sessions lists validations in creation order.
func (p *Provider) Sessions(only string) []provider.Session {
	var out []provider.Session
	p.tenants.Each(func(name string, t *tenant) {
		if only != "" && name != only {
			return
		}
		t.mu.Lock()
		defer t.mu.Unlock()
		for _, v := range t.order {
			out = append(out, v.summary())
		}
	})
	return out
}

// anyones finds a validation by id whoever owns it and locks its tenant.
func (p *Provider) anyones(id string) (*validation, func(), bool) {
	p.mu.RLock()
	t, ok := p.index[id]
	p.mu.RUnlock()
	if !ok {
		return nil, nil, false
	}
	t.mu.Lock()
	v, ok := t.validations[id]
	if !ok || v.gone {
		t.mu.Unlock()
		return nil, nil, false
	}
	return v, t.mu.Unlock, true
}

// Session returns one validation.
func (p *Provider) Session(id string) (provider.Session, bool) {
	v, unlock, ok := p.anyones(id)
	if !ok {
		return provider.Session{}, false
	}
	defer unlock()
	return v.summary(), true
}

// Act forces an outcome: start, review (or submit), approve, reject,
// abandon, expire or cancel.
func (p *Provider) Act(id string, a provider.Action) (provider.Session, error) {
	v, unlock, ok := p.anyones(id)
	if !ok {
		return provider.Session{}, provider.NotFound("no gu1 validation with that id").WithCode("session_not_found")
	}
	defer unlock()
	to, known := actions[a.Name]
	if !known {
		return provider.Session{}, provider.Invalid("action",
			"unknown action; use start, review, approve, reject, abandon, expire or cancel").WithCode("unknown_action")
	}
	if !p.walk(v, to, "control", a.Reason) {
		return provider.Session{}, provider.Errorf(provider.KindConflict,
			"cannot %s a validation that is %s", a.Name, v.status).WithCode("action_not_allowed")
	}
	return v.summary(), nil
}

// Reset forgets a tenant (or everyone) and stops their timers.
func (p *Provider) Reset(tenant string) {
	for _, t := range p.tenants.Remove(tenant) {
		t.mu.Lock()
		p.mu.Lock()
		for id, v := range t.validations {
			v.gone = true
			v.timeline.Stop()
			delete(p.index, id)
			delete(p.bySession, v.sessionID)
		}
		p.mu.Unlock()
		t.mu.Unlock()
	}
}

// ScenarioOf returns the scenario of the validation a call names.
func (p *Provider) ScenarioOf(c *provider.Call) string {
	id := c.Params["validationId"]
	if id == "" {
		return ""
	}
	v, unlock, ok := p.anyones(id)
	if !ok {
		return ""
	}
	defer unlock()
	if c.Tenant != "" && c.Tenant != v.tenant.name {
		return "" // another tenant's validation: the handler answers 404
	}
	return v.plan.Scenario
}

// Controls serves gu1's emulator settings under /_emulator/providers/gu1:
// the sandbox taxId table and each organisation's KYC configuration.
func (p *Provider) Controls() []provider.Route {
	return []provider.Route{
		{Method: http.MethodGet, Path: "/taxids", Handler: http.HandlerFunc(p.taxIDs)},
		{Method: http.MethodGet, Path: "/settings", Handler: http.HandlerFunc(p.getSettings)},
		{Method: http.MethodPut, Path: "/settings", Handler: http.HandlerFunc(p.putSettings)},
	}
}

func (p *Provider) taxIDs(w http.ResponseWriter, _ *http.Request) {
	provider.WriteJSON(w, http.StatusOK, map[string]any{
		"rule":    "the entity's taxId, letters and digits only, ending in suffix",
		"default": "no match: pending → in_progress → in_review → approved, 2 s apart; expired after 7 days if stalled",
		"taxIds":  MockTaxIDs(),
	})
}

// Settings is an organisation's KYC configuration.
type Settings struct {
	Tenant        string   `json:"tenant"`
	KycConfigured bool     `json:"kycConfigured"`
	Integrations  []string `json:"integrations"`
}

func (t *tenant) settings() Settings {
	s := Settings{Tenant: t.name, KycConfigured: t.kycConfigured, Integrations: []string{}}
	for code, on := range t.integrations {
		if on {
			s.Integrations = append(s.Integrations, code)
		}
	}
	sort.Strings(s.Integrations)
	return s
}

func controlError(w http.ResponseWriter, status int, code, msg string) {
	provider.WriteJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

func (p *Provider) getSettings(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("tenant")
	if name == "" {
		controlError(w, http.StatusBadRequest, "invalid_query", `name the tenant: ?tenant=<API key>:<organization id>`)
		return
	}
	t := p.tenants.Get(name)
	t.mu.Lock()
	defer t.mu.Unlock()
	provider.WriteJSON(w, http.StatusOK, t.settings())
}

func (p *Provider) putSettings(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Tenant        string    `json:"tenant"`
		KycConfigured *bool     `json:"kycConfigured"`
		Integrations  *[]string `json:"integrations"`
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil || in.Tenant == "" {
		controlError(w, http.StatusBadRequest, "invalid_body",
			`send {"tenant":"<API key>:<organization id>","kycConfigured":bool,"integrations":["global_gueno_validation_kyc"]}`)
		return
	}
	t := p.tenants.Get(in.Tenant)
	t.mu.Lock()
	defer t.mu.Unlock()
	if in.KycConfigured != nil {
		t.kycConfigured = *in.KycConfigured
	}
	if in.Integrations != nil {
		t.integrations = map[string]bool{}
		for _, code := range *in.Integrations {
			t.integrations[code] = true
		}
	}
	provider.WriteJSON(w, http.StatusOK, t.settings())
}
