package kulipa_test

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kycemu/kycemu/emulator"
)

// Kulipa's idempotency page identifies a request by the key together with
// its path, method, query and body: an identical combination is replayed,
// anything else is a request of its own.
func TestIdempotencyKeyPlusRequestIsTheIdentity(t *testing.T) {
	e := newEnv(t)
	c := e.client(apiKey)
	body := map[string]any{"firstName": "Grace", "lastName": "Hopper", "phone": map[string]any{"country": "US", "number": "202-555-0143"}}
	first := c.do(http.MethodPost, "/users", body, "x-idempotency-key", "create-grace-1")
	if first.status != http.StatusCreated {
		t.Fatalf("first: %d %s", first.status, first.raw)
	}
	again := c.do(http.MethodPost, "/users", body, "x-idempotency-key", "create-grace-1")
	if again.status != http.StatusCreated || string(again.raw) != string(first.raw) || again.header.Get("x-kycemu-idempotent-replay") != "true" {
		t.Fatalf("replay: %d %s (first %s)", again.status, again.raw, first.raw)
	}
	if again.header.Get("x-request-id") == first.header.Get("x-request-id") || again.header.Get("Content-Type") != "application/json" {
		t.Errorf("replay headers: %v", again.header)
	}
	if first.header.Get("x-kycemu-idempotent-replay") != "" {
		t.Error("the first response is marked as a replay")
	}
	if n := len(c.get("/users").items()); n != 1 {
		t.Fatalf("%d users after a replay, want 1", n)
	}

	// The same key with another body, path or query is another request:
	// processed, not replayed.
	other := map[string]any{"firstName": "Grace", "lastName": "Brewster"}
	brewster := c.do(http.MethodPost, "/users", other, "x-idempotency-key", "create-grace-1")
	if brewster.status != http.StatusCreated || brewster.str("id") == first.str("id") || brewster.header.Get("x-kycemu-idempotent-replay") != "" {
		t.Errorf("same key, other body: %d %s", brewster.status, brewster.raw)
	}
	if r := c.do(http.MethodPut, "/kycs", map[string]any{"userId": first.str("id"), "type": "full"}, "x-idempotency-key", "create-grace-1"); r.status != http.StatusCreated ||
		r.header.Get("x-kycemu-idempotent-replay") != "" {
		t.Errorf("same key, other path: %d %s", r.status, r.raw)
	}
	if r := c.do(http.MethodPost, "/users?x=1", body, "x-idempotency-key", "create-grace-1"); r.status != http.StatusConflict ||
		r.str("code") != "duplicate_user_error" || r.header.Get("x-kycemu-idempotent-replay") != "" {
		t.Errorf("same key and body, other query: %d %s (processed, so the phone is taken)", r.status, r.raw)
	}
	if n := len(c.get("/users").items()); n != 2 {
		t.Fatalf("%d users, want 2", n)
	}

	// Error answers are kept too: a duplicate phone replays its 409.
	dup := c.do(http.MethodPost, "/users", body, "x-idempotency-key", "dup-1")
	dupAgain := c.do(http.MethodPost, "/users", body, "x-idempotency-key", "dup-1")
	if dup.status != 409 || dup.str("code") != "duplicate_user_error" || string(dupAgain.raw) != string(dup.raw) ||
		dupAgain.header.Get("x-kycemu-idempotent-replay") != "true" {
		t.Errorf("duplicate replay: %d %s / %d %s", dup.status, dup.raw, dupAgain.status, dupAgain.raw)
	}

	// PUT /v1/kycs replays its 201 rather than answering 200 for the KYC in progress.
	kb := map[string]any{"userId": brewster.str("id"), "type": "full"}
	k1 := c.do(http.MethodPut, "/kycs", kb, "x-idempotency-key", "kyc-1")
	k2 := c.do(http.MethodPut, "/kycs", kb, "x-idempotency-key", "kyc-1")
	if k1.status != 201 || k2.status != 201 || string(k1.raw) != string(k2.raw) {
		t.Errorf("KYC replay: %d / %d", k1.status, k2.status)
	}

	// Combinations live 24 hours on the clock; then the request is processed afresh.
	e.advance(24*time.Hour - time.Second)
	if r := c.do(http.MethodPost, "/users", other, "x-idempotency-key", "create-grace-1"); r.status != 201 ||
		r.str("id") != brewster.str("id") || r.header.Get("x-kycemu-idempotent-replay") != "true" {
		t.Errorf("repeat just before 24h: %d %s", r.status, r.raw)
	}
	e.advance(time.Second)
	fresh := c.do(http.MethodPost, "/users", other, "x-idempotency-key", "create-grace-1")
	if fresh.status != 201 || fresh.str("id") == brewster.str("id") || fresh.header.Get("x-kycemu-idempotent-replay") != "" {
		t.Errorf("after 24h: %d %s", fresh.status, fresh.raw)
	}

	// Keys are per API key.
	if r := e.client("someone-else").do(http.MethodPost, "/users", other, "x-idempotency-key", "create-grace-1"); r.status != 201 ||
		r.header.Get("x-kycemu-idempotent-replay") != "" {
		t.Errorf("another tenant's key: %d %s", r.status, r.raw)
	}
	if r := c.do(http.MethodPost, "/users", other, "x-idempotency-key", strings.Repeat("k", 65)); r.status != 400 ||
		r.str("code") != "validation_error" {
		t.Errorf("65-character key: %d %s", r.status, r.raw)
	}
	if r := c.do(http.MethodPost, "/users", other, "x-idempotency-key", strings.Repeat("k", 64)); r.status != 201 {
		t.Errorf("64-character key: %d %s", r.status, r.raw)
	}
}

