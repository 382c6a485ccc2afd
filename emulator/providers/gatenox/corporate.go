package gatenox

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/kycemu/kycemu/emulator/internal/fake"
	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
	"github.com/kycemu/kycemu/internal/docgen"
)

// Corporate (KYB) invitations and the cases they lead to. A corporate
// invitation is sent invited; the business user opens its link
// (in_progress) and accepts it (completed: onboarding started, on the
// hosted page or through POST /invites/corporates/{id}/accept), then sends
// the company's data for verification, which creates the case: the
// company, its addresses and documents, its directors, UBOs and corporate
// shareholders. A timeline (or the control API) completing the invitation
// does both at once, with what the scenario scripts and made-up values.

// Input shapes of company_data, as Gatenox documents them for prefilling a
// corporate invitation.
type (
	addressIn struct {
		Line1    string `json:"line_1"`
		Line2    string `json:"line_2"`
		Line3    string `json:"line_3"`
		Postcode string `json:"postcode"`
		City     string `json:"city"`
		State    string `json:"state"`
		Country  string `json:"country"`
	}
	attachmentIn struct {
		AttachmentType string `json:"attachment_type"`
		Filename       string `json:"filename"`
		URL            string `json:"url"`
	}
	documentIn struct {
		Purposes []string `json:"purposes"`
		Document struct {
			Name         string         `json:"name"`
			DocumentType string         `json:"document_type"`
			Attachments  []attachmentIn `json:"attachments"`
		} `json:"document"`
	}
	personIn struct {
		Surname            string       `json:"surname"`
		GivenNames         string       `json:"given_names"`
		DateOfBirth        string       `json:"date_of_birth"`
		Nationality        string       `json:"nationality"`
		PlaceOfBirth       string       `json:"place_of_birth"`
		PersonalNumber     string       `json:"personal_number"`
		AddressOfResidence *addressIn   `json:"address_of_residence"`
		Documents          []documentIn `json:"documents"`
	}
	companyIn struct {
		FormalName          string `json:"formal_name"`
		BrandName           string `json:"brand_name"`
		CompanyNumber       string `json:"company_number"`
		DateOfIncorporation string `json:"date_of_incorporation"`
		Jurisdiction        struct {
			Country string `json:"country"`
		} `json:"jurisdiction"`
		CompanyType struct {
			ShortName string `json:"short_name"`
		} `json:"company_type"`
		Industry struct {
			Main struct {
				Key int `json:"key"`
			} `json:"main"`
			Description string `json:"description"`
		} `json:"industry"`
		BusinessDescription       string   `json:"business_description"`
		BusinessActivityCountries []string `json:"business_activity_countries"`
		TaxNumber                 string   `json:"tax_number"`
		PublicStockExchange       bool     `json:"public_stock_exchange"`
		FundsSources              string   `json:"funds_sources"`
		SourcesOfFunds            []string `json:"sources_of_funds"`
		SourcesOfFundsOther       string   `json:"sources_of_funds_other"`
		CryptoAddresses           []struct {
			Address     string `json:"address"`
			AddressType string `json:"address_type"`
		} `json:"crypto_addresses"`
	}
	companyDataIn struct {
		CompanyDetails struct {
			Company                     *companyIn   `json:"company"`
			RegisteredAddress           *addressIn   `json:"registered_address"`
			OfficeAddress               *addressIn   `json:"office_address"`
			ProofOfIncorporationDetails []documentIn `json:"proof_of_incorporation_details"`
			ProofOfOfficeAddress        []documentIn `json:"proof_of_office_address"`
		} `json:"company_details"`
		Directors []struct {
			Position string   `json:"position"`
			Person   personIn `json:"person"`
		} `json:"directors"`
		CorporateShareholders []struct {
			Shares            float64    `json:"approximate_percentage_of_shares"`
			Company           companyIn  `json:"company"`
			RegisteredAddress *addressIn `json:"registered_address"`
			OfficeAddress     *addressIn `json:"office_address"`
		} `json:"corporate_shareholders"`
		UBOs []struct {
			Shares float64  `json:"approximate_percentage_of_shares"`
			Person personIn `json:"person"`
		} `json:"ubos"`
	}
)

