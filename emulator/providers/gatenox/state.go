package gatenox

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
)

// Invitation states.
const (
	InvNew        = "new"
	InvInvited    = "invited"
	InvInProgress = "in_progress"
	InvCompleted  = "completed"
	InvExpired    = "expired"
	InvRevoked    = "revoked"
	InvRejected   = "rejected"
)

// Case statuses. Processing is documented as the status before new; kycemu
// creates cases directly in new (its screening takes no time), so no case
// is ever processing, but the first state_change webhook of a case reports
// processing as its previous state.
const (
	CaseProcessing           = "processing"
	CaseNew                  = "new"
	CaseInProgress           = "in_progress"
	CaseDataUpdateRequested  = "data_update_requested"
	CaseRecalculateRiskScore = "recalculate_risk_score"
	CaseQA                   = "qa"
	CaseCompleted            = "completed"
	CaseRejected             = "rejected"
)

// Session kinds, as passed to Scenarios.Plan and listed by the control API.
const (
	KindInvitation          = "invitation"
	KindCase                = "case"
	KindCorporateInvitation = "corporate_invitation"
	KindCorporateCase       = "corporate_case"
)

// invitationMachine: invited (not opened) -> in_progress (opened) ->
// completed (data submitted; for a company: onboarding accepted); expired
// after the time limit, revoked by the company, rejected when the invited
// party declines; resending an expired or opened invitation makes it
// invited again. Invitations are created invited (they are sent at once);
// new is documented and kept in the machine, but kycemu never uses it.
var invitationMachine = provider.NewMachine(InvInvited, map[string][]string{
	InvNew:        {InvInvited, InvRevoked},
	InvInvited:    {InvInProgress, InvExpired, InvRevoked, InvRejected},
	InvInProgress: {InvCompleted, InvExpired, InvRevoked, InvRejected, InvInvited},
	InvExpired:    {InvInvited},
})

// Case workflow events: the state endpoints (the data and risk score
// update requests are served for every case on /api/v1/verifications).
const (
	evStart                 = "start"
	evQA                    = "qa"
	evBackToCompliance      = "back_to_compliance"
	evComplete              = "complete"
	evReopen                = "reopen"
	evReject                = "reject"
	evRequestDataUpdate     = "request_data_update"
	evCancelDataUpdate      = "cancel_data_update"
	evRequestRiskScore      = "request_risk_score_update"
	evCancelRiskScoreUpdate = "cancel_risk_score_update"
	// evDataUpdated is the business user sending the updated data back.
	evDataUpdated = "data_updated"
)

// caseEvents maps each event to the moves it makes: from -> to. This is
// Gatenox's process graph (Corporate verifications, Risk assessment
// process); individual and corporate cases share it.
var caseEvents = map[string]map[string]string{
	evStart:                 {CaseNew: CaseInProgress},
	evQA:                    {CaseInProgress: CaseQA},
	evBackToCompliance:      {CaseQA: CaseInProgress},
	evComplete:              {CaseInProgress: CaseCompleted, CaseQA: CaseCompleted},
	evReopen:                {CaseCompleted: CaseInProgress, CaseRejected: CaseInProgress},
	evReject:                {CaseInProgress: CaseRejected, CaseQA: CaseRejected},
	evRequestDataUpdate:     {CaseInProgress: CaseDataUpdateRequested},
	evCancelDataUpdate:      {CaseDataUpdateRequested: CaseInProgress},
	evDataUpdated:           {CaseDataUpdateRequested: CaseInProgress},
	evRequestRiskScore:      {CaseInProgress: CaseRecalculateRiskScore},
	evCancelRiskScoreUpdate: {CaseRecalculateRiskScore: CaseInProgress},
}

// caseMachine is the union of the events' moves.
var caseMachine = func() *provider.Machine {
	edges := map[string][]string{}
	for _, moves := range caseEvents {
		for from, to := range moves {
			if !slices.Contains(edges[from], to) {
				edges[from] = append(edges[from], to)
			}
		}
	}
	for _, tos := range edges {
		slices.Sort(tos)
	}
	return provider.NewMachine(CaseNew, edges)
}()

// Machines returns the machines of every session kind (for scenario
// checks).
func (p *Provider) Machines() map[string]*provider.Machine {
	return map[string]*provider.Machine{KindInvitation: invitationMachine, KindCase: caseMachine,
		KindCorporateInvitation: invitationMachine, KindCorporateCase: caseMachine,
		KindCheckIndividual: checkMachine, KindCheckCompany: checkMachine, KindCheckCrypto: checkMachine}
}

