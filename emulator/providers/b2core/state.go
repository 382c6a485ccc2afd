package b2core

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/kycemu/kycemu/emulator/internal/fake"
	"github.com/kycemu/kycemu/emulator/provider"
)

// Statuses of a verification procedure (an application for the next level).
const (
	InProgress = "in_progress" // wizard steps remain
	Submitted  = "submitted"   // every step is in; the application awaits review
	Approved   = "approved"    // the level was granted
	Rejected   = "rejected"    // the level was refused; the client may apply again
	Expired    = "expired"     // the wizard was abandoned; its uuid is stale
)

// LevelRef names a verification level as the history shows it.
type LevelRef struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

// tenant is one client account (named by its email) and everything it owns.
type tenant struct {
	name string
	rand *fake.Source

	mu           sync.Mutex
	account      *account // nil until sign-up (or after sign-in attempts on an unknown email)
	failures     []time.Time
	blockedUntil time.Time
	history      []*record
	procs        map[string]*procedure
	order        []*procedure
	files        map[string]*file
	recordSeq    int
	appSeq       int
}

type account struct {
	clientID int
	email    string
	password [32]byte
	level    LevelRef
	created  time.Time
}

// record is one grant of a verification level.
type record struct {
	id       int
	clientID int
	current  LevelRef
	previous *LevelRef
	reason   string
	userID   int
	created  time.Time
}

type file struct {
	path    string
	name    string
	size    int
	mime    string
	created time.Time
}

func (p *Provider) newTenant(name string) *tenant {
	r := p.env.Rand.Derive(Name, name)
	return &tenant{
		name:      name,
		rand:      r,
		procs:     map[string]*procedure{},
		files:     map[string]*file{},
		recordSeq: 10 + r.Intn(9000)*10,
		appSeq:    100 + r.Intn(900),
	}
}

// addRecord appends a level grant. The caller holds the tenant lock.
func (t *tenant) addRecord(at time.Time, previous *LevelRef, current LevelRef, reason string) {
	t.recordSeq++
	t.history = append(t.history, &record{id: t.recordSeq, clientID: t.account.clientID, current: current,
		previous: previous, reason: reason, userID: systemUser, created: at})
}

// open returns the procedure a wizard call resumes: the latest one still in
// progress or awaiting review.
func (t *tenant) open() *procedure {
	for i := len(t.order) - 1; i >= 0; i-- {
		if s := t.order[i].status; s == InProgress || s == Submitted {
			return t.order[i]
		}
	}
	return nil
}

// client finds the calling client's tenant and locks it. The caller must
// call unlock.
func (p *Provider) client(name string) (*tenant, func(), *provider.Error) {
	t, ok := p.tenants.Lookup(name)
	if !ok {
		return nil, nil, unauthorized("the access token is not valid")
	}
	t.mu.Lock()
	if t.account == nil {
		t.mu.Unlock()
		return nil, nil, unauthorized("the access token is not valid")
	}
	return t, t.mu.Unlock, nil
}

// procedure is one verification procedure: the wizard for one level.
type procedure struct {
	id      string // the wizard uuid
	app     int    // application number, shown in the grant's reason
	tenant  *tenant
	level   LevelRef // the level applied for
	steps   []Step
	next    int // index of the step the wizard expects
	status  string
	created time.Time
	updated time.Time
	reason  string // why it was rejected

	plan      *provider.Plan
	immediate []provider.Step // plan steps without delay, applied synchronously
	timeline  *provider.Timeline
	history   []provider.Transition
	gone      bool
}

