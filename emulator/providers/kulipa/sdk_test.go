package kulipa_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// The models of the community .NET SDK (Beans-BV/kulipa-dotnet-sdk), in Go:
// the same JSON names and types. System.Text.Json fails on a type mismatch
// (an object where a string is declared) and on a missing C# `required`
// member, so decodeSDK checks both.

type sdkPhone struct {
	Country string `json:"country"`
	Number  string `json:"number"`
}

type sdkAddress struct {
	Address1   string  `json:"address1"`
	Address2   *string `json:"address2,omitempty"`
	PostalCode string  `json:"postalCode"`
	City       string  `json:"city"`
	Country    string  `json:"country"`
	State      *string `json:"state,omitempty"`
}

type sdkShippingAddress struct {
	Address sdkAddress `json:"address"`
	Phone   *string    `json:"phone,omitempty"`
}

type sdkUserWallet struct {
	Blockchain        string `json:"blockchain"`
	WithdrawalAddress string `json:"withdrawalAddress"`
}

type sdkCreateUserRequest struct {
	FirstName          string              `json:"firstName,omitempty"`
	LastName           string              `json:"lastName,omitempty"`
	Wallet             sdkUserWallet       `json:"wallet"`
	Email              string              `json:"email,omitempty"`
	Phone              *sdkPhone           `json:"phone,omitempty"`
	DateOfBirth        string              `json:"dateOfBirth,omitempty"`
	CountryOfBirth     string              `json:"countryOfBirth,omitempty"`
	CountryOfResidence string              `json:"countryOfResidence,omitempty"`
	Address            *sdkAddress         `json:"address,omitempty"`
	ShippingAddress    *sdkShippingAddress `json:"shippingAddress,omitempty"`
}

