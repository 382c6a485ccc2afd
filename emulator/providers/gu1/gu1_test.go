package gu1_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kycemu/kycemu/emulator"
	"github.com/kycemu/kycemu/emulator/internal/testutil"
	"github.com/kycemu/kycemu/emulator/providers/gu1"
)

const (
	key = "gk_sandbox_4f1d2c"
	org = "6f1c2a34-1111-4e8e-9a77-5c2b1d0e9f01"
)

func TestValidationApprovedWithWebhooks(t *testing.T) {
	e := newEnv(t)
	c := e.client(key, org)
	rc := e.receiver(c.secret(), nil)
	c.useReceiver(rc.URL)

	entityID := c.person("123.456.789-10") // matches no sandbox row: the default path
	created := c.validate(entityID, map[string]any{"metadata": map[string]any{"userId": "user_12345"}})
	if created.str("status") != "pending" || created.val("isCurrent") != true || created.str("entityId") != entityID ||
		created.str("organizationId") != org || created.val("metadata", "userId") != "user_12345" {
		t.Fatalf("create answered %s", created.raw)
	}
	id := created.str("id")

	// The hosted page behind providerSessionUrl is served.
	page, err := http.Get(created.str("providerSessionUrl"))
	if err != nil {
		t.Fatal(err)
	}
	page.Body.Close()
	if page.StatusCode != 200 || !strings.HasPrefix(page.Header.Get("Content-Type"), "text/html") {
		t.Errorf("session page: %d %s", page.StatusCode, page.Header.Get("Content-Type"))
	}

	for _, want := range []string{"in_progress", "in_review", "approved"} {
		e.advance(2 * time.Second)
		if got := c.status(id); got != want {
			t.Fatalf("after 2 more seconds: %s, want %s", got, want)
		}
	}
	hs := rc.waitHooks(t, 4)
	want := []string{"kyc.validation_created", "kyc.validation_in_progress", "kyc.validation_in_review", "kyc.validation_approved"}
	if !slices.Equal(events(hs), want) {
		t.Fatalf("webhooks = %v, want %v", events(hs), want)
	}
	for _, h := range hs {
		if h.OrganizationID != org || h.Payload["validationId"] != id || h.Payload["entityId"] != entityID {
			t.Errorf("%s: envelope %+v", h.Event, h)
		}
		_, hasEntity := h.Payload["entity"]
		if hasEntity != (h.Event == "kyc.validation_approved") {
			t.Errorf("%s: entity included = %v", h.Event, hasEntity)
		}
	}
	if got := hs[3].Payload["entity"].(map[string]any)["kycVerified"]; got != true {
		t.Errorf("approved webhook entity kycVerified = %v", got)
	}

	v := c.do(http.MethodGet, "/api/kyc/validations/"+id, nil)
	if v.val("isCurrent") != true || v.str("verifiedAt") == "" || v.val("decision", "result") != "approved" {
		t.Errorf("approved validation: %s", v.raw)
	}
	if cur := c.do(http.MethodGet, "/api/kyc/entities/"+entityID+"/current", nil); cur.status != 200 || cur.str("id") != id {
		t.Errorf("current: %d %s", cur.status, cur.raw)
	}
	st := c.do(http.MethodGet, "/api/kyc/entities/"+entityID+"/status", nil)
	if st.str("status") != "approved" || st.val("kycVerified") != true {
		t.Errorf("status: %s", st.raw)
	}
	if en := c.do(http.MethodGet, "/entities/"+entityID, nil); en.val("entity", "kycVerified") != true {
		t.Errorf("entity after approval: %s", en.raw)
	}
	// Nothing is left on the clock once the validation is decided.
	if n := e.emu.Clock().(interface{ Pending() int }).Pending(); n != 0 {
		t.Errorf("%d timers left", n)
	}
}

