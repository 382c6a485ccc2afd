package gatenox

import (
	"time"

	"github.com/kycemu/kycemu/emulator/internal/fake"
	"github.com/kycemu/kycemu/emulator/state"
	"github.com/kycemu/kycemu/internal/docgen"
)

// submission is what an invited person typed on the hosted page (or a
// scenario scripts); empty fields are made up.
type submission struct {
	GivenNames  string     `json:"given_names,omitempty"`
	Surname     string     `json:"surname,omitempty"`
	Nationality string     `json:"nationality,omitempty"`
	BirthDate   *time.Time `json:"date_of_birth,omitempty"`
	// Passport and Bill are files the person gave on the hosted page; the
	// case's documents carry them instead of made-up ones.
	Passport *upload `json:"-"`
	Bill     *upload `json:"-"`
}

// Made-up values are drawn from these lists.
var (
	nationalities = []string{"GB", "DE", "FR", "ES", "IT", "NL", "PL", "PT", "IE", "SE", "LT", "EE", "CY", "MT"}
	// cities holds a city and a postcode there for each nationality.
	cities = map[string][][2]string{
		"GB": {{"London", "SW1A 1AA"}, {"Manchester", "M1 1AE"}}, "DE": {{"Berlin", "10115"}, {"Munich", "80331"}},
		"FR": {{"Paris", "75001"}, {"Lyon", "69001"}}, "ES": {{"Madrid", "28001"}, {"Valencia", "46001"}},
		"IT": {{"Rome", "00184"}, {"Milan", "20121"}}, "NL": {{"Amsterdam", "1012 JS"}, {"Utrecht", "3511 AA"}},
		"PL": {{"Warsaw", "00-001"}, {"Kraków", "30-001"}}, "PT": {{"Lisbon", "1100-148"}, {"Porto", "4000-322"}},
		"IE": {{"Dublin", "D02 X285"}, {"Cork", "T12 RX2Y"}}, "SE": {{"Stockholm", "111 20"}, {"Gothenburg", "411 01"}},
		"LT": {{"Vilnius", "01100"}, {"Kaunas", "44280"}}, "EE": {{"Tallinn", "10111"}, {"Tartu", "51003"}},
		"CY": {{"Nicosia", "1010"}, {"Limassol", "3025"}}, "MT": {{"Valletta", "VLT 1010"}, {"Sliema", "SLM 1010"}},
	}
	fundsSources = []string{"salary", "savings", "business income", "investments"}
	titles       = []string{"Engineer", "Teacher", "Consultant", "Designer", "Accountant", "Nurse"}
)

func pick(r *fake.Source, from []string) string { return from[r.Intn(len(from))] }

