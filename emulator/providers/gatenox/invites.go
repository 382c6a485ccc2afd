package gatenox

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/kycemu/kycemu/emulator/internal/fake"
	"github.com/kycemu/kycemu/emulator/provider"
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

// plans picks the invitation and case plans of a new invitation (nil for
// the defaults). A named scenario may script either kind (or both); it is
// an error only when it applies to neither.
func (p *Provider) plans(c *provider.Call) (inv, kase *provider.Plan, err *provider.Error) {
	inv, ierr := p.env.Scenarios.Plan(Name, KindInvitation, c.Tenant, c.Scenario, c.Body)
	kase, kerr := p.env.Scenarios.Plan(Name, KindCase, c.Tenant, c.Scenario, c.Body)
	if ierr != nil && kerr != nil {
		return nil, nil, ierr
	}
	return inv, kase, nil
}

// orDefault fills in the default plans (also in a scenario without a
// timeline of its own); the caller holds the lock. With autoSubmit off the
// invited person does nothing on their own.
func (p *Provider) orDefault(t *tenant, inv, kase *provider.Plan) (*provider.Plan, *provider.Plan) {
	if inv == nil {
		inv = p.DefaultPlan(KindInvitation)
	}
	if inv.DefaultSteps || inv.Scenario == "" {
		cp := *inv
		cp.Steps = p.DefaultPlan(KindInvitation).Steps
		if !t.settings.AutoSubmit {
			cp.Steps = nil
		}
		inv = &cp
	}
	if kase == nil {
		kase = p.DefaultPlan(KindCase)
	}
	return inv, kase
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

func (p *Provider) createInvites(c *provider.Call) error {
	var in createInvitesIn
	if err := c.Bind(&in); err != nil {
		return err
	}
	type planned struct {
		inv, kase *provider.Plan
		script    script
	}
	plans := make([]planned, len(in.Recipients))
	for i := range plans {
		inv, kase, err := p.plans(c)
		if err != nil {
			return err
		}
		sc, serr := scriptOf(inv, kase)
		if serr != nil {
			return provider.Invalid("header."+provider.ScenarioHeader, "the scenario's options cannot be used: %s", serr)
		}
		plans[i] = planned{inv, kase, sc}
	}
	t := p.tenants.Get(c.Tenant)
	t.mu.Lock()
	defer t.mu.Unlock()
	if bal := t.settings.Credits; bal != nil {
		cost := len(in.Recipients) * t.settings.InviteCost
		if *bal < cost {
			return notEnoughCredits(*bal, cost)
		}
		left := *bal - cost
		t.settings.Credits = &left
	}
	now := p.env.Clock.Now()
	out := make([]createdInvitationView, len(in.Recipients))
	for i, rc := range in.Recipients {
		plans[i].inv, plans[i].kase = p.orDefault(t, plans[i].inv, plans[i].kase)
		inv := &invitation{
			id: t.rand.UUID(), token: t.rand.String(fake.Base58, tokenLength), seq: t.next(), tenant: t,
			email: rc.Email, customerID: rc.CustomerID, successURL: rc.RedirectURLSuccess,
			failureURL: rc.RedirectURLFailure, baseURL: c.BaseURL, state: InvInvited, created: now, updated: now,
			invPlan: plans[i].inv, casePlan: plans[i].kase, script: plans[i].script,
		}
		inv.url = c.BaseURL + "/invitations/kyc/" + inv.token
		inv.faults = faultsOf(inv.invPlan, inv.casePlan)
		inv.history = []provider.Transition{{To: InvInvited, At: now, By: "client"}}
		inv.timeline = provider.NewTimeline(p.env.Clock, inv.invPlan.Steps, p.fireInvitation(inv))
		inv.expiry = p.expiryTimeline(inv)
		t.invites[inv.id] = inv
		t.byToken[inv.token] = inv
		t.invOrder = append(t.invOrder, inv)
		p.mu.Lock()
		p.index[inv.id] = t
		p.byToken[inv.token] = t
		p.mu.Unlock()
		inv.timeline.Created()
		inv.timeline.Entered(InvInvited)
		inv.expiry.Created()
		out[i] = inv.createdView()
	}
	return ok(c, http.StatusCreated, map[string]any{"personal_verifications": out})
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
	page, perPage, _ := paging(c, defaultPerPage)
	order := parseOrder(c.Query("order_by"), "created_at,desc")
	states := csvSet(c.Query("state"))
	customer, byCustomer := c.R.URL.Query()["customer_id"]
	out := []invitationView{}
	total := 0
	if t, found := p.tenants.Lookup(c.Tenant); found {
		t.mu.Lock()
		var match []*invitation
		for _, inv := range t.invOrder {
			if states != nil && !states[inv.state] {
				continue
			}
			if byCustomer && (inv.customerID == nil || *inv.customerID != customer[0]) {
				continue
			}
			match = append(match, inv)
		}
		slices.SortStableFunc(match, func(a, b *invitation) int {
			var d int
			switch order.field {
			case "updated_at":
				d = a.updated.Compare(b.updated)
			case "state":
				d = cmp.Compare(a.state, b.state)
			default:
				d = a.created.Compare(b.created)
			}
			if d == 0 {
				d = cmp.Compare(a.seq, b.seq)
			}
			if order.desc {
				d = -d
			}
			return d
		})
		total = len(match)
		lo, hi := window(total, page, perPage)
		for _, inv := range match[lo:hi] {
			out = append(out, inv.view())
		}
		t.mu.Unlock()
	}
	pages := (total + perPage - 1) / perPage
	return ok(c, http.StatusOK, invitationList{PersonalVerifications: out,
		Meta: meta{Pagination: pagination{Total: total, PerPage: perPage, CurrentPage: page, TotalPages: pages}}})
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