func TestPaging(t *testing.T) {
	e := newEnv(t)
	c := e.client(apiKey)
	var ids []string // creation order
	for i := range 25 {
		email := fmt.Sprintf("user%02d@example.com", i)
		if i%5 == 0 {
			email = "Shared@Example.com"
		}
		ids = append(ids, c.user(map[string]any{"email": email}))
		if i%2 == 0 {
			e.advance(time.Second) // some share a createdAt, ties keep creation order
		}
	}
	reversed := slices.Clone(ids)
	slices.Reverse(reversed)
	idsOf := func(r response) []string {
		var out []string
		for _, it := range r.items() {
			out = append(out, it["id"].(string))
		}
		return out
	}
	tests := []struct {
		query   string
		want    []string
		page    int
		hasMore bool
	}{
		{"", reversed[:10], 0, true},
		{"?fromPage=1", reversed[10:20], 1, true},
		{"?fromPage=2", reversed[20:], 2, false},
		{"?fromPage=3", nil, 3, false},
		{"?fromPage=1000000", nil, 1000000, false},
		{"?limit=100", reversed, 0, false},
		{"?limit=25", reversed, 0, false},
		{"?limit=24&fromPage=1", reversed[24:], 1, false},
		{"?sortBy=createdAt&limit=3", ids[:3], 0, true},
		{"?sortBy=-updatedAt&limit=2", reversed[:2], 0, true},
		{"?email=shared@example.com", []string{ids[20], ids[15], ids[10], ids[5], ids[0]}, 0, false},
		{"?email=nobody@example.com", nil, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			r := c.get("/users" + tc.query)
			got := idsOf(r)
			if !slices.Equal(got, tc.want) || r.val("page") != float64(tc.page) || r.val("count") != float64(len(tc.want)) ||
				r.val("hasMore") != tc.hasMore {
				t.Errorf("got page %v count %v hasMore %v %v, want page %d %v hasMore %v", r.val("page"), r.val("count"),
					r.val("hasMore"), got, tc.page, tc.want, tc.hasMore)
			}
		})
	}
	for _, q := range []string{"?limit=0", "?limit=101", "?limit=ten", "?fromPage=-1", "?sortBy=lastName", "?sortBy=--createdAt"} {
		if r := c.do(http.MethodGet, "/users"+q, nil); r.status != 400 || r.str("code") != "validation_error" {
			t.Errorf("%s: %d %s", q, r.status, r.raw)
		}
	}

	// KYC lists page and filter the same way.
	for _, id := range ids[:3] {
		c.kyc(id, "full", nil)
		c.kyc(id, "shipping", nil)
	}
	all := c.get("/kycs?limit=4")
	if all.val("count") != float64(4) || all.val("hasMore") != true || all.items()[0]["type"] != "shipping" {
		t.Errorf("kycs: %s", all.raw)
	}
	mine := c.get("/kycs?userId=" + ids[1] + "&type=full")
	if mine.val("count") != float64(1) || mine.items()[0]["userId"] != ids[1] {
		t.Errorf("filtered kycs: %s", mine.raw)
	}
	if none := c.get("/kycs?status=verified"); none.val("count") != float64(0) || none.val("hasMore") != false {
		t.Errorf("verified kycs: %s", none.raw)
	}
}