// sanctionsSource is one list a sanctions check screens against.
type sanctionsSource struct {
	Source      string `json:"source"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Link        string `json:"link"`
	CountryName string `json:"country_name"`
}

// sanctionsSources are the lists the emulated standard screening covers
// (those Gatenox names for it: OFAC, EU, UN, Poland, UK and Singapore).
var sanctionsSources = []sanctionsSource{
	{"us_department_of_treasury_sdn", "OFAC SDN (US Treasury)", "People and companies the US Office of Foreign Assets Control designates.",
		"https://www.treasury.gov/resource-center/sanctions/SDN-List/Pages/default.aspx", "USA"},
	{"eu_financial_sanction_list", "EU Financial Sanctions", "The European Union's consolidated list of restrictive measures.",
		"https://www.eeas.europa.eu/eeas/european-union-sanctions_en", "European Union"},
	{"un_consolidated_sanction_list", "UN Security Council Consolidated List", "Everyone the UN Security Council's sanctions regimes name.",
		"https://www.un.org/securitycouncil/content/un-sc-consolidated-list", "International"},
	{"pl_sanction_list", "Polish Sanction List", "Poland's list of people and entities under national sanctions.",
		"https://www.gov.pl/web/mswia/lista-osob-i-podmiotow-objetych-sankcjami", "Poland"},
	{"uk_hmt_financial_sanction_list", "UK HMT Financial Sanctions", "The UK Treasury's consolidated list of financial sanctions targets.",
		"https://www.gov.uk/government/publications/financial-sanctions-consolidated-list-of-targets/consolidated-list-of-targets", "United Kingdom"},
	{"sg_statutes_online_terrorism_act", "Singapore Terrorism (Suppression of Financing) Act", "Singapore's designations under its terrorism financing act.",
		"https://sso.agc.gov.sg/Act/TSFA2002", "Singapore"},
}

// sanctionsComment is the comment of a sanctions_check audit row: the
// check's id and the lists it covered.
type sanctionsComment struct {
	SanctionsCheck string            `json:"sanctions_check"`
	Sources        []sanctionsSource `json:"sources"`
}

// madeUpPerson makes a person with what was submitted and made-up values
// for the rest, living at a made-up address in their country.
func madeUpPerson(r *fake.Source, sub submission, now time.Time) personRec {
	fp := r.Person(now)
	ps := personRec{
		ID: r.UUID(), GivenNames: fp.FirstName, Surname: fp.LastName, FamilyName: fp.LastName,
		Parents: r.Person(now).FirstName, DateOfBirth: fp.BirthDate.Format(time.DateOnly),
		Nationality: pick(r, nationalities), PlaceOfBirth: fp.City, PersonalNumber: r.String(fake.Digits, 11),
		FundsSources: pick(r, fundsSources), Phone: fp.Phone, Title: pick(r, titles), Created: now, Updated: now,
	}
	ps.Sex = "female"
	if r.Intn(2) == 0 {
		ps.Sex = "male"
	}
	if sub.GivenNames != "" {
		ps.GivenNames = sub.GivenNames
	}
	if sub.Surname != "" {
		ps.Surname, ps.FamilyName = sub.Surname, sub.Surname
	}
	if sub.BirthDate != nil {
		ps.DateOfBirth = sub.BirthDate.Format(time.DateOnly)
	}
	if sub.Nationality != "" {
		ps.Nationality = sub.Nationality
	}
	home := &addressRec{ID: r.UUID(), Name: "Home", Line1: fp.Street, Postcode: fp.Postcode, City: fp.City,
		Country: ps.Nationality, Created: now}
	if cs := cities[ps.Nationality]; len(cs) > 0 {
		at := cs[r.Intn(len(cs))]
		home.City, home.Postcode = at[0], at[1]
		ps.PlaceOfBirth = cs[r.Intn(len(cs))][0]
	}
	ps.Residence = home
	return ps
}

func (ps *personRec) fullName() string { return ps.GivenNames + " " + ps.Surname }

// openCase creates the case of a completed individual invitation: a
// made-up person (with what they typed, if anything), their address, a
// passport and a utility bill with their files, the first revision and
// audit rows, the external risk score record, and the webhooks.
func (p *Provider) openCase(tx *state.Tx, ir *state.Record, a actor, sub submission) {
	inv := state.Data[invitation](ir)
	now := tx.Now()
	r := tx.Rand()
	ps := madeUpPerson(r, sub, now)
	ps.Email = inv.Email
	ps.Documents = []documentRec{p.passport(tx, inv.BaseURL, &ps, now, sub.Passport), p.utilityBill(tx, &ps, now, sub.Bill)}
	k := &kase{Person: ps, review: review{
		InvitationID: ir.ID, Email: inv.Email, CustomerID: deref(inv.CustomerID), BaseURL: inv.BaseURL,
		LastDataUpdate: now, Updated: now, Script: inv.Script, Faults: inv.Faults, Audits: []audit{}, Associated: []audit{}}}
	id := r.UUID()
	cr, err := tx.Create(state.NewRecord{Kind: KindCase, ID: id, Data: k, Status: CaseNew, By: a.by,
		Plan: casePlanOf(ir, &inv.invitee, KindCase, p), Index: map[string]string{byToken: inv.Token}})
	if err != nil {
		p.env.Log.Error("gatenox case not created", "error", err)
		return
	}
	inv.CaseID, inv.DisplayName, inv.CaseStatus = id, ps.fullName(), CaseNew
	p.audit(tx, cr, "create", map[string]any{"status": CaseNew, "verification_type": "primary",
		"customer_id": inv.CustomerID, "personal_verification_id": ir.ID}, a, nil)
	p.audit(tx, cr, "sanctions_check", map[string]any{}, actor{by: "system"},
		&sanctionsComment{SanctionsCheck: r.UUID(), Sources: sanctionsSources})
	p.associate(tx, cr, ps.ID, "Verification", "create", map[string]any{"given_names": ps.GivenNames, "surname": ps.Surname,
		"date_of_birth": ps.DateOfBirth, "nationality": ps.Nationality, "email": inv.Email}, a)
	if settingsOf(tx).ExternalRiskScore {
		p.createRiskScore(tx, cr)
	}
	k.revise(p, tx, cr)
	p.stateChange(tx, cr, CaseProcessing, CaseNew)
	if k.ScoreID != "" {
		p.announceRiskScore(tx, cr)
	}
}

// passport is a person's passport: the file given, or a made-up picture
// when file is nil.
func (p *Provider) passport(tx *state.Tx, base string, ps *personRec, now time.Time, file *upload) documentRec {
	r := tx.Rand()
	issued := now.AddDate(-1-r.Intn(5), -r.Intn(12), 0)
	d := documentRec{EntryID: r.UUID(), ID: r.UUID(), Purposes: []string{"personal_document"}, Type: "passport",
		Name: "passport.png", Country: ps.Nationality, Number: r.String("ABCDEFGHJKLMNPRSTUVWXYZ0123456789", 9),
		Issued: issued.Format(time.DateOnly), Expires: issued.AddDate(10, 0, 0).Format(time.DateOnly), Created: now}
	if file == nil {
		file = &upload{Filename: "passport.png", Mime: "image/png", Data: p.png(r, 240, 160)}
	}
	d.Name = file.Filename
	d.Attachments = []attachmentRec{p.attach(tx, "main", file.Filename, file.Mime, file.Data, "")}
	return d
}

// utilityBill is a person's proof of address: the file given, or a
// made-up PDF when file is nil.
func (p *Provider) utilityBill(tx *state.Tx, ps *personRec, now time.Time, file *upload) documentRec {
	r := tx.Rand()
	ref := r.String(fake.Digits, 10)
	d := documentRec{EntryID: r.UUID(), ID: r.UUID(), Purposes: []string{"residence_address_confirmation"},
		Type: "recent_utility_bill", Name: "recent_utility_bill.pdf", Country: ps.Nationality,
		Issued: now.AddDate(0, -1, 0).Format(time.DateOnly), Created: now}
	if file == nil {
		body := docgen.PDF("Utility bill - kycemu test document", "Account "+ref+" - "+ps.fullName())
		file = &upload{Filename: "recent_utility_bill.pdf", Mime: "application/pdf", Data: body}
	}
	d.Name = file.Filename
	d.Attachments = []attachmentRec{p.attach(tx, "main", file.Filename, file.Mime, file.Data, "")}
	return d
}

// attach stores a document's file with its two image derivatives. source
// is where a prefill said the file can be fetched ("" for none).
func (p *Provider) attach(tx *state.Tx, typ, filename, mime string, data []byte, source string) attachmentRec {
	r := tx.Rand()
	base := trimExt(filename)
	a := attachmentRec{ID: r.UUID(), Type: typ, Created: tx.Now(),
		Original: p.store(tx, "store", filename, mime, data),
		Thumb:    p.store(tx, "thumbs", base+"_thumb.png", "image/png", p.png(r, 60, 40)),
		Medium:   p.store(tx, "thumbs", base+"_medium.png", "image/png", p.png(r, 120, 80))}
	a.Original.Source = source
	return a
}
