package kulipa_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

const apiKey = "kulipa_sandbox_4f1d2c9a"

func TestFullKycVerifiedActivatesUserAndExports(t *testing.T) {
	e := newEnv(t)
	c := e.client(apiKey)
	rc := c.receiver(nil)

	created := c.do(http.MethodPost, "/users", map[string]any{
		"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com",
		"phone":       map[string]any{"country": "GB", "number": "7700 900123"},
		"dateOfBirth": "1990-12-10", "countryOfResidence": "GB",
		"address": map[string]any{"address1": "12 St James's Square", "city": "London", "postalCode": "SW1Y 4JH", "country": "GB"},
		"wallet":  map[string]any{"blockchain": "stellar-testnet", "withdrawalAddress": "GABC123"},
	})
	if created.status != http.StatusCreated || created.str("status") != "unverified" || created.val("legalName") != nil {
		t.Fatalf("create user: %d %s", created.status, created.raw)
	}
	userID := created.str("id")
	if len(userID) != 40 || !strings.HasPrefix(userID, "usr-") || created.header.Get("x-request-id") == "" {
		t.Fatalf("user id %q, x-request-id %q", userID, created.header.Get("x-request-id"))
	}

	k := c.kyc(userID, "full", map[string]any{"redirectUri": "https://partner.example/kyc/done"})
	kycID, webview := k.str("id"), k.str("url")
	if len(kycID) != 40 || !strings.HasPrefix(kycID, "kyc-") || k.str("status") != "pending" || k.str("userId") != userID {
		t.Fatalf("create KYC: %s", k.raw)
	}
	if !strings.HasPrefix(webview, e.srv.URL+"/kulipa/_webview/inq_") {
		t.Fatalf("webview url %q", webview)
	}

	// The user opens the webview and completes it.
	page, err := http.Get(webview)
	if err != nil {
		t.Fatal(err)
	}
	page.Body.Close()
	if page.StatusCode != 200 || !strings.HasPrefix(page.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("webview: %d %s", page.StatusCode, page.Header.Get("Content-Type"))
	}
	done := e.form(webview, url.Values{"action": {"complete"}})
	if done.status != http.StatusSeeOther || done.header.Get("Location") != "https://partner.example/kyc/done" {
		t.Fatalf("complete: %d, Location %q", done.status, done.header.Get("Location"))
	}
	if got := c.get("/kycs/" + kycID); got.str("status") != "submitted" || got.str("submittedAt") == "" {
		t.Fatalf("after the webview: %s", got.raw)
	}
	if again := e.form(webview, url.Values{"action": {"complete"}}); again.status != http.StatusConflict {
		t.Errorf("completing twice: %d", again.status)
	}
	if ex := c.do(http.MethodGet, "/kycs/export?userId="+userID, nil); ex.status != 409 || ex.str("code") != "user_not_active_error" {
		t.Errorf("export before verification: %d %s", ex.status, ex.raw)
	}

	// The review takes two seconds on the clock.
	e.advance(time.Second)
	if got := c.get("/kycs/" + kycID).str("status"); got != "submitted" {
		t.Fatalf("after 1s: %s", got)
	}
	e.advance(time.Second)
	got := c.get("/kycs/" + kycID)
	if got.str("status") != "verified" || got.str("verifiedAt") != "2026-03-02T09:00:02.000Z" {
		t.Fatalf("after 2s: %s", got.raw)
	}
	u := c.get("/users/" + userID)
	if u.str("status") != "active" || u.str("legalName", "firstName") != "Ada" || u.str("legalName", "lastName") != "Lovelace" {
		t.Fatalf("user after verification: %s", u.raw)
	}

	hs := rc.waitHooks(t, 4)
	want := []string{"kyc.created", "kyc.submitted", "kyc.verified", "user.activated"}
	if !slices.Equal(names(hs), want) {
		t.Fatalf("webhooks %v, want %v", names(hs), want)
	}
	for _, h := range hs[:3] {
		if h.EventTargetID != kycID || h.UserID != userID || h.body["kycType"] != "full" || len(h.EventID) != 36 {
			t.Errorf("%s: %+v", h.EventName, h.body)
		}
	}
	if h := hs[3]; h.EventTargetID != userID || h.UserID != userID || h.body["userStatus"] != "active" {
		t.Errorf("user.activated: %+v", h.body)
	}
	if rc.fetches != 1 {
		t.Errorf("the receiver fetched the key %d times, want once (cached)", rc.fetches)
	}

	ex := c.get("/kycs/export?userId=" + userID)
	if ex.str("kycId") != kycID || ex.str("name", "first") != "Ada" || ex.str("name", "last") != "Lovelace" ||
		ex.str("emailAddress") != "ada@example.com" || ex.str("dateOfBirth") != "1990-12-10" ||
		ex.str("address", "street1") != "12 St James's Square" || ex.str("address", "country") != "GB" ||
		ex.str("identityDocument", "countryCode") != "GB" || ex.str("identityDocument", "number") == "" {
		t.Errorf("export: %s", ex.raw)
	}
	// Nothing is left on the clock once the KYC is decided and delivered.
	if n := e.emu.Clock().(interface{ Pending() int }).Pending(); n != 0 {
		t.Errorf("%d timers left", n)
	}
}