type corporateRecipientIn struct {
	Email                 string         `json:"email"`
	RedirectURLSuccess    *string        `json:"redirect_url_success"`
	RedirectURLFailure    *string        `json:"redirect_url_failure"`
	CustomerID            *string        `json:"customer_id"`
	CompletenessProfileID string         `json:"completeness_profile_id"`
	CompanyData           *companyDataIn `json:"company_data"`
}

type createCorporateInvitesIn struct {
	Recipients       []corporateRecipientIn `json:"recipients"`
	SendNotification bool                   `json:"send_notification"`
}

// corporateInvitation is a corporate invitation (record kind
// "corporate_invitation").
type corporateInvitation struct {
	invitee
	ProfileID        string         `json:"profileId"`
	SendNotification bool           `json:"sendNotification"`
	Prefill          *companyDataIn `json:"prefill,omitempty"`
	CompanyName      string         `json:"companyName,omitempty"`
}

// dataVersion is a case's corporate data from one second on.
type dataVersion struct {
	At   int64         `json:"at"`
	Data corporateData `json:"data"`
}

// corporateRevision is a corporate case as it was from one second on.
type corporateRevision struct {
	At   int64             `json:"at"`
	View corporateCaseView `json:"view"`
}

// corporateCase is a KYB case (record kind "corporate_case").
type corporateCase struct {
	review
	ProfileID string              `json:"profileId"`
	Versions  []dataVersion       `json:"versions"`
	Revisions []corporateRevision `json:"revisions"`
}

func (k *corporateCase) rev() *review { return &k.review }

// data is the case's current corporate data.
func (k *corporateCase) data() *corporateData { return &k.Versions[len(k.Versions)-1].Data }

// dataAt is the case's data as it was at a unix time, or false before the
// case existed.
func (k *corporateCase) dataAt(ts int64) (*corporateData, bool) {
	for i := len(k.Versions) - 1; i >= 0; i-- {
		if k.Versions[i].At <= ts {
			return &k.Versions[i].Data, true
		}
	}
	return nil, false
}

func (k *corporateCase) revise(p *Provider, tx *state.Tx, r *state.Record) {
	rv := corporateRevision{At: tx.Now().Unix(), View: p.corporateViewOf(tx, r)}
	if n := len(k.Revisions); n > 0 && k.Revisions[n-1].At == rv.At {
		k.Revisions[n-1] = rv
		return
	}
	k.Revisions = append(k.Revisions, rv)
}

// setData records a new version of the case's data (versions within one
// second collapse into the last).
func (k *corporateCase) setData(d corporateData, now time.Time) {
	v := dataVersion{At: now.Unix(), Data: d}
	if n := len(k.Versions); n > 0 && k.Versions[n-1].At == v.At {
		k.Versions[n-1] = v
		return
	}
	k.Versions = append(k.Versions, v)
}

// clone deep-copies corporate data, so a new version shares nothing with
// the old.
func (d *corporateData) clone() corporateData {
	var out corporateData
	b, _ := json.Marshal(d) // plain data always encodes
	_ = json.Unmarshal(b, &out)
	return out
}

// corporateViewOf is a corporate case as it is now, without its revision
// timestamps.
func (p *Provider) corporateViewOf(tx *state.Tx, r *state.Record) corporateCaseView {
	k := state.Data[corporateCase](r)
	c := &k.data().Company
	return corporateCaseView{
		ID: r.ID, CustomerID: k.CustomerID, Status: r.Status, EntityName: c.FormalName, EntityIdentifier: c.Number,
		EntityContactEmail: k.Email, CreatedAt: stamp(r.Created), UpdatedAt: stamp(k.Updated), CompanyName: c.FormalName,
		CompanyNumber: c.Number, AccessType: "verifier_compliance_officer", LastDataUpdate: lastUpdate(k.LastDataUpdate),
		VerificationType: "primary", Metadata: emptyMetadata(), CompletenessProfileID: k.ProfileID,
		Assessment: copyPtr(k.Assessment), ReopenAt: stampPtr(k.ReopenAt), QAComment: copyPtr(k.QAComment),
		AssessmentComment: copyPtr(k.AssessmentComment), RejectionComment: copyPtr(k.RejectionComment),
		ExternalRiskScore: scoreOf(tx, &k.review), CompanyJurisdiction: jurisdictionViewOf(c.Jurisdiction),
	}
}

