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
	"github.com/kycemu/kycemu/emulator/state"
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
	// PremiumCheckCost is what a premium screening check or a crypto
	// address report costs from Credits. Default 5; standard checks are
	// free.
	PremiumCheckCost int `json:"premiumCheckCost"`
	// License is the state of the company's Gatenox licence: active (the
	// default), expired (checks answer 400 LICENSE_EXPIRED) or exhausted
	// (starting a case answers 400 LICENSE_NOT_ENOUGH_VERIFICATIONS).
	License string `json:"license"`
}

// Licence states.
const (
	licenceActive    = "active"
	licenceExpired   = "expired"
	licenceExhausted = "exhausted"
)

func defaultSettings() Settings {
	return Settings{InviteCost: 1, InvitationTTL: Duration(defaultInvitationTTL), ExternalRiskScore: true,
		AutoSubmit: true, PremiumCheckCost: 5, License: licenceActive}
}

// licenceFor refuses what the company's licence does not allow: every paid
// action once it expired, starting a case (code) once it is exhausted.
func licenceFor(tx *state.Tx, code string) *provider.Error {
	switch settingsOf(tx).License {
	case licenceExpired:
		return statusCode(http.StatusBadRequest, "LICENSE_EXPIRED")
	case licenceExhausted:
		if code != "" {
			return statusCode(http.StatusBadRequest, code)
		}
	}
	return nil
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
	_ = p.state.View(name, func(tx *state.Tx) error {
		s := settingsOf(tx)
		s.Tenant = name
		provider.WriteJSON(w, http.StatusOK, s)
		return nil
	})
}

const settingsUsage = `send {"tenant":"<company access token>","credits":10|null,"inviteCost":1,` +
	`"invitationTTL":"720h","externalRiskScore":true,"riskWebhookURL":"https://…","autoSubmit":true,"blocked":false,` +
	`"premiumCheckCost":5,"license":"active|expired|exhausted"} (all but tenant optional)`

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
		PremiumCheckCost  *int            `json:"premiumCheckCost"`
		License           *string         `json:"license"`
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
	case in.PremiumCheckCost != nil && *in.PremiumCheckCost < 0:
		controlError(w, http.StatusBadRequest, "invalid_body", "premiumCheckCost must be at least 0")
		return
	case in.InvitationTTL != nil && *in.InvitationTTL <= 0:
		controlError(w, http.StatusBadRequest, "invalid_body", "invitationTTL must be longer than zero")
		return
	case in.RiskWebhookURL != nil && *in.RiskWebhookURL != "" && !absoluteHTTP(*in.RiskWebhookURL):
		controlError(w, http.StatusBadRequest, "invalid_body", "riskWebhookURL must be an absolute http or https URL")
		return
	case in.License != nil && !slices.Contains([]string{licenceActive, licenceExpired, licenceExhausted}, *in.License):
		controlError(w, http.StatusBadRequest, "invalid_body", "license must be active, expired or exhausted")
		return
	}
	err := p.state.Update(in.Tenant, func(tx *state.Tx) error {
		s := dataOf(tx).settings()
		if len(in.Credits) > 0 {
			s.Credits = credits
		}
		setIf(&s.InviteCost, in.InviteCost)
		setIf(&s.InvitationTTL, in.InvitationTTL)
		setIf(&s.ExternalRiskScore, in.ExternalRiskScore)
		setIf(&s.RiskWebhookURL, in.RiskWebhookURL)
		setIf(&s.AutoSubmit, in.AutoSubmit)
		setIf(&s.Blocked, in.Blocked)
		setIf(&s.PremiumCheckCost, in.PremiumCheckCost)
		setIf(&s.License, in.License)
		out := *s
		out.Tenant = in.Tenant
		provider.WriteJSON(w, http.StatusOK, out)
		return nil
	})
	if err != nil {
		controlError(w, http.StatusServiceUnavailable, "storage_unavailable", "the settings could not be stored")
	}
}

func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

