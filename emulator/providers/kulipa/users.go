package kulipa

import (
	"encoding/json"
	"net/http"
	"strings"
	"unicode"

	"github.com/kycemu/kycemu/emulator/provider"
)

type createUserIn struct {
	FirstName          string           `json:"firstName"`
	LastName           string           `json:"lastName"`
	Email              *string          `json:"email"`
	Phone              *Phone           `json:"phone"`
	DateOfBirth        *string          `json:"dateOfBirth"`
	CountryOfBirth     *string          `json:"countryOfBirth"`
	CountryOfResidence *string          `json:"countryOfResidence"`
	Address            *Address         `json:"address"`
	ShippingAddress    *ShippingAddress `json:"shippingAddress"`
	Wallet             *Wallet          `json:"wallet"`
	CompanyID          *string          `json:"companyId"`
}

// phoneKey compares phone numbers on their country and digits.
func phoneKey(ph *Phone) string {
	if ph == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString(strings.ToUpper(ph.Country))
	b.WriteByte(':')
	for _, r := range ph.Number {
		if unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func upperPtr(s *string) *string {
	if s == nil {
		return nil
	}
	u := strings.ToUpper(*s)
	return &u
}

func normalizeAddress(a *Address) *Address {
	if a == nil {
		return nil
	}
	out := *a
	out.Country = strings.ToUpper(a.Country)
	out.State = upperPtr(a.State)
	return &out
}

func normalizePhone(ph *Phone) *Phone {
	if ph == nil {
		return nil
	}
	return &Phone{Country: strings.ToUpper(ph.Country), Number: ph.Number}
}

func (p *Provider) createUser(c *provider.Call) error {
	var in createUserIn
	if err := c.Bind(&in); err != nil {
		return err
	}
	now := p.env.Clock.Now()
	t := p.tenants.Get(c.Tenant)
	t.mu.Lock()
	defer t.mu.Unlock()
	key := phoneKey(in.Phone)
	if err := t.phoneFree(key, nil); err != nil {
		return err
	}
	u := &user{
		id: "usr-" + t.rand.UUID(), seq: t.next(), status: UserUnverified,
		firstName: in.FirstName, lastName: in.LastName, email: in.Email,
		phone: normalizePhone(in.Phone), phoneKey: key, dateOfBirth: in.DateOfBirth,
		countryOfBirth: upperPtr(in.CountryOfBirth), countryOfResidence: upperPtr(in.CountryOfResidence),
		address: normalizeAddress(in.Address), wallet: in.Wallet, companyID: in.CompanyID,
		created: now, updated: now,
	}
	if s := in.ShippingAddress; s != nil {
		u.shipping = &ShippingAddress{Address: *normalizeAddress(&s.Address), Phone: s.Phone}
	}
	t.users[u.id] = u
	t.userOrder = append(t.userOrder, u)
	return c.JSON(http.StatusCreated, u.view())
}

// phoneFree refuses a phone key another user than self already has; the
// caller holds the tenant lock.
func (t *tenant) phoneFree(key string, self *user) *provider.Error {
	if key == "" {
		return nil
	}
	for _, u := range t.userOrder {
		if u != self && u.phoneKey == key {
			return provider.Errorf(provider.KindConflict, "a user with this phone number already exists").
				WithCode("duplicate_user_error")
		}
	}
	return nil
}

// userOf finds the calling tenant's user and locks the tenant; the caller
// must call unlock.
func (p *Provider) userOf(tenantName, id string) (*tenant, *user, func(), *provider.Error) {
	t := p.tenants.Get(tenantName)
	t.mu.Lock()
	u, ok := t.users[strings.ToLower(id)]
	if !ok {
		t.mu.Unlock()
		return nil, nil, nil, userNotFound()
	}
	return t, u, t.mu.Unlock, nil
}

func (p *Provider) getUser(c *provider.Call) error {
	_, u, unlock, err := p.userOf(c.Tenant, c.Params["userId"])
	if err != nil {
		return err
	}
	defer unlock()
	return c.JSON(http.StatusOK, u.view())
}

func (p *Provider) listUsers(c *provider.Call) error {
	q := pageOf(c)
	email, byEmail := c.Query("email"), c.R.URL.Query().Has("email")
	t := p.tenants.Get(c.Tenant)
	t.mu.Lock()
	defer t.mu.Unlock()
	match := make([]*user, 0, len(t.userOrder))
	for _, u := range t.userOrder {
		if byEmail && (u.email == nil || !strings.EqualFold(*u.email, email)) {
			continue
		}
		match = append(match, u)
	}
	return c.JSON(http.StatusOK, paginate(match, q, func(u *user) sortKey { return sortKey{u.created, u.updated, u.seq} },
		func(u *user) userView { return u.view() }))
}

// updateUser runs change on the caller's user under the tenant lock and
// answers the updated user.
func (p *Provider) updateUser(c *provider.Call, change func(t *tenant, u *user) *provider.Error) error {
	t, u, unlock, err := p.userOf(c.Tenant, c.Params["userId"])
	if err != nil {
		return err
	}
	defer unlock()
	if err := change(t, u); err != nil {
		return err
	}
	u.updated = p.env.Clock.Now()
	return c.JSON(http.StatusOK, u.view())
}

func (p *Provider) setUserPhoneNumber(c *provider.Call) error {
	var in Phone
	if err := c.Bind(&in); err != nil {
		return err
	}
	return p.updateUser(c, func(t *tenant, u *user) *provider.Error {
		key := phoneKey(&in)
		if err := t.phoneFree(key, u); err != nil {
			return err
		}
		u.phone, u.phoneKey = normalizePhone(&in), key
		return nil
	})
}

// setUserEmail takes the address as a bare JSON string (what the SDK
// sends) or as {"email": "..."}; the spec admits only those two.
func (p *Provider) setUserEmail(c *provider.Call) error {
	var email string
	if err := json.Unmarshal(c.Body, &email); err != nil {
		var in struct {
			Email string `json:"email"`
		}
		if err := c.Bind(&in); err != nil {
			return err
		}
		email = in.Email
	}
	return p.updateUser(c, func(_ *tenant, u *user) *provider.Error {
		u.email = &email
		return nil
	})
}

func (p *Provider) setUserAddress(c *provider.Call) error {
	var in Address
	if err := c.Bind(&in); err != nil {
		return err
	}
	return p.updateUser(c, func(t *tenant, u *user) *provider.Error {
		if t.identityVerified(u) {
			return provider.Errorf(provider.KindConflict,
				"the user's identity is verified: a new KYC is needed to change the address").WithCode("conflict_error")
		}
		u.address = normalizeAddress(&in)
		return nil
	})
}

func (p *Provider) setUserShippingAddress(c *provider.Call) error {
	var in ShippingAddress
	if err := c.Bind(&in); err != nil {
		return err
	}
	return p.updateUser(c, func(_ *tenant, u *user) *provider.Error {
		u.shipping = &ShippingAddress{Address: *normalizeAddress(&in.Address), Phone: in.Phone}
		return nil
	})
}

// identityVerified reports whether a full or import KYC of u was verified;
// the caller holds the tenant lock.
func (t *tenant) identityVerified(u *user) bool {
	for _, k := range t.kycOrder {
		if k.user == u && (k.typ == TypeFull || k.typ == TypeImport) && k.status == Verified {
			return true
		}
	}
	return false
}

// listCards answers an empty page: cards are outside kycemu's KYC scope,
// but clients probe the API with GET /v1/cards?limit=1.
func (p *Provider) listCards(c *provider.Call) error {
	return c.JSON(http.StatusOK, paginate([]struct{}{}, pageOf(c), func(struct{}) sortKey { return sortKey{} },
		func(struct{}) struct{} { return struct{}{} }))
}