// currentCorporate is the newest revision with every revision timestamp.
func (p *Provider) currentCorporate(tx *state.Tx, r *state.Record) corporateCaseView {
	v := p.corporateViewOf(tx, r)
	k := state.Data[corporateCase](r)
	v.RevisionTimestamps = make([]int64, len(k.Revisions))
	for i, rv := range k.Revisions {
		v.RevisionTimestamps[i] = rv.At
	}
	return v
}

// context is the company (Gatenox's verifier context) behind a token: its
// id, referral code and the links built on them.
type context struct {
	ID, Referral string
}

func contextOf(tenant string) context {
	sum := sha256.Sum256([]byte("gatenox context\x00" + tenant))
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	code := make([]byte, 8)
	for i := range code {
		code[i] = alphabet[int(sum[i])%len(alphabet)]
	}
	return context{ID: stableID("context", tenant), Referral: string(code)}
}

func (p *Provider) createCorporateInvites(c *provider.Call) error {
	var in createCorporateInvitesIn
	if err := c.Bind(&in); err != nil {
		return err
	}
	plans, err := p.planAll(c, KindCorporateInvitation, KindCorporateCase, len(in.Recipients))
	if err != nil {
		return err
	}
	ctx := contextOf(c.Tenant)
	return p.update(c, func(tx *state.Tx) error {
		set := settingsOf(tx)
		for i, rc := range in.Recipients {
			if rc.CompletenessProfileID != "" && profileByID(tx, rc.CompletenessProfileID) == nil {
				return provider.Invalid(fmt.Sprintf("recipients.%d.completeness_profile_id", i), "is not one of the company's profiles")
			}
		}
		if err := charge(tx, len(in.Recipients)*set.InviteCost); err != nil {
			return err
		}
		out := make([]corporateInviteView, len(in.Recipients))
		for i, rc := range in.Recipients {
			invPlan, casePlan := p.orDefault(KindCorporateInvitation, set.AutoSubmit, plans[i].inv, plans[i].kase)
			r := tx.Rand()
			id, token := r.UUID(), r.UUID()
			profile := rc.CompletenessProfileID
			if profile == "" {
				profile = profilesOf(tx.Tenant())[0].ID
			}
			inv := &corporateInvitation{invitee: invitee{Token: token, Email: rc.Email, CustomerID: rc.CustomerID,
				SuccessURL: rc.RedirectURLSuccess, FailureURL: rc.RedirectURLFailure, BaseURL: c.BaseURL,
				URL: c.BaseURL + "/referrals/join/" + ctx.Referral + "/" + token, CasePlan: casePlan,
				Script: plans[i].script, Faults: faultsOf(invPlan, casePlan)},
				ProfileID: profile, SendNotification: in.SendNotification, Prefill: rc.CompanyData}
			rec, err := tx.Create(state.NewRecord{Kind: KindCorporateInvitation, ID: id, Data: inv, Status: InvInvited,
				By: "client", Plan: invPlan, Index: map[string]string{byToken: token}})
			if err != nil {
				return err
			}
			p.scheduleExpiry(tx, rec)
			out[i] = corporateInviteOf(rec)
		}
		return ok(c, http.StatusCreated, map[string]any{"invites": out})
	})
}

// corporateInviteView is a corporate invitation as the create, accept and
// resend calls answer it.
type corporateInviteView struct {
	ID                 string            `json:"id"`
	Email              string            `json:"email"`
	Type               string            `json:"type"`
	RedirectURLSuccess string            `json:"redirect_url_success"`
	RedirectURLFailure string            `json:"redirect_url_failure"`
	UpdatedAt          string            `json:"updated_at"`
	CreatedAt          string            `json:"created_at"`
	State              string            `json:"state"`
	InvitationURL      string            `json:"invitation_url,omitempty"`
	InvitedByContext   *invitedByContext `json:"invited_by_context,omitempty"`
	InvitedBy          *invitedBy        `json:"invited_by,omitempty"`
}