func TestShippingKycSetsShippingAddress(t *testing.T) {
	e := newEnv(t)
	c := e.client(apiKey)
	rc := c.receiver(nil)
	userID := c.user(nil)
	k := c.kyc(userID, "shipping", nil)
	kycID, webview := k.str("id"), k.str("url")

	page, err := http.Get(webview)
	if err != nil {
		t.Fatal(err)
	}
	page.Body.Close()
	if page.StatusCode != 200 {
		t.Fatalf("webview: %d", page.StatusCode)
	}
	bad := e.form(webview, url.Values{"action": {"complete"}, "address1": {"1 Main St"}, "city": {"Springfield"},
		"postalCode": {"12345"}, "country": {"USA"}})
	if bad.status != http.StatusBadRequest || strings.Contains(string(bad.raw), "USA") {
		t.Errorf("bad country: %d", bad.status)
	}
	ok := e.form(webview, url.Values{"action": {"complete"}, "address1": {"221B Baker Street"}, "city": {"London"},
		"postalCode": {"NW1 6XE"}, "country": {"gb"}})
	if ok.status != http.StatusSeeOther || !strings.HasSuffix(ok.header.Get("Location"), "/kulipa/_webview/"+strings.TrimPrefix(webview, e.srv.URL+"/kulipa/_webview/")) {
		t.Fatalf("complete: %d %q", ok.status, ok.header.Get("Location"))
	}
	if got := c.get("/kycs/" + kycID); got.str("shippingAddress", "address", "city") != "London" {
		t.Errorf("submitted shipping KYC: %s", got.raw)
	}
	e.advance(2 * time.Second)
	u := c.get("/users/" + userID)
	if u.str("status") != "unverified" || u.str("shippingAddress", "address", "address1") != "221B Baker Street" ||
		u.str("shippingAddress", "address", "country") != "GB" {
		t.Fatalf("user after the shipping KYC: %s", u.raw)
	}
	hs := rc.waitHooks(t, 3)
	if !slices.Equal(names(hs), []string{"kyc.created", "kyc.submitted", "kyc.verified"}) {
		t.Errorf("webhooks %v", names(hs))
	}
	if ex := c.do(http.MethodGet, "/kycs/export?userId="+userID, nil); ex.status != 409 {
		t.Errorf("export after a shipping KYC only: %d %s", ex.status, ex.raw)
	}
}

func TestPutReturnsTheKycInProgress(t *testing.T) {
	e := newEnv(t)
	c := e.client(apiKey)
	userID := c.user(nil)
	first := c.kyc(userID, "full", nil)
	again := c.do(http.MethodPut, "/kycs", map[string]any{"userId": userID, "type": "full"})
	if again.status != http.StatusOK || again.str("id") != first.str("id") {
		t.Fatalf("second PUT: %d %s", again.status, again.raw)
	}
	rfi := c.kyc(userID, "rfi", nil)
	if rfi.str("id") == first.str("id") || rfi.str("type") != "rfi" {
		t.Errorf("rfi: %s", rfi.raw)
	}
	// Once the first is decided, a new full KYC may start.
	if r := e.call(http.MethodPost, "/_emulator/sessions/"+first.str("id")+"/reject", nil); r.status != 200 {
		t.Fatalf("reject: %d %s", r.status, r.raw)
	}
	if next := c.kyc(userID, "full", nil); next.str("id") == first.str("id") {
		t.Error("a rejected KYC was returned again")
	}
}