func TestValidationRejectedBySandboxTaxID(t *testing.T) {
	e := newEnv(t)
	c := e.client(key, org)
	rc := e.receiver(c.secret(), nil)
	c.useReceiver(rc.URL)
	entityID := c.person("20.300.000-02") // normalises to ...0002: rejected
	id := c.validate(entityID, nil).str("id")
	e.advance(5 * time.Second)
	if got := c.status(id); got != "rejected" {
		t.Fatalf("status %s, want rejected", got)
	}
	hs := rc.waitHooks(t, 4)
	want := []string{"kyc.validation_created", "kyc.validation_in_progress", "kyc.validation_in_review", "kyc.validation_rejected"}
	if !slices.Equal(events(hs), want) {
		t.Fatalf("webhooks = %v, want %v", events(hs), want)
	}
	if hs[3].Payload["entity"] == nil || hs[3].Payload["isCurrent"] != false {
		t.Errorf("rejected webhook payload: %+v", hs[3].Payload)
	}
	if cur := c.do(http.MethodGet, "/api/kyc/entities/"+entityID+"/current", nil); cur.status != 404 {
		t.Errorf("current after rejection: %d %s", cur.status, cur.raw)
	}
	// A new validation may be created once the old one is no longer current.
	c.validate(entityID, nil)
}

func TestManualRejectOnlyFromReview(t *testing.T) {
	e := newEnv(t)
	c := e.client(key, org)
	rc := e.receiver(c.secret(), nil)
	c.useReceiver(rc.URL)
	id := c.validate(c.person("20-30000003"), nil).str("id") // stops in review

	path := "/api/kyc/validations/" + id + "/reject"
	early := c.do(http.MethodPost, path, map[string]string{"reason": "document is blurry"})
	if early.status != 400 || early.str("error") != "INVALID_STATUS" {
		t.Fatalf("reject while pending: %d %s", early.status, early.raw)
	}
	if got := c.status(id); got != "pending" {
		t.Fatalf("a refused reject changed the status to %s", got)
	}
	e.advance(10 * time.Second)
	if got := c.status(id); got != "in_review" {
		t.Fatalf("status %s, want in_review", got)
	}
	short := c.do(http.MethodPost, path, map[string]string{"reason": "bad"})
	if short.status != 400 || short.str("error") != "VALIDATION_ERROR" || short.str("field") != "reason" {
		t.Errorf("short reason: %d %s", short.status, short.raw)
	}
	if strings.Contains(string(short.raw), `"bad"`) {
		t.Errorf("error echoes the submitted value: %s", short.raw)
	}
	ok := c.do(http.MethodPost, path, map[string]string{"reason": "document is blurry"})
	if ok.status != 200 || ok.str("status") != "rejected" || ok.val("isCurrent") != false || ok.val("decision", "decidedBy") != "manual" {
		t.Fatalf("reject: %d %s", ok.status, ok.raw)
	}
	again := c.do(http.MethodPost, path, map[string]string{"reason": "document is blurry"})
	cancel := c.do(http.MethodDelete, "/api/kyc/validations/"+id+"/cancel", map[string]string{"reason": "changed our mind"})
	for _, r := range []response{again, cancel} {
		if r.status != 400 || r.str("error") != "INVALID_STATUS" {
			t.Errorf("acting on a rejected validation: %d %s", r.status, r.raw)
		}
	}
	hs := rc.waitHooks(t, 4)
	if last := hs[len(hs)-1]; last.Event != "kyc.validation_rejected" || last.Payload["reason"] != "document is blurry" {
		t.Errorf("last webhook: %+v", last)
	}
}

func TestCancelGoesToTheValidationsOwnWebhookURL(t *testing.T) {
	e := newEnv(t)
	c := e.client(key, org)
	orgWide := e.receiver(c.secret(), nil)
	own := e.receiver(c.secret(), nil)
	c.useReceiver(orgWide.URL)
	entityID := c.person("20-30000007") // stays pending
	id := c.validate(entityID, map[string]any{"webhookUrl": own.URL}).str("id")

	if dup := c.do(http.MethodPost, "/api/kyc/validations", map[string]any{"entityId": entityID}); dup.status != 409 ||
		dup.str("error") != "VALIDATION_IN_PROGRESS" {
		t.Errorf("second validation while one is pending: %d %s", dup.status, dup.raw)
	}
	r := c.do(http.MethodDelete, "/api/kyc/validations/"+id+"/cancel", map[string]string{"reason": "customer asked to stop"})
	if r.status != 200 || r.str("status") != "cancelled" || r.val("isCurrent") != false {
		t.Fatalf("cancel: %d %s", r.status, r.raw)
	}
	if cur := c.do(http.MethodGet, "/api/kyc/entities/"+entityID+"/current", nil); cur.status != 404 || cur.str("error") != "VALIDATION_NOT_FOUND" {
		t.Errorf("current after cancel: %d %s", cur.status, cur.raw)
	}
	hs := own.waitHooks(t, 2)
	if !slices.Equal(events(hs), []string{"kyc.validation_created", "kyc.validation_cancelled"}) {
		t.Errorf("own URL got %v", events(hs))
	}
	if n := orgWide.requests(); n != 0 {
		t.Errorf("organisation URL got %d webhooks meant for the validation's own URL", n)
	}
	next := c.validate(entityID, nil)
	if next.val("isCurrent") != true {
		t.Errorf("new validation: %s", next.raw)
	}
	if old := c.do(http.MethodGet, "/api/kyc/validations/"+id, nil); old.val("isCurrent") != false {
		t.Errorf("old validation still current: %s", old.raw)
	}
}