func TestRateLimitOnTheClock(t *testing.T) {
	e := newEnv(t)
	c := e.client(apiKey)
	for i := 1; i <= 300; i++ {
		r := c.do(http.MethodGet, "/users", nil)
		if r.status != 200 {
			t.Fatalf("request %d: %d %s", i, r.status, r.raw)
		}
		if got := r.header.Get("x-ratelimit-remaining"); got != strconv.Itoa(300-i) {
			t.Fatalf("request %d: remaining %s", i, got)
		}
		if got := r.header.Get("x-ratelimit-reset"); got != "60" {
			t.Fatalf("request %d: reset %s", i, got)
		}
		if got := r.header.Get("x-ratelimit-limit"); got != "300" {
			t.Fatalf("request %d: limit %s", i, got)
		}
	}
	over := c.do(http.MethodGet, "/users", nil)
	if over.status != http.StatusTooManyRequests || over.str("code") != "rate_limit_error" ||
		over.header.Get("Retry-After") != "60" || over.header.Get("x-ratelimit-remaining") != "0" ||
		over.header.Get("x-ratelimit-reset") != "60" || over.header.Get("x-ratelimit-limit") != "300" || over.header.Get("x-request-id") == "" {
		t.Fatalf("request 301: %d %v %s", over.status, over.header, over.raw)
	}
	// Writes, bad requests and unknown routes are refused alike.
	if r := c.do(http.MethodPost, "/users", map[string]any{"firstName": "x"}); r.status != 429 {
		t.Errorf("bad write over the limit: %d %s", r.status, r.raw)
	}
	// Another API key has its own window.
	if r := e.client("other").do(http.MethodGet, "/users", nil); r.status != 200 || r.header.Get("x-ratelimit-remaining") != "299" {
		t.Errorf("other tenant: %d %v", r.status, r.header)
	}
	e.advance(45*time.Second + 500*time.Millisecond)
	if r := c.do(http.MethodGet, "/users", nil); r.status != 429 || r.header.Get("Retry-After") != "15" {
		t.Errorf("45.5s later: %d Retry-After %s", r.status, r.header.Get("Retry-After"))
	}
	e.advance(14*time.Second + 500*time.Millisecond)
	r := c.do(http.MethodGet, "/users", nil)
	if r.status != 200 || r.header.Get("x-ratelimit-remaining") != "299" || r.header.Get("x-ratelimit-reset") != "60" {
		t.Fatalf("new window: %d %v", r.status, r.header)
	}
	// A validation error inside the window carries the headers too.
	if r := c.do(http.MethodGet, "/users?limit=0", nil); r.status != 400 || r.header.Get("x-ratelimit-remaining") != "298" {
		t.Errorf("400 inside the window: %d %v", r.status, r.header)
	}

	// The limit is a setting, per tenant or for everyone.
	s := e.settings(map[string]any{"tenant": "tiny", "rateLimit": 2, "rateWindow": "10s"})
	if s.val("rateLimit") != float64(2) || s.str("rateWindow") != "10s" || s.str("tenant") != "tiny" {
		t.Errorf("settings: %s", s.raw)
	}
	tiny := e.client("tiny")
	for i := range 2 {
		if r := tiny.do(http.MethodGet, "/users", nil); r.status != 200 || r.header.Get("x-ratelimit-reset") != "10" || r.header.Get("x-ratelimit-limit") != "2" {
			t.Errorf("tiny %d: %d %v", i, r.status, r.header)
		}
	}
	if r := tiny.do(http.MethodGet, "/users", nil); r.status != 429 || r.header.Get("Retry-After") != "10" {
		t.Errorf("tiny over: %d %v", r.status, r.header)
	}
	e.settings(map[string]any{"rateLimit": 0})
	if r := e.client("unlimited").do(http.MethodGet, "/users", nil); r.status != 200 || r.header.Get("x-ratelimit-remaining") != "" {
		t.Errorf("limit off: %d %v", r.status, r.header)
	}
	if r := tiny.do(http.MethodGet, "/users", nil); r.status != 429 {
		t.Errorf("a tenant override outlives the default: %d", r.status)
	}
	for _, bad := range []string{`{"rateLimit":-1}`, `{"rateWindow":"soon"}`, `{"rateWindow":"10ms"}`, `{"colour":"blue"}`} {
		if r := e.call(http.MethodPut, "/_emulator/providers/kulipa/settings", bad); r.status != 400 {
			t.Errorf("settings %s: %d %s", bad, r.status, r.raw)
		}
	}
	if g := e.call(http.MethodGet, "/_emulator/providers/kulipa/settings?tenant=tiny", nil); g.val("rateLimit") != float64(2) {
		t.Errorf("get settings: %s", g.raw)
	}
}

