package gatenox

import (
	"net/http"
	"strings"

	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
	"github.com/kycemu/kycemu/internal/docgen"
)

// The screening endpoints (/api/v1/checks/...): person and company
// sanctions/PEP checks and crypto address reports.

// checkKeys are the answer keys of a check kind: the list's and one's.
var checkKeys = map[string][2]string{
	KindCheckIndividual: {"checks_individual", "check_individual"},
	KindCheckCompany:    {"checks_company", "check_company"},
	KindCheckCrypto:     {"checks_crypto_address", "check_crypto_address"},
}

// createCheck serves POST /checks/{individuals,companies,crypto_address}.
func (p *Provider) createCheck(kind string) provider.Handler {
	return func(c *provider.Call) error {
		form, ferr := formOf(c)
		if ferr != nil {
			return ferr
		}
		plan, perr := p.env.Scenarios.Plan(Name, kind, c.Tenant, c.Scenario, c.Body)
		if perr != nil {
			return perr
		}
		sc, serr := scriptOf(plan)
		if serr != nil {
			return provider.Invalid("header."+provider.ScenarioHeader, "the scenario's options cannot be used: %s", serr)
		}
		if plan == nil || plan.DefaultSteps {
			def := p.DefaultPlan(kind)
			if plan != nil {
				cp := *plan
				cp.Steps = def.Steps
				def = &cp
			}
			plan = def
		}
		ck := &checkRec{Kind: kind, CheckType: form.Get("check_type"), Outcome: sc.Screening}
		switch kind {
		case KindCheckIndividual:
			ck.GivenNames, ck.Surname, ck.DateOfBirth = form.Get("given_names"), form.Get("surname"), form.Get("date_of_birth")
		case KindCheckCompany:
			ck.CompanyName = form.Get("company_name")
		case KindCheckCrypto:
			ck.CheckType, ck.Service = "premium", firstOf(form.Get("check_type"), "coinfirm")
			ck.Address, ck.AddressType = form.Get("address"), strings.ToUpper(form.Get("address_type"))
		}
		sync := kind == KindCheckCrypto && form.Get("sync") == "true"
		return p.update(c, func(tx *state.Tx) error {
			if err := licenceFor(tx, ""); err != nil {
				return err
			}
			if ck.CheckType == "premium" {
				if err := charge(tx, settingsOf(tx).PremiumCheckCost); err != nil {
					return err
				}
			}
			now := tx.Now()
			ck.Created, ck.Updated, ck.State = now, now, CheckNew
			r, err := tx.Create(state.NewRecord{Kind: kind, ID: tx.Rand().UUID(), Data: ck, Status: CheckNew, By: "client", Plan: plan})
			if err != nil {
				return err
			}
			p.moveCheck(tx, r, CheckProcessing, "client")
			// Person and company screenings answer at once unless pending;
			// crypto reports take their plan's time unless sync.
			if sc.Screening != OutcomePending && (kind != KindCheckCrypto || sync) {
				p.completeCheck(tx, r, "client", ck.Outcome)
			}
			return ok(c, http.StatusOK, map[string]any{checkKeys[kind][1]: p.checkViewOf(r, c.BaseURL, false)})
		})
	}
}

// moveCheck moves a check and keeps its own state in step.
func (p *Provider) moveCheck(tx *state.Tx, r *state.Record, to, by string) bool {
	if !tx.Move(r, to, by, "") {
		return false
	}
	ck := state.Data[checkRec](r)
	ck.State, ck.Updated = to, tx.Now()
	return true
}

// completeCheck ends a check with an outcome; a crypto report gets its PDF.
func (p *Provider) completeCheck(tx *state.Tx, r *state.Record, by, outcome string) bool {
	if r.Status == CheckNew {
		p.moveCheck(tx, r, CheckProcessing, by)
	}
	if !tx.Move(r, CheckCompleted, by, outcome) {
		return false
	}
	ck := state.Data[checkRec](r)
	ck.complete(tx.Rand(), outcome, tx.Now())
	if ck.Kind == KindCheckCrypto {
		body := docgen.PDF("Crypto address report - kycemu test document", ck.AddressType+" "+ck.Address+" risk "+ck.Crypto.Risk)
		d := documentRec{EntryID: tx.Rand().UUID(), ID: tx.Rand().UUID(), Purposes: []string{"crypto_address_aml_report"},
			Type: "crypto_address_aml_report", Name: "crypto_address_report.pdf", Created: tx.Now()}
		d.Attachments = []attachmentRec{p.attach(tx, "main", "crypto_address_report.pdf", "application/pdf", body, "")}
		ck.Report = &d
	}
	return true
}