func TestReceiverFailingTwiceGetsTheEventOnTheThirdAttemptInOrder(t *testing.T) {
	e := newEnv(t)
	c := e.client(key, org)
	rc := e.receiver(c.secret(), func(n int) bool { return n <= 2 })
	c.useReceiver(rc.URL)
	id := c.validate(c.person("20-30000001"), nil).str("id") // approved 3 s later

	firstAttempts := func(n int) func() bool {
		return func() bool {
			ds := e.deliveries(id)
			return len(ds) > 0 && len(ds[0]["attempts"].([]any)) == n && ds[0]["status"] == "retrying"
		}
	}
	testutil.WaitFor(t, "first attempt", firstAttempts(1))
	e.advance(30 * time.Second) // the validation is approved meanwhile; its events queue up
	if got := c.status(id); got != "approved" {
		t.Fatalf("status %s", got)
	}
	testutil.WaitFor(t, "second attempt", firstAttempts(2))
	e.advance(2 * time.Minute)
	hs := rc.waitHooks(t, 4)
	want := []string{"kyc.validation_created", "kyc.validation_in_progress", "kyc.validation_in_review", "kyc.validation_approved"}
	if !slices.Equal(events(hs), want) {
		t.Fatalf("accepted %v, want %v", events(hs), want)
	}
	if n := rc.requests(); n != 6 {
		t.Errorf("receiver saw %d requests, want 2 failures + 4", n)
	}
	created := e.deliveries(id)[0]
	var codes []float64
	var ats []string
	for _, a := range created["attempts"].([]any) {
		codes = append(codes, a.(map[string]any)["statusCode"].(float64))
		ats = append(ats, a.(map[string]any)["at"].(string))
	}
	if !slices.Equal(codes, []float64{500, 500, 200}) || created["status"] != "delivered" {
		t.Errorf("created delivery: status %v, codes %v", created["status"], codes)
	}
	wantAt := []string{t0.Format(time.RFC3339), t0.Add(30 * time.Second).Format(time.RFC3339), t0.Add(150 * time.Second).Format(time.RFC3339)}
	if !slices.Equal(ats, wantAt) {
		t.Errorf("attempts at %v, want %v", ats, wantAt)
	}
}

func TestSandboxTaxIDTable(t *testing.T) {
	for _, row := range gu1.MockTaxIDs() {
		t.Run(row.Suffix, func(t *testing.T) {
			e := newEnv(t)
			c := e.client(key, org)
			id := c.validate(c.person(row.Example), nil).str("id")
			e.advance(10 * time.Second)
			if got := c.status(id); got != row.Outcome {
				t.Errorf("taxId %s: %s, want %s", row.Example, got, row.Outcome)
			}
		})
	}
	if got := gu1.NormalizeTaxID(" 99.990-001/ab "); got != "99990001AB" {
		t.Errorf("normalised %q", got)
	}
	e := newEnv(t)
	r := e.call(http.MethodGet, "/_emulator/providers/gu1/taxids", nil)
	if r.status != 200 || len(r.val("taxIds").([]any)) != len(gu1.MockTaxIDs()) {
		t.Errorf("published table: %d %s", r.status, r.raw)
	}
}