func TestBadInputsGetKulipaErrors(t *testing.T) {
	e := newEnv(t)
	c := e.client(apiKey)
	userID := c.user(map[string]any{"phone": map[string]any{"country": "FR", "number": "+33 6 12 34 56 78"}})
	kycID := c.kyc(userID, "full", nil).str("id")
	otherID := c.user(map[string]any{"firstName": "Bob"})
	const partnerKey = "partner-key"
	e.settings(map[string]any{"tenant": partnerKey, "partner": true})
	const secret = "SECRET-VALUE-42" // must never come back in a message
	unknownUser := "usr-" + "0b4c1f0e-7d2a-4c41-9a3e-5f6a7b8c9d0e"
	tests := []struct {
		name    string
		method  string
		path    string
		body    any
		headers []string
		status  int
		code    string
	}{
		{"missing API key", "GET", "/users", nil, []string{"x-api-key", ""}, 401, "authentication_error"},
		{"short userId", "PUT", "/kycs", map[string]any{"userId": "usr-" + secret, "type": "full"}, nil, 400, "validation_error"},
		{"userId with the wrong prefix", "PUT", "/kycs", map[string]any{"userId": "cmp-" + userID[4:], "type": "full"}, nil, 400, "validation_error"},
		{"userId with a v1 uuid", "PUT", "/kycs", map[string]any{"userId": "usr-6fa459ea-ee8a-11ca-8c3d-0a1b2c3d4e5f", "type": "full"}, nil, 400, "validation_error"},
		{"unknown user", "PUT", "/kycs", map[string]any{"userId": unknownUser, "type": "full"}, nil, 404, "not_found_error"},
		{"wrong type", "PUT", "/kycs", map[string]any{"userId": userID, "type": secret}, nil, 400, "validation_error"},
		{"retired type light", "PUT", "/kycs", map[string]any{"userId": userID, "type": "light"}, nil, 400, "validation_error"},
		{"missing type", "PUT", "/kycs", map[string]any{"userId": userID}, nil, 400, "validation_error"},
		{"relative redirectUri", "PUT", "/kycs", map[string]any{"userId": userID, "type": "full", "redirectUri": "/" + secret}, nil, 400, "validation_error"},
		{"body is not JSON", "PUT", "/kycs", "{" + secret, nil, 400, "validation_error"},
		{"import by a non-partner", "PUT", "/kycs", map[string]any{"userId": userID, "type": "import"}, nil, 403, "permission_error"},
		{"duplicate phone", "POST", "/users", map[string]any{"firstName": "Bob", "lastName": "Martin", "phone": map[string]any{"country": "fr", "number": "+33 (6) 12-34-56-78"}}, nil, 409, "duplicate_user_error"},
		{"short firstName", "POST", "/users", map[string]any{"firstName": "B", "lastName": "Martin"}, nil, 400, "validation_error"},
		{"missing lastName", "POST", "/users", map[string]any{"firstName": "Bob"}, nil, 400, "validation_error"},
		{"bad email", "POST", "/users", map[string]any{"firstName": "Bob", "lastName": "Martin", "email": secret}, nil, 400, "validation_error"},
		{"bad country", "POST", "/users", map[string]any{"firstName": "Bob", "lastName": "Martin", "countryOfResidence": secret}, nil, 400, "validation_error"},
		{"bad date of birth", "POST", "/users", map[string]any{"firstName": "Bob", "lastName": "Martin", "dateOfBirth": "31/12/1990"}, nil, 400, "validation_error"},
		{"malformed user id", "GET", "/users/" + secret, nil, nil, 400, "validation_error"},
		{"unknown user id", "GET", "/users/" + unknownUser, nil, nil, 404, "not_found_error"},
		{"malformed KYC id", "GET", "/kycs/kyc-" + secret, nil, nil, 400, "validation_error"},
		{"unknown KYC id", "GET", "/kycs/kyc-" + unknownUser[4:], nil, nil, 404, "not_found_error"},
		{"export without userId", "GET", "/kycs/export", nil, nil, 400, "validation_error"},
		{"export of an unknown user", "GET", "/kycs/export?userId=" + unknownUser, nil, nil, 404, "not_found_error"},
		{"export of an unverified user", "GET", "/kycs/export?userId=" + userID, nil, nil, 409, "user_not_active_error"},
		{"unknown webhook key", "GET", "/webhooks/keys/dwk-" + unknownUser[4:], nil, nil, 404, "not_found_error"},
		{"malformed webhook key", "GET", "/webhooks/keys/" + secret, nil, nil, 400, "validation_error"},
		{"unknown route", "GET", "/cards/crd-" + unknownUser[4:], nil, nil, 404, "not_found_error"},
		{"import without its required data", "PUT", "/kycs", map[string]any{"userId": userID, "type": "import", "securityQuestions": map[string]any{},
			"geolocation": map[string]any{}}, []string{"x-api-key", partnerKey}, 400, "validation_error"},
		{"import data of the wrong type", "PUT", "/kycs", map[string]any{"userId": userID, "type": "import", "securityQuestions": secret}, nil, 400, "validation_error"},
		{"shipping phone as an object", "POST", "/users", map[string]any{"firstName": "Bob", "lastName": "Martin",
			"shippingAddress": map[string]any{"address": map[string]any{"address1": "1 Rue", "city": "Paris", "postalCode": "75001", "country": "FR"},
				"phone": map[string]any{"country": "FR", "number": "0612345678"}}}, nil, 400, "validation_error"},
		{"e-mail update with a bad address", "PUT", "/users/" + userID + "/email", `"` + secret + `"`, nil, 400, "validation_error"},
		{"e-mail update with another field", "PUT", "/users/" + userID + "/email", map[string]any{"mail": "a@example.com"}, nil, 400, "validation_error"},
		{"phone update to a taken number", "PUT", "/users/" + otherID + "/phone-number", map[string]any{"country": "FR", "number": "+33-6-12-34-56-78"}, nil, 409, "duplicate_user_error"},
		{"phone update without a number", "PUT", "/users/" + userID + "/phone-number", map[string]any{"country": "FR"}, nil, 400, "validation_error"},
		{"address update without a city", "PUT", "/users/" + userID + "/address", map[string]any{"address1": "1 Rue", "postalCode": "75001", "country": "FR"}, nil, 400, "validation_error"},
		{"update of an unknown user", "PUT", "/users/" + unknownUser + "/shipping-address", map[string]any{"address": map[string]any{"address1": "1 Rue", "city": "Paris", "postalCode": "75001", "country": "FR"}}, nil, 404, "not_found_error"},
		{"cards of a malformed user", "GET", "/cards?userId=" + secret, nil, nil, 400, "validation_error"},
		{"wrong method", "DELETE", "/users", nil, nil, 405, "method_not_allowed_error"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := c.do(tc.method, tc.path, tc.body, tc.headers...)
			if r.status != tc.status || r.str("code") != tc.code || r.str("message") == "" || len(r.body) != 2 {
				t.Fatalf("%d %s, want %d %s", r.status, r.raw, tc.status, tc.code)
			}
			if strings.Contains(string(r.raw), secret) {
				t.Errorf("the error echoes the submitted value: %s", r.raw)
			}
			if err := e.doc.ValidateValue("Error", r.body); err != nil {
				t.Errorf("error body breaks the Error schema: %v", err)
			}
		})
	}
	// The user and KYC are untouched.
	if u := c.get("/users/" + userID); u.str("status") != "unverified" || u.str("firstName") != "Ada" {
		t.Errorf("user: %s", u.raw)
	}
	if k := c.get("/kycs/" + kycID); k.str("status") != "pending" {
		t.Errorf("kyc: %s", k.raw)
	}
	if l := c.get("/users"); l.val("count") != float64(2) {
		t.Errorf("users: %s", l.raw)
	}
	// The message names the field.
	if r := c.do("PUT", "/kycs", map[string]any{"userId": "usr-1", "type": "full"}); !strings.Contains(r.str("message"), "userId") {
		t.Errorf("message does not name the field: %s", r.raw)
	}
}

