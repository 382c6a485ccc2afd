package gatenox

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/kycemu/kycemu/emulator/provider"
)

// Settings are a company's emulator settings, read and changed through
// /_emulator/providers/gatenox/settings. A reset forgets them.
type Settings struct {
	Tenant string `json:"tenant"`
	// Credits is the balance invitations are paid from; nil is unlimited
	// (the default).
	Credits *int `json:"credits"`
	// InviteCost is what one recipient costs. Default 1.
	InviteCost int `json:"inviteCost"`
	// InvitationTTL is how long an invitation stays usable. Default 30 days.
	InvitationTTL Duration `json:"invitationTTL"`
	// ExternalRiskScore makes every new case wait for an externally
	// calculated risk score (a record announced by the
	// external_risk_score_requested webhook). Default true.
	ExternalRiskScore bool `json:"externalRiskScore"`
	// RiskWebhookURL receives external_risk_score_requested; "" sends it to
	// the company's webhook endpoint.
	RiskWebhookURL string `json:"riskWebhookURL"`
	// AutoSubmit makes the invited person of an invitation without a
	// scenario open the link 5 s after it is created and submit their data
	// 10 s later. Default true; off, only the hosted page and the control
	// API move invitations (and the clock expires them).
	AutoSubmit bool `json:"autoSubmit"`
	// Blocked refuses the token with 401, as a token blocked in the
	// dashboard is.
	Blocked bool `json:"blocked"`
}

func defaultSettings(tenant string) Settings {
	return Settings{Tenant: tenant, InviteCost: 1, InvitationTTL: Duration(defaultInvitationTTL), ExternalRiskScore: true, AutoSubmit: true}
}

// Duration is a time.Duration written as a Go duration string ("720h").
type Duration time.Duration

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads a duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// Controls serves the settings under /_emulator/providers/gatenox.
func (p *Provider) Controls() []provider.Route {
	return []provider.Route{
		{Method: http.MethodGet, Path: "/settings", Handler: http.HandlerFunc(p.getSettings)},
		{Method: http.MethodPut, Path: "/settings", Handler: http.HandlerFunc(p.putSettings)},
	}
}