type invitedByContext struct {
	ID                        string `json:"id"`
	Name                      string `json:"name"`
	Description               string `json:"description"`
	Referral                  string `json:"referral"`
	DocumentsNoteFromVerifier string `json:"documents_note_from_verifier"`
	ReferralCode              string `json:"referral_code"`
	ReferralURL               string `json:"referral_url"`
}

type invitedBy struct {
	Email string `json:"email"`
}

func corporateInviteOf(r *state.Record) corporateInviteView {
	inv := state.Data[corporateInvitation](r)
	return corporateInviteView{ID: r.ID, Email: inv.Email, Type: "Invite::CorporateKYC",
		RedirectURLSuccess: deref(inv.SuccessURL), RedirectURLFailure: deref(inv.FailureURL),
		UpdatedAt: stamp(r.Updated), CreatedAt: stamp(r.Created), State: r.Status, InvitationURL: inv.URL}
}

// withInviter adds who invited (the accept and resend answers).
func withInviter(v corporateInviteView, tenant, base string) corporateInviteView {
	ctx := contextOf(tenant)
	v.InvitationURL = ""
	v.InvitedByContext = &invitedByContext{ID: ctx.ID, Name: "kycemu verifier " + ctx.Referral, Referral: ctx.Referral,
		ReferralCode: ctx.Referral, ReferralURL: base + "/referrals/join/" + ctx.Referral}
	v.InvitedBy = &invitedBy{Email: "compliance@" + strings.ToLower(ctx.Referral) + ".kycemu.test"}
	return v
}

// corporateListItem is a corporate invitation as the list answers it.
type corporateListItem struct {
	ID                 string  `json:"id"`
	CustomerID         string  `json:"customer_id"`
	Email              string  `json:"email"`
	InvitationType     string  `json:"invitation_type"`
	RedirectURLSuccess string  `json:"redirect_url_success"`
	RedirectURLFailure string  `json:"redirect_url_failure"`
	CompletedAt        *string `json:"completed_at"`
	UpdatedAt          string  `json:"updated_at"`
	CreatedAt          string  `json:"created_at"`
	State              string  `json:"state"`
	InvitationURL      string  `json:"invitation_url"`
	DisplayName        *string `json:"display_name"`
	CompanyName        *string `json:"company_name"`
	VerificationID     string  `json:"verification_id,omitempty"`
}

func corporateListItemOf(r *state.Record) corporateListItem {
	inv := state.Data[corporateInvitation](r)
	return corporateListItem{ID: r.ID, CustomerID: deref(inv.CustomerID), Email: inv.Email, InvitationType: "corporate",
		RedirectURLSuccess: deref(inv.SuccessURL), RedirectURLFailure: deref(inv.FailureURL),
		CompletedAt: stampPtr(inv.Completed), UpdatedAt: stamp(r.Updated), CreatedAt: stamp(r.Created), State: r.Status,
		InvitationURL: inv.URL, DisplayName: optional(inv.CompanyName), CompanyName: optional(inv.CompanyName),
		VerificationID: inv.CaseID}
}

func (p *Provider) listCorporateInvites(c *provider.Call) error {
	return p.view(c, func(tx *state.Tx) error {
		items, m := pageOf(c, invitesOf(c, tx, KindCorporateInvitation), "state")
		out := make([]corporateListItem, len(items))
		for i, r := range items {
			out[i] = corporateListItemOf(r)
		}
		// Gatenox's example lists corporate invitations under the same key
		// as individual ones.
		return ok(c, http.StatusOK, map[string]any{"personal_verifications": out, "meta": m})
	})
}

// onCorporateInvitation runs fn on the calling company's corporate
// invitation named by the path.
func (p *Provider) onCorporateInvitation(c *provider.Call, fn func(tx *state.Tx, r *state.Record) error) error {
	return p.update(c, func(tx *state.Tx) error {
		r := tx.Get(KindCorporateInvitation, c.Params["id"])
		if r == nil {
			return recordNotFound()
		}
		return fn(tx, r)
	})
}