func TestTenantIsolation(t *testing.T) {
	e := newEnv(t)
	a, b := e.client("key-a"), e.client("key-b")
	ra := a.receiver(nil)
	userA := a.user(map[string]any{"phone": map[string]any{"country": "GB", "number": "7700900123"}})
	kycA := a.kyc(userA, "full", nil).str("id")
	keyA := ra.waitHooks(t, 1)[0].keyID

	for _, path := range []string{"/users/" + userA, "/kycs/" + kycA, "/webhooks/keys/" + keyA, "/kycs/export?userId=" + userA} {
		if r := b.do(http.MethodGet, path, nil); r.status != 404 {
			t.Errorf("B reads A's %s: %d %s", path, r.status, r.raw)
		}
	}
	if r := b.do(http.MethodPut, "/kycs", map[string]any{"userId": userA, "type": "full"}); r.status != 404 {
		t.Errorf("B starts a KYC for A's user: %d", r.status)
	}
	// The same phone number is free in another tenant.
	b.user(map[string]any{"phone": map[string]any{"country": "GB", "number": "7700900123"}})
	if n := b.get("/users").val("count"); n != float64(1) {
		t.Errorf("B sees %v users", n)
	}
	if n := b.get("/kycs").val("count"); n != float64(0) {
		t.Errorf("B sees %v KYCs", n)
	}
	// Each tenant has its own signing key.
	rb := b.receiver(nil)
	b.kyc(b.get("/users").items()[0]["id"].(string), "full", nil)
	if keyB := rb.waitHooks(t, 1)[0].keyID; keyB == keyA {
		t.Error("tenants share a signing key")
	}

	// Resetting A forgets A only.
	if r := e.call(http.MethodPost, "/_emulator/reset", map[string]string{"tenant": "key-a"}); r.status != 200 {
		t.Fatalf("reset: %d", r.status)
	}
	if r := a.do(http.MethodGet, "/users/"+userA, nil); r.status != 404 {
		t.Errorf("A's user after reset: %d", r.status)
	}
	if n := b.get("/kycs").val("count"); n != float64(1) {
		t.Errorf("B's KYCs after A's reset: %v", n)
	}
}