func TestErrors(t *testing.T) {
	e := newEnv(t)
	c := e.client(key, org)
	person := c.person("")
	company := c.do(http.MethodPost, "/api/entities", map[string]any{"type": "company", "name": "Acme S.A.", "countryCode": "AR"}).str("entity", "id")
	pending := c.validate(c.person("20-30000007"), nil).str("id")
	unknown := "00000000-0000-4000-8000-000000000000"
	off := e.client(key, "org-without-kyc")
	if r := e.call(http.MethodPut, "/_emulator/providers/gu1/settings", map[string]any{"tenant": off.tenant(), "kycConfigured": false}); r.status != 200 {
		t.Fatalf("settings: %d %s", r.status, r.raw)
	}
	offEntity := off.person("")
	big := map[string]any{"blob": strings.Repeat("x", 11<<10)}

	tests := []struct {
		name    string
		c       *client
		method  string
		path    string
		body    any
		headers []string
		status  int
		code    string
	}{
		{"no credentials", nil, "GET", "/gu1/entities", nil, nil, 401, "UNAUTHORIZED"},
		{"no organisation", nil, "GET", "/gu1/entities", nil, []string{"Authorization", "Bearer " + key}, 401, "UNAUTHORIZED"},
		{"basic auth", nil, "GET", "/gu1/entities", nil, []string{"Authorization", "Basic eDp5", "X-Organization-ID", org}, 401, "UNAUTHORIZED"},
		{"company entity", c, "POST", "/api/kyc/validations", map[string]any{"entityId": company}, nil, 400, "INVALID_ENTITY_TYPE"},
		{"unknown entity", c, "POST", "/api/kyc/validations", map[string]any{"entityId": unknown}, nil, 404, "ENTITY_NOT_FOUND"},
		{"entity id not a uuid", c, "POST", "/api/kyc/validations", map[string]any{"entityId": "nope"}, nil, 400, "VALIDATION_ERROR"},
		{"missing entity id", c, "POST", "/api/kyc/validations", map[string]any{}, nil, 400, "VALIDATION_ERROR"},
		{"unknown integration", c, "POST", "/api/kyc/validations", map[string]any{"entityId": person, "integrationCode": "acme_kyc"}, nil, 400, "KYC_NOT_CONFIGURED"},
		{"kyc switched off", off, "POST", "/api/kyc/validations", map[string]any{"entityId": offEntity}, nil, 400, "KYC_NOT_CONFIGURED"},
		{"metadata over 10 KB", c, "POST", "/api/kyc/validations", map[string]any{"entityId": person, "metadata": big}, nil, 400, "VALIDATION_ERROR"},
		{"bad webhook url", c, "POST", "/api/kyc/validations", map[string]any{"entityId": person, "webhookUrl": "ftp://x"}, nil, 400, "VALIDATION_ERROR"},
		{"not JSON", c, "POST", "/api/kyc/validations", "{", nil, 400, "VALIDATION_ERROR"},
		{"unknown validation", c, "GET", "/api/kyc/validations/" + unknown, nil, nil, 404, "VALIDATION_NOT_FOUND"},
		{"cancel unknown", c, "DELETE", "/api/kyc/validations/" + unknown + "/cancel", map[string]string{"reason": "long enough"}, nil, 404, "VALIDATION_NOT_FOUND"},
		{"reject unknown", c, "POST", "/api/kyc/validations/" + unknown + "/reject", map[string]string{"reason": "long enough"}, nil, 404, "VALIDATION_NOT_FOUND"},
		{"short cancel reason", c, "DELETE", "/api/kyc/validations/" + pending + "/cancel", map[string]string{"reason": "abcd"}, nil, 400, "VALIDATION_ERROR"},
		{"missing reason", c, "DELETE", "/api/kyc/validations/" + pending + "/cancel", map[string]string{}, nil, 400, "VALIDATION_ERROR"},
		{"reject pending", c, "POST", "/api/kyc/validations/" + pending + "/reject", map[string]string{"reason": "long enough"}, nil, 400, "INVALID_STATUS"},
		{"current of unknown entity", c, "GET", "/api/kyc/entities/" + unknown + "/current", nil, nil, 404, "ENTITY_NOT_FOUND"},
		{"no current validation", c, "GET", "/api/kyc/entities/" + person + "/current", nil, nil, 404, "VALIDATION_NOT_FOUND"},
		{"status of unknown entity", c, "GET", "/api/kyc/entities/" + unknown + "/status", nil, nil, 404, "ENTITY_NOT_FOUND"},
		{"list of unknown entity", c, "GET", "/api/kyc/entities/" + unknown + "/validations", nil, nil, 404, "ENTITY_NOT_FOUND"},
		{"limit over 100", c, "GET", "/api/kyc/entities/" + person + "/validations?limit=101", nil, nil, 400, "VALIDATION_ERROR"},
		{"page 0", c, "GET", "/api/kyc/entities/" + person + "/validations?page=0", nil, nil, 400, "VALIDATION_ERROR"},
		{"unknown status filter", c, "GET", "/api/kyc/entities/" + person + "/validations?status=done", nil, nil, 400, "VALIDATION_ERROR"},
		{"unknown entity type", c, "POST", "/entities", map[string]any{"type": "robot", "name": "R2", "countryCode": "US"}, nil, 400, "VALIDATION_ERROR"},
		{"entity without country", c, "POST", "/api/entities", map[string]any{"type": "person", "name": "Ana"}, nil, 400, "VALIDATION_ERROR"},
		{"unknown entity by id", c, "GET", "/entities/" + unknown, nil, nil, 404, "ENTITY_NOT_FOUND"},
		{"unknown route", c, "GET", "/api/kyc/nothing", nil, nil, 404, "NOT_FOUND"},
		{"wrong method", c, "PUT", "/api/kyc/validations", nil, nil, 405, "METHOD_NOT_ALLOWED"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r response
			if tc.c != nil {
				r = tc.c.do(tc.method, tc.path, tc.body, tc.headers...)
			} else {
				r = e.call(tc.method, tc.path, tc.body, tc.headers...)
			}
			if r.status != tc.status || r.str("error") != tc.code || r.str("message") == "" {
				t.Errorf("%d %s, want %d %s", r.status, r.raw, tc.status, tc.code)
			}
		})
	}
	t.Run("duplicate externalId", func(t *testing.T) {
		body := map[string]any{"type": "person", "name": "Ana", "countryCode": "BR", "externalId": "user-1"}
		if r := c.do("POST", "/entities", body); r.status != 201 {
			t.Fatalf("first: %d %s", r.status, r.raw)
		}
		if r := c.do("POST", "/api/entities", body); r.status != 409 || r.str("error") != "ENTITY_ALREADY_EXISTS" {
			t.Errorf("second: %d %s", r.status, r.raw)
		}
	})
}