// acceptCorporateInvite accepts an invitation on the business user's
// behalf: it is completed and onboarding starts (the case comes when the
// company's data is sent from the hosted page).
func (p *Provider) acceptCorporateInvite(c *provider.Call) error {
	return p.onCorporateInvitation(c, func(tx *state.Tx, r *state.Record) error {
		if !walkInvitation(r, InvCompleted, func(to string) bool {
			return p.moveCorporateInvitation(tx, r, to, apiActor(c), "", false)
		}) {
			return statusCode(http.StatusBadRequest, "STATE_TRANSITION_NOT_ALLOWED")
		}
		return ok(c, http.StatusOK, map[string]any{"invite": withInviter(corporateInviteOf(r), c.Tenant, c.BaseURL)})
	})
}

func (p *Provider) resendCorporateInvite(c *provider.Call) error {
	return p.onCorporateInvitation(c, func(tx *state.Tx, r *state.Record) error {
		if !p.moveCorporateInvitation(tx, r, InvInvited, apiActor(c), "", false) {
			return statusCode(http.StatusBadRequest, "STATE_TRANSITION_NOT_ALLOWED")
		}
		return ok(c, http.StatusOK, map[string]any{"invite": withInviter(corporateInviteOf(r), c.Tenant, c.BaseURL)})
	})
}

// moveCorporateInvitation moves a corporate invitation. With submit,
// completing it also sends the company's data (the scenario's, the prefill
// and made-up values), creating the case.
func (p *Provider) moveCorporateInvitation(tx *state.Tx, r *state.Record, to string, a actor, reason string, submit bool) bool {
	return p.moveInvite(tx, r, to, a, reason, func() {
		if submit {
			p.openCorporateCase(tx, r, a, companyForm{})
		}
	})
}

func (p *Provider) fireCorporateInvitation(tx *state.Tx, r *state.Record, st provider.Step) {
	a := actor{by: "timeline"}
	if st.Status == InvExpired && st.Reason == "the invitation expired" {
		a = actor{by: "clock"}
	}
	p.moveCorporateInvitation(tx, r, st.Status, a, st.Reason, true)
}

// companyForm is what the business user typed on the hosted page; empty
// fields keep the prefill or are made up.
type companyForm struct {
	FormalName, Number, Jurisdiction string
	Director, UBO                    PersonOption
	// Document is a company document the user uploaded, or nil.
	Document *upload
}

// upload is a file sent from a page.
type upload struct {
	Filename, Mime string
	Data           []byte
}

// uploadedDocument stores an uploaded company document (proof of
// incorporation).
func (p *Provider) uploadedDocument(tx *state.Tx, u *upload) documentRec {
	r := tx.Rand()
	d := documentRec{EntryID: r.UUID(), ID: r.UUID(), Purposes: []string{"details_confirmation"}, Type: "other",
		Name: u.Filename, Created: tx.Now()}
	d.Attachments = []attachmentRec{p.attach(tx, "main", u.Filename, u.Mime, u.Data, "")}
	return d
}

