package b2core

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
)

// Statuses of a verification procedure (an application for the next level).
const (
	InProgress = "in_progress" // wizard steps remain
	Submitted  = "submitted"   // every step is in; the application awaits review
	Approved   = "approved"    // the level was granted
	Rejected   = "rejected"    // the level was refused; the client may apply again
	Expired    = "expired"     // the wizard was abandoned; its uuid is stale
)

// Record kinds besides Kind (the verification procedure, id = its wizard
// uuid). Every kind but the wizard lives in the client's tenant.
const (
	kindClient = "client" // the client account, id = the tenant (the email)
	kindToken  = "token"  // an access or refresh token, id = its jti claim
	kindFile   = "file"   // an uploaded file, id = its path
	kindWizard = "wizard" // a sign-up or sign-in wizard, id = its uuid, in anonTenant
)

// byClientID indexes accounts by client id across every tenant, so no two
// clients share one.
const byClientID = "clientId"

// anonTenant keeps the sign-up and sign-in wizards, which belong to no
// client yet. It is not an email, so it is never a client's tenant, and its
// random stream is Derive(b2core, wizards), the one wizard uuids always
// came from.
const anonTenant = "wizards"

// Token statuses: a token is active until it expires or is revoked (by
// sign-out, by refreshing, or when the client signs in more than
// maxSessions times); a spent token is kept for the store's retention, so it
// answers why it no longer works.
const (
	tokenActive  = "active"
	tokenRevoked = "revoked"
	tokenExpired = "expired"
)

var tokenMachine = provider.NewMachine(tokenActive, map[string][]string{tokenActive: {tokenRevoked, tokenExpired}})

// Bounds of what one client keeps.
const (
	// maxSessions is how many signed-in sessions (token pairs whose
	// refresh token still works) a client keeps; a sign-in beyond it signs
	// the oldest out, so a client that signs in all day never fills its
	// tenant with live tokens.
	maxSessions = 100
	// maxHistory is how many level grants a client's history keeps (the
	// newest).
	maxHistory = 1000
	// clientIDDraws is how many random client ids sign-up tries before it
	// takes the next free one in order.
	clientIDDraws = 16
)

// idSpace is the range client ids are drawn from: first .. first+size-1.
type idSpace struct{ first, size int }

// spec is what B2Core keeps in the state layer.
func (p *Provider) spec() state.Spec {
	return state.Spec{
		Tenant: func() any { return &tenantData{} },
		Kinds: []state.Kind{
			{Name: Kind, New: func() any { return &procedure{} }, Machine: p.machine, Session: true,
				Fire: func(tx *state.Tx, r *state.Record, st provider.Step) {
					p.move(tx, r, st.Status, "timeline", st.Reason)
				},
				Actions: actionsOf, Act: p.act},
			{Name: kindClient, New: func() any { return &account{} }, Anchor: true,
				Indexes: map[string]state.Scope{byClientID: state.ProviderScope}},
			{Name: kindToken, New: func() any { return &token{} }, Machine: tokenMachine, Fire: expireToken},
			{Name: kindFile, New: func() any { return &file{} }},
			// A wizard is forgotten wizardTTL after it expired; until then a
			// used or expired uuid answers 409.
			{Name: kindWizard, New: func() any { return &authWizard{} },
				Fire: func(tx *state.Tx, r *state.Record, _ provider.Step) { tx.Delete(r) }},
		},
	}
}

// LevelRef names a verification level as the history shows it.
type LevelRef struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

// tenantData is what a client's tenant keeps besides its records.
type tenantData struct {
	// Seeded is set once RecordSeq and AppSeq were drawn: they are the
	// first draws of the tenant's stream, so seeded ids stay what they were.
	Seeded    bool `json:"seeded"`
	RecordSeq int  `json:"recordSeq"` // the last grant id
	AppSeq    int  `json:"appSeq"`    // the last application number
	// Failures are the failed sign-ins of the current window;
	// BlockedUntil ends the block the last lockout started.
	Failures     []time.Time `json:"failures,omitempty"`
	BlockedUntil time.Time   `json:"blockedUntil,omitzero"`
	// Open is the uuid of the procedure in progress or under review.
	Open string `json:"open,omitempty"`
	// Sessions are the refresh-token ids of the signed-in sessions, oldest
	// first.
	Sessions []string `json:"sessions,omitempty"`
}

