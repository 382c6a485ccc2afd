package gatenox_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

var base58Token = regexp.MustCompile(`/invitations/kyc/[1-9A-HJ-NP-Za-km-z]{128}$`)

// TestInviteToCompletedCase walks the documented flow: invite, the person
// opens the link and submits, the compliance officer starts the case,
// sends it to QA, QA sends it back, QA again, and completes it; every
// status change arrives as an unsigned state_change webhook.
func TestInviteToCompletedCase(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client("company-token-1")
	rc := e.receiver()
	c.useReceiver(rc.URL + "/hooks/gatenox")
	e.settings(c.token, map[string]any{"autoSubmit": false})

	r := c.invite(map[string]any{"email": "ana@example.com", "customer_id": "ext_id_123123",
		"redirect_url_success": "https://client.example/kyc/ok", "redirect_url_failure": "https://client.example/kyc/ko"})
	invs := r.list("personal_verifications")
	if len(invs) != 1 {
		t.Fatalf("personal_verifications: %s", r.raw)
	}
	inv := invs[0].(map[string]any)
	equal(t, "state", inv["state"], "invited")
	equal(t, "customer_id", inv["customer_id"], "ext_id_123123")
	equal(t, "invitation_type", inv["invitation_type"], "individual")
	equal(t, "email", inv["email"], "ana@example.com")
	equal(t, "completed_at", inv["completed_at"], nil)
	equal(t, "created_at", inv["created_at"], "2026-03-02T09:00:00.000Z")
	u := inv["invitation_url"].(string)
	if !strings.HasPrefix(u, e.srv.URL+"/gatenox/invitations/kyc/") || !base58Token.MatchString(u) {
		t.Errorf("invitation_url %q is not a 128-character base58 token under the mount", u)
	}

	// The person opens the link: in_progress.
	if p := e.page(u); p.status != 200 || !strings.Contains(string(p.raw), "in_progress") {
		t.Fatalf("page: %d %s", p.status, p.raw)
	}
	l := c.do(http.MethodGet, "/api/v1/invites/individuals", nil)
	equal(t, "state after opening", l.str("personal_verifications", "0", "state"), "in_progress")
	equal(t, "verification_id before completion", l.get("personal_verifications", "0", "verification_id"), nil)

	// They submit (with their own names), and are sent to the success URL.
	e.advance(time.Minute)
	s := e.submit(u, url.Values{"action": {"submit"}, "given_names": {"Ana Maria"}, "surname": {"Souza"},
		"date_of_birth": {"1986-03-20"}, "nationality": {"br"}})
	if s.status != http.StatusSeeOther || s.header.Get("Location") != "https://client.example/kyc/ok" {
		t.Fatalf("submit: %d Location %q", s.status, s.header.Get("Location"))
	}
	l = c.do(http.MethodGet, "/api/v1/invites/individuals", nil)
	item := l.get("personal_verifications", "0").(map[string]any)
	equal(t, "state", item["state"], "completed")
	equal(t, "completed_at", item["completed_at"], "2026-03-02T09:01:00.000Z")
	equal(t, "display_name", item["display_name"], "Ana Maria Souza")
	equal(t, "external_verification_state", item["external_verification_state"], "CREATED")
	caseID := item["verification_id"].(string)

	k := c.getCase(caseID).get("verification_individual").(map[string]any)
	for field, want := range map[string]any{
		"status": "new", "customer_id": "ext_id_123123", "entity_name": "Ana Maria Souza",
		"entity_identifier": "1986-03-20", "company_name": "Ana Maria Souza", "company_number": "1986-03-20",
		"entity_contact_email": "ana@example.com", "access_type": "verifier_compliance_officer",
		"verification_type": "primary", "assessment": nil, "personal_verification_id": inv["id"],
		"created_at": "2026-03-02T09:01:00.000Z", "last_data_update": "2026-03-02T09:01:00.000Z",
	} {
		equal(t, field, k[field], want)
	}

	// The compliance officer works the case.
	e.advance(time.Minute)
	equal(t, "start", c.state(caseID, "start").str("verification", "status"), "in_progress")
	q := c.state(caseID, "qa", field{"assessment", "risk_medium"}, field{"assessment_comment", "PEP check clean"})
	equal(t, "qa", q.str("verification", "status"), "qa")
	equal(t, "assessment", q.str("verification", "assessment"), "risk_medium")
	equal(t, "assessment_comment", q.str("verification", "assessment_comment"), "PEP check clean")
	b := c.state(caseID, "back_to_compliance", field{"qa_comment", "add the source of funds"})
	equal(t, "back_to_compliance", b.str("verification", "status"), "in_progress")
	equal(t, "qa_comment", b.str("verification", "qa_comment"), "add the source of funds")
	// The stored assessment and comment satisfy the second QA call.
	equal(t, "qa again", c.state(caseID, "qa").str("verification", "status"), "qa")
	done := c.state(caseID, "complete", field{"assessment", "risk_low"}, field{"assessment_comment", "all good"},
		field{"qa_comment", "approved"})
	equal(t, "complete", done.str("verification", "status"), "completed")
	equal(t, "assessment", done.str("verification", "assessment"), "risk_low")

	hs := rc.wait(t, 7)
	equal(t, "state changes", stateChanges(hs, caseID),
		[]string{"processing→new", "new→in_progress", "in_progress→qa", "qa→in_progress", "in_progress→qa", "qa→completed"})
	var risk int
	for _, h := range hs {
		if h.str("event") == "external_risk_score_requested" {
			risk++
			equal(t, "risk verification_id", h.str("verification_id"), caseID)
		}
	}
	equal(t, "external_risk_score_requested webhooks", risk, 1)

	// The invitation list filters on the completed state and the customer.
	l = c.do(http.MethodGet, "/api/v1/invites/individuals?state=completed&customer_id=ext_id_123123", nil)
	equal(t, "filtered", len(l.list("personal_verifications")), 1)
	l = c.do(http.MethodGet, "/api/v1/verification_individuals?assessment_status=approved", nil)
	equal(t, "approved cases", len(l.list("verification_individuals")), 1)
}

