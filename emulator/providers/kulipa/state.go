package kulipa

import (
	"sync"
	"time"

	"github.com/kycemu/kycemu/emulator/internal/fake"
	"github.com/kycemu/kycemu/emulator/provider"
)

// KYC statuses (kycemu's vocabulary; Kulipa's is not public).
const (
	Pending   = "pending"
	Submitted = "submitted"
	Verified  = "verified"
	Rejected  = "rejected"
	Expired   = "expired"
)

// KYC types.
const (
	TypeFull     = "full"
	TypeShipping = "shipping"
	TypeRFI      = "rfi"
	TypeImport   = "import"
)

// User statuses.
const (
	UserUnverified = "unverified"
	UserActive     = "active"
)

// kindKyc is the session kind passed to Scenarios.Plan.
const kindKyc = "kyc"

// machine is the KYC status machine: the user completes the webview
// (pending -> submitted) or lets it expire; a submitted KYC is verified or
// rejected.
var machine = provider.NewMachine(Pending, map[string][]string{
	Pending:   {Submitted, Expired},
	Submitted: {Verified, Rejected},
})

// forward is the main line a forced outcome walks along.
var forward = map[string]string{Pending: Submitted}

// Machines returns the KYC status machine (for scenario checks).
func (p *Provider) Machines() map[string]*provider.Machine {
	return map[string]*provider.Machine{kindKyc: machine}
}

// DefaultPlan returns the plan of a KYC when no scenario applies: it
// expires if the user never completes the webview, and is verified the
// review delay after the user completed it.
func (p *Provider) DefaultPlan(kind string) *provider.Plan {
	if kind != kindKyc {
		return nil
	}
	p.mu.RLock()
	s := p.defaults
	p.mu.RUnlock()
	return planOf(s)
}

func planOf(s Settings) *provider.Plan {
	return &provider.Plan{Steps: []provider.Step{
		{After: time.Duration(s.KycTTL), Status: Expired, Reason: "the user did not complete the KYC in time"},
		{From: Submitted, After: time.Duration(s.ReviewDelay), Status: Verified},
	}}
}

// retrySchedule is Kulipa's documented schedule: nine retries after the
// failed attempts.
func retrySchedule() []time.Duration {
	return []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour, 4 * time.Hour,
		12 * time.Hour, 24 * time.Hour, 48 * time.Hour, 96 * time.Hour}
}

type tenant struct {
	name    string
	rand    *fake.Source // resource ids and fake identities
	events  *fake.Source // webhook event ids
	key     *signingKey
	created time.Time

	mu        sync.Mutex
	seq       uint64
	users     map[string]*user
	userOrder []*user
	kycs      map[string]*kyc
	kycOrder  []*kyc

	// cfg guards the settings overrides and the rate-limit window.
	cfg         sync.Mutex
	patch       patch
	windowStart time.Time
	count       int

	idem idempotency
}

func (p *Provider) newTenant(name string) *tenant {
	now := p.env.Clock.Now()
	return &tenant{
		name:    name,
		rand:    p.env.Rand.Derive(Name, name),
		events:  p.env.Rand.Derive(Name, name, "events"),
		key:     newSigningKey(p.env.Rand.Derive(Name, name, "webhook-key"), now),
		created: now,
		users:   map[string]*user{},
		kycs:    map[string]*kyc{},
		idem:    idempotency{m: map[idemKey]*idemEntry{}},
	}
}

// next returns the tenant's next sequence number (creation order); the
// caller holds the lock.
func (t *tenant) next() uint64 { t.seq++; return t.seq }

// Phone is a phone number.
type Phone struct {
	Country string `json:"country"`
	Number  string `json:"number"`
}

// text is the number alone, as a shipping address carries it; nil for no
// phone.
func (ph *Phone) text() *string {
	if ph == nil {
		return nil
	}
	n := ph.Number
	return &n
}

// Address is a postal address.
type Address struct {
	Address1   string  `json:"address1"`
	Address2   *string `json:"address2,omitempty"`
	PostalCode string  `json:"postalCode"`
	City       string  `json:"city"`
	Country    string  `json:"country"`
	State      *string `json:"state,omitempty"`
}

// ShippingAddress is where cards are shipped; Phone is the recipient's
// number as one string (the SDK's shape).
type ShippingAddress struct {
	Address Address `json:"address"`
	Phone   *string `json:"phone,omitempty"`
}

// Wallet is the user's withdrawal wallet.
type Wallet struct {
	Blockchain        string `json:"blockchain"`
	WithdrawalAddress string `json:"withdrawalAddress"`
}

type legalName struct {
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
}

type user struct {
	id                 string
	seq                uint64
	status             string
	firstName          string
	lastName           string
	legalName          *legalName
	email              *string
	phone              *Phone
	phoneKey           string
	dateOfBirth        *string
	countryOfBirth     *string
	countryOfResidence *string
	address            *Address
	shipping           *ShippingAddress
	wallet             *Wallet
	companyID          *string
	created, updated   time.Time
}

// identity is what a full (or import) KYC verified; export answers it.
type identity struct {
	first, last        string
	email, phone       *string
	dateOfBirth        string
	street1            string
	street2            *string
	city, zip, country string
	state              *string
	docCountry         string
	docType            string
	docNumber          string
	issued, expires    string
}