// Timing defaults, on the emulator clock.
const (
	defaultInvitationTTL = 30 * 24 * time.Hour
	openDelay            = 5 * time.Second
	submitDelay          = 10 * time.Second
	cryptoDelay          = 5 * time.Second
)

// DefaultPlan returns the built-in plan of a session kind: the invited
// person (or business user) opens the link five seconds after the
// invitation is created and submits their data ten seconds later; cases
// then wait for the compliance officer; crypto address reports take five
// seconds, person and company screenings none.
func (p *Provider) DefaultPlan(kind string) *provider.Plan {
	switch kind {
	case KindInvitation, KindCorporateInvitation:
		return &provider.Plan{Steps: []provider.Step{
			{After: openDelay, Status: InvInProgress},
			{From: InvInProgress, After: submitDelay, Status: InvCompleted},
		}}
	case KindCase, KindCorporateCase, KindCheckIndividual, KindCheckCompany:
		return &provider.Plan{}
	case KindCheckCrypto:
		return &provider.Plan{Steps: []provider.Step{{From: CheckProcessing, After: cryptoDelay, Status: CheckCompleted}}}
	}
	return nil
}

// invitee is what both kinds of invitation keep; their state, history and
// times live on the record.
type invitee struct {
	Token      string                  `json:"token"`
	Email      string                  `json:"email"`
	CustomerID *string                 `json:"customerId,omitempty"`
	SuccessURL *string                 `json:"successUrl,omitempty"`
	FailureURL *string                 `json:"failureUrl,omitempty"`
	URL        string                  `json:"url"`
	BaseURL    string                  `json:"baseUrl"`
	Completed  *time.Time              `json:"completed,omitempty"`
	CaseID     string                  `json:"caseId,omitempty"`
	CasePlan   *provider.Plan          `json:"casePlan,omitempty"`
	Script     script                  `json:"script"`
	Faults     []provider.WebhookFault `json:"faults,omitempty"`
	// CaseStatus mirrors the case's status, for the control API's list of
	// what the invitation allows.
	CaseStatus string `json:"caseStatus,omitempty"`
}

func (i *invitee) base() *invitee { return i }

// invitationOf is the common part of an invitation record of either kind.
func invitationOf(r *state.Record) *invitee { return r.Data.(interface{ base() *invitee }).base() }

// invitation is an individual invitation (record kind "invitation").
type invitation struct {
	invitee
	// DisplayName is the person's name once they submitted their data.
	DisplayName string `json:"displayName,omitempty"`
}

// mirror copies a case's status to its invitation.
func mirror(tx *state.Tx, r *state.Record) {
	kind := KindInvitation
	if r.Kind == KindCorporateCase {
		kind = KindCorporateInvitation
	}
	if ir := tx.Get(kind, reviewOf(r).InvitationID); ir != nil {
		invitationOf(ir).CaseStatus = r.Status
	}
}

// casePlanOf is the plan of an invitation's case: its own, named after the
// invitation's scenario when it has none of its own.
func casePlanOf(ir *state.Record, inv *invitee, kind string, p *Provider) *provider.Plan {
	plan := inv.CasePlan
	if plan == nil {
		plan = p.DefaultPlan(kind)
	}
	if plan.Scenario == "" && ir.Plan != nil && ir.Plan.Scenario != "" {
		cp := *plan
		cp.Scenario = ir.Plan.Scenario
		plan = &cp
	}
	return plan
}

// review is what both kinds of case share: who was invited, the compliance
// officer's fields, the current external risk score record, the audit log.
type review struct {
	InvitationID      string                  `json:"invitationId"`
	Email             string                  `json:"email"`
	CustomerID        string                  `json:"customerId,omitempty"`
	BaseURL           string                  `json:"baseUrl"`
	Assessment        *string                 `json:"assessment,omitempty"`
	AssessmentComment *string                 `json:"assessmentComment,omitempty"`
	QAComment         *string                 `json:"qaComment,omitempty"`
	RejectionComment  *string                 `json:"rejectionComment,omitempty"`
	ReopenAt          *time.Time              `json:"reopenAt,omitempty"`
	LastDataUpdate    time.Time               `json:"lastDataUpdate"`
	Updated           time.Time               `json:"updated"`
	ScoreID           string                  `json:"scoreId,omitempty"`
	Audits            []audit                 `json:"audits"`
	Associated        []audit                 `json:"associated"`
	Version           int                     `json:"version"`
	Script            script                  `json:"script"`
	Faults            []provider.WebhookFault `json:"faults,omitempty"`
}

