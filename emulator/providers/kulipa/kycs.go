package kulipa

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/kycemu/kycemu/emulator/internal/fake"
	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
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

func (p *Provider) createKyc(c *provider.Call, tx *state.Tx) error {
	var in createKycIn
	if err := c.Bind(&in); err != nil {
		return err
	}
	s := p.settingsOf(tx.Data().(*tenantData))
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
	ur := userOf(tx, in.UserID)
	if ur == nil {
		return userNotFound()
	}
	u := state.Data[user](ur)
	for i := len(u.KYCs) - 1; i >= 0; i-- {
		if r := tx.Get(kindKyc, u.KYCs[i]); r != nil && state.Data[kyc](r).Type == in.Type && (r.Status == Pending || r.Status == Submitted) {
			return c.JSON(http.StatusOK, kycViewOf(r))
		}
	}
	rnd := tx.Rand()
	k := &kyc{UserID: ur.ID, Type: in.Type, RedirectURI: in.RedirectURI, ExpiresAt: tx.Now().Add(time.Duration(s.KycTTL))}
	nr := state.NewRecord{Kind: kindKyc, ID: "kyc-" + rnd.UUID(), Data: k, Status: Pending, By: "client", Plan: plan}
	if in.Type != TypeImport {
		k.Inquiry = "inq_" + rnd.String(fake.Base58, 24)
		url := c.BaseURL + "/_webview/" + k.Inquiry
		k.URL = &url
		nr.Index = map[string]string{byInquiry: k.Inquiry}
	}
	r, err := tx.Create(nr)
	if err != nil {
		return err
	}
	u.KYCs = append(slices.DeleteFunc(u.KYCs, func(id string) bool { return tx.Get(kindKyc, id) == nil }), r.ID)
	p.notifyKyc(tx, r, r.Created)
	if in.Type == TypeImport {
		// The partner already verified the identity: nothing waits for a
		// webview.
		p.move(tx, r, Submitted, "client", "")
	}
	return c.JSON(http.StatusCreated, kycViewOf(r))
}

func (p *Provider) getKyc(c *provider.Call, tx *state.Tx) error {
	r := tx.Get(kindKyc, strings.ToLower(c.Params["kycId"]))
	if r == nil {
		return kycNotFound()
	}
	return c.JSON(http.StatusOK, kycViewOf(r))
}

func (p *Provider) listKycs(c *provider.Call, tx *state.Tx) error {
	q := pageOf(c)
	qv := c.R.URL.Query()
	userID, typ, status := strings.ToLower(qv.Get("userId")), qv.Get("type"), qv.Get("status")
	all := tx.List(kindKyc)
	match := make([]*state.Record, 0, len(all))
	for _, r := range all {
		k := state.Data[kyc](r)
		if (userID != "" && k.UserID != userID) || (typ != "" && k.Type != typ) || (status != "" && r.Status != status) {
			continue
		}
		match = append(match, r)
	}
	return c.JSON(http.StatusOK, paginate(match, q, kycViewOf))
}

func (p *Provider) exportKyc(c *provider.Call, tx *state.Tx) error {
	ur := userOf(tx, c.Query("userId"))
	if ur == nil {
		return userNotFound()
	}
	u := state.Data[user](ur)
	if u.Status != UserActive {
		return provider.Errorf(provider.KindConflict,
			"the user is not active: export needs a verified full KYC").WithCode("user_not_active_error")
	}
	var latest *state.Record
	for _, r := range identityKycs(tx, u) {
		if latest == nil || !state.Data[kyc](r).VerifiedAt.Before(*state.Data[kyc](latest).VerifiedAt) {
			latest = r
		}
	}
	if latest == nil {
		return provider.NotFound("the user has no verified full KYC")
	}
	return c.JSON(http.StatusOK, exportViewOf(latest))
}