func controlError(w http.ResponseWriter, status int, code, msg string) {
	provider.WriteJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

func (p *Provider) getSettings(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("tenant")
	if name == "" {
		controlError(w, http.StatusBadRequest, "invalid_query", "name the tenant: ?tenant=<company access token>")
		return
	}
	t := p.tenants.Get(name)
	t.mu.Lock()
	defer t.mu.Unlock()
	provider.WriteJSON(w, http.StatusOK, t.settings)
}

const settingsUsage = `send {"tenant":"<company access token>","credits":10|null,"inviteCost":1,` +
	`"invitationTTL":"720h","externalRiskScore":true,"riskWebhookURL":"https://…","autoSubmit":true,"blocked":false} (all but tenant optional)`

func (p *Provider) putSettings(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Tenant            string          `json:"tenant"`
		Credits           json.RawMessage `json:"credits"`
		InviteCost        *int            `json:"inviteCost"`
		InvitationTTL     *Duration       `json:"invitationTTL"`
		ExternalRiskScore *bool           `json:"externalRiskScore"`
		RiskWebhookURL    *string         `json:"riskWebhookURL"`
		AutoSubmit        *bool           `json:"autoSubmit"`
		Blocked           *bool           `json:"blocked"`
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil || in.Tenant == "" {
		controlError(w, http.StatusBadRequest, "invalid_body", settingsUsage)
		return
	}
	var credits *int
	if len(in.Credits) > 0 && !bytes.Equal(in.Credits, []byte("null")) {
		var n int
		if json.Unmarshal(in.Credits, &n) != nil || n < 0 {
			controlError(w, http.StatusBadRequest, "invalid_body", "credits must be a whole number of at least 0, or null for unlimited")
			return
		}
		credits = &n
	}
	switch {
	case in.InviteCost != nil && *in.InviteCost < 0:
		controlError(w, http.StatusBadRequest, "invalid_body", "inviteCost must be at least 0")
		return
	case in.InvitationTTL != nil && *in.InvitationTTL <= 0:
		controlError(w, http.StatusBadRequest, "invalid_body", "invitationTTL must be longer than zero")
		return
	case in.RiskWebhookURL != nil && *in.RiskWebhookURL != "" && !absoluteHTTP(*in.RiskWebhookURL):
		controlError(w, http.StatusBadRequest, "invalid_body", "riskWebhookURL must be an absolute http or https URL")
		return
	}
	t := p.tenants.Get(in.Tenant)
	t.mu.Lock()
	defer t.mu.Unlock()
	s := &t.settings
	if len(in.Credits) > 0 {
		s.Credits = credits
	}
	if in.InviteCost != nil {
		s.InviteCost = *in.InviteCost
	}
	if in.InvitationTTL != nil {
		s.InvitationTTL = *in.InvitationTTL
	}
	if in.ExternalRiskScore != nil {
		s.ExternalRiskScore = *in.ExternalRiskScore
	}
	if in.RiskWebhookURL != nil {
		s.RiskWebhookURL = *in.RiskWebhookURL
	}
	if in.AutoSubmit != nil {
		s.AutoSubmit = *in.AutoSubmit
	}
	if in.Blocked != nil {
		s.Blocked = *in.Blocked
	}
	provider.WriteJSON(w, http.StatusOK, t.settings)
}

func absoluteHTTP(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// invitationActions are what the control API can make an invitation's
// person (or the company) do; case actions on an invitation go to its case.
var invitationActions = map[string]string{
	"open":     InvInProgress,
	"complete": InvCompleted,
	"submit":   InvCompleted,
	"decline":  InvRejected,
	"expire":   InvExpired,
	"revoke":   InvRevoked,
	"resend":   InvInvited,
}

var invitationActionOrder = []string{"open", "complete", "decline", "expire", "revoke", "resend"}

// caseAction is a control-API action on a case: the event it fires, and
// whether a case still new is started first.
type caseAction struct {
	event string
	walk  bool
}

var caseActions = map[string]caseAction{
	"start":                     {evStart, false},
	"qa":                        {evQA, true},
	"back_to_compliance":        {evBackToCompliance, false},
	"approve":                   {evComplete, true},
	"complete":                  {evComplete, true},
	"reject":                    {evReject, true},
	"reopen":                    {evReopen, false},
	"request_data_update":       {evRequestDataUpdate, true},
	"cancel_data_update":        {evCancelDataUpdate, false},
	"request_risk_score_update": {evRequestRiskScore, true},
	"cancel_risk_score_update":  {evCancelRiskScoreUpdate, false},
}

var caseActionOrder = []string{"start", "qa", "back_to_compliance", "approve", "reject", "reopen",
	"request_data_update", "cancel_data_update", "request_risk_score_update", "cancel_risk_score_update"}

// target returns the status a case action leads to from the case's
// status, or false when it is not possible now.
func (k *kase) target(name string) (string, bool) {
	a, known := caseActions[name]
	if !known {
		return "", false
	}
	if to, defined := caseEvents[a.event][k.status]; defined {
		return to, true
	}
	if a.walk && k.status == CaseNew {
		to, defined := caseEvents[a.event][CaseInProgress]
		return to, defined
	}
	return "", false
}

// allows reports whether an invitation action is possible now. Resending
// moves straight back to invited; the person's actions open the link
// first when needed.
func (inv *invitation) allows(action string) bool {
	to := invitationActions[action]
	if invitationMachine.Can(inv.state, to) {
		return true
	}
	return action != "resend" && inv.state == InvInvited && invitationMachine.Can(InvInProgress, to)
}

// summary is the control-API view of an invitation; the caller holds the
// tenant lock.
func (inv *invitation) summary() provider.Session {
	out := provider.Session{Provider: Name, Tenant: inv.tenant.name, ID: inv.id, Kind: KindInvitation,
		Status: inv.state, Scenario: inv.invPlan.Scenario, CreatedAt: inv.created, UpdatedAt: inv.updated,
		History: slices.Clone(inv.history), Actions: []string{}}
	for _, a := range invitationActionOrder {
		if inv.allows(a) {
			out.Actions = append(out.Actions, a)
		}
	}
	if k := inv.kase; k != nil {
		for _, a := range caseActionOrder {
			if _, can := k.target(a); can {
				out.Actions = append(out.Actions, a)
			}
		}
	}
	return out
}

// summary is the control-API view of a case.
func (k *kase) summary() provider.Session {
	sc := k.inv.casePlan.Scenario
	if sc == "" {
		sc = k.inv.invPlan.Scenario
	}
	out := provider.Session{Provider: Name, Tenant: k.inv.tenant.name, ID: k.id, Kind: KindCase, Status: k.status,
		Scenario: sc, CreatedAt: k.created, UpdatedAt: k.updated, History: slices.Clone(k.history), Actions: []string{}}
	for _, a := range caseActionOrder {
		if _, can := k.target(a); can {
			out.Actions = append(out.Actions, a)
		}
	}
	return out
}

// Sessions lists invitations and cases, each in creation order.
func (p *Provider) Sessions(only string) []provider.Session {
	var out []provider.Session
	p.tenants.Each(func(name string, t *tenant) {
		if only != "" && name != only {
			return
		}
		t.mu.Lock()
		defer t.mu.Unlock()
		for _, inv := range t.invOrder {
			out = append(out, inv.summary())
		}
		for _, k := range t.caseOrder {
			out = append(out, k.summary())
		}
	})
	return out
}

// anyones finds an invitation or a case by id, whoever owns it, and locks
// its tenant.
func (p *Provider) anyones(id string) (*invitation, *kase, func(), bool) {
	p.mu.RLock()
	t, found := p.index[id]
	p.mu.RUnlock()
	if !found {
		return nil, nil, nil, false
	}
	t.mu.Lock()
	if inv, found := t.invites[id]; found && !inv.gone {
		return inv, nil, t.mu.Unlock, true
	}
	if k, found := t.cases[id]; found && !k.inv.gone {
		return nil, k, t.mu.Unlock, true
	}
	t.mu.Unlock()
	return nil, nil, nil, false
}

// Session returns one invitation or case.
func (p *Provider) Session(id string) (provider.Session, bool) {
	inv, k, unlock, found := p.anyones(id)
	if !found {
		return provider.Session{}, false
	}
	defer unlock()
	if inv != nil {
		return inv.summary(), true
	}
	return k.summary(), true
}

var errUnknownAction = provider.Invalid("action", "unknown action; use open, complete, decline, expire, revoke, resend "+
	"(invitations) or start, qa, back_to_compliance, approve, reject, reopen, request_data_update, cancel_data_update, "+
	"request_risk_score_update, cancel_risk_score_update (cases)").WithCode("unknown_action")

// Act forces an outcome. On an invitation: open, complete (the person
// submits their data, creating the case), decline, expire, revoke, resend,
// or any case action once the case exists. On a case: start, qa,
// back_to_compliance, approve (or complete), reject, reopen and the data and
// risk score update requests. Approving, rejecting or sending to QA a case
// still new starts it first; an approval without an assessment records a
// low risk with the reason as its comment.
func (p *Provider) Act(id string, a provider.Action) (provider.Session, error) {
	inv, k, unlock, found := p.anyones(id)
	if !found {
		return provider.Session{}, provider.NotFound("no Gatenox invitation or case with that id").WithCode("session_not_found")
	}
	defer unlock()
	ctl := actor{by: "control"}
	if inv != nil {
		if to, known := invitationActions[a.Name]; known {
			if !inv.allows(a.Name) {
				return provider.Session{}, notAllowed(a.Name, inv.state)
			}
			by := ctl
			if to == InvCompleted || to == InvRejected {
				by = personActor(inv, "control", nil)
			}
			if !p.walkInvitation(inv, to, by, a.Reason, inv.script.person) {
				return provider.Session{}, notAllowed(a.Name, inv.state)
			}
			return inv.summary(), nil
		}
		if _, known := caseActions[a.Name]; !known {
			return provider.Session{}, errUnknownAction
		}
		if inv.kase == nil {
			return provider.Session{}, provider.Errorf(provider.KindConflict,
				"the invitation has no case yet: complete it first").WithCode("action_not_allowed")
		}
		if err := p.actOnCase(inv.kase, a, ctl); err != nil {
			return provider.Session{}, err
		}
		return inv.summary(), nil
	}
	if err := p.actOnCase(k, a, ctl); err != nil {
		return provider.Session{}, err
	}
	return k.summary(), nil
}

func notAllowed(action, status string) *provider.Error {
	return provider.Errorf(provider.KindConflict, "cannot %s when the status is %s", action, status).WithCode("action_not_allowed")
}

func (p *Provider) actOnCase(k *kase, a provider.Action, ctl actor) error {
	if _, known := caseActions[a.Name]; !known {
		return errUnknownAction
	}
	to, can := k.target(a.Name)
	if !can || !p.walkCase(k, to, ctl, a.Reason) {
		return notAllowed(a.Name, k.status)
	}
	if to == CaseRecalculateRiskScore {
		s := p.newRiskScore(k, p.env.Clock.Now())
		p.revise(k, s.created)
		p.riskRequested(k, s)
	}
	return nil
}

// Reset forgets a company (or everyone) and stops their timers.
func (p *Provider) Reset(tenant string) {
	for _, t := range p.tenants.Remove(tenant) {
		t.mu.Lock()
		p.mu.Lock()
		for id, inv := range t.invites {
			inv.gone = true
			inv.timeline.Stop()
			inv.expiry.Stop()
			delete(p.index, id)
			delete(p.byToken, inv.token)
		}
		for id, k := range t.cases {
			k.timeline.Stop()
			delete(p.index, id)
		}
		p.mu.Unlock()
		t.mu.Unlock()
	}
}

// ScenarioOf returns the scenario of the case a call names.
func (p *Provider) ScenarioOf(c *provider.Call) string {
	id := c.Params["verification_individual_id"]
	if id == "" {
		id = c.Params["id"]
	}
	if id == "" {
		return ""
	}
	_, k, unlock, found := p.anyones(id)
	if !found {
		return ""
	}
	defer unlock()
	if k == nil || k.inv.tenant.name != c.Tenant {
		return ""
	}
	return k.summary().Scenario
}
