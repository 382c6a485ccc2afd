package gatenox

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kycemu/kycemu/emulator/internal/fake"
	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
)

type recipientIn struct {
	Email              string  `json:"email"`
	RedirectURLSuccess *string `json:"redirect_url_success"`
	RedirectURLFailure *string `json:"redirect_url_failure"`
	CustomerID         *string `json:"customer_id"`
}

type createInvitesIn struct {
	Recipients []recipientIn `json:"recipients"`
}

// tokenLength is the length of an invitation token (base58).
const tokenLength = 128

// orDefault fills in the default plans (also in a scenario without a
// timeline of its own). With autoSubmit off the invited party does nothing
// on their own.
func (p *Provider) orDefault(kind string, autoSubmit bool, inv, kase *provider.Plan) (*provider.Plan, *provider.Plan) {
	if inv == nil {
		inv = p.DefaultPlan(kind)
	}
	if inv.DefaultSteps || inv.Scenario == "" {
		cp := *inv
		cp.Steps = p.DefaultPlan(kind).Steps
		if !autoSubmit {
			cp.Steps = nil
		}
		inv = &cp
	}
	if kase == nil {
		kase = &provider.Plan{}
	}
	// The case plan is kept in the invitation's data until the case
	// exists; Gatenox takes no uploads, so it keeps no upload faults.
	cp := *kase
	cp.Uploads = nil
	return inv, &cp
}

// faultsOf merges the webhook faults of an invitation's two plans (once
// when both come from one scenario).
func faultsOf(inv, kase *provider.Plan) []provider.WebhookFault {
	out := slices.Clone(kase.Webhooks)
	if inv.Scenario == "" || inv.Scenario != kase.Scenario {
		out = append(out, inv.Webhooks...)
	}
	return out
}

// planned is what a scenario decides for one new invitation.
type planned struct {
	inv, kase *provider.Plan
	script    script
}

// planAll picks the plans of n invitations of a kind (and of their cases).
func (p *Provider) planAll(c *provider.Call, invKind, caseKind string, n int) ([]planned, error) {
	out := make([]planned, n)
	for i := range out {
		inv, ierr := p.env.Scenarios.Plan(Name, invKind, c.Tenant, c.Scenario, c.Body)
		kase, kerr := p.env.Scenarios.Plan(Name, caseKind, c.Tenant, c.Scenario, c.Body)
		if ierr != nil && kerr != nil {
			return nil, ierr
		}
		sc, serr := scriptOf(inv, kase)
		if serr != nil {
			return nil, provider.Invalid("header."+provider.ScenarioHeader, "the scenario's options cannot be used: %s", serr)
		}
		out[i] = planned{inv, kase, sc}
	}
	return out, nil
}

// charge takes cost credits from the company's balance, if it has one.
func charge(tx *state.Tx, cost int) *provider.Error {
	s := dataOf(tx).settings()
	if s.Credits == nil {
		return nil
	}
	if *s.Credits < cost {
		return notEnoughCredits(*s.Credits, cost)
	}
	left := *s.Credits - cost
	s.Credits = &left
	return nil
}

func (p *Provider) createInvites(c *provider.Call) error {
	var in createInvitesIn
	if err := c.Bind(&in); err != nil {
		return err
	}
	plans, err := p.planAll(c, KindInvitation, KindCase, len(in.Recipients))
	if err != nil {
		return err
	}
	return p.update(c, func(tx *state.Tx) error {
		set := settingsOf(tx)
		if err := charge(tx, len(in.Recipients)*set.InviteCost); err != nil {
			return err
		}
		out := make([]createdInvitationView, len(in.Recipients))
		for i, rc := range in.Recipients {
			invPlan, casePlan := p.orDefault(KindInvitation, set.AutoSubmit, plans[i].inv, plans[i].kase)
			r := tx.Rand()
			id, token := r.UUID(), r.String(fake.Base58, tokenLength)
			inv := &invitation{invitee: invitee{Token: token, Email: rc.Email, CustomerID: rc.CustomerID,
				SuccessURL: rc.RedirectURLSuccess, FailureURL: rc.RedirectURLFailure, BaseURL: c.BaseURL,
				URL: c.BaseURL + "/invitations/kyc/" + token, CasePlan: casePlan, Script: plans[i].script,
				Faults: faultsOf(invPlan, casePlan)}}
			rec, err := tx.Create(state.NewRecord{Kind: KindInvitation, ID: id, Data: inv, Status: InvInvited, By: "client",
				Plan: invPlan, Index: map[string]string{byToken: token}})
			if err != nil {
				return err
			}
			p.scheduleExpiry(tx, rec)
			out[i] = createdView(rec)
		}
		return ok(c, http.StatusCreated, map[string]any{"personal_verifications": out})
	})
}