// openCorporateCase builds the company's data and creates the case: the
// first revision, its audit rows and screening, the external risk score
// record and the webhooks.
func (p *Provider) openCorporateCase(tx *state.Tx, ir *state.Record, a actor, form companyForm) {
	inv := state.Data[corporateInvitation](ir)
	now := tx.Now()
	data := p.buildCorporate(tx, inv, form, now)
	k := &corporateCase{ProfileID: inv.ProfileID, review: review{InvitationID: ir.ID, Email: inv.Email,
		CustomerID: deref(inv.CustomerID), BaseURL: inv.BaseURL, LastDataUpdate: now, Updated: now,
		Script: inv.Script, Faults: inv.Faults, Audits: []audit{}, Associated: []audit{}}}
	k.setData(data, now)
	rnd := tx.Rand()
	cr, err := tx.Create(state.NewRecord{Kind: KindCorporateCase, ID: rnd.UUID(), Data: k, Status: CaseNew, By: a.by,
		Plan: casePlanOf(ir, &inv.invitee, KindCorporateCase, p), Index: map[string]string{byToken: inv.Token}})
	if err != nil {
		p.env.Log.Error("gatenox corporate case not created", "error", err)
		return
	}
	inv.CaseID, inv.CaseStatus, inv.CompanyName = cr.ID, CaseNew, data.Company.FormalName
	ctx := contextOf(tx.Tenant())
	p.audit(tx, cr, "create", map[string]any{"status": CaseProcessing, "entity_name": data.Company.FormalName,
		"entity_identifier": data.Company.Number, "verifier_id": ctx.ID, "completeness_profile_id": inv.ProfileID,
		"customer_id": deref(inv.CustomerID), "company_jurisdiction_id": jurisdictionViewOf(data.Company.Jurisdiction).ID}, a, nil)
	for range 1 + len(data.People) { // the company, then each person
		p.audit(tx, cr, "sanctions_check", map[string]any{}, actor{by: "system"},
			&sanctionsComment{SanctionsCheck: rnd.UUID(), Sources: sanctionsSources})
	}
	p.audit(tx, cr, "update", map[string]any{"status": []any{CaseProcessing, CaseNew}}, actor{by: "system"}, nil)
	people := make([]string, len(data.People))
	for i, ps := range data.People {
		people[i] = ps.ID
	}
	companies := []string{data.Company.ID}
	for _, c := range data.Companies {
		companies = append(companies, c.ID)
	}
	p.associate(tx, cr, rnd.UUID(), "Trust::VerificationCart", "create", map[string]any{"people": people,
		"companies": companies, "crypto_addresses": len(data.Company.CryptoAddresses)}, a)
	if settingsOf(tx).ExternalRiskScore {
		p.createRiskScore(tx, cr)
	}
	k.revise(p, tx, cr)
	p.stateChange(tx, cr, CaseProcessing, CaseNew)
	if k.ScoreID != "" {
		p.announceRiskScore(tx, cr)
	}
}

