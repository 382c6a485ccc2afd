package gatenox

import (
	"net/http"
	"strings"

	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
)

// The /api/v1/verifications endpoints: the company's corporate (KYB)
// cases, their data, and the state endpoints, which serve individual cases
// too (both are reviews on one process graph).

func (p *Provider) listVerifications(c *provider.Call) error {
	f := caseFilterOf(c)
	order := parseOrder(c.Query("order_by"), "updated_at,desc")
	name := strings.ToLower(c.Query("company_name"))
	companyID := c.Query("company_id")
	countries := csvSet(strings.ToLower(c.Query("jurisdiction")))
	outgoing := c.Query("outgoing_only") == "true"
	return p.view(c, func(tx *state.Tx) error {
		out := []corporateCaseView{}
		if outgoing {
			// kycemu's companies only verify others: they send nothing out.
			return ok(c, http.StatusOK, map[string]any{"verifications": out})
		}
		var match []*state.Record
		for _, r := range tx.List(KindCorporateCase) {
			co := &state.Data[corporateCase](r).data().Company
			switch {
			case !f.keeps(r),
				name != "" && !strings.Contains(strings.ToLower(co.FormalName), name),
				companyID != "" && co.ID != companyID,
				countries != nil && !countries[co.Jurisdiction]:
				continue
			}
			match = append(match, r)
		}
		sortRecords(match, order, "status")
		for _, r := range match {
			out = append(out, p.currentCorporate(tx, r))
		}
		return ok(c, http.StatusOK, map[string]any{"verifications": out})
	})
}

func (p *Provider) getVerification(c *provider.Call) error {
	return p.onCase(c, "id", false, anyCase, func(tx *state.Tx, r *state.Record) error {
		if r.Kind == KindCase {
			v := p.currentCase(tx, r)
			if ts, given := timestampOf(c); given {
				old, existed := individualAt(state.Data[kase](r), ts)
				if !existed {
					return recordNotFound()
				}
				old.RevisionTimestamps = v.RevisionTimestamps
				v = old
			}
			return ok(c, http.StatusOK, map[string]any{"verification": v})
		}
		k := state.Data[corporateCase](r)
		v := p.currentCorporate(tx, r)
		if ts, given := timestampOf(c); given {
			var found bool
			for i := len(k.Revisions) - 1; i >= 0; i-- {
				if k.Revisions[i].At <= ts {
					old := k.Revisions[i].View
					old.RevisionTimestamps, v, found = v.RevisionTimestamps, old, true
					break
				}
			}
			if !found {
				return recordNotFound()
			}
		}
		return ok(c, http.StatusOK, map[string]any{"verification": v})
	})
}

// onData runs fn on the data of the calling company's corporate case named
// by verification_id, as it was at ?timestamp= (404 before the case
// existed).
func (p *Provider) onData(c *provider.Call, fn func(r *state.Record, base string, d *corporateData) error) error {
	return p.onCase(c, "verification_id", false, corporateOnly, func(_ *state.Tx, r *state.Record) error {
		k := state.Data[corporateCase](r)
		d := k.data()
		if ts, given := timestampOf(c); given {
			var existed bool
			if d, existed = k.dataAt(ts); !existed {
				return recordNotFound()
			}
		}
		return fn(r, k.BaseURL, d)
	})
}

// serveList answers one of a case's lists or one item of it (when the path
// names an id).
func (p *Provider) serveList(listKey, itemKey string, items func(base string, d *corporateData) ([]string, []any)) provider.Handler {
	return func(c *provider.Call) error {
		return p.onData(c, func(_ *state.Record, base string, d *corporateData) error {
			ids, views := items(base, d)
			id, one := c.Params["id"]
			if !one {
				return ok(c, http.StatusOK, map[string]any{listKey: views})
			}
			for i := range ids {
				if ids[i] == id {
					return ok(c, http.StatusOK, map[string]any{itemKey: views[i]})
				}
			}
			return recordNotFound()
		})
	}
}

func addressItems(_ string, d *corporateData) ([]string, []any) {
	var ids []string
	views := []any{}
	for _, a := range d.addresses() {
		ids, views = append(ids, a.ID), append(views, a.view())
	}
	return ids, views
}

func companyDocumentItems(base string, d *corporateData) ([]string, []any) {
	var ids []string
	views := []any{}
	for _, doc := range d.companyDocuments() {
		ids, views = append(ids, doc.EntryID), append(views, doc.view(base))
	}
	return ids, views
}

// directorItems: the list shows each director's person briefly, the item
// in full.
func directorItems(full bool) func(base string, d *corporateData) ([]string, []any) {
	return func(base string, d *corporateData) ([]string, []any) {
		var ids []string
		views := []any{}
		for i := range d.Directors {
			dr := &d.Directors[i]
			ps, found := d.person(dr.PersonID)
			if !found {
				continue
			}
			ids = append(ids, dr.ID)
			if full {
				views = append(views, directorOf(dr, ps.view(base)))
			} else {
				views = append(views, directorOf(dr, ps.brief()))
			}
		}
		return ids, views
	}
}

func uboItems(full bool) func(base string, d *corporateData) ([]string, []any) {
	return func(base string, d *corporateData) ([]string, []any) {
		var ids []string
		views := []any{}
		for i := range d.UBOs {
			u := &d.UBOs[i]
			ps, found := d.person(u.PersonID)
			if !found {
				continue
			}
			ids = append(ids, u.ID)
			if full {
				views = append(views, uboOf(u, ps.view(base)))
			} else {
				views = append(views, uboOf(u, ps.brief()))
			}
		}
		return ids, views
	}
}

func peopleItems(full bool) func(base string, d *corporateData) ([]string, []any) {
	return func(base string, d *corporateData) ([]string, []any) {
		var ids []string
		views := []any{}
		for i := range d.People {
			ps := &d.People[i]
			ids = append(ids, ps.ID)
			if full {
				views = append(views, ps.view(base))
			} else {
				views = append(views, ps.brief())
			}
		}
		return ids, views
	}
}

func companyItems(full bool) func(base string, d *corporateData) ([]string, []any) {
	return func(_ string, d *corporateData) ([]string, []any) {
		var ids []string
		all := append([]companyRec{d.Company}, d.Companies...)
		views := []any{}
		for i := range all {
			ids = append(ids, all[i].ID)
			if full {
				views = append(views, all[i].view())
			} else {
				views = append(views, all[i].brief())
			}
		}
		return ids, views
	}
}

// companyDetails answers the verified company with its addresses and
// documents; Gatenox refuses them while the case is not started yet.
func (p *Provider) companyDetails(c *provider.Call) error {
	return p.onData(c, func(r *state.Record, base string, d *corporateData) error {
		if r.Status == CaseNew {
			return notAccessible(r.Status)
		}
		return ok(c, http.StatusOK, d.details(base))
	})
}

func (p *Provider) graph(c *provider.Call) error {
	return p.onData(c, func(_ *state.Record, _ string, d *corporateData) error {
		return ok(c, http.StatusOK, map[string]any{"graph": d.graph()})
	})
}
