package gatenox

import "time"

// The data of a corporate (KYB) verification: the company, its addresses
// and documents, its directors, UBOs and corporate shareholders. Every type
// here is plain data with JSON tags, so a case can be stored as it is; the
// views (kyb_views.go) turn it into Gatenox's answers.

// addressRec is a postal address.
type addressRec struct {
	ID       string    `json:"id"`
	Name     string    `json:"name,omitempty"`
	Line1    string    `json:"line_1,omitempty"`
	Line2    string    `json:"line_2,omitempty"`
	Line3    string    `json:"line_3,omitempty"`
	Postcode string    `json:"postcode,omitempty"`
	City     string    `json:"city,omitempty"`
	State    string    `json:"state,omitempty"`
	Country  string    `json:"country,omitempty"` // ISO 3166-1 alpha-2, upper case
	Created  time.Time `json:"created"`
}

// fileRec names a stored file: the original or one of its derivatives.
type fileRec struct {
	Key      string `json:"key"`     // "<hex>.<ext>", unique per tenant
	Storage  string `json:"storage"` // store or thumbs
	Filename string `json:"filename"`
	Mime     string `json:"mime"`
	Size     int    `json:"size"`
	// Source is where a company's prefill said the file can be fetched;
	// kycemu keeps the address and stores a generated stand-in.
	Source string `json:"source,omitempty"`
}

// attachmentRec is one file of a document with its two image derivatives.
type attachmentRec struct {
	ID       string    `json:"id"`
	Type     string    `json:"type"` // main, front or back
	Original fileRec   `json:"original"`
	Thumb    fileRec   `json:"thumb"`
	Medium   fileRec   `json:"medium"`
	Created  time.Time `json:"created"`
}

// documentRec is a document with the purposes it serves.
type documentRec struct {
	EntryID     string          `json:"entry_id"`
	ID          string          `json:"id"`
	Purposes    []string        `json:"purposes"`
	Type        string          `json:"type"` // passport, identity_card, recent_utility_bill, other
	Name        string          `json:"name"`
	Country     string          `json:"country,omitempty"`
	Number      string          `json:"number,omitempty"`
	Issued      string          `json:"issued,omitempty"`
	Expires     string          `json:"expires,omitempty"`
	Attachments []attachmentRec `json:"attachments"`
	Created     time.Time       `json:"created"`
}

// personRec is a natural person: an invited individual, or a director or
// UBO of a company.
type personRec struct {
	ID             string        `json:"id"`
	GivenNames     string        `json:"given_names"`
	Surname        string        `json:"surname"`
	FamilyName     string        `json:"family_name,omitempty"`
	Parents        string        `json:"parents_given_names,omitempty"`
	Title          string        `json:"title_position,omitempty"`
	DateOfBirth    string        `json:"date_of_birth,omitempty"`
	Sex            string        `json:"sex,omitempty"`
	Nationality    string        `json:"nationality,omitempty"`
	PlaceOfBirth   string        `json:"place_of_birth,omitempty"`
	PersonalNumber string        `json:"personal_number,omitempty"`
	FundsSources   string        `json:"funds_sources,omitempty"`
	Email          string        `json:"email,omitempty"`
	Phone          string        `json:"phone,omitempty"`
	PEP            bool          `json:"pep"`
	PEPDescription string        `json:"pep_description,omitempty"`
	Residence      *addressRec   `json:"residence,omitempty"`
	Documents      []documentRec `json:"documents"`
	Created        time.Time     `json:"created"`
	Updated        time.Time     `json:"updated"`
}

// cryptoAddressRec is a crypto address a company declares.
type cryptoAddressRec struct {
	ID        string    `json:"id"`
	Address   string    `json:"address"`
	Type      string    `json:"type"` // BTC, ETH, ...
	Signature string    `json:"signature"`
	Verified  string    `json:"verified"` // accepted, pending or rejected
	Created   time.Time `json:"created"`
}

// bankAccountRec is a company's bank account.
type bankAccountRec struct {
	ID      string    `json:"id"`
	Holder  string    `json:"holder"`
	Address string    `json:"address"`
	IBAN    bool      `json:"iban"`
	Bank    string    `json:"bank"`
	Number  string    `json:"number"`
	Created time.Time `json:"created"`
}

