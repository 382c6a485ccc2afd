package kulipa

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/kycemu/kycemu/emulator/internal/fake"
	"github.com/kycemu/kycemu/emulator/provider"
)

type createKycIn struct {
	UserID      string  `json:"userId"`
	Type        string  `json:"type"`
	RedirectURI *string `json:"redirectUri"`

	// What the import page marks required (the spec has checked that each
	// present one is an object; nothing of them is kept).
	SecurityQuestions    json.RawMessage `json:"securityQuestions"`
	GovernmentIDDocument json.RawMessage `json:"governmentIdDocument"`
	Geolocation          json.RawMessage `json:"geolocation"`
}

// checkImport refuses an import KYC without the data Kulipa's import page
// marks required.
func (in *createKycIn) checkImport() *provider.Error {
	for _, f := range []struct {
		name string
		v    json.RawMessage
	}{{"securityQuestions", in.SecurityQuestions}, {"governmentIdDocument", in.GovernmentIDDocument}, {"geolocation", in.Geolocation}} {
		if len(f.v) == 0 {
			return provider.Invalid(f.name, "is required for an import KYC")
		}
	}
	return nil
}

func (p *Provider) createKyc(c *provider.Call) error {
	var in createKycIn
	if err := c.Bind(&in); err != nil {
		return err
	}
	t := p.tenants.Get(c.Tenant)
	s := p.settings(t)
	if in.Type == TypeImport && !s.Partner {
		return provider.Errorf(provider.KindForbidden,
			"import KYCs are only available to partner platforms").WithCode("permission_error")
	}
	if in.Type == TypeImport {
		if err := in.checkImport(); err != nil {
			return err
		}
	}
	plan, perr := p.env.Scenarios.Plan(Name, kindKyc, c.Tenant, c.Scenario, c.Body)
	if perr != nil {
		return perr
	}
	switch {
	case plan == nil:
		plan = planOf(s)
	case plan.DefaultSteps:
		// A scenario without a timeline keeps the default, which follows
		// this tenant's settings (review delay, time to live).
		cp := *plan
		cp.Steps = planOf(s).Steps
		plan = &cp
	}
	now := p.env.Clock.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	u, ok := t.users[strings.ToLower(in.UserID)]
	if !ok {
		return userNotFound()
	}
	for i := len(t.kycOrder) - 1; i >= 0; i-- {
		if k := t.kycOrder[i]; k.user == u && k.typ == in.Type && (k.status == Pending || k.status == Submitted) {
			return c.JSON(http.StatusOK, k.view())
		}
	}
	k := &kyc{
		id: "kyc-" + t.rand.UUID(), seq: t.next(), tenant: t, user: u, typ: in.Type, status: Pending,
		redirectURI: in.RedirectURI, expiresAt: now.Add(time.Duration(s.KycTTL)), created: now, updated: now,
		plan: plan,
	}
	if in.Type != TypeImport {
		k.inquiry = "inq_" + t.rand.String(fake.Base58, 24)
		url := c.BaseURL + "/_webview/" + k.inquiry
		k.url = &url
	}
	k.timeline = provider.NewTimeline(p.env.Clock, plan.Steps, p.fire(k))
	k.history = []provider.Transition{{To: Pending, At: now, By: "client"}}
	t.kycs[k.id] = k
	t.kycOrder = append(t.kycOrder, k)
	p.mu.Lock()
	p.kycs[k.id] = k
	if k.inquiry != "" {
		p.inquiries[k.inquiry] = k
	}
	p.mu.Unlock()
	k.timeline.Created()
	k.timeline.Entered(Pending)
	p.notifyKyc(k, now)
	if in.Type == TypeImport {
		// The partner already verified the identity: nothing waits for a
		// webview.
		p.move(k, Submitted, "client", "")
	}
	return c.JSON(http.StatusCreated, k.view())
}

// kycOf finds the calling tenant's KYC and locks the tenant; the caller
// must call unlock.
func (p *Provider) kycOf(tenantName, id string) (*kyc, func(), *provider.Error) {
	t := p.tenants.Get(tenantName)
	t.mu.Lock()
	k, ok := t.kycs[strings.ToLower(id)]
	if !ok {
		t.mu.Unlock()
		return nil, nil, kycNotFound()
	}
	return k, t.mu.Unlock, nil
}

func (p *Provider) getKyc(c *provider.Call) error {
	k, unlock, err := p.kycOf(c.Tenant, c.Params["kycId"])
	if err != nil {
		return err
	}
	defer unlock()
	return c.JSON(http.StatusOK, k.view())
}

func (p *Provider) listKycs(c *provider.Call) error {
	q := pageOf(c)
	qv := c.R.URL.Query()
	userID, typ, status := strings.ToLower(qv.Get("userId")), qv.Get("type"), qv.Get("status")
	t := p.tenants.Get(c.Tenant)
	t.mu.Lock()
	defer t.mu.Unlock()
	match := make([]*kyc, 0, len(t.kycOrder))
	for _, k := range t.kycOrder {
		if (userID != "" && k.user.id != userID) || (typ != "" && k.typ != typ) || (status != "" && k.status != status) {
			continue
		}
		match = append(match, k)
	}
	return c.JSON(http.StatusOK, paginate(match, q, func(k *kyc) sortKey { return sortKey{k.created, k.updated, k.seq} },
		func(k *kyc) kycView { return k.view() }))
}

func (p *Provider) exportKyc(c *provider.Call) error {
	t, u, unlock, err := p.userOf(c.Tenant, c.Query("userId"))
	if err != nil {
		return err
	}
	defer unlock()
	if u.status != UserActive {
		return provider.Errorf(provider.KindConflict,
			"the user is not active: export needs a verified full KYC").WithCode("user_not_active_error")
	}
	var latest *kyc
	for _, k := range t.kycOrder {
		if k.user == u && (k.typ == TypeFull || k.typ == TypeImport) && k.status == Verified &&
			(latest == nil || !k.verifiedAt.Before(*latest.verifiedAt)) {
			latest = k
		}
	}
	if latest == nil {
		return provider.NotFound("the user has no verified full KYC")
	}
	return c.JSON(http.StatusOK, latest.exportView())
}
