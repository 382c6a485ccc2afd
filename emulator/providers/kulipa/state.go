package kulipa

import (
	"net/http"
	"time"

	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
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

// Record kinds; kindKyc is also the session kind passed to Scenarios.Plan.
const (
	kindUser = "user"
	kindKyc  = "kyc"
	kindIdem = "idempotency"
)

// Index names.
const (
	byPhone   = "phone"   // a user's phone (country and digits), unique per API key
	byInquiry = "inquiry" // a KYC's webview inquiry id, for the webview
)

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

// spec is what Kulipa keeps in the state layer: users, KYCs (the
// sessions), the answers kept for idempotency keys, each API key's
// settings overrides, rate-limit window and key date, and the
// provider-wide settings.
func (p *Provider) spec() state.Spec {
	return state.Spec{
		Tenant: func() any { return &tenantData{} },
		Shared: func() any { s := DefaultSettings(); return &s },
		Kinds: []state.Kind{
			{Name: kindUser, New: func() any { return &user{} },
				Indexes: map[string]state.Scope{byPhone: state.TenantScope}},
			{Name: kindKyc, New: func() any { return &kyc{} }, Machine: machine, Session: true,
				Indexes: map[string]state.Scope{byInquiry: state.ProviderScope},
				Fire: func(tx *state.Tx, r *state.Record, st provider.Step) {
					p.move(tx, r, st.Status, "timeline", st.Reason)
				},
				Actions: actionsOf, Act: p.act},
			{Name: kindIdem, New: func() any { return &answer{} }, Machine: idemMachine,
				Fire: func(tx *state.Tx, r *state.Record, _ provider.Step) { tx.Delete(r) }},
		},
	}
}

// DefaultPlan returns the plan of a KYC when no scenario applies: it
// expires if the user never completes the webview, and is verified the
// review delay after the user completed it.
func (p *Provider) DefaultPlan(kind string) *provider.Plan {
	if kind != kindKyc {
		return nil
	}
	return planOf(p.defaults())
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

// user is a Kulipa user (record kind "user"); its times live on the record
// and its phone key in the phone index.
type user struct {
	Status             string           `json:"status"`
	FirstName          string           `json:"firstName"`
	LastName           string           `json:"lastName"`
	LegalName          *legalName       `json:"legalName,omitempty"`
	Email              *string          `json:"email,omitempty"`
	Phone              *Phone           `json:"phone,omitempty"`
	DateOfBirth        *string          `json:"dateOfBirth,omitempty"`
	CountryOfBirth     *string          `json:"countryOfBirth,omitempty"`
	CountryOfResidence *string          `json:"countryOfResidence,omitempty"`
	Address            *Address         `json:"address,omitempty"`
	Shipping           *ShippingAddress `json:"shipping,omitempty"`
	Wallet             *Wallet          `json:"wallet,omitempty"`
	CompanyID          *string          `json:"companyId,omitempty"`
	// KYCs are the user's KYC ids in creation order (evicted ones are
	// pruned when the next one starts).
	KYCs []string `json:"kycs,omitempty"`
}

// identity is what a full (or import) KYC verified; export answers it.
type identity struct {
	First       string  `json:"first"`
	Last        string  `json:"last"`
	Email       *string `json:"email,omitempty"`
	Phone       *string `json:"phone,omitempty"`
	DateOfBirth string  `json:"dateOfBirth"`
	Street1     string  `json:"street1"`
	Street2     *string `json:"street2,omitempty"`
	City        string  `json:"city"`
	Zip         string  `json:"zip"`
	Country     string  `json:"country"`
	State       *string `json:"state,omitempty"`
	DocCountry  string  `json:"docCountry"`
	DocType     string  `json:"docType"`
	DocNumber   string  `json:"docNumber"`
	Issued      string  `json:"issued"`
	Expires     string  `json:"expires"`
}

// kyc is a KYC (record kind "kyc", the sessions); its status, plan,
// history and times live on the record, its inquiry id in the inquiry
// index.
type kyc struct {
	UserID      string           `json:"userId"`
	Type        string           `json:"type"`
	Inquiry     string           `json:"inquiry,omitempty"`
	URL         *string          `json:"url,omitempty"`
	RedirectURI *string          `json:"redirectUri,omitempty"`
	Reason      *string          `json:"reason,omitempty"`
	Shipping    *ShippingAddress `json:"shipping,omitempty"`
	Identity    *identity        `json:"identity,omitempty"`
	ExpiresAt   time.Time        `json:"expiresAt"`
	SubmittedAt *time.Time       `json:"submittedAt,omitempty"`
	VerifiedAt  *time.Time       `json:"verifiedAt,omitempty"`
}

// answer is the first response to an idempotency key's request (record
// kind "idempotency", id: the hex of the combination).
type answer struct {
	At     time.Time   `json:"at"`
	Status int         `json:"status"`
	Header http.Header `json:"header,omitempty"`
	Body   []byte      `json:"body"`
}

// move changes the status if the machine allows it, applies what the new
// status brings and sends its webhooks; it reports whether it moved.
func (p *Provider) move(tx *state.Tx, r *state.Record, to, by, reason string) bool {
	if !tx.Move(r, to, by, reason) {
		return false
	}
	now := r.Updated
	ur := tx.Get(kindUser, state.Data[kyc](r).UserID) // nil once evicted
	activated := p.apply(tx, r, ur, now, reason)
	p.notifyKyc(tx, r, now)
	if activated {
		p.notifyUser(tx, r, ur, now)
	}
	return true
}

// apply fills in what a status brings and reports whether the user (ur,
// nil once evicted) became active.
func (p *Provider) apply(tx *state.Tx, r, ur *state.Record, now time.Time, reason string) (activated bool) {
	k := state.Data[kyc](r)
	u := &user{}
	if ur != nil {
		u = state.Data[user](ur)
	}
	switch r.Status {
	case Submitted:
		k.SubmittedAt = &now
		switch k.Type {
		case TypeShipping:
			if k.Shipping == nil {
				k.Shipping = defaultShipping(tx, u, now)
			}
		case TypeFull, TypeImport:
			k.Identity = identityOf(tx, u, now)
		}
	case Verified:
		k.VerifiedAt = &now
		if ur == nil {
			break
		}
		switch k.Type {
		case TypeShipping:
			if k.Shipping != nil {
				s := *k.Shipping
				u.Shipping = &s
				ur.Updated = now
			}
		case TypeFull, TypeImport:
			if k.Identity == nil {
				break
			}
			u.LegalName = &legalName{FirstName: k.Identity.First, LastName: k.Identity.Last}
			ur.Updated = now
			if u.Status == UserUnverified {
				u.Status = UserActive
				activated = true
			}
		}
	case Rejected:
		if reason == "" {
			reason = "the identity could not be verified"
		}
		k.Reason = &reason
	case Expired:
		if reason == "" {
			reason = "the user did not complete the KYC in time"
		}
		k.Reason = &reason
	}
	return activated
}

// defaultShipping is the address a shipping KYC collects when nobody typed
// one in the webview: the user's shipping address, else their address,
// else a fake one.
func defaultShipping(tx *state.Tx, u *user, now time.Time) *ShippingAddress {
	switch {
	case u.Shipping != nil:
		s := *u.Shipping
		return &s
	case u.Address != nil:
		return &ShippingAddress{Address: *u.Address, Phone: u.Phone.text()}
	}
	fp := tx.Rand().Person(now)
	country := "US"
	if u.CountryOfResidence != nil {
		country = *u.CountryOfResidence
	}
	return &ShippingAddress{Address: Address{Address1: fp.Street, City: fp.City, PostalCode: fp.Postcode, Country: country},
		Phone: u.Phone.text()}
}

// identityOf is what the identity check reads: the user's own data
// completed with a seeded fake identity.
func identityOf(tx *state.Tx, u *user, now time.Time) *identity {
	rnd := tx.Rand()
	fp := rnd.Person(now)
	id := &identity{
		First: u.FirstName, Last: u.LastName,
		DateOfBirth: fp.BirthDate.Format(time.DateOnly),
		Street1:     fp.Street, City: fp.City, Zip: fp.Postcode, Country: "US",
		DocType: "passport", DocNumber: rnd.String("ABCDEFGHJKLMNPRSTUVWXYZ0123456789", 9),
	}
	if id.First == "" && id.Last == "" { // the user was evicted
		id.First, id.Last = fp.FirstName, fp.LastName
	}
	email, phone := fp.Email, fp.Phone
	id.Email, id.Phone = &email, &phone
	if u.Email != nil {
		id.Email = u.Email
	}
	if u.Phone != nil {
		id.Phone = u.Phone.text()
	}
	if u.DateOfBirth != nil {
		id.DateOfBirth = *u.DateOfBirth
	}
	if u.CountryOfResidence != nil {
		id.Country = *u.CountryOfResidence
	}
	if a := u.Address; a != nil {
		id.Street1, id.Street2, id.City, id.Zip, id.Country, id.State = a.Address1, a.Address2, a.City, a.PostalCode, a.Country, a.State
	}
	id.DocCountry = id.Country
	issued := now.AddDate(-1-rnd.Intn(5), -rnd.Intn(12), 0)
	id.Issued = issued.Format(time.DateOnly)
	id.Expires = issued.AddDate(10, 0, 0).Format(time.DateOnly)
	return id
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