// buildCorporate makes a company's data from the form, the scenario, the
// invitation's prefill and made-up values, in that order of precedence.
func (p *Provider) buildCorporate(tx *state.Tx, inv *corporateInvitation, form companyForm, now time.Time) corporateData {
	r := tx.Rand()
	var in companyDataIn
	if inv.Prefill != nil {
		in = *inv.Prefill
	}
	ci := in.CompanyDetails.Company
	if ci == nil {
		ci = &companyIn{}
	}
	code := firstOf(jurisdictionCode(form.Jurisdiction), jurisdictionCodeOf(inv.Script.Company),
		jurisdictionCode(ci.Jurisdiction.Country), "gb")
	number := firstOf(form.Number, companyOpt(inv.Script.Company).CompanyNumber, ci.CompanyNumber)
	c := madeUpCompany(r, code, number, now)
	c.FormalName = firstOf(form.FormalName, companyOpt(inv.Script.Company).FormalName, ci.FormalName, c.FormalName)
	c.BrandName = firstOf(ci.BrandName, c.BrandName)
	c.Incorporated = firstOf(ci.DateOfIncorporation, c.Incorporated)
	c.Type = firstOf(ci.CompanyType.ShortName, c.Type)
	c.IndustryKey = firstInt(ci.Industry.Main.Key, 20)
	c.IndustryDescription = firstOf(ci.Industry.Description, "Services for business customers")
	c.BusinessDescription = firstOf(ci.BusinessDescription, "Provides its services to business customers.")
	c.ActivityCountries = ci.BusinessActivityCountries
	if len(c.ActivityCountries) == 0 {
		c.ActivityCountries = []string{code}
	}
	c.TaxNumber = firstOf(ci.TaxNumber, strings.ToUpper(code)+r.String(fake.Digits, 9))
	c.PublicStockExchange = ci.PublicStockExchange
	c.FundsSources, c.SourcesOfFunds, c.SourcesOfFundsOther = ci.FundsSources, ci.SourcesOfFunds, ci.SourcesOfFundsOther
	if len(c.SourcesOfFunds) == 0 {
		c.SourcesOfFunds = []string{"revenue"}
	}
	c.Email, c.Website = inv.Email, "www."+strings.ToLower(strings.ReplaceAll(c.BrandName, " ", ""))+".example"
	c.EmployeesCount = "6-20"
	for _, ca := range ci.CryptoAddresses {
		c.CryptoAddresses = append(c.CryptoAddresses, cryptoAddressRec{ID: r.UUID(), Address: ca.Address,
			Type: ca.AddressType, Signature: r.String(fake.Hex, 64), Verified: "accepted", Created: now})
	}
	c.Registered = p.addressOf(r, in.CompanyDetails.RegisteredAddress, code, now)
	c.Office = p.addressOf(r, in.CompanyDetails.OfficeAddress, code, now)
	if in.CompanyDetails.OfficeAddress == nil {
		c.Office = c.Registered
	}
	d := corporateData{Company: c}
	if form.Document != nil {
		d.Incorporated = []documentRec{p.uploadedDocument(tx, form.Document)}
	} else {
		d.Incorporated = p.documentsOf(tx, inv.BaseURL, in.CompanyDetails.ProofOfIncorporationDetails, "details_confirmation",
			"Certificate of Incorporation", "other", c.FormalName, now)
	}
	d.OfficeProof = p.documentsOf(tx, inv.BaseURL, in.CompanyDetails.ProofOfOfficeAddress, "office_address_confirmation",
		"Utility bill", "other", c.FormalName, now)

	// The people: directors, then UBOs; a person named twice is one person.
	directors := inv.Script.Directors
	for _, dr := range in.Directors {
		directors = append(directors, personOptionOf(dr.Person, dr.Position, 0))
	}
	if form.Director.Surname != "" || form.Director.GivenNames != "" {
		directors = append([]PersonOption{form.Director}, directors...)
	}
	ubos := inv.Script.UBOs
	for _, u := range in.UBOs {
		ubos = append(ubos, personOptionOf(u.Person, "", u.Shares))
	}
	if form.UBO.Surname != "" || form.UBO.GivenNames != "" {
		ubos = append([]PersonOption{form.UBO}, ubos...)
	}
	if len(directors) == 0 {
		directors = []PersonOption{{}}
	}
	people := map[string]string{} // name -> person id
	personFor := func(po PersonOption, pin *personIn) string {
		sub, _ := po.submission("")
		ps := madeUpPerson(r, sub, now)
		key := strings.ToLower(ps.GivenNames + "\x00" + ps.Surname)
		if id, seen := people[key]; seen && (po.GivenNames != "" || po.Surname != "") {
			return id
		}
		ps.Email, ps.Phone, ps.Title, ps.FamilyName, ps.Parents = "", "", "", "", ""
		if pin != nil {
			ps.PlaceOfBirth = firstOf(pin.PlaceOfBirth, ps.PlaceOfBirth)
			ps.PersonalNumber = firstOf(pin.PersonalNumber, ps.PersonalNumber)
			if pin.AddressOfResidence != nil {
				ps.Residence = p.addressOf(r, pin.AddressOfResidence, ps.Nationality, now)
			}
		}
		if pin != nil && len(pin.Documents) > 0 {
			ps.Documents = p.documentsOf(tx, inv.BaseURL, pin.Documents, "personal_document", "Passport", "passport", ps.fullName(), now)
		} else {
			ps.Documents = []documentRec{p.passport(tx, inv.BaseURL, &ps, now, nil), p.utilityBill(tx, &ps, now, nil)}
		}
		people[key] = ps.ID
		d.People = append(d.People, ps)
		return ps.ID
	}
	for i, po := range directors {
		var pin *personIn
		if j := i - len(directors) + len(in.Directors); j >= 0 {
			pin = &in.Directors[j].Person
		}
		d.Directors = append(d.Directors, directorRec{ID: r.UUID(), Position: firstOf(po.Position, "director"),
			PersonID: personFor(po, pin), Created: now})
	}
	if ps, found := d.person(d.Directors[0].PersonID); found {
		d.Company.AMLContactPerson, d.Company.AMLContactEmail = ps.fullName(), inv.Email
		d.Company.AMLContactPhone = r.Person(now).Phone
		d.Company.Phone = d.Company.AMLContactPhone
	}
	if len(ubos) == 0 {
		// The first director owns the company.
		d.UBOs = []uboRec{{ID: r.UUID(), Shares: 100, Description: uboDescription, PersonID: d.Directors[0].PersonID, Created: now}}
	}
	for i, po := range ubos {
		var pin *personIn
		if j := i - len(ubos) + len(in.UBOs); j >= 0 {
			pin = &in.UBOs[j].Person
		}
		shares := po.Shares
		if shares == 0 {
			shares = 100 / float64(len(ubos))
		}
		d.UBOs = append(d.UBOs, uboRec{ID: r.UUID(), Shares: shares, Description: uboDescription,
			PersonID: personFor(po, pin), Created: now})
	}
	for _, sh := range in.CorporateShareholders {
		sc := madeUpCompany(r, firstOf(jurisdictionCode(sh.Company.Jurisdiction.Country), code), sh.Company.CompanyNumber, now)
		sc.FormalName = firstOf(sh.Company.FormalName, sc.FormalName)
		sc.BrandName = firstOf(sh.Company.BrandName, sc.BrandName)
		sc.Registered = p.addressOf(r, sh.RegisteredAddress, sc.Jurisdiction, now)
		sc.Office = p.addressOf(r, sh.OfficeAddress, sc.Jurisdiction, now)
		d.Companies = append(d.Companies, sc)
		d.Shareholders = append(d.Shareholders, shareholderRec{ID: r.UUID(), Shares: sh.Shares, CompanyID: sc.ID, Created: now})
	}
	return d
}