// reviewed is a case of either kind.
type reviewed interface {
	rev() *review
	// revise records the case as it is now as its newest revision
	// (revisions within one second collapse into the last).
	revise(p *Provider, tx *state.Tx, r *state.Record)
}

func reviewOf(r *state.Record) *review { return r.Data.(reviewed).rev() }

// revision is an individual case as it was from one second on.
type revision struct {
	At   int64    `json:"at"`
	View caseView `json:"view"`
}

// kase is an individual (KYC) case: record kind "case".
type kase struct {
	review
	Person    personRec  `json:"person"`
	Revisions []revision `json:"revisions"`
}

func (k *kase) rev() *review { return &k.review }

func (k *kase) revise(p *Provider, tx *state.Tx, r *state.Record) {
	rv := revision{At: tx.Now().Unix(), View: p.caseViewOf(tx, r)}
	if n := len(k.Revisions); n > 0 && k.Revisions[n-1].At == rv.At {
		k.Revisions[n-1] = rv
		return
	}
	k.Revisions = append(k.Revisions, rv)
}

func (k *kase) timestamps() []int64 {
	out := make([]int64, len(k.Revisions))
	for i, rv := range k.Revisions {
		out[i] = rv.At
	}
	return out
}

// riskScore is an external risk score record (record kind
// "external_risk_score"), waiting for a score from the company.
type riskScore struct {
	CaseID   string    `json:"caseId"`
	CaseKind string    `json:"caseKind"`
	Simple   *string   `json:"simple,omitempty"`
	Score    *string   `json:"score,omitempty"`
	Reasons  []string  `json:"reasons,omitempty"`
	Detailed bool      `json:"detailed"`
	Created  time.Time `json:"created"`
	Updated  time.Time `json:"updated"`
}

// actor is who makes a change: the company's API token, the invited
// person, a scenario timeline, the clock or the control API.
type actor struct {
	by        string // client, page, timeline, clock, control
	userType  *string
	userID    *string
	username  *string
	remote    *string
	requestID *string
}

var (
	userAPI    = "User"
	userPerson = "KYCAccessToken"
	apiName    = "api"
)

// change is what a move writes besides the status.
type change struct {
	assessment        *string
	assessmentComment *string
	qaComment         *string
	rejectionComment  *string
}

// moveInvite changes an invitation's state (either kind) if the machine
// allows it and reports whether it did. Completing stamps completed_at and
// runs onComplete (which makes the case, if any); a resent invitation gets
// a fresh time limit.
func (p *Provider) moveInvite(tx *state.Tx, r *state.Record, to string, a actor, reason string, onComplete func()) bool {
	if !invitationMachine.Can(r.Status, to) {
		return false
	}
	if to == InvInvited {
		tx.Unschedule(r) // the old time limit goes
	}
	tx.Move(r, to, a.by, reason)
	switch to {
	case InvCompleted:
		now := tx.Now()
		invitationOf(r).Completed = &now
		onComplete()
	case InvInvited:
		p.scheduleExpiry(tx, r)
	}
	return true
}

// moveInvitation moves an individual invitation; completing it creates the
// case with what the person submitted.
func (p *Provider) moveInvitation(tx *state.Tx, r *state.Record, to string, a actor, reason string, sub submission) bool {
	return p.moveInvite(tx, r, to, a, reason, func() { p.openCase(tx, r, a, sub) })
}

// scheduleExpiry arms an invitation's time limit.
func (p *Provider) scheduleExpiry(tx *state.Tx, r *state.Record) {
	ttl := time.Duration(settingsOf(tx).InvitationTTL)
	tx.Schedule(r, tx.Now().Add(ttl), provider.Step{Status: InvExpired, Reason: "the invitation expired"})
}

// walkInvitation forces an invitation towards to, opening it first when
// needed; it reports false, moving nothing, when to cannot be reached.
func walkInvitation(r *state.Record, to string, move func(to string) bool) bool {
	if invitationMachine.Can(r.Status, to) {
		return move(to)
	}
	if r.Status == InvInvited && invitationMachine.Can(InvInProgress, to) {
		move(InvInProgress)
		return move(to)
	}
	return false
}