func TestIllegalTransitionsAreRefused(t *testing.T) {
	e := newEnv(t)
	c := e.client(key, org)
	id := c.validate(c.person(""), nil).str("id")
	e.advance(10 * time.Second) // approved
	act := func(action string) response {
		return e.call(http.MethodPost, "/_emulator/sessions/"+id+"/"+action, nil)
	}
	for _, a := range []string{"start", "review", "reject", "abandon", "expire", "cancel", "approve"} {
		if r := act(a); r.status != 409 {
			t.Errorf("%s on approved: %d %s", a, r.status, r.raw)
		}
	}
	if r := act("teleport"); r.status != 400 {
		t.Errorf("unknown action: %d %s", r.status, r.raw)
	}
	if got := c.status(id); got != "approved" {
		t.Errorf("refused actions changed the status to %s", got)
	}
	if r := c.do(http.MethodDelete, "/api/kyc/validations/"+id+"/cancel", map[string]string{"reason": "too late now"}); r.status != 400 || r.str("error") != "INVALID_STATUS" {
		t.Errorf("cancel approved: %d %s", r.status, r.raw)
	}
	s := e.call(http.MethodGet, "/_emulator/sessions/"+id, nil)
	if len(s.val("actions").([]any)) != 0 || len(s.val("history").([]any)) != 4 {
		t.Errorf("session: %s", s.raw)
	}
}