func TestControlAPIAndWebviewDecline(t *testing.T) {
	e := newEnv(t)
	c := e.client(apiKey)
	rc := c.receiver(nil)
	userID := c.user(nil)
	declined := c.kyc(userID, "full", nil)
	if r := e.form(declined.str("url"), url.Values{"action": {"decline"}}); r.status != http.StatusSeeOther {
		t.Fatalf("decline: %d", r.status)
	}
	got := c.get("/kycs/" + declined.str("id"))
	if got.str("status") != "rejected" || got.str("rejectionReason") == "" {
		t.Fatalf("declined KYC: %s", got.raw)
	}
	if u := c.get("/users/" + userID); u.str("status") != "unverified" {
		t.Errorf("user after a rejection: %s", u.raw)
	}

	// The control API lists KYCs as sessions and forces outcomes.
	second := c.kyc(userID, "full", nil).str("id")
	list := e.call(http.MethodGet, "/_emulator/sessions?provider=kulipa&tenant="+apiKey, nil)
	if list.val("total") != float64(2) {
		t.Fatalf("sessions: %s", list.raw)
	}
	s := e.call(http.MethodGet, "/_emulator/sessions/"+second, nil)
	if s.str("status") != "pending" || !slices.Equal(toStrings(s.val("actions")), []string{"submit", "approve", "reject", "expire"}) {
		t.Errorf("session: %s", s.raw)
	}
	r := e.call(http.MethodPost, "/_emulator/sessions/"+second+"/actions", map[string]string{"action": "approve"})
	if r.status != 200 || r.str("status") != "verified" || len(r.val("history").([]any)) != 3 {
		t.Fatalf("approve: %d %s", r.status, r.raw)
	}
	if r := e.call(http.MethodPost, "/_emulator/sessions/"+second+"/expire", nil); r.status != 409 {
		t.Errorf("expire a verified KYC: %d %s", r.status, r.raw)
	}
	if r := e.call(http.MethodPost, "/_emulator/sessions/"+second+"/dance", nil); r.status != 400 {
		t.Errorf("unknown action: %d %s", r.status, r.raw)
	}
	if u := c.get("/users/" + userID); u.str("status") != "active" {
		t.Errorf("user after a forced approval: %s", u.raw)
	}
	hs := rc.waitHooks(t, 7)
	want := []string{"kyc.created", "kyc.submitted", "kyc.rejected", "kyc.created", "kyc.submitted", "kyc.verified", "user.activated"}
	if !slices.Equal(names(hs), want) {
		t.Fatalf("webhooks %v, want %v", names(hs), want)
	}
	if hs[2].body["rejectionReason"] == nil || hs[2].body["kycStatus"] != "rejected" {
		t.Errorf("kyc.rejected: %+v", hs[2].body)
	}
	page := e.form(declined.str("url"), url.Values{"action": {"complete"}})
	if page.status != http.StatusConflict {
		t.Errorf("webview of a rejected KYC: %d", page.status)
	}
}