// start creates a procedure for the next level. The caller holds the
// tenant lock.
func (p *Provider) start(t *tenant, level Level, steps []Step, plan *provider.Plan, now time.Time) *procedure {
	t.appSeq++
	pr := &procedure{id: t.rand.UUID(), app: t.appSeq, tenant: t, level: LevelRef{ID: level.ID, Name: level.Name},
		steps: steps, status: InProgress, created: now, updated: now, plan: plan,
		history: []provider.Transition{{To: InProgress, At: now, By: "client"}}}
	var delayed []provider.Step
	for _, s := range plan.Steps {
		if s.After <= 0 {
			pr.immediate = append(pr.immediate, s)
		} else {
			delayed = append(delayed, s)
		}
	}
	pr.timeline = provider.NewTimeline(p.env.Clock, delayed, p.fire(pr))
	t.procs[pr.id] = pr
	t.order = append(t.order, pr)
	p.mu.Lock()
	p.procs[pr.id] = t
	p.mu.Unlock()
	p.enter(pr, "")
	if pr.status == InProgress {
		p.enter(pr, InProgress)
	}
	return pr
}

// enter applies the plan's undelayed steps anchored at status (the first
// one the machine allows wins) and schedules the delayed ones.
func (p *Provider) enter(pr *procedure, status string) {
	for _, s := range pr.immediate {
		if s.From == status && p.move(pr, s.Status, "timeline", s.Reason) {
			return
		}
	}
	pr.timeline.Entered(status)
}

// move changes the status if the machine allows it and runs what follows
// from the new status; it reports whether it moved. The caller holds the
// tenant lock.
func (p *Provider) move(pr *procedure, to, by, reason string) bool {
	if pr.gone || !p.machine.Can(pr.status, to) {
		return false
	}
	p.transition(pr, to, by, reason)
	if p.machine.Terminal(to) {
		pr.timeline.Stop()
	} else {
		p.enter(pr, to)
	}
	return true
}

// transition records a status change and its effect on the client's level,
// without scheduling anything.
func (p *Provider) transition(pr *procedure, to, by, reason string) {
	now := p.env.Clock.Now()
	pr.history = append(pr.history, provider.Transition{From: pr.status, To: to, At: now, By: by, Reason: reason})
	pr.status, pr.updated = to, now
	t := pr.tenant
	if t.account == nil {
		return
	}
	switch to {
	case Approved:
		prev := t.account.level
		t.account.level = pr.level
		t.addRecord(now, &prev, pr.level, fmt.Sprintf("Application: %d", pr.app))
	case Rejected:
		if reason == "" {
			reason = "documents were not accepted"
		}
		pr.reason = reason
		lvl := t.account.level
		t.addRecord(now, &lvl, lvl, fmt.Sprintf("Application: %d rejected: %s", pr.app, reason))
	}
}

// fire applies a delayed plan step.
func (p *Provider) fire(pr *procedure) func(provider.Step) {
	return func(st provider.Step) {
		t := pr.tenant
		t.mu.Lock()
		defer t.mu.Unlock()
		p.move(pr, st.Status, "timeline", st.Reason)
	}
}

// defaultPlan follows the configured review: approve (or reject) the
// application the configured delay after its last step, or wait for the
// control API.
func defaultPlan(cfg *Config) *provider.Plan {
	r := cfg.Review
	switch r.Decision {
	case DecisionApprove:
		return &provider.Plan{Steps: []provider.Step{{From: Submitted, After: time.Duration(r.Delay), Status: Approved}}}
	case DecisionReject:
		return &provider.Plan{Steps: []provider.Step{{From: Submitted, After: time.Duration(r.Delay), Status: Rejected, Reason: r.Reason}}}
	}
	return &provider.Plan{}
}

// stepOf says where a document type sits relative to the current step:
// 0 in it, -1 only in an earlier (submitted) step, 1 in a later one, 2 in
// none. Only called while steps remain.
func (pr *procedure) stepOf(typ int) int {
	if slices.Contains(pr.steps[pr.next].Types, typ) {
		return 0
	}
	for i, s := range pr.steps {
		if slices.Contains(s.Types, typ) {
			if i < pr.next {
				return -1
			}
			return 1
		}
	}
	return 2
}
