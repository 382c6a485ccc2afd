package gatenox

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"time"
)

// Views of corporate (KYB) data in Gatenox's shapes. They take the base URL
// attachment links are built on.

type jurisdictionView struct {
	ID       string `json:"id"`
	Code     string `json:"code"`
	Name     string `json:"name"`
	Country  string `json:"country"`
	FullName string `json:"full_name"`
}

func jurisdictionViewOf(code string) jurisdictionView {
	j := jurisdictionOf(code)
	return jurisdictionView{ID: stableID("jurisdiction", j.Code), Code: j.Code, Name: j.Name, Country: j.Name, FullName: j.Name}
}

type companyTypeView struct {
	ID               string  `json:"id"`
	ShortName        string  `json:"short_name"`
	FullName         string  `json:"full_name"`
	Description      string  `json:"description"`
	Source           *string `json:"source"`
	SourceURL        *string `json:"source_url"`
	JurisdictionCode string  `json:"jurisdiction_code"`
}

type industryMainView struct {
	Key      int      `json:"key"`
	Value    string   `json:"value"`
	Industry string   `json:"industry"`
	Keywords []string `json:"keywords"`
}

type industryView struct {
	Main           *industryMainView `json:"main"`
	Description    *string           `json:"description"`
	AdditionalKeys []int             `json:"additional_keys"`
}

// companyBriefView is a company as the companies list answers it.
type companyBriefView struct {
	ID                  string           `json:"id"`
	FormalName          string           `json:"formal_name"`
	BrandName           *string          `json:"brand_name"`
	CompanyNumber       string           `json:"company_number"`
	Inactive            bool             `json:"inactive"`
	PublicStockExchange bool             `json:"public_stock_exchange"`
	DateOfIncorporation *string          `json:"date_of_incorporation"`
	Jurisdiction        jurisdictionView `json:"jurisdiction"`
	CompanyType         *companyTypeView `json:"company_type"`
	Industry            industryView     `json:"industry"`
}

func (c *companyRec) brief() companyBriefView {
	v := companyBriefView{ID: c.ID, FormalName: c.FormalName, BrandName: optional(c.BrandName), CompanyNumber: c.Number,
		Inactive: c.Inactive, PublicStockExchange: c.PublicStockExchange, DateOfIncorporation: optional(c.Incorporated),
		Jurisdiction: jurisdictionViewOf(c.Jurisdiction), Industry: industryView{AdditionalKeys: []int{}}}
	if c.Type != "" {
		t := jurisdictionOf(c.Jurisdiction).typeOf(c.Type)
		v.CompanyType = &companyTypeView{ID: stableID("company_type", c.Jurisdiction, t.Short), ShortName: t.Short,
			FullName: t.Full, Description: t.About, JurisdictionCode: c.Jurisdiction}
	}
	if c.IndustryKey != 0 {
		in := industryOf(c.IndustryKey)
		v.Industry.Main = &industryMainView{Key: c.IndustryKey, Value: in.Value, Industry: in.Group,
			Keywords: slices.Clone(in.Keywords)}
	}
	v.Industry.Description = optional(c.IndustryDescription)
	return v
}

type bankAccountView struct {
	ID            string `json:"id"`
	AccountHolder string `json:"account_holder"`
	Address       string `json:"address"`
	IBAN          bool   `json:"iban"`
	Name          string `json:"name"`
	Number        string `json:"number"`
	CreatedAt     string `json:"created_at"`
	UpdatedAt     string `json:"updated_at"`
}

type cryptoAddressView struct {
	ID                    string  `json:"id"`
	Address               string  `json:"address"`
	AddressType           string  `json:"address_type"`
	Comment               *string `json:"comment"`
	SignatureMessage      string  `json:"signature_message"`
	SignatureVerification string  `json:"signature_verification"`
	CreatedAt             string  `json:"created_at"`
	UpdatedAt             string  `json:"updated_at"`
}