type kyc struct {
	id, inquiry string
	seq         uint64
	tenant      *tenant
	user        *user
	typ         string
	status      string
	url         *string
	redirectURI *string
	reason      *string
	shipping    *ShippingAddress
	identity    *identity
	expiresAt   time.Time
	submittedAt *time.Time
	verifiedAt  *time.Time
	created     time.Time
	updated     time.Time

	plan     *provider.Plan
	timeline *provider.Timeline
	history  []provider.Transition
	gone     bool
}

// open reports whether the KYC may still change course.
func (k *kyc) open() bool { return !machine.Terminal(k.status) }

// move changes the status if the machine allows it and reports whether it
// did; the caller holds the tenant lock.
func (p *Provider) move(k *kyc, to, by, reason string) bool {
	if k.gone || !machine.Can(k.status, to) {
		return false
	}
	now := p.env.Clock.Now()
	k.history = append(k.history, provider.Transition{From: k.status, To: to, At: now, By: by, Reason: reason})
	k.status, k.updated = to, now
	activated := p.apply(k, now, reason)
	if machine.Terminal(to) {
		k.timeline.Stop()
	} else {
		k.timeline.Entered(to)
	}
	p.notifyKyc(k, now)
	if activated {
		p.notifyUser(k, now)
	}
	return true
}

// walk forces k towards to along the main line (pending -> submitted)
// until the machine allows the final move. It moves nothing and reports
// false when to cannot be reached.
func (p *Provider) walk(k *kyc, to, by, reason string) bool {
	path := machine.Path(k.status, to, forward)
	if path == nil {
		return false
	}
	for i, st := range path {
		r := ""
		if i == len(path)-1 {
			r = reason
		}
		p.move(k, st, by, r)
	}
	return true
}

// apply fills in what a status brings and reports whether the user became
// active; the caller holds the tenant lock.
func (p *Provider) apply(k *kyc, now time.Time, reason string) (activated bool) {
	u := k.user
	switch k.status {
	case Submitted:
		k.submittedAt = &now
		switch k.typ {
		case TypeShipping:
			if k.shipping == nil {
				k.shipping = k.tenant.defaultShipping(u, now)
			}
		case TypeFull, TypeImport:
			k.identity = k.tenant.identityOf(u, now)
		}
	case Verified:
		k.verifiedAt = &now
		switch k.typ {
		case TypeShipping:
			s := *k.shipping
			u.shipping = &s
			u.updated = now
		case TypeFull, TypeImport:
			u.legalName = &legalName{FirstName: k.identity.first, LastName: k.identity.last}
			u.updated = now
			if u.status == UserUnverified {
				u.status = UserActive
				activated = true
			}
		}
	case Rejected:
		if reason == "" {
			reason = "the identity could not be verified"
		}
		k.reason = &reason
	case Expired:
		if reason == "" {
			reason = "the user did not complete the KYC in time"
		}
		k.reason = &reason
	}
	return activated
}

// defaultShipping is the address a shipping KYC collects when nobody typed
// one in the webview: the user's shipping address, else their address,
// else a fake one.
func (t *tenant) defaultShipping(u *user, now time.Time) *ShippingAddress {
	switch {
	case u.shipping != nil:
		s := *u.shipping
		return &s
	case u.address != nil:
		return &ShippingAddress{Address: *u.address, Phone: u.phone.text()}
	}
	fp := t.rand.Person(now)
	country := "US"
	if u.countryOfResidence != nil {
		country = *u.countryOfResidence
	}
	return &ShippingAddress{Address: Address{Address1: fp.Street, City: fp.City, PostalCode: fp.Postcode, Country: country},
		Phone: u.phone.text()}
}

// identityOf is what the identity check reads: the user's own data
// completed with a seeded fake identity.
func (t *tenant) identityOf(u *user, now time.Time) *identity {
	fp := t.rand.Person(now)
	id := &identity{
		first: u.firstName, last: u.lastName,
		dateOfBirth: fp.BirthDate.Format(time.DateOnly),
		street1:     fp.Street, city: fp.City, zip: fp.Postcode, country: "US",
		docType: "passport", docNumber: t.rand.String("ABCDEFGHJKLMNPRSTUVWXYZ0123456789", 9),
	}
	email, phone := fp.Email, fp.Phone
	id.email, id.phone = &email, &phone
	if u.email != nil {
		id.email = u.email
	}
	if u.phone != nil {
		id.phone = u.phone.text()
	}
	if u.dateOfBirth != nil {
		id.dateOfBirth = *u.dateOfBirth
	}
	if u.countryOfResidence != nil {
		id.country = *u.countryOfResidence
	}
	if a := u.address; a != nil {
		id.street1, id.street2, id.city, id.zip, id.country, id.state = a.Address1, a.Address2, a.City, a.PostalCode, a.Country, a.State
	}
	id.docCountry = id.country
	issued := now.AddDate(-1-t.rand.Intn(5), -t.rand.Intn(12), 0)
	id.issued = issued.Format(time.DateOnly)
	id.expires = issued.AddDate(10, 0, 0).Format(time.DateOnly)
	return id
}

// fire applies a timeline step.
func (p *Provider) fire(k *kyc) func(provider.Step) {
	return func(st provider.Step) {
		t := k.tenant
		t.mu.Lock()
		defer t.mu.Unlock()
		p.move(k, st.Status, "timeline", st.Reason)
	}
}

// stampOf formats times as JavaScript's toISOString does.
func stampOf(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func stampPtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := stampOf(*t)
	return &s
}