type sdkUser struct {
	ID                 string              `json:"id"`
	Status             string              `json:"status"`
	FirstName          string              `json:"firstName"`
	LastName           string              `json:"lastName"`
	Email              *string             `json:"email"`
	Phone              *sdkPhone           `json:"phone"`
	DateOfBirth        *string             `json:"dateOfBirth"`
	CountryOfBirth     *string             `json:"countryOfBirth"`
	CountryOfResidence *string             `json:"countryOfResidence"`
	Address            *sdkAddress         `json:"address"`
	ShippingAddress    *sdkShippingAddress `json:"shippingAddress"`
	LegalName          *struct {
		FirstName string `json:"firstName"`
		LastName  string `json:"lastName"`
	} `json:"legalName"`
	CompanyID *string   `json:"companyId"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

type sdkPage[T any] struct {
	Page    int  `json:"page"`
	Count   int  `json:"count"`
	HasMore bool `json:"hasMore"`
	Items   []T  `json:"items"`
}

// sdkUserStatuses is the SDK's UserStatus enum, camel-cased as its
// converter writes it.
var sdkUserStatuses = map[string]bool{"unverified": true, "active": true, "frozen": true, "disabled": true, "deleted": true}

// checkSDKUser fails unless raw deserialises as the SDK's User: the types
// match, the required members (id, firstName, lastName; address1,
// postalCode, city, country of each address; address of a shipping
// address; country and number of a phone) are present, dates parse and the
// status is one of the enum's.
func checkSDKUser(t *testing.T, raw []byte) sdkUser {
	t.Helper()
	var u sdkUser
	if err := json.Unmarshal(raw, &u); err != nil {
		t.Fatalf("the SDK's User model cannot read %s: %v", raw, err)
	}
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	need := func(obj any, where string, names ...string) {
		o, ok := obj.(map[string]any)
		if !ok {
			return
		}
		for _, n := range names {
			if _, ok := o[n]; !ok {
				t.Errorf("%s lacks the required member %s: %s", where, n, raw)
			}
		}
	}
	need(m, "user", "id", "firstName", "lastName")
	need(m["address"], "address", "address1", "postalCode", "city", "country")
	need(m["phone"], "phone", "country", "number")
	need(m["legalName"], "legalName", "firstName", "lastName")
	if s, ok := m["shippingAddress"].(map[string]any); ok {
		need(s, "shippingAddress", "address")
		need(s["address"], "shippingAddress.address", "address1", "postalCode", "city", "country")
	}
	if !sdkUserStatuses[u.Status] {
		t.Errorf("status %q is not in the SDK's enum", u.Status)
	}
	if u.DateOfBirth != nil {
		if _, err := time.Parse(time.DateOnly, *u.DateOfBirth); err != nil {
			t.Errorf("dateOfBirth %q is not a DateOnly", *u.DateOfBirth)
		}
	}
	return u
}

// checkRateLimitHeaders reads the headers as the SDK's RateLimitHandler
// does (integers), plus x-ratelimit-limit from Kulipa's rate-limit page.
func checkRateLimitHeaders(t *testing.T, r response) {
	t.Helper()
	for _, h := range []string{"x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset"} {
		if _, err := strconv.Atoi(r.header.Get(h)); err != nil {
			t.Errorf("%s is %q, not an integer", h, r.header.Get(h))
		}
	}
	if r.header.Get("x-request-id") == "" {
		t.Error("no x-request-id")
	}
}

func TestDotNetSDKRoundTrip(t *testing.T) {
	e := newEnv(t)
	c := e.client(apiKey)
	shipPhone := "+44 20 7946 0958"
	req := sdkCreateUserRequest{
		FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com",
		Wallet:      sdkUserWallet{Blockchain: "stellar-testnet", WithdrawalAddress: "GBRPYHIL2CI3FNQ4BXLFMNDLFJUNPU2HY3ZMFSHONUCEOASW7QC7OX2H"},
		Phone:       &sdkPhone{Country: "GB", Number: "+44 7700 900123"},
		DateOfBirth: "1815-12-10", CountryOfBirth: "GB", CountryOfResidence: "GB",
		Address: &sdkAddress{Address1: "12 St James's Square", PostalCode: "SW1Y 4JH", City: "London", Country: "GB"},
		ShippingAddress: &sdkShippingAddress{Address: sdkAddress{Address1: "1 Marylebone Rd", PostalCode: "NW1 5LR", City: "London", Country: "GB"},
			Phone: &shipPhone},
	}
	created := c.do(http.MethodPost, "/users", req, "x-idempotency-key", "sdk-create-1")
	if created.status != http.StatusCreated {
		t.Fatalf("CreateAsync: %d %s", created.status, created.raw)
	}
	checkRateLimitHeaders(t, created)
	u := checkSDKUser(t, created.raw)
	if u.ShippingAddress == nil || u.ShippingAddress.Phone == nil || *u.ShippingAddress.Phone != shipPhone ||
		u.Phone == nil || u.Phone.Number != "+44 7700 900123" || u.DateOfBirth == nil || *u.DateOfBirth != "1815-12-10" {
		t.Fatalf("the user does not read back what was sent: %s", created.raw)
	}

	// GetAsync and ListAsync (the SDK always sends limit, fromPage and sortBy).
	checkSDKUser(t, c.get("/users/"+u.ID).raw)
	list := c.get("/users?email=ada%40example.com&limit=10&fromPage=0&sortBy=-createdAt")
	var page sdkPage[json.RawMessage]
	if err := json.Unmarshal(list.raw, &page); err != nil || page.Count != 1 || len(page.Items) != 1 {
		t.Fatalf("ListAsync: %v %s", err, list.raw)
	}
	checkSDKUser(t, page.Items[0])

	// The four update calls, with the bodies the SDK sends: a Phone, the
	// e-mail as a bare JSON string, an Address and a ShippingAddress.
	e.advance(time.Second)
	steps := []struct {
		path string
		body any
		ok   func(sdkUser) bool
	}{
		{"/phone-number", sdkPhone{Country: "GB", Number: "+44 7700 900456"}, func(u sdkUser) bool { return u.Phone != nil && u.Phone.Number == "+44 7700 900456" }},
		{"/email", `"ada.king@example.com"`, func(u sdkUser) bool { return u.Email != nil && *u.Email == "ada.king@example.com" }},
		{"/address", sdkAddress{Address1: "10 Great Cumberland Pl", PostalCode: "W1H 7AL", City: "London", Country: "gb"},
			func(u sdkUser) bool {
				return u.Address != nil && u.Address.Address1 == "10 Great Cumberland Pl" && u.Address.Country == "GB"
			}},
		{"/shipping-address", sdkShippingAddress{Address: sdkAddress{Address1: "221B Baker St", PostalCode: "NW1 6XE", City: "London", Country: "GB"}},
			func(u sdkUser) bool {
				return u.ShippingAddress != nil && u.ShippingAddress.Address.Address1 == "221B Baker St" && u.ShippingAddress.Phone == nil
			}},
	}
	for _, st := range steps {
		r := c.do(http.MethodPut, "/users/"+u.ID+st.path, st.body, "x-idempotency-key", "sdk"+st.path)
		if r.status != http.StatusOK {
			t.Fatalf("PUT %s: %d %s", st.path, r.status, r.raw)
		}
		checkRateLimitHeaders(t, r)
		got := checkSDKUser(t, r.raw)
		if !st.ok(got) || !got.UpdatedAt.After(got.CreatedAt) {
			t.Errorf("PUT %s answered %s", st.path, r.raw)
		}
		if again := c.get("/users/" + u.ID); !st.ok(checkSDKUser(t, again.raw)) {
			t.Errorf("PUT %s was not kept: %s", st.path, again.raw)
		}
	}
	// The e-mail also goes as an object.
	if r := c.do(http.MethodPut, "/users/"+u.ID+"/email", map[string]string{"email": "ada@example.org"}); r.status != 200 ||
		checkSDKUser(t, r.raw).Email == nil || *checkSDKUser(t, r.raw).Email != "ada@example.org" {
		t.Errorf("e-mail as an object: %d %s", r.status, r.raw)
	}

	// TestConnectionAsync lists one card; cards are out of scope, so the page is empty.
	cards := c.do(http.MethodGet, "/cards?limit=1", nil)
	var cp sdkPage[json.RawMessage]
	if cards.status != http.StatusOK || json.Unmarshal(cards.raw, &cp) != nil || cp.Count != 0 || cp.HasMore || cp.Items == nil {
		t.Fatalf("TestConnectionAsync: %d %s", cards.status, cards.raw)
	}
	checkRateLimitHeaders(t, cards)
	if r := c.get("/cards?userId=" + u.ID + "&limit=10&fromPage=0&sortBy=-createdAt"); r.val("count") != float64(0) {
		t.Errorf("cards of a user: %s", r.raw)
	}

	// A verified identity fixes the address: a new KYC is needed.
	k := c.kyc(u.ID, "full", nil)
	e.form(k.str("url"), map[string][]string{"action": {"complete"}})
	e.advance(2 * time.Second)
	if got := checkSDKUser(t, c.get("/users/"+u.ID).raw); got.Status != "active" || got.LegalName == nil {
		t.Fatalf("after the KYC: %+v", got)
	}
	if r := c.do(http.MethodPut, "/users/"+u.ID+"/address", steps[2].body); r.status != http.StatusConflict || r.str("code") != "conflict_error" {
		t.Errorf("address change after KYC: %d %s", r.status, r.raw)
	}
	if r := c.do(http.MethodPut, "/users/"+u.ID+"/shipping-address", steps[3].body); r.status != http.StatusOK {
		t.Errorf("shipping address change after KYC: %d %s", r.status, r.raw)
	}
}