func toStrings(v any) []string {
	var out []string
	list, _ := v.([]any)
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

func TestPendingKycExpiresAfterSevenDays(t *testing.T) {
	e := newEnv(t)
	c := e.client(apiKey)
	rc := c.receiver(nil)
	k := c.kyc(c.user(nil), "full", nil)
	if k.str("expiresAt") != "2026-03-09T09:00:00.000Z" {
		t.Errorf("expiresAt %s", k.str("expiresAt"))
	}
	// Let kyc.created land before a week passes: signed a week ago, it would
	// be refused by the receiver's timestamp check.
	rc.waitHooks(t, 1)
	e.advance(7*24*time.Hour - time.Second)
	if got := c.get("/kycs/" + k.str("id")).str("status"); got != "pending" {
		t.Fatalf("before the deadline: %s", got)
	}
	e.advance(time.Second)
	got := c.get("/kycs/" + k.str("id"))
	if got.str("status") != "expired" || got.str("rejectionReason") == "" {
		t.Fatalf("after 7 days: %s", got.raw)
	}
	hs := rc.waitHooks(t, 2)
	if !slices.Equal(names(hs), []string{"kyc.created", "kyc.expired"}) {
		t.Errorf("webhooks %v", names(hs))
	}
	if r := e.form(k.str("url"), url.Values{"action": {"complete"}}); r.status != http.StatusConflict {
		t.Errorf("completing an expired KYC: %d", r.status)
	}
}

func TestImportIsForPartnersOnly(t *testing.T) {
	e := newEnv(t)
	c := e.client(apiKey)
	userID := c.user(nil)
	r := c.do(http.MethodPut, "/kycs", map[string]any{"userId": userID, "type": "import"})
	if r.status != http.StatusForbidden || r.str("code") != "permission_error" {
		t.Fatalf("import by a non-partner: %d %s", r.status, r.raw)
	}
	e.settings(map[string]any{"tenant": apiKey, "partner": true})
	// The import page marks three objects required.
	data := map[string]any{
		"securityQuestions":    map[string]any{"sourceOfFunds": "salary"},
		"governmentIdDocument": map[string]any{"type": "passport", "number": "X1234567"},
		"geolocation":          map[string]any{"country": "GB"},
	}
	for name := range data {
		partial := map[string]any{"userId": userID, "type": "import"}
		for k, v := range data {
			if k != name {
				partial[k] = v
			}
		}
		if r := c.do(http.MethodPut, "/kycs", partial); r.status != 400 || r.str("code") != "validation_error" ||
			!strings.HasPrefix(r.str("message"), name+":") {
			t.Errorf("import without %s: %d %s", name, r.status, r.raw)
		}
	}
	if l := c.get("/kycs?userId=" + userID); l.val("count") != float64(0) {
		t.Fatalf("refused imports left KYCs: %s", l.raw)
	}
	k := c.kyc(userID, "import", data)
	if k.str("status") != "submitted" || k.val("url") != nil {
		t.Fatalf("import: %s", k.raw)
	}
	e.advance(2 * time.Second)
	if u := c.get("/users/" + userID); u.str("status") != "active" {
		t.Fatalf("user after an import: %s", u.raw)
	}
	if ex := c.get("/kycs/export?userId=" + userID); ex.str("kycId") != k.str("id") {
		t.Errorf("export: %s", ex.raw)
	}
	// Another tenant is still no partner.
	other := e.client("another-key")
	data["userId"], data["type"] = other.user(nil), "import"
	if r := other.do(http.MethodPut, "/kycs", data); r.status != 403 {
		t.Errorf("import by another tenant: %d", r.status)
	}
}

func TestHostRouting(t *testing.T) {
	e := newEnv(t)
	r := e.call(http.MethodPost, "/v1/users", map[string]any{"firstName": "Ada", "lastName": "Lovelace"},
		"Host", "api.kulipa.xyz", "x-api-key", apiKey)
	if r.status != http.StatusCreated {
		t.Fatalf("create through the real host: %d %s", r.status, r.raw)
	}
	if got := e.client(apiKey).get("/users/" + r.str("id")); got.str("id") != r.str("id") {
		t.Errorf("mount and host disagree: %s", got.raw)
	}
}

func TestTenantSettingsShapeTheDefaultPlan(t *testing.T) {
	e := newEnv(t)
	c := e.client(apiKey)
	e.settings(map[string]any{"tenant": apiKey, "reviewDelay": "10s", "kycTtl": "1h"})
	userID := c.user(nil)
	plain := c.kyc(userID, "full", nil)
	// A scenario without a timeline keeps the default, with these settings.
	faulty := c.do(http.MethodPut, "/kycs", map[string]any{"userId": userID, "type": "shipping"}, "X-Kycemu-Scenario", "webhook-duplicate")
	if faulty.status != 201 {
		t.Fatalf("create under a scenario: %d %s", faulty.status, faulty.raw)
	}
	for _, k := range []response{plain, faulty} {
		if k.str("expiresAt") != "2026-03-02T10:00:00.000Z" {
			t.Errorf("expiresAt %s", k.str("expiresAt"))
		}
		form := url.Values{"action": {"complete"}, "address1": {"1 Rue de Rivoli"}, "city": {"Paris"}, "postalCode": {"75001"}, "country": {"FR"}}
		if r := e.form(k.str("url"), form); r.status != http.StatusSeeOther {
			t.Fatalf("complete: %d", r.status)
		}
	}
	e.advance(9 * time.Second)
	for _, k := range []response{plain, faulty} {
		if got := c.get("/kycs/" + k.str("id")).str("status"); got != "submitted" {
			t.Errorf("after 9s: %s", got)
		}
	}
	e.advance(time.Second)
	for _, k := range []response{plain, faulty} {
		if got := c.get("/kycs/" + k.str("id")).str("status"); got != "verified" {
			t.Errorf("after 10s: %s", got)
		}
	}
	if s := e.call(http.MethodGet, "/_emulator/sessions/"+faulty.str("id"), nil); s.str("scenario") != "webhook-duplicate" {
		t.Errorf("session scenario: %s", s.raw)
	}
	// Another tenant keeps the provider-wide defaults.
	other := e.client("other")
	if k := other.kyc(other.user(nil), "full", nil); k.str("expiresAt") != "2026-03-09T09:00:10.000Z" { // 7 days after now
		t.Errorf("other tenant's expiresAt %s", k.str("expiresAt"))
	}
}
