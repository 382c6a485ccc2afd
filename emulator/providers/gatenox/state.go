package gatenox

import (
	"encoding/json"
	"slices"
	"sync"
	"time"

	"github.com/kycemu/kycemu/emulator/internal/fake"
	"github.com/kycemu/kycemu/emulator/provider"
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
	KindInvitation = "invitation"
	KindCase       = "case"
)

// invitationMachine: invited (not opened) -> in_progress (opened) ->
// completed (data submitted); expired after the time limit, revoked by the
// company, rejected when the person declines; resending an expired or
// opened invitation makes it invited again. Invitations are created
// invited (they are sent at once); new is documented and kept in the
// machine, but kycemu never uses it.
var invitationMachine = provider.NewMachine(InvInvited, map[string][]string{
	InvNew:        {InvInvited, InvRevoked},
	InvInvited:    {InvInProgress, InvExpired, InvRevoked, InvRejected},
	InvInProgress: {InvCompleted, InvExpired, InvRevoked, InvRejected, InvInvited},
	InvExpired:    {InvInvited},
})

// Case workflow events: the state endpoints, and the requests for a data
// or risk score update that the emulator's control API makes.
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
)

// caseEvents maps each event to the moves it makes: from -> to.
var caseEvents = map[string]map[string]string{
	evStart:                 {CaseNew: CaseInProgress},
	evQA:                    {CaseInProgress: CaseQA},
	evBackToCompliance:      {CaseQA: CaseInProgress},
	evComplete:              {CaseInProgress: CaseCompleted, CaseQA: CaseCompleted},
	evReopen:                {CaseCompleted: CaseInProgress, CaseRejected: CaseInProgress},
	evReject:                {CaseInProgress: CaseRejected, CaseQA: CaseRejected},
	evRequestDataUpdate:     {CaseInProgress: CaseDataUpdateRequested},
	evCancelDataUpdate:      {CaseDataUpdateRequested: CaseInProgress},
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

// Machines returns the invitation and case machines (for scenario checks).
func (p *Provider) Machines() map[string]*provider.Machine {
	return map[string]*provider.Machine{KindInvitation: invitationMachine, KindCase: caseMachine}
}

// Timing defaults, on the emulator clock.
const (
	defaultInvitationTTL = 30 * 24 * time.Hour
	openDelay            = 5 * time.Second
	submitDelay          = 10 * time.Second
)

// DefaultPlan returns the built-in plan of a session kind: the invited
// person opens the link five seconds after the invitation is created and
// submits their data ten seconds later; the case then waits for the
// compliance officer.
func (p *Provider) DefaultPlan(kind string) *provider.Plan {
	switch kind {
	case KindInvitation:
		return &provider.Plan{Steps: []provider.Step{
			{After: openDelay, Status: InvInProgress},
			{From: InvInProgress, After: submitDelay, Status: InvCompleted},
		}}
	case KindCase:
		return &provider.Plan{}
	}
	return nil
}

type tenant struct {
	name string
	rand *fake.Source

	mu        sync.Mutex
	settings  Settings
	invites   map[string]*invitation
	byToken   map[string]*invitation
	invOrder  []*invitation
	cases     map[string]*kase
	caseOrder []*kase
	scores    map[string]*riskScore
	files     map[string]*file
	auditSeq  int
	sequence  int
}

func (p *Provider) newTenant(name string) *tenant {
	return &tenant{
		name:     name,
		rand:     p.env.Rand.Derive(Name, name),
		settings: defaultSettings(name),
		invites:  map[string]*invitation{},
		byToken:  map[string]*invitation{},
		cases:    map[string]*kase{},
		scores:   map[string]*riskScore{},
		files:    map[string]*file{},
	}
}

// next returns the tenant's next sequence number (creation order).
func (t *tenant) next() int { t.sequence++; return t.sequence }

type invitation struct {
	id, token  string
	seq        int
	tenant     *tenant
	email      string
	customerID *string
	successURL *string
	failureURL *string
	url        string
	baseURL    string
	state      string
	created    time.Time
	updated    time.Time
	completed  *time.Time
	kase       *kase

	invPlan  *provider.Plan
	casePlan *provider.Plan
	script   script
	faults   []provider.WebhookFault
	timeline *provider.Timeline
	expiry   *provider.Timeline
	history  []provider.Transition
	gone     bool
}

type kase struct {
	id                string
	seq               int
	inv               *invitation
	status            string
	assessment        *string
	assessmentComment *string
	qaComment         *string
	rejectionComment  *string
	reopenAt          *time.Time
	lastDataUpdate    time.Time
	created           time.Time
	updated           time.Time
	person            *person
	addresses         []*address
	score             *riskScore
	revisions         []revision
	audits            []audit
	associated        []audit
	version           int

	timeline *provider.Timeline
	history  []provider.Transition
}

// revision is the case as it was from one second on.
type revision struct {
	at   int64
	view caseView
}

type riskScore struct {
	id       string
	kase     *kase
	simple   *string
	score    *string
	reasons  []string
	detailed bool
	created  time.Time
	updated  time.Time
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

// moveInvitation changes an invitation's state if the machine allows it
// and reports whether it did; the caller holds the tenant lock. Completing
// creates the case.
func (p *Provider) moveInvitation(inv *invitation, to string, a actor, reason string, sub submission) bool {
	if inv.gone || !invitationMachine.Can(inv.state, to) {
		return false
	}
	now := p.env.Clock.Now()
	inv.history = append(inv.history, provider.Transition{From: inv.state, To: to, At: now, By: a.by, Reason: reason})
	inv.state, inv.updated = to, now
	switch to {
	case InvCompleted:
		inv.completed = &now
		p.openCase(inv, a, sub, now)
	case InvInvited:
		// A resent invitation gets a fresh time limit.
		inv.expiry.Stop()
		inv.expiry = p.expiryTimeline(inv)
		inv.expiry.Created()
	}
	if invitationMachine.Terminal(to) {
		inv.timeline.Stop()
		inv.expiry.Stop()
	} else {
		inv.timeline.Entered(to)
	}
	return true
}

// walkInvitation forces an invitation towards to, opening it first when
// needed; it reports false, moving nothing, when to cannot be reached.
func (p *Provider) walkInvitation(inv *invitation, to string, a actor, reason string, sub submission) bool {
	if invitationMachine.Can(inv.state, to) {
		return p.moveInvitation(inv, to, a, reason, sub)
	}
	if inv.state == InvInvited && invitationMachine.Can(InvInProgress, to) {
		p.moveInvitation(inv, InvInProgress, a, "", sub)
		return p.moveInvitation(inv, to, a, reason, sub)
	}
	return false
}

func (p *Provider) expiryTimeline(inv *invitation) *provider.Timeline {
	ttl := time.Duration(inv.tenant.settings.InvitationTTL)
	steps := []provider.Step{{After: ttl, Status: InvExpired, Reason: "the invitation expired"}}
	return provider.NewTimeline(p.env.Clock, steps, func(st provider.Step) {
		t := inv.tenant
		t.mu.Lock()
		defer t.mu.Unlock()
		p.moveInvitation(inv, st.Status, actor{by: "clock"}, st.Reason, submission{})
	})
}

func (p *Provider) fireInvitation(inv *invitation) func(provider.Step) {
	return func(st provider.Step) {
		t := inv.tenant
		t.mu.Lock()
		defer t.mu.Unlock()
		a := actor{by: "timeline"}
		if st.Status == InvCompleted || st.Status == InvRejected {
			a = personActor(inv, "timeline", nil)
		}
		p.moveInvitation(inv, st.Status, a, st.Reason, inv.script.person)
	}
}

// personActor is the invited person, acting through their invitation.
func personActor(inv *invitation, by string, r *pageRequest) actor {
	a := actor{by: by, userType: &userPerson, userID: strPtr(inv.id)}
	if r != nil {
		a.remote, a.requestID = r.remote, r.requestID
	}
	return a
}

// moveCase applies an event's move to a case, with what the call brought,
// and reports whether the machine allowed it; the caller holds the tenant
// lock and has checked the call's fields.
func (p *Provider) moveCase(k *kase, to string, a actor, ch change, reason string) bool {
	if k.inv.gone || !caseMachine.Can(k.status, to) {
		return false
	}
	now := p.env.Clock.Now()
	from := k.status
	changes := map[string]any{"status": []any{from, to}}
	set := func(field string, dst **string, v *string) {
		if v == nil || (*dst != nil && **dst == *v) {
			return
		}
		changes[field] = []any{*dst, *v}
		val := *v
		*dst = &val
	}
	set("assessment", &k.assessment, ch.assessment)
	set("assessment_comment", &k.assessmentComment, ch.assessmentComment)
	set("qa_comment", &k.qaComment, ch.qaComment)
	set("rejection_comment", &k.rejectionComment, ch.rejectionComment)
	if to == CaseInProgress && (from == CaseCompleted || from == CaseRejected) {
		changes["reopen_at"] = []any{stampPtr(k.reopenAt), stamp(now)}
		k.reopenAt = &now
	}
	k.status, k.updated = to, now
	k.history = append(k.history, provider.Transition{From: from, To: to, At: now, By: a.by, Reason: reason})
	p.audit(k, "update", changes, a, nil, now)
	p.revise(k, now)
	p.stateChange(k, from, to)
	k.timeline.Entered(to)
	return true
}

// forced is the change a timeline or the control API makes with a move:
// an approval or a move to QA without an assessment gets the scenario's
// (by default a low risk).
func forced(k *kase, to, reason string) change {
	var ch change
	if (to == CaseCompleted || to == CaseQA) && k.assessment == nil {
		a := k.inv.script.assessment
		if a == "" {
			a = "risk_low"
		}
		ch.assessment = &a
	}
	if (to == CaseCompleted || to == CaseQA) && k.assessmentComment == nil {
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
func (p *Provider) walkCase(k *kase, to string, a actor, reason string) bool {
	if !caseMachine.Can(k.status, to) {
		if k.status != CaseNew || !caseMachine.Can(CaseInProgress, to) {
			return false
		}
		p.moveCase(k, CaseInProgress, a, change{}, "")
	}
	return p.moveCase(k, to, a, forced(k, to, reason), reason)
}

func (p *Provider) fireCase(k *kase) func(provider.Step) {
	return func(st provider.Step) {
		t := k.inv.tenant
		t.mu.Lock()
		defer t.mu.Unlock()
		p.moveCase(k, st.Status, actor{by: "timeline"}, forced(k, st.Status, st.Reason), st.Reason)
	}
}

// audit appends a row about the case itself; the caller holds the lock.
// comment is nil or, on a sanctions_check row, the check it reports.
func (p *Provider) audit(k *kase, action string, changes map[string]any, a actor, comment *sanctionsComment, now time.Time) {
	t := k.inv.tenant
	t.auditSeq++
	k.version++
	k.audits = append(k.audits, audit{
		ID: t.auditSeq, AuditableID: k.id, AuditableType: "Review", UserID: a.userID, UserType: a.userType,
		Username: a.username, Action: action, AuditedChanges: changes, Version: k.version,
		RemoteAddress: a.remote, RequestUUID: t.requestUUID(a), CreatedAt: stamp(now), Comment: comment,
	})
}

// requestUUID is the id of the request a change came with; a change the
// emulator makes on its own (a timeline, the clock, the control API) runs
// as a job of its own, with a fresh id, as Gatenox's background jobs do.
func (t *tenant) requestUUID(a actor) string {
	if a.requestID != nil {
		return *a.requestID
	}
	return t.rand.UUID()
}

// revise records the case as it is now; revisions within one second
// collapse into the last.
func (p *Provider) revise(k *kase, now time.Time) {
	r := revision{at: now.Unix(), view: k.view()}
	if n := len(k.revisions); n > 0 && k.revisions[n-1].at == r.at {
		k.revisions[n-1] = r
		return
	}
	k.revisions = append(k.revisions, r)
}

// at returns the case as it was at a unix time, or false before it
// existed.
func (k *kase) at(ts int64) (caseView, bool) {
	for i := len(k.revisions) - 1; i >= 0; i-- {
		if k.revisions[i].at <= ts {
			return k.revisions[i].view, true
		}
	}
	return caseView{}, false
}

func (k *kase) timestamps() []int64 {
	out := make([]int64, len(k.revisions))
	for i, r := range k.revisions {
		out[i] = r.at
	}
	return out
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

// stateChange sends the unsigned state_change webhook; the caller holds
// the tenant lock (Send never blocks).
func (p *Provider) stateChange(k *kase, from, to string) {
	p.send(k, "", EventStateChange, stateChangeEvent{Event: EventStateChange, NewState: to, PrevState: from, VerificationID: k.id})
}

// riskRequested announces a new external risk score record, to the
// risk-calculation URL when the company set one.
func (p *Provider) riskRequested(k *kase, s *riskScore) {
	p.send(k, k.inv.tenant.settings.RiskWebhookURL, EventRiskScoreRequested,
		riskRequestedEvent{Event: EventRiskScoreRequested, VerificationID: k.id, ExternalRiskScoreID: s.id})
}

func (p *Provider) send(k *kase, url, name string, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		p.env.Log.Error("gatenox webhook encoding failed", "error", err)
		return
	}
	p.env.Webhooks.Send(provider.Event{Provider: Name, Tenant: k.inv.tenant.name, URL: url, Name: name,
		SessionID: k.id, Body: body, Sign: nil, Faults: k.inv.faults})
}
