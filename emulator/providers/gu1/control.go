package gu1

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"sort"

	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
)

// outcomes are gu1's control actions. Forced outcomes walk the main line
// (pending -> in_progress -> in_review) when the machine does not allow
// them directly, sending every webhook on the way.
var outcomes = provider.Outcomes{Machine: machine, Forward: forward, Noun: "validation",
	Targets: map[string]string{"start": InProgress, "review": InReview, "submit": InReview, "approve": Approved,
		"reject": Rejected, "abandon": Abandoned, "expire": Expired, "cancel": Cancelled},
	Listed: []string{"start", "review", "approve", "reject", "abandon", "expire", "cancel"}}

// actionsOf lists the control actions a validation allows now.
func actionsOf(r *state.Record) []string { return outcomes.Allowed(r.Status) }

// act forces an outcome: start, review (or submit), approve, reject,
// abandon, expire or cancel.
func (p *Provider) act(tx *state.Tx, r *state.Record, a provider.Action) error {
	return outcomes.Force(r.Status, a, func(to, reason string) { p.move(tx, r, to, "control", reason) })
}

// ScenarioOf returns the scenario of the validation a call names.
func (p *Provider) ScenarioOf(c *provider.Call) string {
	id := c.Params["validationId"]
	if id == "" {
		return ""
	}
	var name string
	_ = p.state.ViewRecord(kindValidation, id, func(_ *state.Tx, r *state.Record) error {
		if c.Tenant == "" || c.Tenant == r.Tenant { // another tenant's: the handler answers 404
			name = r.Scenario()
		}
		return nil
	})
	return name
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

func settingsOf(tenant string, d *tenantData) Settings {
	s := Settings{Tenant: tenant, KycConfigured: d.KycConfigured, Integrations: slices.Clone(d.Integrations)}
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
	_ = p.state.View(name, func(tx *state.Tx) error {
		provider.WriteJSON(w, http.StatusOK, settingsOf(name, tx.Data().(*tenantData)))
		return nil
	})
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
	err := p.state.Update(in.Tenant, func(tx *state.Tx) error {
		d := tx.Data().(*tenantData)
		if in.KycConfigured != nil {
			d.KycConfigured = *in.KycConfigured
		}
		if in.Integrations != nil {
			d.Integrations = []string{}
			for _, code := range *in.Integrations {
				if !slices.Contains(d.Integrations, code) {
					d.Integrations = append(d.Integrations, code)
				}
			}
		}
		provider.WriteJSON(w, http.StatusOK, settingsOf(in.Tenant, d))
		return nil
	})
	if err != nil {
		controlError(w, http.StatusServiceUnavailable, "storage_unavailable", "the settings could not be stored")
	}
}
