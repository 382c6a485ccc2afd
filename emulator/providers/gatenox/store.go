package gatenox

import (
	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
)

// What Gatenox keeps in the state layer. Sessions (the control API lists
// and acts on them): individual invitations and their cases, corporate
// invitations and their cases, and screening checks. Other records:
// external risk score records and stored files.

// Record kinds that are not sessions.
const (
	kindScore = "external_risk_score"
	kindFile  = "file"
)

// Index names.
const (
	byToken = "token" // an invitation's token, on it and its case, for the hosted page (provider-wide)
)

// spec describes Gatenox's kinds to the state layer.
func (p *Provider) stateSpec() state.Spec {
	check := func(name string) state.Kind {
		return state.Kind{Name: name, New: func() any { return &checkRec{} }, Machine: checkMachine, Session: true,
			Fire: p.fireCheck, Actions: checkActionsOf, Act: p.actOnCheck}
	}
	return state.Spec{
		Tenant: func() any { return &tenantData{} },
		Kinds: []state.Kind{
			{Name: KindInvitation, New: func() any { return &invitation{} }, Machine: invitationMachine, Session: true,
				Indexes: map[string]state.Scope{byToken: state.ProviderScope},
				Fire:    p.fireInvitation, Actions: p.invitationActionsOf, Act: p.actOnInvitation},
			{Name: KindCase, New: func() any { return &kase{} }, Machine: caseMachine, Session: true,
				Indexes: map[string]state.Scope{byToken: state.ProviderScope},
				Fire:    p.fireCase, Actions: caseActionsOf, Act: p.actOnCase},
			{Name: KindCorporateInvitation, New: func() any { return &corporateInvitation{} }, Machine: invitationMachine,
				Session: true, Indexes: map[string]state.Scope{byToken: state.ProviderScope},
				Fire: p.fireCorporateInvitation, Actions: p.corporateInvitationActionsOf, Act: p.actOnCorporateInvitation},
			{Name: KindCorporateCase, New: func() any { return &corporateCase{} }, Machine: caseMachine, Session: true,
				Indexes: map[string]state.Scope{byToken: state.ProviderScope},
				Fire:    p.fireCase, Actions: caseActionsOf, Act: p.actOnCase},
			{Name: kindScore, New: func() any { return &riskScore{} }},
			{Name: kindFile, New: func() any { return &fileRec{} }},
			check(KindCheckIndividual), check(KindCheckCompany), check(KindCheckCrypto),
		},
	}
}

// tenantData is what a company keeps besides its records: its emulator
// settings and the counters of its audit rows.
type tenantData struct {
	Settings *Settings `json:"settings,omitempty"`
	AuditSeq int       `json:"auditSeq"`
}

// settings returns the company's settings, the defaults until changed.
func (d *tenantData) settings() *Settings {
	if d.Settings == nil {
		s := defaultSettings()
		d.Settings = &s
	}
	return d.Settings
}

func dataOf(tx *state.Tx) *tenantData { return tx.Data().(*tenantData) }

// settingsOf reads a company's settings in any transaction.
func settingsOf(tx *state.Tx) Settings {
	if d := tx.PeekData().(*tenantData); d.Settings != nil {
		return *d.Settings
	}
	return defaultSettings()
}

// update runs fn in a write transaction of the calling company.
func (p *Provider) update(c *provider.Call, fn func(tx *state.Tx) error) error {
	return p.state.Update(c.Tenant, fn)
}

// view runs fn in a read transaction of the calling company.
func (p *Provider) view(c *provider.Call, fn func(tx *state.Tx) error) error {
	return p.state.View(c.Tenant, fn)
}

// onPage runs fn, in a write transaction of its company, on what a hosted
// page's token names: the invitation and its case. The case carries the
// token too, so that its page still takes a data update once the finished
// invitation has been dropped (ir is then nil); cr is nil before the case
// exists.
func (p *Provider) onPage(invKind, caseKind, token string, fn func(tx *state.Tx, ir, cr *state.Record) error) error {
	kind := invKind
	tenant, id, found := p.state.Find(invKind, byToken, token)
	if !found {
		if tenant, id, found = p.state.Find(caseKind, byToken, token); !found {
			return state.ErrNoRecord
		}
		kind = caseKind
	}
	return p.state.Update(tenant, func(tx *state.Tx) error {
		r := tx.Get(kind, id)
		switch {
		case r == nil:
			return state.ErrNoRecord
		case kind == caseKind:
			return fn(tx, nil, r)
		}
		var cr *state.Record
		if cid := invitationOf(r).CaseID; cid != "" {
			cr = tx.Get(caseKind, cid)
		}
		return fn(tx, r, cr)
	})
}

// updating reports whether a page's case waits for the data update.
func updating(cr *state.Record) bool { return cr != nil && cr.Status == CaseDataUpdateRequested }

// caseRecord returns the calling company's case (individual or corporate,
// as kinds allow) with an id.
func caseRecord(tx *state.Tx, id string, kinds ...string) *state.Record {
	for _, k := range kinds {
		if r := tx.Get(k, id); r != nil {
			return r
		}
	}
	return nil
}