// TestRejectAndReopen rejects from in_progress and from qa, reopens both
// times, and finds the comments in the audit log.
func TestRejectAndReopen(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client("company-token-1")
	rc := e.receiver()
	c.useReceiver(rc.URL)
	e.settings(c.token, map[string]any{"autoSubmit": false})
	caseID := c.complete(c.inviteOne("bo@example.com"))

	c.state(caseID, "start")
	r := c.state(caseID, "rejected", field{"rejection_comment", "document expired"})
	equal(t, "rejected", r.str("verification", "status"), "rejected")
	equal(t, "rejection_comment", r.str("verification", "rejection_comment"), "document expired")
	equal(t, "reopen_at before reopening", r.get("verification", "reopen_at"), nil)
	e.advance(time.Hour)
	r = c.state(caseID, "reopen")
	equal(t, "reopened", r.str("verification", "status"), "in_progress")
	equal(t, "reopen_at", r.str("verification", "reopen_at"), "2026-03-02T10:00:00.000Z")
	c.state(caseID, "qa", field{"assessment", "risk_high"}, field{"assessment_comment", "adverse media"})
	equal(t, "rejected from qa", c.state(caseID, "rejected").str("verification", "status"), "rejected")
	equal(t, "reopened again", c.state(caseID, "reopen").str("verification", "status"), "in_progress")
	equal(t, "completed", c.state(caseID, "complete").str("verification", "status"), "completed")
	equal(t, "reopened after completion", c.state(caseID, "reopen").str("verification", "status"), "in_progress")

	hs := rc.wait(t, 10)
	equal(t, "state changes", stateChanges(hs, caseID), []string{"processing→new", "new→in_progress",
		"in_progress→rejected", "rejected→in_progress", "in_progress→qa", "qa→rejected", "rejected→in_progress",
		"in_progress→completed", "completed→in_progress"})

	a := c.do(http.MethodGet, "/api/v1/verification_individuals/"+caseID+"/audit_log", nil)
	// The comments are the case's own fields; each change of one is audited
	// as [old, new], and no update row has a comment of its own.
	var comments []string
	for _, row := range a.list("audit_log", "audits") {
		m := row.(map[string]any)
		if m["action"] != "update" {
			continue
		}
		if m["comment"] != nil {
			t.Errorf("update row with a comment: %v", m["comment"])
		}
		changes := m["audited_changes"].(map[string]any)
		for _, f := range []string{"rejection_comment", "assessment_comment"} {
			if pair, changed := changes[f].([]any); changed {
				comments = append(comments, pair[1].(string))
			}
		}
	}
	equal(t, "comments", comments, []string{"document expired", "adverse media"})
	equal(t, "rejection_comment on the case", c.getCase(caseID).get("verification_individual", "rejection_comment"), "document expired")
	l := c.do(http.MethodGet, "/api/v1/verification_individuals?status=in_progress,qa", nil)
	equal(t, "open cases", len(l.list("verification_individuals")), 1)
}

// TestDefaultPlan: without a scenario the invited person opens the link
// five seconds after the invitation and submits ten seconds later; the
// case then waits in new.
func TestDefaultPlan(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client("company-token-1")
	rc := e.receiver()
	c.useReceiver(rc.URL)
	inv := c.inviteOne("cy@example.com")
	state := func() string {
		return c.do(http.MethodGet, "/api/v1/invites/individuals", nil).str("personal_verifications", "0", "state")
	}
	e.advance(4 * time.Second)
	equal(t, "after 4s", state(), "invited")
	e.advance(time.Second)
	equal(t, "after 5s", state(), "in_progress")
	e.advance(10 * time.Second)
	equal(t, "after 15s", state(), "completed")
	caseID := c.caseOf(inv["id"].(string))
	equal(t, "case", c.getCase(caseID).str("verification_individual", "status"), "new")
	e.advance(24 * time.Hour)
	equal(t, "a day later", c.getCase(caseID).str("verification_individual", "status"), "new")
	hs := rc.wait(t, 2)
	equal(t, "webhooks", describe(hs), []string{"processing→new", "external_risk_score_requested"})
}
