package gatenox

import (
	"crypto/sha256"
	"fmt"
	"strings"
	"time"

	"github.com/kycemu/kycemu/emulator/internal/fake"
)

// The reference data kycemu's Gatenox answers with: jurisdictions, company
// types and industries, and a made-up company register behind
// GET /api/v1/companies/{jurisdiction_code}/{company_number}.

// jurisdiction is a country whose companies Gatenox knows.
type jurisdiction struct {
	Code, Name, Authority string
	// Types are the legal forms of the jurisdiction, the first the common one.
	Types []companyType
	// Words end the made-up company names of the jurisdiction.
	Suffix string
}

type companyType struct{ Short, Full, About string }

var jurisdictions = map[string]jurisdiction{
	"gb": {"gb", "United Kingdom", "Companies House", []companyType{
		{"LTD", "Private Limited Company", "A company limited by shares that may not offer its shares to the public."},
		{"PLC", "Public Limited Company", "A company limited by shares that may offer its shares to the public."},
		{"LLP", "Limited Liability Partnership", "A partnership whose members' liability is limited."},
	}, "Ltd"},
	"pl": {"pl", "Poland", "Krajowy Rejestr Sądowy", []companyType{
		{"SP. Z O.O.", "Spółka z ograniczoną odpowiedzialnością", "A Polish limited liability company."},
		{"SA", "Spółka akcyjna", "A Polish joint-stock company."},
	}, "Sp. z o.o."},
	"de": {"de", "Germany", "Handelsregister", []companyType{
		{"GMBH", "Gesellschaft mit beschränkter Haftung", "A German limited liability company."},
		{"AG", "Aktiengesellschaft", "A German stock corporation."},
	}, "GmbH"},
	"fr": {"fr", "France", "Registre du commerce et des sociétés", []companyType{
		{"SAS", "Société par actions simplifiée", "A French simplified joint-stock company."},
		{"SARL", "Société à responsabilité limitée", "A French limited liability company."},
	}, "SAS"},
	"nl": {"nl", "Netherlands", "Kamer van Koophandel", []companyType{
		{"BV", "Besloten vennootschap", "A Dutch private limited company."},
	}, "B.V."},
	"ie": {"ie", "Ireland", "Companies Registration Office", []companyType{
		{"LTD", "Private Company Limited by Shares", "An Irish private company limited by shares."},
	}, "Limited"},
	"ee": {"ee", "Estonia", "e-Business Register", []companyType{
		{"OÜ", "Osaühing", "An Estonian private limited company."},
	}, "OÜ"},
	"lt": {"lt", "Lithuania", "Register of Legal Entities", []companyType{
		{"UAB", "Uždaroji akcinė bendrovė", "A Lithuanian private limited company."},
	}, "UAB"},
	"cy": {"cy", "Cyprus", "Registrar of Companies", []companyType{
		{"LTD", "Private Limited Company", "A Cypriot private company limited by shares."},
	}, "Ltd"},
	"mt": {"mt", "Malta", "Malta Business Registry", []companyType{
		{"LTD", "Private Limited Liability Company", "A Maltese private limited liability company."},
	}, "Ltd"},
	"us": {"us", "United States", "Secretary of State", []companyType{
		{"INC", "Corporation", "A US business corporation."},
		{"LLC", "Limited Liability Company", "A US limited liability company."},
	}, "Inc."},
	"es": {"es", "Spain", "Registro Mercantil", []companyType{
		{"SL", "Sociedad limitada", "A Spanish limited liability company."},
	}, "S.L."},
	"it": {"it", "Italy", "Registro delle imprese", []companyType{
		{"SRL", "Società a responsabilità limitata", "An Italian limited liability company."},
	}, "S.r.l."},
	"pt": {"pt", "Portugal", "Registo Comercial", []companyType{
		{"LDA", "Sociedade por quotas", "A Portuguese private limited company."},
	}, "Lda."},
	"se": {"se", "Sweden", "Bolagsverket", []companyType{
		{"AB", "Aktiebolag", "A Swedish limited company."},
	}, "AB"},
}

// countryNames maps names a prefill may use for a country to its code.
var countryNames = func() map[string]string {
	out := map[string]string{}
	for code, j := range jurisdictions {
		out[strings.ToLower(j.Name)] = code
		out[code] = code
	}
	for alias, code := range map[string]string{"uk": "gb", "great britain": "gb", "england": "gb", "usa": "us",
		"united states of america": "us", "deutschland": "de", "polska": "pl"} {
		out[alias] = code
	}
	return out
}()