func absoluteHTTP(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// invitationActions are what the control API can make an invitation's
// invited party (or the company) do; case actions on an invitation go to
// its case.
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

// caseTarget returns the status a case action leads to from a status, or
// false when it is not possible now.
func caseTarget(status, name string) (string, bool) {
	a, known := caseActions[name]
	if !known {
		return "", false
	}
	if to, defined := caseEvents[a.event][status]; defined {
		return to, true
	}
	if a.walk && status == CaseNew {
		to, defined := caseEvents[a.event][CaseInProgress]
		return to, defined
	}
	return "", false
}

// invitationAllows reports whether an invitation action is possible now.
// Resending moves straight back to invited; the party's actions open the
// link first when needed.
func invitationAllows(status, action string) bool {
	to := invitationActions[action]
	if invitationMachine.Can(status, to) {
		return true
	}
	return action != "resend" && status == InvInvited && invitationMachine.Can(InvInProgress, to)
}

func caseActionsOf(r *state.Record) []string { return caseActionsOfStatus(r.Status) }

// invitationActionsOf lists an invitation's actions, then its case's.
func (p *Provider) invitationActionsOf(r *state.Record) []string {
	var out []string
	for _, a := range invitationActionOrder {
		if invitationAllows(r.Status, a) {
			out = append(out, a)
		}
	}
	if inv := state.Data[invitation](r); inv.CaseID != "" {
		out = append(out, caseActionsOfStatus(inv.CaseStatus)...)
	}
	return out
}

func caseActionsOfStatus(status string) []string {
	var out []string
	for _, a := range caseActionOrder {
		if _, can := caseTarget(status, a); can {
			out = append(out, a)
		}
	}
	return out
}

var errUnknownAction = provider.Invalid("action", "unknown action; use open, complete, decline, expire, revoke, resend "+
	"(invitations) or start, qa, back_to_compliance, approve, reject, reopen, request_data_update, cancel_data_update, "+
	"request_risk_score_update, cancel_risk_score_update (cases)").WithCode("unknown_action")

func notAllowed(action, status string) *provider.Error {
	return provider.Errorf(provider.KindConflict, "cannot %s when the status is %s", action, status).WithCode("action_not_allowed")
}

// actOnInvitation forces an outcome on an individual invitation: open,
// complete (the person submits their data, creating the case), decline,
// expire, revoke, resend, or any case action once the case exists.
func (p *Provider) actOnInvitation(tx *state.Tx, r *state.Record, a provider.Action) error {
	inv := state.Data[invitation](r)
	if to, known := invitationActions[a.Name]; known {
		by := actor{by: "control"}
		if to == InvCompleted || to == InvRejected {
			by = personActor(r.ID, "control", nil)
		}
		if !invitationAllows(r.Status, a.Name) || !walkInvitation(r, to, func(to string) bool {
			return p.moveInvitation(tx, r, to, by, a.Reason, inv.Script.Person)
		}) {
			return notAllowed(a.Name, r.Status)
		}
		return nil
	}
	return p.actOnLinkedCase(tx, inv.CaseID, KindCase, a)
}

// corporateInvitationActionsOf lists a corporate invitation's actions
// (accept starts onboarding without sending data), then its case's.
func (p *Provider) corporateInvitationActionsOf(r *state.Record) []string {
	var out []string
	for _, a := range invitationActionOrder {
		if invitationAllows(r.Status, a) {
			out = append(out, a)
			if a == "complete" {
				out = append(out, "accept")
			}
		}
	}
	inv := state.Data[corporateInvitation](r)
	if r.Status == InvCompleted && inv.CaseID == "" {
		out = append(out, "submit")
	}
	if inv.CaseID != "" {
		out = append(out, caseActionsOfStatus(inv.CaseStatus)...)
	}
	return out
}

// actOnCorporateInvitation forces an outcome on a corporate invitation:
// open, accept (onboarding starts), complete or submit (the business user
// sends the company's data, creating the case), decline, expire, revoke,
// resend, or any case action once the case exists.
func (p *Provider) actOnCorporateInvitation(tx *state.Tx, r *state.Record, a provider.Action) error {
	inv := state.Data[corporateInvitation](r)
	by := actor{by: "control"}
	switch to, known := invitationActions[a.Name]; {
	case a.Name == "accept":
		if !invitationAllows(r.Status, "complete") || !walkInvitation(r, InvCompleted, func(to string) bool {
			return p.moveCorporateInvitation(tx, r, to, by, a.Reason, false)
		}) {
			return notAllowed(a.Name, r.Status)
		}
		return nil
	case a.Name == "submit" && r.Status == InvCompleted:
		if inv.CaseID != "" {
			return notAllowed(a.Name, r.Status)
		}
		p.openCorporateCase(tx, r, by, companyForm{})
		return nil
	case known:
		if !invitationAllows(r.Status, a.Name) || !walkInvitation(r, to, func(to string) bool {
			return p.moveCorporateInvitation(tx, r, to, by, a.Reason, true)
		}) {
			return notAllowed(a.Name, r.Status)
		}
		return nil
	}
	return p.actOnLinkedCase(tx, inv.CaseID, KindCorporateCase, a)
}

// actOnLinkedCase applies a case action to an invitation's case.
func (p *Provider) actOnLinkedCase(tx *state.Tx, caseID, kind string, a provider.Action) error {
	if _, known := caseActions[a.Name]; !known {
		return errUnknownAction
	}
	cr := tx.Get(kind, caseID)
	if caseID == "" || cr == nil {
		return provider.Errorf(provider.KindConflict,
			"the invitation has no case yet: complete it first").WithCode("action_not_allowed")
	}
	return p.actOnCase(tx, cr, a)
}

// actOnCase forces an outcome on a case of either kind: start, qa,
// back_to_compliance, approve (or complete), reject, reopen and the data
// and risk score update requests. Approving, rejecting or sending to QA a
// case still new starts it first; an approval without an assessment
// records the scenario's (a low risk by default) with the reason as its
// comment.
func (p *Provider) actOnCase(tx *state.Tx, r *state.Record, a provider.Action) error {
	if _, known := caseActions[a.Name]; !known {
		return errUnknownAction
	}
	to, can := caseTarget(r.Status, a.Name)
	if !can || !p.walkCase(tx, r, to, actor{by: "control"}, a.Reason) {
		return notAllowed(a.Name, r.Status)
	}
	if to == CaseRecalculateRiskScore {
		p.requestRiskScore(tx, r)
	}
	return nil
}

// ScenarioOf returns the scenario of the case a call names.
func (p *Provider) ScenarioOf(c *provider.Call) string {
	id := c.Params["verification_individual_id"]
	for _, k := range []string{"verification_id", "id"} {
		if id == "" {
			id = c.Params[k]
		}
	}
	if id == "" {
		return ""
	}
	var name string
	for _, kind := range anyCase {
		_ = p.state.ViewRecord(kind, id, func(_ *state.Tx, r *state.Record) error {
			if r.Tenant == c.Tenant {
				name = r.Scenario()
			}
			return nil
		})
	}
	return name
}