// companyRec is a company: the verified one or a corporate shareholder.
type companyRec struct {
	ID                  string             `json:"id"`
	FormalName          string             `json:"formal_name"`
	BrandName           string             `json:"brand_name,omitempty"`
	Number              string             `json:"number"`
	Jurisdiction        string             `json:"jurisdiction"` // lower-case code: gb, pl, ...
	Type                string             `json:"type,omitempty"`
	Incorporated        string             `json:"incorporated,omitempty"`
	Inactive            bool               `json:"inactive"`
	PublicStockExchange bool               `json:"public_stock_exchange"`
	IndustryKey         int                `json:"industry_key,omitempty"`
	IndustryDescription string             `json:"industry_description,omitempty"`
	BusinessDescription string             `json:"business_description,omitempty"`
	ProductsDescription string             `json:"products_description,omitempty"`
	ActivityCountries   []string           `json:"activity_countries,omitempty"`
	TaxNumber           string             `json:"tax_number,omitempty"`
	FundsSources        string             `json:"funds_sources,omitempty"`
	SourcesOfFunds      []string           `json:"sources_of_funds,omitempty"`
	SourcesOfFundsOther string             `json:"sources_of_funds_other,omitempty"`
	Website             string             `json:"website,omitempty"`
	Phone               string             `json:"phone,omitempty"`
	Email               string             `json:"email,omitempty"`
	EmployeesCount      string             `json:"employees_count,omitempty"`
	AMLContactPerson    string             `json:"aml_contact_person,omitempty"`
	AMLContactEmail     string             `json:"aml_contact_email,omitempty"`
	AMLContactPhone     string             `json:"aml_contact_phone,omitempty"`
	RegistrationAuth    string             `json:"registration_authority,omitempty"`
	BankAccounts        []bankAccountRec   `json:"bank_accounts,omitempty"`
	CryptoAddresses     []cryptoAddressRec `json:"crypto_addresses,omitempty"`
	Registered          *addressRec        `json:"registered,omitempty"`
	Office              *addressRec        `json:"office,omitempty"`
}

// directorRec makes a person a director of the verified company.
type directorRec struct {
	ID       string    `json:"id"`
	Position string    `json:"position"`
	PersonID string    `json:"person_id"`
	Created  time.Time `json:"created"`
}

// uboRec makes a person an ultimate beneficial owner of the verified
// company; the person also holds its shares directly.
type uboRec struct {
	ID          string    `json:"id"`
	Shares      float64   `json:"shares"`
	Description string    `json:"description,omitempty"`
	PersonID    string    `json:"person_id"`
	Created     time.Time `json:"created"`
}

// shareholderRec makes a company a corporate shareholder of the verified
// company.
type shareholderRec struct {
	ID        string    `json:"id"`
	Shares    float64   `json:"shares"`
	CompanyID string    `json:"company_id"`
	Created   time.Time `json:"created"`
}

// corporateData is everything a business user submits about their
// company: what a KYB case holds, revision by revision.
type corporateData struct {
	Company      companyRec       `json:"company"`
	Incorporated []documentRec    `json:"proof_of_incorporation"`
	OfficeProof  []documentRec    `json:"proof_of_office_address"`
	People       []personRec      `json:"people"`
	Directors    []directorRec    `json:"directors"`
	UBOs         []uboRec         `json:"ubos"`
	Shareholders []shareholderRec `json:"shareholders"`
	// Companies are the corporate shareholders' companies.
	Companies []companyRec `json:"companies"`
}

// person returns the person with an id.
func (d *corporateData) person(id string) (*personRec, bool) {
	for i := range d.People {
		if d.People[i].ID == id {
			return &d.People[i], true
		}
	}
	return nil, false
}

// company returns the verified company or a shareholder with an id.
func (d *corporateData) company(id string) (*companyRec, bool) {
	if d.Company.ID == id {
		return &d.Company, true
	}
	for i := range d.Companies {
		if d.Companies[i].ID == id {
			return &d.Companies[i], true
		}
	}
	return nil, false
}

// addresses lists every address of the case: the company's registered and
// office addresses, then each person's residence, without repeats.
func (d *corporateData) addresses() []*addressRec {
	var out []*addressRec
	seen := map[string]bool{}
	add := func(a *addressRec) {
		if a != nil && !seen[a.ID] {
			seen[a.ID] = true
			out = append(out, a)
		}
	}
	add(d.Company.Registered)
	add(d.Company.Office)
	for i := range d.People {
		add(d.People[i].Residence)
	}
	return out
}

// companyDocuments lists the company's own documents.
func (d *corporateData) companyDocuments() []*documentRec {
	var out []*documentRec
	for i := range d.Incorporated {
		out = append(out, &d.Incorporated[i])
	}
	for i := range d.OfficeProof {
		out = append(out, &d.OfficeProof[i])
	}
	return out
}