func TestControlActionsWalkTheMainLine(t *testing.T) {
	e := newEnv(t)
	c := e.client(key, org)
	rc := e.receiver(c.secret(), nil)
	c.useReceiver(rc.URL)
	id := c.validate(c.person("20-30000007"), nil).str("id") // stays pending
	s := e.call(http.MethodGet, "/_emulator/sessions?provider=gu1&tenant="+url.QueryEscape(c.tenant()), nil)
	if s.val("total") != 1.0 {
		t.Fatalf("sessions: %s", s.raw)
	}
	if r := e.call(http.MethodPost, "/_emulator/sessions/"+id+"/actions", map[string]string{"action": "approve"}); r.status != 200 || r.str("status") != "approved" {
		t.Fatalf("approve: %d %s", r.status, r.raw)
	}
	hs := rc.waitHooks(t, 4)
	want := []string{"kyc.validation_created", "kyc.validation_in_progress", "kyc.validation_in_review", "kyc.validation_approved"}
	if !slices.Equal(events(hs), want) {
		t.Errorf("webhooks %v", events(hs))
	}
	// abandon from pending passes through in_progress; expire does not
	// apply in review.
	id2 := c.validate(c.person("20-30000007"), nil).str("id")
	if r := e.call(http.MethodPost, "/_emulator/sessions/"+id2+"/abandon", nil); r.str("status") != "abandoned" {
		t.Errorf("abandon: %s", r.raw)
	}
	id3 := c.validate(c.person("20-30000003"), nil).str("id")
	e.advance(5 * time.Second)
	if r := e.call(http.MethodPost, "/_emulator/sessions/"+id3+"/expire", nil); r.status != 409 {
		t.Errorf("expire in review: %d %s", r.status, r.raw)
	}
}

func TestSessionExpiresOnTheClock(t *testing.T) {
	e := newEnv(t)
	c := e.client(key, org)
	r := c.validate(c.person("20-30000008"), nil) // in_progress, then stalls
	e.advance(7*24*time.Hour - time.Second)
	if got := c.status(r.str("id")); got != "in_progress" {
		t.Fatalf("before expiry: %s", got)
	}
	e.advance(time.Second)
	v := c.do(http.MethodGet, "/api/kyc/validations/"+r.str("id"), nil)
	if v.str("status") != "expired" || v.str("expiresAt") != "2026-03-09T09:00:00.000Z" {
		t.Errorf("after expiry: %s", v.raw)
	}
}

