package gatenox_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// inviteCompany creates one corporate invitation and returns it.
func (c *client) inviteCompany(recipient map[string]any) map[string]any {
	c.e.t.Helper()
	r := c.do(http.MethodPost, "/api/v1/invites/corporates", map[string]any{"recipients": []any{recipient}, "send_notification": false})
	if r.status != http.StatusCreated {
		c.e.t.Fatalf("corporate invite: %d %s", r.status, r.raw)
	}
	return r.list("invites")[0].(map[string]any)
}

// corporateCaseOf finds a corporate invitation's case through the list.
func (c *client) corporateCaseOf(invitationID string) string {
	c.e.t.Helper()
	r := c.do(http.MethodGet, "/api/v1/invites/corporates?per_page=100", nil)
	for _, it := range r.list("personal_verifications") {
		if m := it.(map[string]any); m["id"] == invitationID {
			id, _ := m["verification_id"].(string)
			return id
		}
	}
	c.e.t.Fatalf("corporate invitation not listed: %s", r.raw)
	return ""
}

// ok200 fails unless r is a 200.
func ok200(t *testing.T, what string, r response) response {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("%s: %d %s", what, r.status, r.raw)
	}
	return r
}

// TestKYBFlow walks a corporate verification as a client that read
// Gatenox's documentation: invite a company, its business user opens the
// hosted page and sends the company's data (a director and a UBO), the
// compliance officer starts the case, reads the company, its people and
// ownership graph and documents, asks for a data update, the business user
// sends the update from the page, the officer completes the case; every
// status change arrives as a state_change webhook, all on a manual clock.
func TestKYBFlow(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client("kyb-company")
	rc := e.receiver()
	c.useReceiver(rc.URL)
	e.settings(c.token, map[string]any{"autoSubmit": false})

	inv := c.inviteCompany(map[string]any{"email": "owner@acme.example", "customer_id": "acme-1",
		"redirect_url_success": "https://client.example/kyb/ok",
		"company_data": map[string]any{"company_details": map[string]any{
			"company":            map[string]any{"formal_name": "Acme Payments Ltd", "company_number": "12345678", "jurisdiction": map[string]any{"country": "United Kingdom"}, "crypto_addresses": []any{map[string]any{"address": "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "address_type": "BTC"}}},
			"registered_address": map[string]any{"line_1": "24 High Street", "postcode": "AB12 3CD", "city": "London", "country": "GB"}},
			"corporate_shareholders": []any{map[string]any{"approximate_percentage_of_shares": 40,
				"company": map[string]any{"formal_name": "Acme Holdings GmbH", "company_number": "HRB 1234", "jurisdiction": map[string]any{"country": "Germany"}}}}}})
	equal(t, "type", inv["type"], "Invite::CorporateKYC")
	equal(t, "state", inv["state"], "invited")
	u := inv["invitation_url"].(string)
	if !strings.HasPrefix(u, e.srv.URL+"/gatenox/referrals/join/") {
		t.Fatalf("invitation_url %q", u)
	}

	// The business user opens the page and sends the data for verification.
	if p := e.page(u); p.status != 200 || !strings.Contains(string(p.raw), "in_progress") {
		t.Fatalf("page: %d %s", p.status, p.raw)
	}
	e.advance(time.Minute)
	s := e.submit(u, url.Values{"action": {"submit"}, "director_given_names": {"Joe"}, "director_surname": {"Allen"},
		"director_position": {"CEO"}, "ubo_given_names": {"Joe"}, "ubo_surname": {"Allen"}, "ubo_shares": {"60"}})
	if s.status != http.StatusSeeOther || s.header.Get("Location") != "https://client.example/kyb/ok" {
		t.Fatalf("submit: %d %q %s", s.status, s.header.Get("Location"), s.raw)
	}
	caseID := c.corporateCaseOf(inv["id"].(string))
	if caseID == "" {
		t.Fatal("no case after the data was sent")
	}
	l := c.do(http.MethodGet, "/api/v1/invites/corporates", nil)
	equal(t, "invitation completed", l.str("personal_verifications", "0", "state"), "completed")
	equal(t, "company_name", l.str("personal_verifications", "0", "company_name"), "Acme Payments Ltd")

	base := "/api/v1/verifications/" + caseID
	v := ok200(t, "case", c.do(http.MethodGet, base, nil))
	equal(t, "status", v.str("verification", "status"), "new")
	equal(t, "entity_name", v.str("verification", "entity_name"), "Acme Payments Ltd")
	equal(t, "entity_identifier", v.str("verification", "entity_identifier"), "12345678")
	equal(t, "customer_id", v.str("verification", "customer_id"), "acme-1")
	equal(t, "jurisdiction", v.str("verification", "company_jurisdiction", "code"), "gb")
	list := ok200(t, "list", c.do(http.MethodGet, "/api/v1/verifications?jurisdiction=gb&company_name=acme", nil))
	equal(t, "listed", len(list.list("verifications")), 1)

	// Details are not accessible before the review starts.
	if d := c.do(http.MethodGet, base+"/company_details", nil); d.status != 400 ||
		d.str("errors", "status_code") != "VERIFICATION_NOT_ACCESSIBLE" || d.str("errors", "verification_state") != "new" {
		t.Errorf("details before start: %d %s", d.status, d.raw)
	}
	equal(t, "start", ok200(t, "start", c.form(base+"/state/start")).str("verification", "status"), "in_progress")

	d := ok200(t, "details", c.do(http.MethodGet, base+"/company_details", nil))
	equal(t, "registered address", d.str("registered_address", "line_1"), "24 High Street")
	equal(t, "crypto address", d.str("company", "crypto_addresses", "0", "address"), "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa")
	if len(d.list("proof_of_incorporation_details")) != 1 || len(d.list("proof_of_office_address")) != 1 {
		t.Errorf("company documents: %s", d.raw)
	}
	dirs := ok200(t, "directors", c.do(http.MethodGet, base+"/directors", nil)).list("directors")
	if len(dirs) != 1 {
		t.Fatalf("directors: %v", dirs)
	}
	dir := dirs[0].(map[string]any)
	equal(t, "director position", dir["position"], "CEO")
	dirID := dir["id"].(string)
	one := ok200(t, "director", c.do(http.MethodGet, base+"/directors/"+dirID, nil))
	equal(t, "director name", one.str("director", "person", "surname"), "Allen")
	if len(one.list("director", "person", "documents")) != 2 {
		t.Errorf("director documents: %s", one.raw)
	}
	ubos := ok200(t, "ubos", c.do(http.MethodGet, base+"/ubos", nil)).list("ubos")
	equal(t, "ubos", len(ubos), 1)
	equal(t, "ubo shares", ubos[0].(map[string]any)["approximate_percentage_of_shares"], float64(60))
	people := ok200(t, "people", c.do(http.MethodGet, base+"/people", nil)).list("people")
	equal(t, "one person, director and UBO", len(people), 1)
	personID := people[0].(map[string]any)["id"].(string)
	equal(t, "director is the UBO", one.str("director", "person", "id"), personID)
	ok200(t, "person", c.do(http.MethodGet, base+"/people/"+personID, nil))
	ok200(t, "ubo", c.do(http.MethodGet, base+"/ubos/"+ubos[0].(map[string]any)["id"].(string), nil))
	companies := ok200(t, "companies", c.do(http.MethodGet, base+"/companies", nil)).list("companies")
	equal(t, "companies", len(companies), 2)
	rootID := companies[0].(map[string]any)["id"].(string)
	ok200(t, "company", c.do(http.MethodGet, base+"/companies/"+rootID, nil))
	adds := ok200(t, "addresses", c.do(http.MethodGet, base+"/addresses", nil)).list("addresses")
	if len(adds) < 2 {
		t.Errorf("addresses: %v", adds)
	}
	ok200(t, "address", c.do(http.MethodGet, base+"/addresses/"+adds[0].(map[string]any)["id"].(string), nil))
	docs := ok200(t, "company documents", c.do(http.MethodGet, base+"/company_documents", nil)).list("company_documents")
	equal(t, "company documents", len(docs), 2)
	doc := ok200(t, "company document", c.do(http.MethodGet, base+"/company_documents/"+docs[0].(map[string]any)["id"].(string), nil))
	if r := c.do(http.MethodGet, base+"/directors/"+rootID, nil); r.status != 404 {
		t.Errorf("a company's id as a director: %d", r.status)
	}

	// The graph: the company, its corporate shareholder and the person.
	g := ok200(t, "graph", c.do(http.MethodGet, base+"/graph", nil))
	equal(t, "vertices", len(g.list("graph", "vertices")), 3)
	edges := map[string]string{}
	for _, ed := range g.list("graph", "edges") {
		m := ed.(map[string]any)
		if m["source"] != rootID {
			t.Errorf("edge from %v", m["source"])
		}
		edges[m["target"].(string)] = fmt.Sprint(m["labels"].(map[string]any)["types"], m["labels"].(map[string]any)["shares"])
	}
	equal(t, "person edge", edges[personID], "[individual_shareholder ubo director] 60")

	// Documents download, through the case and through the attachments path.
	orig := doc.str("company_document", "document", "attachments", "0", "urls", "original")
	seg := orig[strings.LastIndex(orig, "/")+1:]
	for _, path := range []string{base + "/download/" + seg, "/api/v1/attachments/" + seg} {
		f := c.do(http.MethodGet, path, nil)
		if f.status != 200 || f.header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(string(f.raw), "%PDF-") {
			t.Errorf("download %s: %d %s", path, f.status, f.header.Get("Content-Type"))
		}
	}
	other := c.complete(c.inviteOne("someone@example.com"))
	if f := c.do(http.MethodGet, "/api/v1/verifications/"+other+"/download/"+seg, nil); f.status != 404 {
		t.Errorf("another case's file: %d", f.status)
	}

	// The officer asks for a data update; the business user adds a
	// director from the page and the case comes back.
	ts := v.list("verification", "revision_timestamps")[0].(float64)
	e.advance(time.Hour)
	equal(t, "request", ok200(t, "request", c.form(base+"/state/request_data_update")).str("verification", "status"), "data_update_requested")
	if p := e.page(u); p.status != 200 || !strings.Contains(string(p.raw), "data_update_requested") {
		t.Fatalf("page during the update: %d %s", p.status, p.raw)
	}
	e.advance(time.Hour)
	up := e.submit(u, url.Values{"action": {"update"}, "director_given_names": {"Mia"}, "director_surname": {"Stone"}})
	if up.status != http.StatusSeeOther {
		t.Fatalf("update: %d %s", up.status, up.raw)
	}
	v = ok200(t, "after the update", c.do(http.MethodGet, base, nil))
	equal(t, "back in progress", v.str("verification", "status"), "in_progress")
	equal(t, "last_data_update", v.str("verification", "last_data_update"), "2026-03-02T11:01:00.000Z")
	equal(t, "directors now", len(ok200(t, "directors", c.do(http.MethodGet, base+"/directors", nil)).list("directors")), 2)
	old := ok200(t, "directors then", c.do(http.MethodGet, fmt.Sprintf("%s/directors?timestamp=%.0f", base, ts), nil))
	equal(t, "directors at the first revision", len(old.list("directors")), 1)
	if r := c.do(http.MethodGet, base+"/people?timestamp=1", nil); r.status != 404 {
		t.Errorf("people before the case existed: %d", r.status)
	}

	// Illegal moves answer the documented 422s.
	if r := c.form(base + "/state/cancel_data_update"); r.status != 422 || r.str("errors", "status_code") != "STATE_TRANSITION_NOT_ALLOWED" {
		t.Errorf("cancel without a request: %d %s", r.status, r.raw)
	}
	if r := c.form(base + "/state/start"); r.status != 422 || r.str("errors", "data_error") != "There is no event start defined for the in_progress state" {
		t.Errorf("start twice: %d %s", r.status, r.raw)
	}
	done := ok200(t, "complete", c.form(base+"/state/complete", field{"assessment", "risk_medium"}, field{"assessment_comment", "structure clear"}))
	equal(t, "completed", done.str("verification", "status"), "completed")
	equal(t, "assessment", done.str("verification", "assessment"), "risk_medium")

	// Five moves and a risk score request for the case, two events for the
	// individual case made on the way.
	hs := rc.wait(t, 8)
	equal(t, "state changes", stateChanges(hs, caseID), []string{"processing→new", "new→in_progress",
		"in_progress→data_update_requested", "data_update_requested→in_progress", "in_progress→completed"})

	// The audit log tells the story; the completed case's crypto address is
	// on the whitelist.
	a := ok200(t, "audit log", c.do(http.MethodGet, base+"/audit_log", nil))
	rows := a.list("audit_log", "audits")
	equal(t, "first row", rows[0].(map[string]any)["auditable_type"], "Verification")
	if assoc := a.list("audit_log", "associated_audits"); len(assoc) != 2 {
		t.Errorf("associated audits: %v", assoc)
	}
	w := ok200(t, "whitelist", c.do(http.MethodGet, "/api/v1/verified_crypto_address?type=btc&address=1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", nil))
	equal(t, "whitelisted", w.str("verified_crypto_addresses", "0", "verification_id"), caseID)
	equal(t, "whitelisted assessment", w.str("verified_crypto_addresses", "0", "assessment"), "risk_medium")
	if w := c.do(http.MethodGet, "/api/v1/verified_crypto_address?type=ETH", nil); len(w.list("verified_crypto_addresses")) != 0 {
		t.Errorf("an ETH address is whitelisted: %s", w.raw)
	}
}

// TestCorporateInvitations: list, accept and resend as documented, the
// timeline of a corporate invitation, expiry and other companies' view.
func TestCorporateInvitations(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client("kyb-invites")
	rc := e.receiver()
	c.useReceiver(rc.URL)

	// Without autoSubmit off, the default plan opens after 5 s and sends
	// made-up data 10 s later.
	auto := c.inviteCompany(map[string]any{"email": "auto@corp.example"})
	e.advance(5 * time.Second)
	e.advance(10 * time.Second)
	caseID := c.corporateCaseOf(auto["id"].(string))
	if caseID == "" {
		t.Fatal("the default plan made no case")
	}
	equal(t, "made-up company has a director", len(c.do(http.MethodGet, "/api/v1/verifications/"+caseID+"/directors", nil).list("directors")), 1)
	equal(t, "webhooks", describe(rc.wait(t, 2)), []string{"processing→new", "external_risk_score_requested"})

	e.settings(c.token, map[string]any{"autoSubmit": false, "invitationTTL": "1h"})
	inv := c.inviteCompany(map[string]any{"email": "b@corp.example", "customer_id": "c-2"})
	id := inv["id"].(string)
	if r := c.do(http.MethodPost, "/api/v1/invites/corporates/"+id+"/resend", nil); r.status != 400 ||
		r.str("errors", "status_code") != "STATE_TRANSITION_NOT_ALLOWED" {
		t.Errorf("resend an invited invitation: %d %s", r.status, r.raw)
	}
	e.advance(time.Hour)
	l := c.do(http.MethodGet, "/api/v1/invites/corporates?state=expired&customer_id=c-2", nil)
	equal(t, "expired", len(l.list("personal_verifications")), 1)
	rs := ok200(t, "resend", c.do(http.MethodPost, "/api/v1/invites/corporates/"+id+"/resend", nil))
	equal(t, "resent", rs.str("invite", "state"), "invited")
	ctx := rs.str("invite", "invited_by_context", "id")
	acc := ok200(t, "accept", c.do(http.MethodPost, "/api/v1/invites/corporates/"+id+"/accept", nil))
	equal(t, "accepted", acc.str("invite", "state"), "completed")
	equal(t, "same context", acc.str("invite", "invited_by_context", "id"), ctx)
	if r := c.do(http.MethodPost, "/api/v1/invites/corporates/"+id+"/accept", nil); r.status != 400 {
		t.Errorf("accept twice: %d", r.status)
	}
	equal(t, "no case before the data is sent", c.corporateCaseOf(id), "")
	if r := e.call(http.MethodPost, "/_emulator/sessions/"+id+"/actions", map[string]string{"action": "submit"}); r.status != 200 {
		t.Fatalf("submit through the control API: %d %s", r.status, r.raw)
	}
	if c.corporateCaseOf(id) == "" {
		t.Error("no case after submit")
	}

	// The context's completeness profiles; another context is not ours.
	pr := ok200(t, "profiles", c.do(http.MethodGet, "/api/v1/contexts/"+ctx+"/completeness_profiles", nil))
	equal(t, "default profile", pr.str("completeness_profile", "name"), "DEFAULT MINIMUM")
	if r := c.do(http.MethodGet, "/api/v1/contexts/"+ctx+"/completeness_profiles?type=recurring", nil); r.status != 404 {
		t.Errorf("a type without profiles: %d", r.status)
	}
	other := e.client("kyb-other")
	if r := other.do(http.MethodGet, "/api/v1/contexts/"+ctx+"/completeness_profiles", nil); r.status != 404 {
		t.Errorf("another company's context: %d", r.status)
	}
	if r := other.do(http.MethodPost, "/api/v1/invites/corporates/"+id+"/accept", nil); r.status != 404 {
		t.Errorf("another company's invitation: %d", r.status)
	}
	if r := other.do(http.MethodGet, "/api/v1/verifications/"+caseID, nil); r.status != 404 {
		t.Errorf("another company's case: %d", r.status)
	}
	enhanced := pr.list("completeness_profiles")[1].(map[string]any)["id"].(string)
	c.inviteCompany(map[string]any{"email": "p@corp.example", "completeness_profile_id": enhanced})
	if r := c.do(http.MethodPost, "/api/v1/invites/corporates", map[string]any{
		"recipients": []any{map[string]any{"email": "p@corp.example", "completeness_profile_id": "nope"}}}); r.status != 422 ||
		r.get("field_errors", "recipients.0.completeness_profile_id") == nil {
		t.Errorf("unknown profile: %d %s", r.status, r.raw)
	}
	if r := c.do(http.MethodPost, "/api/v1/invites/corporates", map[string]any{"recipients": []any{map[string]any{"email": "not-an-email"}}}); r.status != 422 {
		t.Errorf("bad email: %d %s", r.status, r.raw)
	}

	// The page: decline, and a page of an unknown token.
	dec := c.inviteCompany(map[string]any{"email": "d@corp.example"})
	if s := e.submit(dec["invitation_url"].(string), url.Values{"action": {"decline"}}); s.status != http.StatusSeeOther {
		t.Errorf("decline: %d %s", s.status, s.raw)
	}
	if s := e.submit(dec["invitation_url"].(string), url.Values{"action": {"submit"}}); s.status != http.StatusConflict {
		t.Errorf("submit after declining: %d", s.status)
	}
	if p := e.page(e.srv.URL + "/gatenox/referrals/join/X/unknown"); p.status != 404 {
		t.Errorf("unknown token: %d", p.status)
	}
	if s := e.submit(inv["invitation_url"].(string), url.Values{"action": {"submit"}, "jurisdiction": {"zz"}}); s.status != http.StatusBadRequest {
		t.Errorf("unknown jurisdiction: %d", s.status)
	}
}

// TestVerificationStatesOfIndividualCases: the /verifications state
// endpoints reach an individual case's data update and risk score states.
func TestVerificationStatesOfIndividualCases(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client("kyc-states")
	rc := e.receiver()
	c.useReceiver(rc.URL)
	e.settings(c.token, map[string]any{"autoSubmit": false})
	inv := c.inviteOne("ivy@example.com")
	caseID := c.complete(inv)
	base := "/api/v1/verifications/" + caseID
	ok200(t, "start", c.form(base+"/state/start"))
	r := ok200(t, "request", c.form(base+"/state/request_data_update"))
	equal(t, "individual shape", r.str("verification", "personal_verification_id"), inv["id"])
	equal(t, "status", r.str("verification", "status"), "data_update_requested")
	// The person sends their data again from the page.
	u := inv["invitation_url"].(string)
	if s := e.submit(u, url.Values{"action": {"submit"}, "surname": {"Moreau"}}); s.status != http.StatusSeeOther {
		t.Fatalf("resubmit: %d %s", s.status, s.raw)
	}
	equal(t, "back", ok200(t, "case", c.do(http.MethodGet, base, nil)).str("verification", "status"), "in_progress")
	equal(t, "surname updated", c.do(http.MethodGet, "/api/v1/verification_individuals/"+caseID+"/people", nil).str("person", "surname"), "Moreau")

	rr := ok200(t, "risk", c.form(base+"/state/request_risk_score_update"))
	equal(t, "recalculating", rr.str("verification", "status"), "recalculate_risk_score")
	equal(t, "cancel", ok200(t, "cancel", c.form(base+"/state/cancel_risk_score_update")).str("verification", "status"), "in_progress")
	if r := c.form(base + "/state/cancel_risk_score_update"); r.status != 422 || r.str("errors", "status_code") != "STATE_TRANSITION_NOT_ALLOWED" {
		t.Errorf("cancel twice: %d %s", r.status, r.raw)
	}
	ok200(t, "request again", c.form(base+"/state/request_data_update"))
	ok200(t, "cancel the update", c.form(base+"/state/cancel_data_update"))
	ok200(t, "qa", c.form(base+"/state/qa", field{"assessment", "risk_low"}, field{"assessment_comment", "fine"}))
	ok200(t, "back to compliance", c.form(base+"/state/back_to_compliance", field{"qa_comment", "again"}))
	rej := ok200(t, "reject", c.form(base+"/state/rejected", field{"rejection_comment", "no"}))
	equal(t, "rejection_comment", rej.str("verification", "rejection_comment"), "no")
	ok200(t, "reopen", c.form(base+"/state/reopen"))
	ok200(t, "audit", c.do(http.MethodGet, base+"/audit_log", nil))
	hs := rc.wait(t, 14) // twelve moves, two risk score requests
	equal(t, "moves", len(stateChanges(hs, caseID)), 12)
	if r := c.do(http.MethodGet, base+"/company_details", nil); r.status != 404 {
		t.Errorf("company details of an individual case: %d", r.status)
	}
}

// TestLicence: an exhausted licence stops starting cases, an expired one
// stops checks too.
func TestLicence(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client("kyb-licence")
	e.settings(c.token, map[string]any{"autoSubmit": false, "license": "exhausted"})
	caseID := c.complete(c.inviteOne("l@example.com"))
	r := c.form("/api/v1/verifications/" + caseID + "/state/start")
	if r.status != 400 || r.str("errors", "status_code") != "LICENSE_NOT_ENOUGH_VERIFICATIONS" {
		t.Errorf("start with an exhausted licence: %d %s", r.status, r.raw)
	}
	e.settings(c.token, map[string]any{"license": "expired"})
	if r := c.form("/api/v1/checks/individuals", field{"check_type", "standard"}, field{"given_names", "A"}, field{"surname", "B"}); r.status != 400 ||
		r.str("errors", "status_code") != "LICENSE_EXPIRED" {
		t.Errorf("check with an expired licence: %d %s", r.status, r.raw)
	}
}

// TestCompanyRegister: the lookup answers one made-up company per number,
// the same on every call; numbers ending in 404 are unknown.
func TestCompanyRegister(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client("kyb-register")
	a := ok200(t, "lookup", c.do(http.MethodGet, "/api/v1/companies/gb/13714107", nil))
	b := ok200(t, "again", e.client("someone-else").do(http.MethodGet, "/api/v1/companies/gb/13714107", nil))
	equal(t, "same company", a.str("company", "formal_name"), b.str("company", "formal_name"))
	equal(t, "number", a.str("company", "company_number"), "13714107")
	equal(t, "id unsaved", a.get("company", "id"), nil)
	full := ok200(t, "full", c.do(http.MethodGet, "/api/v1/companies/gb/13714107?full_data=true&save=true", nil))
	if full.str("company", "id") == "" || len(full.list("company", "directors")) != 2 || full.get("company", "registered_address") == nil {
		t.Errorf("full data: %s", full.raw)
	}
	if r := c.do(http.MethodGet, "/api/v1/companies/gb/1404", nil); r.status != 404 {
		t.Errorf("unregistered number: %d", r.status)
	}
	if r := c.do(http.MethodGet, "/api/v1/companies/zz/123", nil); r.status != 404 {
		t.Errorf("unknown jurisdiction: %d", r.status)
	}
	if r := c.do(http.MethodGet, "/api/v1/companies/gbr/123", nil); r.status != 400 {
		t.Errorf("malformed jurisdiction: %d", r.status)
	}
}

// TestPagesOutliveTheirInvitations: a finished invitation is dropped after
// the retention period (7 days), but its case keeps the page's token, so
// the page still takes a data update, for a person and for a company.
func TestPagesOutliveTheirInvitations(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client("retention-company")
	e.settings(c.token, map[string]any{"autoSubmit": false})
	person := c.inviteOne("p@example.com")
	kyc := c.complete(person)
	company := c.inviteCompany(map[string]any{"email": "c@corp.example"})
	if s := e.submit(company["invitation_url"].(string), url.Values{"action": {"submit"}}); s.status != http.StatusSeeOther {
		t.Fatalf("submit: %d", s.status)
	}
	kyb := c.corporateCaseOf(company["id"].(string))
	e.advance(8 * 24 * time.Hour)
	if n := len(c.do(http.MethodGet, "/api/v1/invites/individuals", nil).list("personal_verifications")); n != 0 {
		t.Fatalf("%d invitations still listed after the retention", n)
	}
	for _, tc := range []struct {
		path, url, action string
	}{
		{"/api/v1/verifications/" + kyc, person["invitation_url"].(string), "submit"},
		{"/api/v1/verifications/" + kyb, company["invitation_url"].(string), "update"},
	} {
		ok200(t, "start", c.form(tc.path+"/state/start"))
		ok200(t, "request", c.form(tc.path+"/state/request_data_update"))
		if p := e.page(tc.url); p.status != 200 || !strings.Contains(string(p.raw), "data_update_requested") {
			t.Fatalf("page: %d %s", p.status, p.raw)
		}
		if s := e.submit(tc.url, url.Values{"action": {tc.action}}); s.status != http.StatusSeeOther {
			t.Fatalf("update: %d %s", s.status, s.raw)
		}
		equal(t, "back", c.do(http.MethodGet, tc.path, nil).str("verification", "status"), "in_progress")
		if s := e.submit(tc.url, url.Values{"action": {tc.action}}); s.status != http.StatusConflict {
			t.Errorf("a second update: %d", s.status)
		}
	}
}

// postPage sends the corporate page's form as a browser does with a file:
// multipart, with the company document.
func (e *env) postPage(pageURL string, fields url.Values, filename string, file []byte) response {
	e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range fields {
		for _, v := range vs {
			_ = mw.WriteField(k, v)
		}
	}
	fw, err := mw.CreateFormFile("company_document", filename)
	if err != nil {
		e.t.Fatal(err)
	}
	_, _ = fw.Write(file)
	_ = mw.Close()
	req, err := http.NewRequest(http.MethodPost, pageURL, &buf)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return e.send(req)
}

// TestCorporatePageUpload: the business user uploads the certificate of
// incorporation on the page; it becomes the company's document and
// downloads as sent. Other file types are refused.
func TestCorporatePageUpload(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client("upload-company")
	e.settings(c.token, map[string]any{"autoSubmit": false})
	inv := c.inviteCompany(map[string]any{"email": "u@corp.example"})
	u := inv["invitation_url"].(string)
	if r := e.postPage(u, url.Values{"action": {"submit"}}, "notes.txt", []byte("just text")); r.status != 400 ||
		!strings.Contains(string(r.raw), "PDF, PNG or JPEG") {
		t.Fatalf("a text file: %d %s", r.status, r.raw)
	}
	pdf := []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
	if r := e.postPage(u, url.Values{"action": {"submit"}, "formal_name": {"Upload Ltd"}}, "certificate.pdf", pdf); r.status != http.StatusSeeOther {
		t.Fatalf("upload: %d %s", r.status, r.raw)
	}
	caseID := c.corporateCaseOf(inv["id"].(string))
	docs := c.do(http.MethodGet, "/api/v1/verifications/"+caseID+"/company_documents", nil)
	equal(t, "document name", docs.str("company_documents", "0", "document", "name"), "certificate.pdf")
	att := docs.get("company_documents", "0", "document", "attachments", "0").(map[string]any)
	equal(t, "filesize", att["filesize"], float64(len(pdf)))
	orig := att["urls"].(map[string]any)["original"].(string)
	f := c.do(http.MethodGet, "/api/v1/verifications/"+caseID+"/download/"+orig[strings.LastIndex(orig, "/")+1:], nil)
	if f.status != 200 || string(f.raw) != string(pdf) {
		t.Errorf("download: %d %q", f.status, f.raw)
	}
}