// tenantOf returns the tenant's data in a write transaction, drawing its
// counters on first use.
func tenantOf(tx *state.Tx) *tenantData {
	d := tx.Data().(*tenantData)
	if !d.Seeded {
		r := tx.Rand()
		d.RecordSeq = 10 + r.Intn(9000)*10
		d.AppSeq = 100 + r.Intn(900)
		d.Seeded = true
	}
	return d
}

// account is a client account (record kind "client"); it was created with
// the record.
type account struct {
	ClientID int      `json:"clientId"`
	Password []byte   `json:"password"` // passwordHash(email, password)
	Level    LevelRef `json:"level"`
	History  []grant  `json:"history"`
}

// grant is one grant of a verification level.
type grant struct {
	ID       int       `json:"id"`
	ClientID int       `json:"clientId"`
	Current  LevelRef  `json:"current"`
	Previous *LevelRef `json:"previous,omitempty"`
	Reason   string    `json:"reason"`
	UserID   int       `json:"userId"`
	Created  time.Time `json:"created"`
}

// addGrant appends a level grant to the client's history.
func addGrant(d *tenantData, a *account, at time.Time, previous *LevelRef, current LevelRef, reason string) {
	d.RecordSeq++
	a.History = append(a.History, grant{ID: d.RecordSeq, ClientID: a.ClientID, Current: current,
		Previous: previous, Reason: reason, UserID: systemUser, Created: at})
	if over := len(a.History) - maxHistory; over > 0 {
		a.History = slices.Delete(a.History, 0, over)
	}
}

// clientOf returns the account of the transaction's tenant, or nil when the
// client never signed up (or was reset or evicted).
func clientOf(tx *state.Tx) (*state.Record, *account) {
	r := tx.Get(kindClient, tx.Tenant())
	if r == nil {
		return nil, nil
	}
	return r, state.Data[account](r)
}

// noClient answers a token whose client is gone.
func noClient() *provider.Error { return unauthorized("the access token is not valid") }

// register creates the tenant's account under a client id no other client
// holds: up to clientIDDraws draws from the tenant's stream, then the next
// free id after the last draw, in order. When every id is taken it answers
// 503.
func (p *Provider) register(tx *state.Tx, a *account) (*state.Record, error) {
	s := p.clientIDs
	try := func(id int) *state.Record {
		a.ClientID = id
		r, err := tx.Create(state.NewRecord{Kind: kindClient, ID: tx.Tenant(), Data: a,
			Index: map[string]string{byClientID: strconv.Itoa(id)}})
		if err != nil {
			return nil
		}
		return r
	}
	rnd := tx.Rand()
	id := 0
	for range clientIDDraws {
		id = s.first + rnd.Intn(s.size)
		if r := try(id); r != nil {
			return r, nil
		}
	}
	for range s.size - 1 {
		id = s.first + (id-s.first+1)%s.size
		if _, _, taken := p.state.Find(kindClient, byClientID, strconv.Itoa(id)); taken {
			continue
		}
		if r := try(id); r != nil {
			return r, nil
		}
	}
	return nil, provider.Errorf(provider.KindUnavailable, "every client id of the installation is taken: reset clients to free some")
}

// newRecord creates a record under an id drawn by draw; an id already taken
// (a uuid never is, in practice) is drawn again, a few times.
func newRecord(tx *state.Tx, n state.NewRecord, draw func() string) (*state.Record, error) {
	for range 4 {
		n.ID = draw()
		r, err := tx.Create(n)
		if !errors.Is(err, state.ErrExists) {
			return r, err
		}
	}
	return nil, provider.Errorf(provider.KindUnavailable, "the emulator could not draw a free id")
}

