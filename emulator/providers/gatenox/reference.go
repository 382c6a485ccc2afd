package gatenox

import (
	"net/http"
	"strings"
	"time"

	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
)

// Reference endpoints: the company register lookup, the company's
// completeness (onboarding) profiles and the whitelist of verified crypto
// addresses.

// registerEpoch anchors the register's made-up dates, so a lookup answers
// the same company whenever it is made.
var registerEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// registerView is a register entry as the lookup answers it; full_data
// adds the details, the registered address and the officers.
type registerView struct {
	companyBriefView
	ID        *string `json:"id"`
	GatenoxID *string `json:"gatenox_id,omitempty"`
}

type registerFullView struct {
	companyView
	ID                        *string                         `json:"id"`
	GatenoxID                 *string                         `json:"gatenox_id,omitempty"`
	OfficeAddress             *addressView                    `json:"office_address"`
	RegisteredAddress         *addressView                    `json:"registered_address"`
	Directors                 []directorView[personBriefView] `json:"directors"`
	UltimateBeneficialOwners  []uboView[personBriefView]      `json:"ultimate_beneficial_owners"`
	AuthorizedRepresentatives []any                           `json:"authorized_representatives"`
	CompanyDocuments          []any                           `json:"company_documents"`
}

// lookupCompany answers what the register knows about a company number:
// made up from the jurisdiction and the number, the same on every call.
// Numbers ending in 404 are not registered. With save the company is kept
// in the calling company's context and gets an id.
func (p *Provider) lookupCompany(c *provider.Call) error {
	code := strings.ToLower(c.Params["jurisdiction_code"])
	number := c.Params["company_number"]
	if _, known := jurisdictions[code]; !known || strings.HasSuffix(number, "404") {
		return recordNotFound()
	}
	r := p.env.Rand.Derive(Name, "register", code, number)
	co := madeUpCompany(r, code, number, registerEpoch)
	co.Registered = madeUpAddress(r, code, registerEpoch)
	var id, gatenoxID *string
	if c.Query("save") == "true" {
		saved := firstOf(c.Query("update_company_id"), stableID("saved company", c.Tenant, code, number))
		id = &saved
	}
	if c.Query("full_data") != "true" {
		return ok(c, http.StatusOK, map[string]any{"company": registerView{companyBriefView: co.brief(), ID: id}})
	}
	g := stableID("register", code, number)
	gatenoxID = &g
	v := registerFullView{companyView: co.view(), ID: id, GatenoxID: gatenoxID,
		AuthorizedRepresentatives: []any{}, CompanyDocuments: []any{}}
	a := co.Registered.view()
	v.RegisteredAddress = &a
	for i := range 2 {
		fp := r.Person(registerEpoch)
		ps := personRec{ID: stableID("officer", code, number, fp.LastName), GivenNames: fp.FirstName, Surname: fp.LastName,
			Created: registerEpoch, Updated: registerEpoch}
		dr := directorRec{ID: stableID("directorship", ps.ID), Position: "director", PersonID: ps.ID, Created: registerEpoch}
		v.Directors = append(v.Directors, directorOf(&dr, ps.brief()))
		if i == 0 {
			u := uboRec{ID: stableID("ownership", ps.ID), Shares: 100, PersonID: ps.ID, Created: registerEpoch}
			v.UltimateBeneficialOwners = append(v.UltimateBeneficialOwners, uboOf(&u, ps.brief()))
		}
	}
	return ok(c, http.StatusOK, map[string]any{"company": v})
}

// profile is a completeness (onboarding) profile: the data a company asks
// its corporate clients for.
type profile struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	ProfileType  string   `json:"profile_type"`
	Requirements []string `json:"requirements_description"`
	CreatedAt    string   `json:"created_at"`
	UpdatedAt    string   `json:"updated_at"`
	Additional   []any    `json:"additional_fields"`
	Rules        []rule   `json:"completeness_rules"`
}

type rule struct {
	Entity  string  `json:"entity"`
	Fields  string  `json:"fields"`
	Label   string  `json:"label"`
	Kind    string  `json:"kind"`
	Extra   *string `json:"extra"`
	Section string  `json:"section"`
}

