package gatenox_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kycemu/kycemu/emulator"
)

// TestRestartKeepsEverything: an emulator on a data directory stops and a
// new one starts on it, as a redeployed container would. Every record
// Gatenox keeps — invitations of both kinds, cases with their data
// versions, revisions and audit logs, risk score records, files and
// checks — answers as before, and carries on.
func TestRestartKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, emulator.WithDataDir(dir))
	c := e.client("restart-company")
	rc := e.receiver()
	c.useReceiver(rc.URL)
	e.settings(c.token, map[string]any{"autoSubmit": false, "credits": 50})
	kyc := c.complete(c.inviteOne("r@example.com"))
	inv := c.inviteCompany(map[string]any{"email": "r@corp.example"})
	u := inv["invitation_url"].(string)
	if s := e.submit(u, url.Values{"action": {"submit"}, "director_surname": {"Allen"}}); s.status != http.StatusSeeOther {
		t.Fatalf("submit: %d %s", s.status, s.raw)
	}
	kyb := c.corporateCaseOf(inv["id"].(string))
	ok200(t, "start", c.form("/api/v1/verifications/"+kyb+"/state/start"))
	ok200(t, "request", c.form("/api/v1/verifications/"+kyb+"/state/request_data_update"))
	pending := e.screening("pending")
	ck := c.do(http.MethodPost, "/api/v1/checks/individuals", map[string]string{"check_type": "premium", "given_names": "A", "surname": "B"},
		"X-Kycemu-Scenario", pending)
	checkID := ok200(t, "check", ck).str("check_individual", "id")
	e.advance(time.Minute)

	paths := []string{"/api/v1/verification_individuals/" + kyc, "/api/v1/verification_individuals/" + kyc + "/people",
		"/api/v1/verification_individuals/" + kyc + "/audit_log", "/api/v1/verifications/" + kyb,
		"/api/v1/verifications/" + kyb + "/company_details", "/api/v1/verifications/" + kyb + "/graph",
		"/api/v1/verifications/" + kyb + "/audit_log", "/api/v1/invites/individuals", "/api/v1/invites/corporates",
		"/api/v1/checks/individuals/" + checkID}
	before := map[string]string{}
	for _, p := range paths {
		before[p] = string(ok200(t, p, c.do(http.MethodGet, p, nil)).raw)
	}
	doc := c.do(http.MethodGet, "/api/v1/verifications/"+kyb+"/company_documents", nil).str("company_documents", "0", "document", "attachments", "0", "urls", "original")
	// The links are absolute, on the server that made them; the restarted
	// one listens elsewhere, so the test follows the path.
	du, err := url.Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	docPath := strings.TrimPrefix(du.Path, "/gatenox")
	file := string(ok200(t, "file", c.do(http.MethodGet, docPath, nil)).raw)
	e.srv.Close()

	e = newEnv(t, emulator.WithDataDir(dir))
	c = e.client("restart-company")
	for _, p := range paths {
		if got := string(ok200(t, p, c.do(http.MethodGet, p, nil)).raw); got != before[p] {
			t.Errorf("%s after the restart:\n%s\nbefore:\n%s", p, got, before[p])
		}
	}
	if got := string(ok200(t, "file", c.do(http.MethodGet, docPath, nil)).raw); got != file {
		t.Error("the file changed across the restart")
	}
	equal(t, "credits", e.call(http.MethodGet, "/_emulator/providers/gatenox/settings?tenant="+c.token, nil).get("credits"), float64(43)) // 50 - two invitations - a premium check

	// It carries on: the business user sends the update, the check completes.
	pu, _ := url.Parse(u)
	seen := len(rc.hooks(t))
	if s := e.submit(e.srv.URL+pu.Path, url.Values{"action": {"update"}, "director_surname": {"Stone"}}); s.status != http.StatusSeeOther {
		t.Fatalf("update after the restart: %d %s", s.status, s.raw)
	}
	equal(t, "back", c.do(http.MethodGet, "/api/v1/verifications/"+kyb, nil).str("verification", "status"), "in_progress")
	// The webhook of that move reaches the receiver configured before the
	// restart.
	deadline := time.Now().Add(10 * time.Second)
	for found := false; !found; {
		for _, h := range rc.hooks(t)[seen:] {
			found = found || h.str("verification_id") == kyb && h.str("prev_state") == "data_update_requested" && h.str("new_state") == "in_progress"
		}
		if !found && time.Now().After(deadline) {
			t.Fatalf("no state_change to in_progress after the restart; got %v", describe(rc.hooks(t)))
		}
		time.Sleep(time.Millisecond)
	}
	if r := e.act(checkID, "hit"); r.status != 200 {
		t.Fatalf("hit after the restart: %d %s", r.status, r.raw)
	}
	equal(t, "check", c.do(http.MethodGet, "/api/v1/checks/individuals/"+checkID, nil).str("check_individual", "state"), "completed")
}