// ordering is a parsed order_by: a field and a direction.
type ordering struct {
	field string
	desc  bool
}

// parseOrder reads "field" or "field,asc|desc" (the spec checked the
// form); without a direction the order is ascending.
func parseOrder(s, def string) ordering {
	if s == "" {
		s = def
	}
	field, dir, _ := strings.Cut(s, ",")
	return ordering{field: field, desc: dir == "desc"}
}

// paging reads page and per_page (the spec checked they are at least 1).
func paging(c *provider.Call, defPerPage int) (page, perPage int, given bool) {
	page, perPage = 1, defPerPage
	if n, err := strconv.Atoi(c.Query("page")); err == nil {
		page, given = n, true
	}
	if n, err := strconv.Atoi(c.Query("per_page")); err == nil {
		perPage, given = n, true
	}
	return page, min(perPage, maxPerPage), given
}

const (
	defaultPerPage = 25
	maxPerPage     = 100
)

// window returns the bounds of one page of n items.
func window(n, page, perPage int) (lo, hi int) {
	if page-1 >= (n+perPage-1)/perPage { // past the end, without overflow
		return 0, 0
	}
	lo = (page - 1) * perPage
	return lo, min(lo+perPage, n)
}

func csvSet(s string) map[string]bool {
	if s == "" {
		return nil
	}
	out := map[string]bool{}
	for _, v := range strings.Split(s, ",") {
		out[v] = true
	}
	return out
}

func (p *Provider) listInvites(c *provider.Call) error {
	return p.view(c, func(tx *state.Tx) error {
		items, m := pageOf(c, invitesOf(c, tx, KindInvitation), "state")
		out := make([]invitationView, len(items))
		for i, r := range items {
			out[i] = invitationViewOf(r)
		}
		return ok(c, http.StatusOK, invitationList{PersonalVerifications: out, Meta: m})
	})
}

// invitesOf is the company's invitations of a kind that the call's state
// and customer_id filters keep.
func invitesOf(c *provider.Call, tx *state.Tx, kind string) []*state.Record {
	states := csvSet(c.Query("state"))
	customer, byCustomer := c.R.URL.Query()["customer_id"]
	var match []*state.Record
	for _, r := range tx.List(kind) {
		inv := invitationOf(r)
		if (states != nil && !states[r.Status]) || (byCustomer && (inv.CustomerID == nil || *inv.CustomerID != customer[0])) {
			continue
		}
		match = append(match, r)
	}
	return match
}

// sortRecords orders records by order_by: created_at (the default),
// updated_at or the status field, ascending unless ",desc"; ties keep
// creation order.
func sortRecords(rs []*state.Record, order ordering, statusField string) {
	slices.SortStableFunc(rs, func(a, b *state.Record) int {
		var d int
		switch order.field {
		case "updated_at":
			d = updatedOf(a).Compare(updatedOf(b))
		case statusField:
			d = cmp.Compare(a.Status, b.Status)
		default:
			d = a.Created.Compare(b.Created)
		}
		if d == 0 {
			d = cmp.Compare(a.Seq, b.Seq)
		}
		if order.desc {
			d = -d
		}
		return d
	})
}

// updatedOf is when a record last changed: a case's own update time (a
// risk score or a data update changes it without a move), else the
// record's.
func updatedOf(r *state.Record) time.Time {
	if rv, isCase := r.Data.(reviewed); isCase {
		return rv.rev().Updated
	}
	return r.Updated
}

// pageOf sorts and pages records as the invitation and check lists do
// (page 1, 25 per page by default, created_at,desc) and returns the page
// with its meta block.
func pageOf(c *provider.Call, rs []*state.Record, statusField string) ([]*state.Record, meta) {
	page, perPage, _ := paging(c, defaultPerPage)
	sortRecords(rs, parseOrder(c.Query("order_by"), "created_at,desc"), statusField)
	total := len(rs)
	lo, hi := window(total, page, perPage)
	return rs[lo:hi], meta{Pagination: pagination{Total: total, PerPage: perPage, CurrentPage: page,
		TotalPages: (total + perPage - 1) / perPage}}
}

type invitationList struct {
	PersonalVerifications []invitationView `json:"personal_verifications"`
	Meta                  meta             `json:"meta"`
}

type meta struct {
	Pagination pagination `json:"pagination"`
}

type pagination struct {
	Total       int `json:"total"`
	PerPage     int `json:"per_page"`
	CurrentPage int `json:"current_page"`
	TotalPages  int `json:"total_pages"`
}