func (p *Provider) fireInvitation(tx *state.Tx, r *state.Record, st provider.Step) {
	inv := state.Data[invitation](r)
	a := actor{by: "timeline"}
	switch {
	case st.Status == InvExpired && st.Reason == "the invitation expired":
		a = actor{by: "clock"}
	case st.Status == InvCompleted || st.Status == InvRejected:
		a = personActor(r.ID, "timeline", nil)
	}
	p.moveInvitation(tx, r, st.Status, a, st.Reason, inv.Script.Person)
}

// personActor is the invited person, acting through their invitation.
func personActor(invitationID, by string, pr *pageRequest) actor {
	a := actor{by: by, userType: &userPerson, userID: strPtr(invitationID)}
	if pr != nil {
		a.remote, a.requestID = pr.remote, pr.requestID
	}
	return a
}

// moveCase applies an event's move to a case of either kind, with what the
// call brought, and reports whether the machine allowed it; the caller has
// checked the call's fields.
func (p *Provider) moveCase(tx *state.Tx, r *state.Record, to string, a actor, ch change, reason string) bool {
	if !caseMachine.Can(r.Status, to) {
		return false
	}
	rv := reviewOf(r)
	now := tx.Now()
	from := r.Status
	changes := map[string]any{"status": []any{from, to}}
	set := func(field string, dst **string, v *string) {
		if v == nil || (*dst != nil && **dst == *v) {
			return
		}
		changes[field] = []any{*dst, *v}
		val := *v
		*dst = &val
	}
	set("assessment", &rv.Assessment, ch.assessment)
	set("assessment_comment", &rv.AssessmentComment, ch.assessmentComment)
	set("qa_comment", &rv.QAComment, ch.qaComment)
	set("rejection_comment", &rv.RejectionComment, ch.rejectionComment)
	if to == CaseInProgress && (from == CaseCompleted || from == CaseRejected) {
		changes["reopen_at"] = []any{stampPtr(rv.ReopenAt), stamp(now)}
		rv.ReopenAt = &now
	}
	rv.Updated = now
	tx.Move(r, to, a.by, reason)
	mirror(tx, r)
	p.audit(tx, r, "update", changes, a, nil)
	r.Data.(reviewed).revise(p, tx, r)
	p.stateChange(tx, r, from, to)
	return true
}

// forced is the change a timeline or the control API makes with a move:
// an approval or a move to QA without an assessment gets the scenario's
// (by default a low risk); a rejection takes the reason as its comment.
func forced(rv *review, to, reason string) change {
	var ch change
	if (to == CaseCompleted || to == CaseQA) && rv.Assessment == nil {
		a := rv.Script.Assessment
		if a == "" {
			a = "risk_low"
		}
		ch.assessment = &a
	}
	if (to == CaseCompleted || to == CaseQA) && rv.AssessmentComment == nil {
		c := reason
		if c == "" {
			c = "assessed by kycemu"
		}
		ch.assessmentComment = &c
	}
	if to == CaseRejected && reason != "" {
		ch.rejectionComment = &reason
	}
	return ch
}

// walkCase forces a case towards to along new -> in_progress, sending a
// webhook for each move; it reports false, moving nothing, when to cannot
// be reached.
func (p *Provider) walkCase(tx *state.Tx, r *state.Record, to string, a actor, reason string) bool {
	if !caseMachine.Can(r.Status, to) {
		if r.Status != CaseNew || !caseMachine.Can(CaseInProgress, to) {
			return false
		}
		p.moveCase(tx, r, CaseInProgress, a, change{}, "")
	}
	return p.moveCase(tx, r, to, a, forced(reviewOf(r), to, reason), reason)
}

func (p *Provider) fireCase(tx *state.Tx, r *state.Record, st provider.Step) {
	p.moveCase(tx, r, st.Status, actor{by: "timeline"}, forced(reviewOf(r), st.Status, st.Reason), st.Reason)
}