// profilesOf returns a company's profiles: the minimum Gatenox starts every
// company with, and a stricter one.
func profilesOf(tenant string) []profile {
	at := stamp(registerEpoch)
	minimum := []rule{
		{"company", "formal_name", "Please provide your company's formal name.", "required", nil, "business_identity"},
		{"company", "company_number", "Please provide your company number.", "required", nil, "business_identity"},
		{"person", "surname", "Please provide the person's surname.", "required", nil, ""},
		{"person", "given_names", "Please provide the person's given names.", "required", nil, ""},
	}
	return []profile{
		{ID: stableID("profile", tenant, "minimum"), Name: "DEFAULT MINIMUM", ProfileType: "main", CreatedAt: at, UpdatedAt: at,
			Requirements: []string{"Company details: jurisdiction, company number, formal name",
				"Directors: at least one, with surname and given names", "UBOs: surname and given names"},
			Additional: []any{}, Rules: minimum},
		{ID: stableID("profile", tenant, "enhanced"), Name: "ENHANCED DUE DILIGENCE", ProfileType: "main", CreatedAt: at,
			UpdatedAt: at, Requirements: []string{"Everything the minimum profile asks for",
				"Documents: proof of incorporation and of the office address", "People: an identity document and a proof of address each"},
			Additional: []any{}, Rules: append(minimum,
				rule{"company", "proof_of_incorporation_details", "Please upload your proof of incorporation.", "required", nil, "business_documents"},
				rule{"person", "documents", "Please upload the person's identity document.", "required", nil, ""})},
	}
}

// profileByID returns one of the calling company's profiles, or nil.
func profileByID(tx *state.Tx, id string) *profile {
	for _, pr := range profilesOf(tx.Tenant()) {
		if pr.ID == id {
			return &pr
		}
	}
	return nil
}

// completenessProfiles answers the profiles of the company's context:
// completeness_profile is the first of the asked type (main by default),
// completeness_profiles all of that type.
func (p *Provider) completenessProfiles(c *provider.Call) error {
	if c.Params["context_id"] != contextOf(c.Tenant).ID {
		return recordNotFound()
	}
	typ := firstOf(c.Query("type"), "main")
	var of []profile
	for _, pr := range profilesOf(c.Tenant) {
		if pr.ProfileType == typ {
			of = append(of, pr)
		}
	}
	if len(of) == 0 {
		return recordNotFound()
	}
	return ok(c, http.StatusOK, map[string]any{"completeness_profile": of[0], "completeness_profiles": of})
}

// verifiedAddressView is a crypto address of a company whose case was
// approved.
type verifiedAddressView struct {
	ID                    string `json:"id"`
	Address               string `json:"address"`
	AddressType           string `json:"address_type"`
	Assessment            string `json:"assessment"`
	VerificationID        string `json:"verification_id"`
	CreatedAt             string `json:"created_at"`
	UpdatedAt             string `json:"updated_at"`
	OwnerEntityIdentifier string `json:"owner_entity_identifier"`
	OwnerEntityName       string `json:"owner_entity_name"`
}

// verifiedCryptoAddresses lists the whitelist: the crypto addresses, with
// an accepted signature, of the companies whose cases are completed,
// filtered by type and address.
func (p *Provider) verifiedCryptoAddresses(c *provider.Call) error {
	typ, addr := strings.ToUpper(c.Query("type")), c.Query("address")
	return p.view(c, func(tx *state.Tx) error {
		var out []verifiedAddressView
		for _, r := range tx.List(KindCorporateCase) {
			k := state.Data[corporateCase](r)
			if r.Status != CaseCompleted || k.Assessment == nil {
				continue
			}
			co := &k.data().Company
			for _, ca := range co.CryptoAddresses {
				if ca.Verified != "accepted" || (typ != "" && ca.Type != typ) || (addr != "" && !strings.EqualFold(ca.Address, addr)) {
					continue
				}
				at := stamp(updatedOf(r))
				out = append(out, verifiedAddressView{ID: ca.ID, Address: ca.Address, AddressType: ca.Type,
					Assessment: *k.Assessment, VerificationID: r.ID, CreatedAt: at, UpdatedAt: at,
					OwnerEntityIdentifier: co.Number, OwnerEntityName: co.FormalName})
			}
		}
		page, perPage, _ := paging(c, defaultPerPage)
		lo, hi := window(len(out), page, perPage)
		items := append([]verifiedAddressView{}, out[lo:hi]...)
		return ok(c, http.StatusOK, map[string]any{"verified_crypto_addresses": items,
			"meta": meta{Pagination: pagination{Total: len(out), PerPage: perPage, CurrentPage: page,
				TotalPages: (len(out) + perPage - 1) / perPage}}})
	})
}
