package kulipa

import (
	"encoding/json"
	"net/http"
	"strings"
	"unicode"

	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
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

func duplicateUser() *provider.Error {
	return provider.Errorf(provider.KindConflict, "a user with this phone number already exists").
		WithCode("duplicate_user_error")
}

func (p *Provider) createUser(c *provider.Call, tx *state.Tx) error {
	var in createUserIn
	if err := c.Bind(&in); err != nil {
		return err
	}
	key := phoneKey(in.Phone)
	if key != "" && tx.Lookup(kindUser, byPhone, key) != nil {
		return duplicateUser()
	}
	u := &user{
		Status: UserUnverified, FirstName: in.FirstName, LastName: in.LastName, Email: in.Email,
		Phone: normalizePhone(in.Phone), DateOfBirth: in.DateOfBirth,
		CountryOfBirth: upperPtr(in.CountryOfBirth), CountryOfResidence: upperPtr(in.CountryOfResidence),
		Address: normalizeAddress(in.Address), Wallet: in.Wallet, CompanyID: in.CompanyID,
	}
	if s := in.ShippingAddress; s != nil {
		u.Shipping = &ShippingAddress{Address: *normalizeAddress(&s.Address), Phone: s.Phone}
	}
	nr := state.NewRecord{Kind: kindUser, ID: "usr-" + tx.Rand().UUID(), Data: u}
	if key != "" {
		nr.Index = map[string]string{byPhone: key}
	}
	r, err := tx.Create(nr)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusCreated, userViewOf(r))
}

// userOf returns the tenant's user with an id (ids are matched without
// regard to case), or nil.
func userOf(tx *state.Tx, id string) *state.Record { return tx.Get(kindUser, strings.ToLower(id)) }

func (p *Provider) getUser(c *provider.Call, tx *state.Tx) error {
	r := userOf(tx, c.Params["userId"])
	if r == nil {
		return userNotFound()
	}
	return c.JSON(http.StatusOK, userViewOf(r))
}

func (p *Provider) listUsers(c *provider.Call, tx *state.Tx) error {
	q := pageOf(c)
	email, byEmail := c.Query("email"), c.R.URL.Query().Has("email")
	all := tx.List(kindUser)
	match := make([]*state.Record, 0, len(all))
	for _, r := range all {
		if u := state.Data[user](r); byEmail && (u.Email == nil || !strings.EqualFold(*u.Email, email)) {
			continue
		}
		match = append(match, r)
	}
	return c.JSON(http.StatusOK, paginate(match, q, userViewOf))
}

// updateUser runs change on the caller's user and answers the updated
// user; change refuses before it changes anything.
func (p *Provider) updateUser(c *provider.Call, tx *state.Tx, change func(r *state.Record, u *user) *provider.Error) error {
	r := userOf(tx, c.Params["userId"])
	if r == nil {
		return userNotFound()
	}
	if err := change(r, state.Data[user](r)); err != nil {
		return err
	}
	r.Updated = tx.Now()
	return c.JSON(http.StatusOK, userViewOf(r))
}

func (p *Provider) setUserPhoneNumber(c *provider.Call, tx *state.Tx) error {
	var in Phone
	if err := c.Bind(&in); err != nil {
		return err
	}
	return p.updateUser(c, tx, func(r *state.Record, u *user) *provider.Error {
		if tx.SetIndex(r, byPhone, phoneKey(&in)) != nil {
			return duplicateUser()
		}
		u.Phone = normalizePhone(&in)
		return nil
	})
}

// setUserEmail takes the address as a bare JSON string (what the SDK
// sends) or as {"email": "..."}; the spec admits only those two.
func (p *Provider) setUserEmail(c *provider.Call, tx *state.Tx) error {
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
	return p.updateUser(c, tx, func(_ *state.Record, u *user) *provider.Error {
		u.Email = &email
		return nil
	})
}

func (p *Provider) setUserAddress(c *provider.Call, tx *state.Tx) error {
	var in Address
	if err := c.Bind(&in); err != nil {
		return err
	}
	return p.updateUser(c, tx, func(_ *state.Record, u *user) *provider.Error {
		if identityVerified(tx, u) {
			return provider.Errorf(provider.KindConflict,
				"the user's identity is verified: a new KYC is needed to change the address").WithCode("conflict_error")
		}
		u.Address = normalizeAddress(&in)
		return nil
	})
}

func (p *Provider) setUserShippingAddress(c *provider.Call, tx *state.Tx) error {
	var in ShippingAddress
	if err := c.Bind(&in); err != nil {
		return err
	}
	return p.updateUser(c, tx, func(_ *state.Record, u *user) *provider.Error {
		u.Shipping = &ShippingAddress{Address: *normalizeAddress(&in.Address), Phone: in.Phone}
		return nil
	})
}

// identityKycs returns u's verified full and import KYCs, oldest first.
func identityKycs(tx *state.Tx, u *user) []*state.Record {
	var out []*state.Record
	for _, id := range u.KYCs {
		if r := tx.Get(kindKyc, id); r != nil && r.Status == Verified {
			if t := state.Data[kyc](r).Type; t == TypeFull || t == TypeImport {
				out = append(out, r)
			}
		}
	}
	return out
}

// identityVerified reports whether a full or import KYC of u was verified.
func identityVerified(tx *state.Tx, u *user) bool { return len(identityKycs(tx, u)) > 0 }

// listCards answers an empty page: cards are outside kycemu's KYC scope,
// but clients probe the API with GET /v1/cards?limit=1.
func (p *Provider) listCards(c *provider.Call, _ *state.Tx) error {
	return c.JSON(http.StatusOK, paginate(nil, pageOf(c), func(*state.Record) struct{} { return struct{}{} }))
}