// audit appends a row about the case itself. comment is nil or, on a
// sanctions_check row, the check it reports.
func (p *Provider) audit(tx *state.Tx, r *state.Record, action string, changes map[string]any, a actor, comment *sanctionsComment) {
	rv := reviewOf(r)
	d := dataOf(tx)
	d.AuditSeq++
	rv.Version++
	rv.Audits = append(rv.Audits, audit{
		ID: d.AuditSeq, AuditableID: r.ID, AuditableType: auditableTypeOf(r), UserID: a.userID, UserType: a.userType,
		Username: a.username, Action: action, AuditedChanges: changes, Version: rv.Version,
		RemoteAddress: a.remote, RequestUUID: requestUUID(tx, a), CreatedAt: stamp(tx.Now()), Comment: comment,
	})
}

// associate appends a row about the data a case was made of (action
// create or update).
func (p *Provider) associate(tx *state.Tx, r *state.Record, auditable, auditableType, action string, changes map[string]any, a actor) {
	rv := reviewOf(r)
	d := dataOf(tx)
	d.AuditSeq++
	version := 1
	for _, row := range rv.Associated {
		if row.AuditableID == auditable {
			version++
		}
	}
	rv.Associated = append(rv.Associated, audit{
		ID: d.AuditSeq, AuditableID: auditable, AuditableType: auditableType, AssociatedID: strPtr(r.ID),
		AssociatedType: strPtr(auditableTypeOf(r)), UserID: a.userID, UserType: a.userType, Username: a.username,
		Action: action, AuditedChanges: changes, Version: version, RemoteAddress: a.remote,
		RequestUUID: requestUUID(tx, a), CreatedAt: stamp(tx.Now()),
	})
}

// auditableTypeOf is what Gatenox's audit log calls a case: an individual
// case a Review, a corporate one a Verification.
func auditableTypeOf(r *state.Record) string {
	if r.Kind == KindCorporateCase {
		return "Verification"
	}
	return "Review"
}

// requestUUID is the id of the request a change came with; a change the
// emulator makes on its own (a timeline, the clock, the control API) runs
// as a job of its own, with a fresh id, as Gatenox's background jobs do.
func requestUUID(tx *state.Tx, a actor) string {
	if a.requestID != nil {
		return *a.requestID
	}
	return tx.Rand().UUID()
}

type stateChangeEvent struct {
	Event          string `json:"event"`
	NewState       string `json:"new_state"`
	PrevState      string `json:"prev_state"`
	VerificationID string `json:"verification_id"`
}

type riskRequestedEvent struct {
	Event               string `json:"event"`
	VerificationID      string `json:"verification_id"`
	ExternalRiskScoreID string `json:"external_risk_score_id"`
}

// Webhook event names.
const (
	EventStateChange        = "state_change"
	EventRiskScoreRequested = "external_risk_score_requested"
)

// stateChange sends the unsigned state_change webhook (Send never blocks).
func (p *Provider) stateChange(tx *state.Tx, r *state.Record, from, to string) {
	p.send(r, "", EventStateChange, stateChangeEvent{Event: EventStateChange, NewState: to, PrevState: from, VerificationID: r.ID})
}

// createRiskScore creates an empty external risk score record for a case
// (announce it with announceRiskScore once the case is saved).
func (p *Provider) createRiskScore(tx *state.Tx, r *state.Record) {
	now := tx.Now()
	id := tx.Rand().UUID()
	if _, err := tx.Create(state.NewRecord{Kind: kindScore, ID: id,
		Data: &riskScore{CaseID: r.ID, CaseKind: r.Kind, Created: now, Updated: now}}); err != nil {
		p.env.Log.Error("gatenox risk score record not created", "error", err)
		return
	}
	reviewOf(r).ScoreID = id
}

// announceRiskScore sends external_risk_score_requested for the case's
// current record, to the risk-calculation URL when the company set one.
func (p *Provider) announceRiskScore(tx *state.Tx, r *state.Record) {
	p.send(r, settingsOf(tx).RiskWebhookURL, EventRiskScoreRequested, riskRequestedEvent{
		Event: EventRiskScoreRequested, VerificationID: r.ID, ExternalRiskScoreID: reviewOf(r).ScoreID})
}

func (p *Provider) send(r *state.Record, url, name string, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		p.env.Log.Error("gatenox webhook encoding failed", "error", err)
		return
	}
	p.env.Webhooks.Send(provider.Event{Provider: Name, Tenant: r.Tenant, URL: url, Name: name,
		SessionID: r.ID, Body: body, Sign: nil, Faults: reviewOf(r).Faults})
}