// companyView is a company with its details; a detail it has not given is
// left out rather than null (Gatenox's examples type every one by its value).
type companyView struct {
	companyBriefView
	ActivityDescription       *string             `json:"activity_description,omitempty"`
	BusinessDescription       *string             `json:"business_description,omitempty"`
	ProductsDescription       *string             `json:"products_description,omitempty"`
	BusinessActivityCountries []string            `json:"business_activity_countries"`
	TaxNumber                 *string             `json:"tax_number,omitempty"`
	FundsSources              *string             `json:"funds_sources,omitempty"`
	SourcesOfFunds            []string            `json:"sources_of_funds"`
	SourcesOfFundsOther       *string             `json:"sources_of_funds_other,omitempty"`
	BankAccounts              []bankAccountView   `json:"bank_accounts"`
	CryptoAddresses           []cryptoAddressView `json:"crypto_addresses"`
	Website                   *string             `json:"website,omitempty"`
	PhoneNumber               *string             `json:"phone_number,omitempty"`
	Email                     *string             `json:"email,omitempty"`
	EmployeesCount            *string             `json:"employees_count,omitempty"`
	AMLContactPerson          *string             `json:"aml_contact_person,omitempty"`
	AMLContactEmail           *string             `json:"aml_contact_email,omitempty"`
	AMLContactPhoneNumber     *string             `json:"aml_contact_phone_number,omitempty"`
	OpencorporatesURL         *string             `json:"opencorporates_url,omitempty"`
	ExpectedMonthlyVolume     *string             `json:"expected_monthly_transactions_volume,omitempty"`
	Investigations            bool                `json:"investigations"`
	Prosecutions              bool                `json:"prosecutions"`
	UBOCriminalRecords        bool                `json:"ubo_criminal_records"`
	RegistrationAuthority     string              `json:"registration_authority"`
	LicenseRequired           bool                `json:"license_required"`
	DocumentsNoteFromVerifier *string             `json:"documents_note_from_verifier,omitempty"`
}

func (c *companyRec) view() companyView {
	v := companyView{companyBriefView: c.brief(), BusinessDescription: optional(c.BusinessDescription),
		ProductsDescription: optional(c.ProductsDescription), BusinessActivityCountries: nonNil(c.ActivityCountries),
		TaxNumber: optional(c.TaxNumber), FundsSources: optional(c.FundsSources), SourcesOfFunds: nonNil(c.SourcesOfFunds),
		SourcesOfFundsOther: optional(c.SourcesOfFundsOther), BankAccounts: []bankAccountView{},
		CryptoAddresses: []cryptoAddressView{}, Website: optional(c.Website), PhoneNumber: optional(c.Phone),
		Email: optional(c.Email), EmployeesCount: optional(c.EmployeesCount), AMLContactPerson: optional(c.AMLContactPerson),
		AMLContactEmail: optional(c.AMLContactEmail), AMLContactPhoneNumber: optional(c.AMLContactPhone),
		RegistrationAuthority: c.RegistrationAuth}
	for _, b := range c.BankAccounts {
		at := stamp(b.Created)
		v.BankAccounts = append(v.BankAccounts, bankAccountView{ID: b.ID, AccountHolder: b.Holder, Address: b.Address,
			IBAN: b.IBAN, Name: b.Bank, Number: b.Number, CreatedAt: at, UpdatedAt: at})
	}
	for _, a := range c.CryptoAddresses {
		at := stamp(a.Created)
		v.CryptoAddresses = append(v.CryptoAddresses, cryptoAddressView{ID: a.ID, Address: a.Address, AddressType: a.Type,
			SignatureMessage: a.Signature, SignatureVerification: a.Verified, CreatedAt: at, UpdatedAt: at})
	}
	return v
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return slices.Clone(s)
}

func (a *addressRec) view() addressView {
	at := stamp(a.Created)
	return addressView{ID: a.ID, Name: optional(a.Name), Line1: optional(a.Line1), Line2: optional(a.Line2),
		Line3: optional(a.Line3), Postcode: optional(a.Postcode), City: optional(a.City), State: optional(a.State),
		Country: optional(a.Country), CreatedAt: at, UpdatedAt: at}
}