// jurisdictionCode reads a country name or code; "" when unknown.
func jurisdictionCode(s string) string { return countryNames[strings.ToLower(strings.TrimSpace(s))] }

// jurisdictionOf returns a known jurisdiction, or one built from the code.
func jurisdictionOf(code string) jurisdiction {
	if j, ok := jurisdictions[code]; ok {
		return j
	}
	return jurisdiction{Code: code, Name: strings.ToUpper(code), Types: []companyType{
		{"LTD", "Limited Company", "A company limited by shares."}}, Suffix: "Ltd"}
}

// typeOf returns the jurisdiction's legal form with a short name; the
// common one when the name is unknown.
func (j jurisdiction) typeOf(short string) companyType {
	for _, t := range j.Types {
		if strings.EqualFold(t.Short, short) {
			return t
		}
	}
	if short != "" {
		return companyType{Short: strings.ToUpper(short), Full: short}
	}
	return j.Types[0]
}

// stableID is a UUID-shaped id derived from a name: the reference data has
// the same ids on every run and for every company.
func stableID(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x50 // version 5 layout
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// industry is an industry Gatenox classifies companies by.
type industry struct {
	Value, Group string
	Keywords     []string
}

var industries = map[int]industry{
	1:  {"Payment Services", "Financial Services", []string{"Payments", "Card acquiring"}},
	2:  {"Crypto Asset Services", "Financial Services", []string{"Crypto", "Exchange", "Custody"}},
	3:  {"Electronic Money", "Financial Services", []string{"E-money", "Wallets"}},
	4:  {"Investment Services", "Financial Services", []string{"Brokerage", "Asset management"}},
	10: {"Online Retail", "Commerce", []string{"E-commerce", "Retail"}},
	11: {"Wholesale Trade", "Commerce", []string{"Wholesale", "Distribution"}},
	20: {"Software As A Service", "Digital Products", []string{"Software", "Service"}},
	21: {"IT Consulting", "Digital Products", []string{"Consulting", "Integration"}},
	30: {"Real Estate", "Property", []string{"Real estate", "Letting"}},
	40: {"Logistics", "Transport", []string{"Freight", "Shipping"}},
	50: {"Gaming", "Entertainment", []string{"Gaming", "Betting"}},
}

// industryOf returns the industry with a key; an unknown key is "Other".
func industryOf(key int) industry {
	if in, ok := industries[key]; ok {
		return in
	}
	return industry{Value: "Other", Group: "Other", Keywords: []string{}}
}

var (
	nameWords = []string{"Northwind", "Bluestone", "Harbor", "Silverline", "Quantum", "Meridian", "Oakridge",
		"Brightpath", "Ironbridge", "Lumen", "Summit", "Evergreen", "Cobalt", "Riverside", "Atlas", "Polaris"}
	nameTrades = []string{"Payments", "Logistics", "Software", "Trading", "Holdings", "Consulting", "Digital",
		"Ventures", "Capital", "Systems"}
)

// madeUpCompany makes a company of a jurisdiction with the given number
// (made up too when ""), as a register would describe it.
func madeUpCompany(r *fake.Source, code, number string, now time.Time) companyRec {
	j := jurisdictionOf(code)
	if number == "" {
		number = r.String(fake.Digits, 8)
	}
	incorporated := now.AddDate(-1-r.Intn(20), -r.Intn(12), -r.Intn(28))
	trade := pick(r, nameTrades)
	c := companyRec{
		ID:           r.UUID(),
		FormalName:   pick(r, nameWords) + " " + trade + " " + j.Suffix,
		Number:       number,
		Jurisdiction: j.Code,
		Type:         j.Types[0].Short,
		Incorporated: incorporated.Format(time.DateOnly),
	}
	c.BrandName = strings.TrimSuffix(c.FormalName, " "+j.Suffix)
	c.RegistrationAuth = j.Authority
	return c
}

// madeUpAddress makes an address in a country.
func madeUpAddress(r *fake.Source, country string, now time.Time) *addressRec {
	fp := r.Person(now)
	a := &addressRec{ID: r.UUID(), Name: fp.Street, Line1: fp.Street, Postcode: fp.Postcode, City: fp.City,
		Country: strings.ToUpper(country), Created: now}
	if cs := cities[a.Country]; len(cs) > 0 {
		at := cs[r.Intn(len(cs))]
		a.City, a.Postcode = at[0], at[1]
	}
	return a
}
