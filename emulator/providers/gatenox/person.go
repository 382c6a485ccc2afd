package gatenox

import (
	"time"

	"github.com/kycemu/kycemu/emulator/internal/fake"
	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/internal/docgen"
)

type person struct {
	id             string
	givenNames     string
	surname        string
	familyName     string
	parents        string
	birthDate      time.Time
	sex            string
	nationality    string
	placeOfBirth   string
	personalNumber string
	fundsSources   string
	phone          string
	title          string
	created        time.Time
	documents      []*document
}

func (ps *person) fullName() string { return ps.givenNames + " " + ps.surname }

type address struct {
	id, name, line1, postcode, city, country string
	created                                  time.Time
}

type document struct {
	entryID, id, purpose, typ, name  string
	country, number, issued, expires string
	created                          time.Time
	attachments                      []*attachment
}

type attachment struct {
	id, typ                          string
	original                         *file
	thumbURL, mediumURL, originalURL string
}

// submission is what the invited person typed on the hosted page; empty
// fields are made up.
type submission struct {
	givenNames, surname, nationality string
	birthDate                        *time.Time
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

// sanctionsSources are the lists the emulated screening reports.
const sanctionsSources = "OFAC SDN, UN Security Council, EU Financial Sanctions, UK HMT"

// openCase creates the case of a completed invitation: a made-up person
// (with what they typed, if anything), their address, a passport and a
// utility bill with their files, the first revision and audit rows, the
// external risk score record, and the webhooks. The caller holds the lock.
func (p *Provider) openCase(inv *invitation, a actor, sub submission, now time.Time) {
	t := inv.tenant
	r := t.rand
	fp := r.Person(now)
	ps := &person{
		id: r.UUID(), givenNames: fp.FirstName, surname: fp.LastName, familyName: fp.LastName,
		parents: r.Person(now).FirstName, birthDate: fp.BirthDate, nationality: pick(r, nationalities),
		placeOfBirth: fp.City, personalNumber: r.String(fake.Digits, 11), fundsSources: pick(r, fundsSources),
		phone: fp.Phone, title: pick(r, titles), created: now,
	}
	ps.sex = "female"
	if r.Intn(2) == 0 {
		ps.sex = "male"
	}
	if sub.givenNames != "" {
		ps.givenNames = sub.givenNames
	}
	if sub.surname != "" {
		ps.surname, ps.familyName = sub.surname, sub.surname
	}
	if sub.birthDate != nil {
		ps.birthDate = *sub.birthDate
	}
	if sub.nationality != "" {
		ps.nationality = sub.nationality
	}
	home := &address{id: r.UUID(), name: "Home", line1: fp.Street, postcode: fp.Postcode, city: fp.City,
		country: ps.nationality, created: now}
	if cs := cities[ps.nationality]; len(cs) > 0 {
		at := cs[r.Intn(len(cs))]
		home.city, home.postcode = at[0], at[1]
		ps.placeOfBirth = cs[r.Intn(len(cs))][0]
	}
	ps.documents = []*document{p.passport(inv, ps, now), p.utilityBill(inv, ps, now)}

	k := &kase{id: r.UUID(), seq: t.next(), inv: inv, status: CaseNew, lastDataUpdate: now, created: now,
		updated: now, person: ps, addresses: []*address{home}}
	k.history = []provider.Transition{{To: CaseNew, At: now, By: a.by}}
	inv.kase = k
	t.cases[k.id] = k
	t.caseOrder = append(t.caseOrder, k)
	p.mu.Lock()
	p.index[k.id] = t
	p.mu.Unlock()

	p.audit(k, "create", map[string]any{"status": CaseNew, "verification_type": "primary",
		"customer_id": inv.customerID, "personal_verification_id": inv.id}, a, nil, now)
	check := "Sanctions check " + r.UUID() + ": no matches in " + sanctionsSources
	p.audit(k, "sanctions_check", map[string]any{}, actor{by: "system"}, &check, now)
	t.auditSeq++
	k.associated = append(k.associated, audit{
		ID: t.auditSeq, AuditableID: ps.id, AuditableType: "Verification", AssociatedID: strPtr(k.id),
		AssociatedType: strPtr("Review"), UserID: a.userID, UserType: a.userType, Username: a.username,
		Action: "create", AuditedChanges: map[string]any{"given_names": ps.givenNames, "surname": ps.surname,
			"date_of_birth": ps.birthDate.Format(time.DateOnly), "nationality": ps.nationality, "email": inv.email},
		Version: 1, RemoteAddress: a.remote, RequestUUID: a.requestID, CreatedAt: stamp(now),
	})
	var score *riskScore
	if t.settings.ExternalRiskScore {
		score = p.newRiskScore(k, now)
	}
	p.revise(k, now)
	p.stateChange(k, CaseProcessing, CaseNew)
	if score != nil {
		p.riskRequested(k, score)
	}
	k.timeline = provider.NewTimeline(p.env.Clock, inv.casePlan.Steps, p.fireCase(k))
	k.timeline.Created()
	k.timeline.Entered(CaseNew)
}

// newRiskScore creates an empty external risk score record for the case;
// the caller holds the lock and announces it.
func (p *Provider) newRiskScore(k *kase, now time.Time) *riskScore {
	t := k.inv.tenant
	s := &riskScore{id: t.rand.UUID(), kase: k, created: now, updated: now}
	t.scores[s.id] = s
	k.score = s
	return s
}

func (p *Provider) passport(inv *invitation, ps *person, now time.Time) *document {
	r := inv.tenant.rand
	issued := now.AddDate(-1-r.Intn(5), -r.Intn(12), 0)
	d := &document{entryID: r.UUID(), id: r.UUID(), purpose: "personal_document", typ: "passport",
		name: "passport.png", country: ps.nationality, number: r.String("ABCDEFGHJKLMNPRSTUVWXYZ0123456789", 9),
		issued: issued.Format(time.DateOnly), expires: issued.AddDate(10, 0, 0).Format(time.DateOnly), created: now}
	d.attachments = []*attachment{p.attach(inv, "main", "passport.png", "image/png", pngImage(r, 240, 160))}
	return d
}

func (p *Provider) utilityBill(inv *invitation, ps *person, now time.Time) *document {
	r := inv.tenant.rand
	ref := r.String(fake.Digits, 10)
	d := &document{entryID: r.UUID(), id: r.UUID(), purpose: "residence_address_confirmation",
		typ: "recent_utility_bill", name: "recent_utility_bill.pdf", country: ps.nationality,
		issued: now.AddDate(0, -1, 0).Format(time.DateOnly), created: now}
	body := docgen.PDF("Utility bill - kycemu test document", "Account "+ref+" - "+ps.fullName())
	d.attachments = []*attachment{p.attach(inv, "main", "recent_utility_bill.pdf", "application/pdf", body)}
	return d
}

// attach stores a document's file with its two image derivatives and
// returns the attachment with their URLs.
func (p *Provider) attach(inv *invitation, typ, filename, mime string, data []byte) *attachment {
	t := inv.tenant
	r := t.rand
	orig := t.store(r, "store", filename, mime, data)
	base := trimExt(filename)
	thumb := t.store(r, "thumbs", base+"_thumb.png", "image/png", pngImage(r, 60, 40))
	medium := t.store(r, "thumbs", base+"_medium.png", "image/png", pngImage(r, 120, 80))
	return &attachment{id: r.UUID(), typ: typ, original: orig,
		thumbURL: inv.baseURL + attachmentsPath + thumb.segment(), mediumURL: inv.baseURL + attachmentsPath + medium.segment(),
		originalURL: inv.baseURL + attachmentsPath + orig.segment()}
}