// fileURL is the download link of a stored file: the mount's attachments
// path and the file's Shrine-style segment.
func fileURL(base string, f fileRec) string {
	b, _ := json.Marshal(fileRef{ID: f.Key, Storage: f.Storage,
		Metadata: fileMetadata{Filename: f.Filename, Size: f.Size, MimeType: f.Mime}})
	return base + attachmentsPath + base64.RawURLEncoding.EncodeToString(b)
}

func (d *documentRec) view(base string) documentEntryView {
	at := stamp(d.Created)
	atts := make([]attachmentView, len(d.Attachments))
	for i, a := range d.Attachments {
		aat := stamp(a.Created)
		atts[i] = attachmentView{ID: a.ID, AttachmentType: a.Type, Filename: a.Original.Filename, Filesize: a.Original.Size,
			Mime: a.Original.Mime, CreatedAt: aat, UpdatedAt: aat, URLs: urlsView{Thumb: fileURL(base, a.Thumb),
				Medium: fileURL(base, a.Medium), Original: fileURL(base, a.Original)}}
	}
	return documentEntryView{ID: d.EntryID, Purposes: slices.Clone(d.Purposes), CreatedAt: at, UpdatedAt: at,
		Document: documentView{ID: d.ID, CountryOfIssue: optional(d.Country), Name: d.Name, Number: optional(d.Number),
			DocumentType: d.Type, DateOfIssue: optional(d.Issued), ExpirationDate: optional(d.Expires), CreatedAt: at,
			UpdatedAt: at, Attachments: atts}}
}

// personBriefView is a person as the people, directors and UBOs lists
// answer them.
type personBriefView struct {
	ID                string  `json:"id"`
	Surname           string  `json:"surname"`
	GivenNames        string  `json:"given_names"`
	FamilyName        *string `json:"family_name"`
	ParentsGivenNames *string `json:"parents_given_names"`
	DateOfBirth       *string `json:"date_of_birth"`
	Sex               *string `json:"sex"`
	Nationality       *string `json:"nationality"`
	Pep               bool    `json:"pep"`
	PepDescription    *string `json:"pep_description"`
	PlaceOfBirth      *string `json:"place_of_birth"`
	PersonalNumber    *string `json:"personal_number"`
	FundsSources      *string `json:"funds_sources"`
	Email             *string `json:"email"`
	Phone             *string `json:"phone"`
	TitlePosition     *string `json:"title_position"`
	CreatedAt         string  `json:"created_at"`
	UpdatedAt         string  `json:"updated_at"`
}

// kybPersonView is a person with their address and documents.
type kybPersonView struct {
	personBriefView
	AddressOfResidence       *addressView        `json:"address_of_residence"`
	AddressForCorrespondence *addressView        `json:"address_for_correspondence"`
	Documents                []documentEntryView `json:"documents"`
	// PersonalVerification is always null: the people of a company are
	// not invited to an individual verification of their own.
	PersonalVerification *personalVerificationRef `json:"personal_verification"`
}

func (p *personRec) brief() personBriefView {
	return personBriefView{ID: p.ID, Surname: p.Surname, GivenNames: p.GivenNames, FamilyName: optional(p.FamilyName),
		ParentsGivenNames: optional(p.Parents), TitlePosition: optional(p.Title), DateOfBirth: optional(p.DateOfBirth),
		Sex: optional(p.Sex), Nationality: optional(p.Nationality), Pep: p.PEP, PepDescription: optional(p.PEPDescription),
		PlaceOfBirth: optional(p.PlaceOfBirth), PersonalNumber: optional(p.PersonalNumber),
		FundsSources: optional(p.FundsSources), Email: optional(p.Email), Phone: optional(p.Phone),
		CreatedAt: stamp(p.Created), UpdatedAt: stamp(p.Updated)}
}