// uboDescription is why a person is a UBO.
const uboDescription = "The person owns at least 25% of the share capital"

func personOptionOf(pin personIn, position string, shares float64) PersonOption {
	return PersonOption{GivenNames: pin.GivenNames, Surname: pin.Surname, DateOfBirth: pin.DateOfBirth,
		Nationality: countryCodeOf(pin.Nationality), Position: position, Shares: shares}
}

// countryCodeOf reads a nationality written as a code or a country name;
// "" when unknown.
func countryCodeOf(s string) string {
	if nationalityRE.MatchString(s) {
		return strings.ToUpper(s)
	}
	return strings.ToUpper(jurisdictionCode(s))
}

func (p *Provider) addressOf(r *fake.Source, in *addressIn, country string, now time.Time) *addressRec {
	if in == nil {
		return madeUpAddress(r, country, now)
	}
	return &addressRec{ID: r.UUID(), Name: in.Line1, Line1: in.Line1, Line2: in.Line2, Line3: in.Line3, Postcode: in.Postcode,
		City: in.City, State: in.State, Country: strings.ToUpper(firstOf(in.Country, country)), Created: now}
}

// documentsOf stores the documents a prefill lists (a generated stand-in
// for each file, remembering its URL), or one made-up document.
func (p *Provider) documentsOf(tx *state.Tx, base string, in []documentIn, purpose, name, typ, owner string, now time.Time) []documentRec {
	r := tx.Rand()
	if len(in) == 0 {
		in = []documentIn{{Purposes: []string{purpose}}}
		in[0].Document.Name, in[0].Document.DocumentType = name, typ
	}
	out := make([]documentRec, 0, len(in))
	for _, di := range in {
		d := documentRec{EntryID: r.UUID(), ID: r.UUID(), Purposes: di.Purposes, Type: firstOf(di.Document.DocumentType, typ),
			Name: firstOf(di.Document.Name, name), Created: now}
		if len(d.Purposes) == 0 {
			d.Purposes = []string{purpose}
		}
		atts := di.Document.Attachments
		if len(atts) == 0 {
			atts = []attachmentIn{{AttachmentType: "main", Filename: strings.ToLower(strings.ReplaceAll(d.Name, " ", "_")) + ".pdf"}}
		}
		for _, a := range atts {
			file := firstOf(a.Filename, "document.pdf")
			body := docgen.PDF(d.Name+" - kycemu test document", owner)
			d.Attachments = append(d.Attachments, p.attach(tx, firstOf(a.AttachmentType, "main"), file, "application/pdf", body, a.URL))
		}
		out = append(out, d)
	}
	return out
}

func firstOf(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

func firstInt(vals ...int) int {
	for _, v := range vals {
		if v != 0 {
			return v
		}
	}
	return 0
}

func companyOpt(c *CompanyOption) CompanyOption {
	if c == nil {
		return CompanyOption{}
	}
	return *c
}

func jurisdictionCodeOf(c *CompanyOption) string { return jurisdictionCode(companyOpt(c).Jurisdiction) }