func (p *Provider) fireCheck(tx *state.Tx, r *state.Record, st provider.Step) {
	if st.Status == CheckCompleted {
		p.completeCheck(tx, r, "timeline", state.Data[checkRec](r).Outcome)
		return
	}
	p.moveCheck(tx, r, st.Status, "timeline")
}

// checkViewOf is a check as its own endpoints answer it (cscoreOnly leaves
// a crypto report out).
func (p *Provider) checkViewOf(r *state.Record, base string, cscoreOnly bool) any {
	ck := state.Data[checkRec](r)
	switch {
	case ck.Kind != KindCheckCrypto:
		return ck.view(r.ID)
	case cscoreOnly:
		return ck.cryptoBrief(r.ID)
	}
	return ck.cryptoView(r.ID, base)
}

func (p *Provider) listChecks(kind string) provider.Handler {
	return func(c *provider.Call) error {
		return p.view(c, func(tx *state.Tx) error {
			items, m := pageOf(c, append([]*state.Record(nil), tx.List(kind)...), "state")
			out := make([]any, len(items))
			for i, r := range items {
				ck := state.Data[checkRec](r)
				if kind == KindCheckCrypto {
					out[i] = ck.cryptoBrief(r.ID)
				} else {
					out[i] = ck.brief(r.ID)
				}
			}
			return ok(c, http.StatusOK, map[string]any{checkKeys[kind][0]: out, "meta": m})
		})
	}
}

func (p *Provider) listEntityChecks(c *provider.Call) error {
	return p.view(c, func(tx *state.Tx) error {
		all := append(append([]*state.Record(nil), tx.List(KindCheckIndividual)...), tx.List(KindCheckCompany)...)
		items, m := pageOf(c, all, "state")
		out := make([]entityView, len(items))
		for i, r := range items {
			out[i] = state.Data[checkRec](r).entity(r.ID)
		}
		return ok(c, http.StatusOK, map[string]any{"checks_entity": out, "meta": m})
	})
}

func (p *Provider) getCheck(kind string) provider.Handler {
	return func(c *provider.Call) error {
		return p.view(c, func(tx *state.Tx) error {
			r := tx.Get(kind, c.Params["id"])
			if r == nil {
				return recordNotFound()
			}
			return ok(c, http.StatusOK, map[string]any{checkKeys[kind][1]: p.checkViewOf(r, c.BaseURL, c.Query("cscore_only") == "true")})
		})
	}
}

// updateCheck stores the compliance officer's comment on a check.
func (p *Provider) updateCheck(kind string) provider.Handler {
	return func(c *provider.Call) error {
		form, ferr := formOf(c)
		if ferr != nil {
			return ferr
		}
		return p.update(c, func(tx *state.Tx) error {
			r := tx.Get(kind, c.Params["id"])
			if r == nil {
				return recordNotFound()
			}
			if v, given := form["comment"]; given {
				ck := state.Data[checkRec](r)
				ck.Comment, ck.Updated = v[0], tx.Now()
			}
			return ok(c, http.StatusOK, map[string]any{checkKeys[kind][1]: p.checkViewOf(r, c.BaseURL, false)})
		})
	}
}

// Control actions on checks: complete with the scripted outcome, or with
// a given one.
var checkActions = map[string]string{"complete": "", "clear": OutcomeClear, "hit": OutcomeHit}

var checkActionOrder = []string{"complete", "clear", "hit"}

func checkActionsOf(r *state.Record) []string {
	if r.Status == CheckCompleted {
		return []string{}
	}
	return checkActionOrder
}

func (p *Provider) actOnCheck(tx *state.Tx, r *state.Record, a provider.Action) error {
	outcome, known := checkActions[a.Name]
	if !known {
		return provider.Invalid("action", "unknown action; use complete, clear or hit (checks)").WithCode("unknown_action")
	}
	if outcome == "" {
		outcome = state.Data[checkRec](r).Outcome
	}
	if !p.completeCheck(tx, r, "control", outcome) {
		return notAllowed(a.Name, r.Status)
	}
	return nil
}