func (p *personRec) view(base string) kybPersonView {
	v := kybPersonView{personBriefView: p.brief(), Documents: make([]documentEntryView, len(p.Documents))}
	if p.Residence != nil {
		a := p.Residence.view()
		v.AddressOfResidence = &a
	}
	for i := range p.Documents {
		v.Documents[i] = p.Documents[i].view(base)
	}
	return v
}

type directorView[P any] struct {
	ID        string `json:"id"`
	Position  string `json:"position"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
	Person    P      `json:"person"`
}

type uboView[P any] struct {
	ID                            string   `json:"id"`
	ApproximatePercentageOfShares float64  `json:"approximate_percentage_of_shares"`
	Description                   *string  `json:"description"`
	NaturesOfControl              []string `json:"natures_of_control"`
	CreatedAt                     string   `json:"created_at"`
	UpdatedAt                     string   `json:"updated_at"`
	Person                        P        `json:"person"`
}

func directorOf[P any](d *directorRec, person P) directorView[P] {
	at := stamp(d.Created)
	return directorView[P]{ID: d.ID, Position: d.Position, CreatedAt: at, UpdatedAt: at, Person: person}
}

func uboOf[P any](u *uboRec, person P) uboView[P] {
	at := stamp(u.Created)
	return uboView[P]{ID: u.ID, ApproximatePercentageOfShares: u.Shares, Description: optional(u.Description),
		NaturesOfControl: []string{}, CreatedAt: at, UpdatedAt: at, Person: person}
}

// companyDetailsView is the verified company with its addresses and
// documents.
type companyDetailsView struct {
	Company                     companyView         `json:"company"`
	RegisteredAddress           *addressView        `json:"registered_address"`
	OfficeAddress               *addressView        `json:"office_address"`
	ProofOfIncorporationDetails []documentEntryView `json:"proof_of_incorporation_details"`
	ProofOfOfficeAddress        []documentEntryView `json:"proof_of_office_address"`
}

func (d *corporateData) details(base string) companyDetailsView {
	v := companyDetailsView{Company: d.Company.view(), ProofOfIncorporationDetails: []documentEntryView{},
		ProofOfOfficeAddress: []documentEntryView{}}
	if a := d.Company.Registered; a != nil {
		av := a.view()
		v.RegisteredAddress = &av
	}
	if a := d.Company.Office; a != nil {
		av := a.view()
		v.OfficeAddress = &av
	}
	for i := range d.Incorporated {
		v.ProofOfIncorporationDetails = append(v.ProofOfIncorporationDetails, d.Incorporated[i].view(base))
	}
	for i := range d.OfficeProof {
		v.ProofOfOfficeAddress = append(v.ProofOfOfficeAddress, d.OfficeProof[i].view(base))
	}
	return v
}

// graphView is the ownership graph of a case: the verified company, its
// corporate shareholders and its people as vertices; an edge from the
// company to each of them, labelled with the roles and the shares.
type graphView struct {
	Acyclic  bool         `json:"acyclic"`
	Vertices []vertexView `json:"vertices"`
	Edges    []edgeView   `json:"edges"`
}

type vertexView struct {
	ID     string         `json:"id"`
	Type   string         `json:"type"` // Company or Person
	Labels map[string]any `json:"labels"`
}

type edgeView struct {
	Source string    `json:"source"`
	Target string    `json:"target"`
	Labels edgeLabel `json:"labels"`
}

type edgeLabel struct {
	Types  []string `json:"types"`
	Shares float64  `json:"shares,omitempty"`
}

type holding struct {
	CompanyID string  `json:"company_id"`
	Shares    float64 `json:"shares"`
}

type directorship struct {
	CompanyID string `json:"company_id"`
	Position  string `json:"position"`
}

func (d *corporateData) graph() graphView {
	root := d.Company.ID
	g := graphView{Acyclic: true, Vertices: []vertexView{{ID: root, Type: "Company",
		Labels: map[string]any{"name": d.Company.FormalName, "root": true}}}, Edges: []edgeView{}}
	for _, s := range d.Shareholders {
		c, ok := d.company(s.CompanyID)
		if !ok {
			continue
		}
		g.Vertices = append(g.Vertices, vertexView{ID: c.ID, Type: "Company", Labels: map[string]any{
			"name": c.FormalName, "shareholder": []holding{{root, s.Shares}}, "calculated_shares": s.Shares}})
		g.Edges = append(g.Edges, edgeView{Source: root, Target: c.ID,
			Labels: edgeLabel{Types: []string{"corporate_shareholder"}, Shares: s.Shares}})
	}
	for i := range d.People {
		p := &d.People[i]
		labels := map[string]any{"given_names": p.GivenNames, "surname": p.Surname}
		var types []string
		var shares float64
		var ubos []holding
		for _, u := range d.UBOs {
			if u.PersonID == p.ID {
				shares += u.Shares
				ubos = append(ubos, holding{root, u.Shares})
			}
		}
		if len(ubos) > 0 {
			types = append(types, "individual_shareholder", "ubo")
			labels["shareholder"] = []holding{{root, shares}}
			labels["ubo"] = ubos
			labels["calculated_shares"] = shares
		}
		var dirs []directorship
		for _, dr := range d.Directors {
			if dr.PersonID == p.ID {
				dirs = append(dirs, directorship{root, dr.Position})
			}
		}
		if len(dirs) > 0 {
			types = append(types, "director")
			labels["director"] = dirs
		}
		if len(types) == 0 {
			continue
		}
		g.Vertices = append(g.Vertices, vertexView{ID: p.ID, Type: "Person", Labels: labels})
		g.Edges = append(g.Edges, edgeView{Source: root, Target: p.ID, Labels: edgeLabel{Types: types, Shares: shares}})
	}
	return g
}

// metadataView reports which sections of the case the compliance officer
// marked complete; kycemu's officers never mark any.
type metadataView map[string]bool

func emptyMetadata() metadataView {
	m := metadataView{}
	for _, s := range []string{"ubos", "files", "details", "structure", "identified_issues", "business_representatives"} {
		m["section_"+s+"_completed_qa"] = false
		m["section_"+s+"_completed_verification"] = false
	}
	return m
}

// corporateCaseView is a KYB case (a verification) as Gatenox answers it.
type corporateCaseView struct {
	ID                    string           `json:"id"`
	CustomerID            string           `json:"customer_id"`
	Status                string           `json:"status"`
	EntityName            string           `json:"entity_name"`
	EntityIdentifier      string           `json:"entity_identifier"`
	EntityContactEmail    string           `json:"entity_contact_email"`
	RevisionTimestamps    []int64          `json:"revision_timestamps"`
	CreatedAt             string           `json:"created_at"`
	UpdatedAt             string           `json:"updated_at"`
	CompanyName           string           `json:"company_name"`
	CompanyNumber         string           `json:"company_number"`
	AccessType            string           `json:"access_type"`
	LastDataUpdate        string           `json:"last_data_update"`
	VerificationType      string           `json:"verification_type"`
	Metadata              metadataView     `json:"metadata"`
	CompletenessProfileID string           `json:"completeness_profile_id,omitempty"`
	Assessment            *string          `json:"assessment"`
	ReopenAt              *string          `json:"reopen_at"`
	QAComment             *string          `json:"qa_comment"`
	AssessmentComment     *string          `json:"assessment_comment"`
	RejectionComment      *string          `json:"rejection_comment,omitempty"`
	AssignedTo            any              `json:"assigned_to"`
	ExternalRiskScore     *scoreView       `json:"external_risk_score,omitempty"`
	CompanyJurisdiction   jurisdictionView `json:"company_jurisdiction"`
}

// lastUpdate is how Gatenox writes last_data_update: whole seconds.
func lastUpdate(t time.Time) string { return stamp(t.Truncate(time.Second)) }