// script runs a fixed sequence of requests and returns what identifies
// their results.
func script(t *testing.T, seed int64) []string {
	e := newEnv(t, emulator.WithSeed(seed))
	c := e.client(apiKey)
	rc := c.receiver(nil)
	var out []string
	for range 2 {
		id := c.user(nil)
		k := c.kyc(id, "full", nil)
		if r := e.call(http.MethodPost, "/_emulator/sessions/"+k.str("id")+"/approve", nil); r.status != 200 {
			t.Fatalf("approve: %d %s", r.status, r.raw)
		}
		ex := c.get("/kycs/export?userId=" + id)
		out = append(out, id, k.str("id"), k.str("url")[len(e.srv.URL):], ex.str("identityDocument", "number"),
			ex.str("dateOfBirth"), ex.str("address", "street1"))
	}
	hs := rc.waitHooks(t, 8)
	key := c.get("/webhooks/keys/" + hs[0].keyID)
	out = append(out, key.str("id"), key.str("publicKey"))
	for _, h := range hs {
		out = append(out, h.EventID)
	}
	return out
}

func TestSeededRunsAreReproducible(t *testing.T) {
	one, two, other := script(t, 7), script(t, 7), script(t, 8)
	if !slices.Equal(one, two) {
		t.Errorf("same seed, different results:\n%v\n%v", one, two)
	}
	// Ids, links, the signing key and event ids all change with the seed
	// (fake names and streets come from finite lists and may repeat).
	for _, i := range []int{0, 1, 2, 3, 6, 7, 8, 12, 13, 14} {
		if one[i] == other[i] {
			t.Errorf("seeds 7 and 8 agree on value %d (%s)", i, one[i])
		}
	}
}

// TestIdempotencyAnswersLeaveTheStore checks that kept answers are bounded
// by their lifetime: 24 hours after they were kept they are gone from the
// store, and they never show as sessions.
func TestIdempotencyAnswersLeaveTheStore(t *testing.T) {
	e := newEnv(t)
	c := e.client(apiKey)
	for i := range 3 {
		if r := c.do(http.MethodPost, "/users", map[string]any{"firstName": "Mary", "lastName": "Jackson"},
			"x-idempotency-key", fmt.Sprintf("mary-%d", i)); r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.raw)
		}
	}
	if n := e.emu.State().Stats().Records; n != 6 {
		t.Fatalf("%d records, want 3 users and 3 kept answers", n)
	}
	if n := e.call(http.MethodGet, "/_emulator/sessions?provider=kulipa", nil).val("total"); n != float64(0) {
		t.Errorf("%v sessions, want none", n)
	}
	e.advance(24*time.Hour - time.Second)
	if n := e.emu.State().Stats().Records; n != 6 {
		t.Fatalf("%d records just before 24 h", n)
	}
	e.advance(time.Second)
	if n := e.emu.State().Stats().Records; n != 3 {
		t.Fatalf("%d records after 24 h, want the 3 users", n)
	}
}