// file is an uploaded file (record kind "file"): only what the answer and
// the wizard need; B2Core offers no way to read the bytes back.
type file struct {
	Name string `json:"name"`
	Size int    `json:"size"`
	Mime string `json:"mime"`
}

// procedure is one verification procedure (record kind Kind): the wizard
// for one level. Its status, plan (the delayed steps), history and times
// live on the record.
type procedure struct {
	App   int      `json:"app"`   // application number, shown in the grant's reason
	Level LevelRef `json:"level"` // the level applied for
	Steps []Step   `json:"steps"`
	Next  int      `json:"next"` // index of the step the wizard expects
	// Immediate are the plan's steps without delay, applied in the
	// request that reaches their status (the first the machine allows
	// wins).
	Immediate []provider.Step `json:"immediate,omitempty"`
}

// start creates a procedure for the next level.
func (p *Provider) start(tx *state.Tx, d *tenantData, level Level, steps []Step, plan *provider.Plan) (*state.Record, error) {
	pr := &procedure{App: d.AppSeq + 1, Level: LevelRef{ID: level.ID, Name: level.Name}, Steps: steps}
	delayed := *plan
	delayed.Steps = nil
	for _, s := range plan.Steps {
		if s.After <= 0 {
			pr.Immediate = append(pr.Immediate, s)
		} else {
			delayed.Steps = append(delayed.Steps, s)
		}
	}
	r, err := newRecord(tx, state.NewRecord{Kind: Kind, Data: pr, Status: InProgress, By: "client", Plan: &delayed},
		func() string { return tx.Rand().UUID() })
	if err != nil {
		return nil, err
	}
	d.AppSeq, d.Open = pr.App, r.ID
	p.enter(tx, r, "")
	if r.Status == InProgress {
		p.enter(tx, r, InProgress)
	}
	return r, nil
}

// openProcedure returns the procedure a wizard call resumes: the one in
// progress or awaiting review.
func openProcedure(tx *state.Tx) *state.Record {
	id := tx.Data().(*tenantData).Open
	if id == "" {
		return nil
	}
	r := tx.Get(Kind, id)
	if r == nil || (r.Status != InProgress && r.Status != Submitted) {
		return nil
	}
	return r
}

// enter applies the plan's undelayed steps anchored at status (the first
// one the machine allows wins); the layer schedules the delayed ones.
func (p *Provider) enter(tx *state.Tx, r *state.Record, status string) {
	for _, s := range state.Data[procedure](r).Immediate {
		if s.From == status && p.move(tx, r, s.Status, "timeline", s.Reason) {
			return
		}
	}
}

// move changes the status if the machine allows it and runs what follows
// from the new status; it reports whether it moved.
func (p *Provider) move(tx *state.Tx, r *state.Record, to, by, reason string) bool {
	if !tx.Move(r, to, by, reason) {
		return false
	}
	p.apply(tx, r, to, reason)
	if !p.machine.Terminal(to) {
		p.enter(tx, r, to)
	}
	return true
}

// apply records a status's effect on the client: a decision adds a grant
// (and an approval raises the level); a final status closes the procedure.
func (p *Provider) apply(tx *state.Tx, r *state.Record, to, reason string) {
	pr := state.Data[procedure](r)
	d := tenantOf(tx)
	if p.machine.Terminal(to) && d.Open == r.ID {
		d.Open = ""
	}
	_, a := clientOf(tx)
	if a == nil {
		return
	}
	now := r.Updated
	switch to {
	case Approved:
		prev := a.Level
		a.Level = pr.Level
		addGrant(d, a, now, &prev, pr.Level, fmt.Sprintf("Application: %d", pr.App))
	case Rejected:
		if reason == "" {
			reason = "documents were not accepted"
		}
		lvl := a.Level
		addGrant(d, a, now, &lvl, lvl, fmt.Sprintf("Application: %d rejected: %s", pr.App, reason))
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
	if slices.Contains(pr.Steps[pr.Next].Types, typ) {
		return 0
	}
	for i, s := range pr.Steps {
		if slices.Contains(s.Types, typ) {
			if i < pr.Next {
				return -1
			}
			return 1
		}
	}
	return 2
}