func TestHostedPageDrivesTheFlow(t *testing.T) {
	e := newEnv(t)
	c := e.client(key, org)
	u := c.validate(c.person("20-30000007"), nil).str("providerSessionUrl")
	id := c.do(http.MethodGet, "/api/kyc/entities/"+c.person("20-30000007")+"/status", nil) // unrelated entity: no validation
	if id.val("status") != nil || id.val("validationId") != nil {
		t.Errorf("status without validation: %s", id.raw)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, step := range []struct{ action, status string }{{"start", "in_progress"}, {"submit", "in_review"}} {
		resp := postPage(t, noRedirect, u, pageForm(step.action), pagePictures(true))
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != u {
			t.Fatalf("%s: %d to %s", step.action, resp.StatusCode, resp.Header.Get("Location"))
		}
		s := e.call(http.MethodGet, "/_emulator/sessions?provider=gu1", nil)
		if got := s.val("sessions").([]any)[0].(map[string]any)["status"]; got != step.status {
			t.Errorf("after %s: %v", step.action, got)
		}
	}
	resp, err := noRedirect.PostForm(u, url.Values{"action": {"start"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusConflict {
		t.Errorf("start in review: %d", resp.StatusCode)
	}
	if resp, _ := http.Get(e.srv.URL + "/gu1/verify/nope"); resp.StatusCode != 404 {
		t.Errorf("unknown session page: %d", resp.StatusCode)
	}
}

func TestTenantIsolation(t *testing.T) {
	e := newEnv(t)
	a := e.client(key, org)
	otherKey := e.client("gk_sandbox_other", org)
	otherOrg := e.client(key, "7a2b0000-2222-4e8e-9a77-5c2b1d0e9f02")
	entityID := a.person("20-30000007")
	id := a.validate(entityID, nil).str("id")
	for _, o := range []*client{otherKey, otherOrg} {
		if r := o.do(http.MethodGet, "/api/kyc/validations/"+id, nil); r.status != 404 {
			t.Errorf("%s sees the validation: %d", o.tenant(), r.status)
		}
		if r := o.do(http.MethodDelete, "/api/kyc/validations/"+id+"/cancel", map[string]string{"reason": "not mine!"}); r.status != 404 {
			t.Errorf("%s cancels the validation: %d", o.tenant(), r.status)
		}
		if r := o.do(http.MethodGet, "/entities/"+entityID, nil); r.status != 404 {
			t.Errorf("%s sees the entity: %d", o.tenant(), r.status)
		}
		if r := o.do(http.MethodGet, "/entities", nil); len(r.val("entities").([]any)) != 0 {
			t.Errorf("%s lists entities: %s", o.tenant(), r.raw)
		}
		if r := o.do(http.MethodPost, "/api/kyc/validations", map[string]any{"entityId": entityID}); r.status != 404 {
			t.Errorf("%s validates the entity: %d", o.tenant(), r.status)
		}
		if a.secret() == o.secret() {
			t.Errorf("%s shares the webhook secret", o.tenant())
		}
	}
	if got := a.status(id); got != "pending" {
		t.Errorf("status %s", got)
	}
	// Resetting another tenant leaves this one alone.
	e.call(http.MethodPost, "/_emulator/reset", map[string]string{"tenant": otherOrg.tenant()})
	if got := a.status(id); got != "pending" {
		t.Errorf("after resetting another tenant: %s", got)
	}
	e.call(http.MethodPost, "/_emulator/reset", map[string]string{"tenant": a.tenant()})
	if r := a.do(http.MethodGet, "/api/kyc/validations/"+id, nil); r.status != 404 {
		t.Errorf("after reset: %d", r.status)
	}
}

func TestEntitiesAndValidationLists(t *testing.T) {
	e := newEnv(t)
	c := e.client(key, org)
	br := c.do("POST", "/entities", map[string]any{"type": "person", "name": "Ana", "countryCode": "br", "taxId": "123.456.789-09", "externalId": "u-1"})
	if br.status != 201 || br.val("success") != true || br.str("entity", "countryCode") != "BR" || br.val("rulesResult") == nil {
		t.Fatalf("create: %s", br.raw)
	}
	c.do("POST", "/api/entities", map[string]any{"type": "company", "name": "Acme", "countryCode": "AR", "taxId": "30-71234567-1"})
	count := func(q string) int {
		t.Helper()
		n := -1
		for _, p := range []string{"/entities", "/api/entities"} {
			r := c.do("GET", p+q, nil)
			if m := len(r.val("entities").([]any)); n >= 0 && m != n {
				t.Errorf("%s and /entities disagree", p)
			} else {
				n = m
			}
		}
		return n
	}
	for q, want := range map[string]int{"": 2, "?type=person": 1, "?type=company": 1, "?country=ar": 1,
		"?taxId=12345678909": 1, "?externalId=u-1": 1, "?externalId=u-2": 0, "?type=person&country=AR": 0} {
		if got := count(q); got != want {
			t.Errorf("list%s: %d, want %d", q, got, want)
		}
	}

	entityID := br.str("entity", "id")
	var ids []string
	for i := range 3 {
		id := c.validate(entityID, map[string]any{"integrationCode": "global_gueno_validation_kyc", "workflowId": fmt.Sprint("wf-", i)}).str("id")
		ids = append(ids, id)
		if i < 2 {
			c.do(http.MethodDelete, "/api/kyc/validations/"+id+"/cancel", map[string]string{"reason": "start over"})
		}
	}
	list := func(q string) response {
		return c.do("GET", "/api/kyc/entities/"+entityID+"/validations"+q, nil)
	}
	r := list("")
	if r.val("total") != 3.0 || r.val("page") != 1.0 || r.val("limit") != 100.0 {
		t.Errorf("list: %s", r.raw)
	}
	var got []string
	for _, p := range []string{"?limit=2", "?limit=2&page=2", "?limit=2&page=3"} {
		for _, v := range list(p).val("validations").([]any) {
			got = append(got, v.(map[string]any)["id"].(string))
		}
	}
	if want := []string{ids[2], ids[1], ids[0]}; !slices.Equal(got, want) {
		t.Errorf("pages = %v, want newest first %v", got, want)
	}
	if r := list("?status=cancelled"); r.val("total") != 2.0 {
		t.Errorf("cancelled: %s", r.raw)
	}
	if r := list("?page=999999999999"); r.val("total") != 3.0 || len(r.val("validations").([]any)) != 0 {
		t.Errorf("far page: %s", r.raw)
	}
}

func TestWebhookControlAPI(t *testing.T) {
	e := newEnv(t)
	c := e.client(key, org)
	id := c.validate(c.person("20-30000007"), nil).str("id")
	ds := e.deliveries(id)
	if len(ds) != 1 || ds[0]["status"] != "undeliverable" || ds[0]["event"] != "kyc.validation_created" {
		t.Fatalf("deliveries without a URL: %v", ds)
	}
	for _, tc := range []struct {
		method, path string
		body         any
		status       int
	}{
		{"PUT", "/_emulator/webhooks/endpoints", map[string]string{"provider": "gu1", "url": "not a url"}, 400},
		{"PUT", "/_emulator/webhooks/endpoints", map[string]string{"provider": "nobody", "url": "http://x"}, 404},
		{"PUT", "/_emulator/webhooks/endpoints", map[string]string{"url": "http://x"}, 400},
		{"GET", "/_emulator/webhooks/secret?provider=gu1", nil, 400},
		{"GET", "/_emulator/webhooks/deliveries/nope", nil, 404},
		{"POST", "/_emulator/webhooks/deliveries/nope/redeliver", nil, 404},
		{"GET", "/_emulator/webhooks/deliveries?limit=0", nil, 400},
	} {
		if r := e.call(tc.method, tc.path, tc.body); r.status != tc.status || r.val("error", "code") == nil {
			t.Errorf("%s %s: %d %s", tc.method, tc.path, r.status, r.raw)
		}
	}

	rc := e.receiver(c.secret(), nil)
	c.useReceiver(rc.URL)
	eps := e.call("GET", "/_emulator/webhooks/endpoints?provider=gu1", nil)
	if len(eps.val("endpoints").([]any)) != 1 {
		t.Errorf("endpoints: %s", eps.raw)
	}
	re := e.call("POST", "/_emulator/webhooks/deliveries/"+ds[0]["id"].(string)+"/redeliver", nil)
	if re.status != 202 || re.str("redeliveryOf") != ds[0]["id"] {
		t.Fatalf("redeliver: %d %s", re.status, re.raw)
	}
	if hs := rc.waitHooks(t, 1); hs[0].Event != "kyc.validation_created" || hs[0].Payload["validationId"] != id {
		t.Errorf("redelivered: %+v", hs[0])
	}
	testutil.WaitFor(t, "delivered", func() bool {
		return e.call("GET", "/_emulator/webhooks/deliveries/"+re.str("id"), nil).str("status") == "delivered"
	})
	if r := e.call("DELETE", "/_emulator/webhooks/endpoints?provider=gu1&tenant="+url.QueryEscape(c.tenant()), nil); r.status != 204 {
		t.Errorf("delete endpoint: %d", r.status)
	}
	if r := e.call("GET", "/_emulator/webhooks/secret?provider=gu1&tenant="+url.QueryEscape(c.tenant()), nil); r.str("url") != "" {
		t.Errorf("after delete: %s", r.raw)
	}
}

func TestDefaultWebhookURLOption(t *testing.T) {
	var rc *receiver
	e0 := newEnv(t) // only to build a receiver with the same secret derivation
	secret := e0.emu.WebhookSecret("gu1", gu1.Tenant(key, org))
	rc = e0.receiver(secret, nil)
	e := newEnv(t, emulator.WithWebhookURL(rc.URL))
	if got := e.emu.WebhookSecret("gu1", gu1.Tenant(key, org)); got != secret {
		t.Fatalf("same seed, different secret")
	}
	c := e.client(key, org)
	c.validate(c.person(""), nil)
	if hs := rc.waitHooks(t, 1); hs[0].Event != "kyc.validation_created" {
		t.Errorf("default URL got %v", events(hs))
	}
	if err := e.emu.SetWebhookURL("nobody", "", "http://x"); err == nil {
		t.Error("SetWebhookURL accepted an unknown provider")
	}
}

func TestHostRouting(t *testing.T) {
	e := newEnv(t)
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/entities", nil)
	req.Host = "api.gu1.ai"
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("X-Organization-ID", org)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("api.gu1.ai/entities: %d", resp.StatusCode)
	}
}
