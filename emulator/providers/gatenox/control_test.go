package gatenox_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sync"
	"testing"
	"time"
)

// TestTenantIsolation: two company tokens never see each other's
// invitations, cases, files or risk scores, nor each other's webhooks.
func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, b := e.client("company-a"), e.client("company-b")
	ra, rb := e.receiver(), e.receiver()
	a.useReceiver(ra.URL)
	b.useReceiver(rb.URL)
	e.settings(a.token, map[string]any{"autoSubmit": false})
	caseA := newCase(a, "a@example.com")
	for _, p := range []string{"/api/v1/verification_individuals/" + caseA, "/api/v1/verification_individuals/" + caseA + "/people",
		"/api/v1/verification_individuals/" + caseA + "/addresses", "/api/v1/verification_individuals/" + caseA + "/audit_log"} {
		if r := b.do(http.MethodGet, p, nil); r.status != 404 {
			t.Errorf("company b read %s: %d", p, r.status)
		}
	}
	if r := b.form("/api/v1/verification_individuals/" + caseA + "/state/start"); r.status != 404 {
		t.Errorf("company b moved company a's case: %d", r.status)
	}
	equal(t, "b's invitations", b.do(http.MethodGet, "/api/v1/invites/individuals", nil).get("meta", "pagination", "total"), float64(0))
	equal(t, "b's cases", len(b.do(http.MethodGet, "/api/v1/verification_individuals", nil).list("verification_individuals")), 0)
	// b's settings are its own: a credit limit on b does not touch a.
	e.settings(b.token, map[string]any{"credits": 0})
	if r := b.do(http.MethodPost, "/api/v1/invites/individuals", map[string]any{"recipients": []any{map[string]any{"email": "x@example.com"}}}); r.status != 422 {
		t.Errorf("b without credits: %d", r.status)
	}
	a.inviteOne("a2@example.com")
	ra.wait(t, 2)
	if hs := rb.hooks(t); len(hs) != 0 {
		t.Errorf("company b received company a's webhooks: %v", describe(hs))
	}
	// Resetting b leaves a alone.
	if r := e.call(http.MethodPost, "/_emulator/reset", map[string]string{"tenant": b.token}); r.status != 200 {
		t.Fatalf("reset: %d %s", r.status, r.raw)
	}
	equal(t, "a after b's reset", a.getCase(caseA).str("verification_individual", "status"), "new")
}

var portRE = regexp.MustCompile(`127\.0\.0\.1:\d+`)

// TestSeededDeterminism: two emulators with one seed answer the same
// requests with the same ids, tokens, people and files.
func TestSeededDeterminism(t *testing.T) {
	t.Parallel()
	run := func() []byte {
		e := newEnv(t)
		c := e.client("company-token-1")
		e.settings(c.token, map[string]any{"autoSubmit": false})
		var out bytes.Buffer
		r := c.invite(map[string]any{"email": "d1@example.com"}, map[string]any{"email": "d2@example.com"})
		out.Write(r.raw)
		caseID := c.complete(r.list("personal_verifications")[0].(map[string]any))
		e.advance(time.Minute)
		c.state(caseID, "start")
		for _, p := range []string{"", "/people", "/addresses", "/audit_log"} {
			out.Write(c.do(http.MethodGet, "/api/v1/verification_individuals/"+caseID+p, nil).raw)
		}
		ps := c.do(http.MethodGet, "/api/v1/verification_individuals/"+caseID+"/people", nil)
		u := ps.str("person", "documents", "0", "document", "attachments", "0", "urls", "original")
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req.Header.Set("Authorization", "Bearer "+c.token)
		out.Write(e.send(req).raw)
		return out.Bytes()
	}
	first, second := run(), run()
	// Request ids (in the audit log) and server URLs differ between runs
	// only by the listener's port.
	if len(first) == 0 || len(first) != len(second) {
		t.Fatalf("runs differ in length: %d and %d", len(first), len(second))
	}
	strip := func(b []byte) string {
		return string(portRE.ReplaceAll(b, []byte("127.0.0.1:PORT")))
	}
	if strip(first) != strip(second) {
		t.Errorf("two runs with one seed differ:\n%s\n%s", strip(first), strip(second))
	}
}

// TestHostRouting: requests with Gatenox's real hosts reach the provider
// without the /gatenox prefix.
func TestHostRouting(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, host := range []string{"api.app.gatenox.com", "api.sandbox.gatenox.com"} {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/v1/invites/individuals",
			bytes.NewReader([]byte(`{"recipients":[{"email":"h@example.com"}]}`)))
		req.Host = host
		req.Header.Set("Authorization", "Bearer host-token")
		req.Header.Set("Content-Type", "application/json")
		r := e.send(req)
		equal(t, host+" status", r.status, 201)
		u := r.str("personal_verifications", "0", "invitation_url")
		if want := "http://" + host + "/invitations/kyc/"; len(u) < len(want) || u[:len(want)] != want {
			t.Errorf("%s invitation_url %q", host, u)
		}
	}
}

// TestControlAPI: invitations and cases are sessions of their own kinds;
// actions move them, and refuse what the machines do not allow.
func TestControlAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client("company-token-1")
	rc := e.receiver()
	c.useReceiver(rc.URL)
	e.settings(c.token, map[string]any{"autoSubmit": false})
	inv := c.inviteOne("ctl@example.com")
	id := inv["id"].(string)

	s := e.call(http.MethodGet, "/_emulator/sessions/"+id, nil)
	equal(t, "kind", s.str("kind"), "invitation")
	equal(t, "status", s.str("status"), "invited")
	equal(t, "actions", s.get("actions"), []any{"open", "complete", "decline", "expire", "revoke"})
	r := e.act(id, "approve")
	equal(t, "case action before the case", r.status, 409)
	equal(t, "complete", e.act(id, "complete").str("status"), "completed")
	caseID := c.caseOf(id)
	k := e.call(http.MethodGet, "/_emulator/sessions/"+caseID, nil)
	equal(t, "case kind", k.str("kind"), "case")
	equal(t, "case status", k.str("status"), "new")
	equal(t, "case actions", k.get("actions"), []any{"start", "qa", "approve", "reject", "request_data_update", "request_risk_score_update"})

	// Approving a new case starts it first and records a low risk.
	a := e.call(http.MethodPost, "/_emulator/sessions/"+caseID+"/actions", map[string]string{"action": "approve", "reason": "looks fine"})
	equal(t, "approve", a.str("status"), "completed")
	v := c.getCase(caseID).get("verification_individual").(map[string]any)
	equal(t, "assessment", v["assessment"], "risk_low")
	equal(t, "assessment_comment", v["assessment_comment"], "looks fine")
	equal(t, "reject a completed case", e.act(caseID, "reject").status, 409)
	equal(t, "reopen through the invitation", e.act(id, "reopen").str("status"), "completed")
	equal(t, "case reopened", c.getCase(caseID).str("verification_individual", "status"), "in_progress")
	equal(t, "data update", e.act(caseID, "request_data_update").str("status"), "data_update_requested")
	equal(t, "cancel data update", e.act(caseID, "cancel_data_update").str("status"), "in_progress")
	equal(t, "unknown action", e.act(caseID, "teleport").status, 400)
	equal(t, "unknown session", e.act("00000000-0000-4000-8000-000000000000", "approve").status, 404)
	equal(t, "revoke a completed invitation", e.act(id, "revoke").status, 409)
	equal(t, "state changes", stateChanges(rc.wait(t, 7), caseID), []string{"processing→new", "new→in_progress",
		"in_progress→completed", "completed→in_progress", "in_progress→data_update_requested", "data_update_requested→in_progress"})

	l := e.call(http.MethodGet, "/_emulator/sessions?provider=gatenox&tenant="+url.QueryEscape(c.token), nil)
	var kinds []string
	for _, it := range l.list("sessions") {
		kinds = append(kinds, it.(map[string]any)["kind"].(string))
	}
	equal(t, "sessions", kinds, []string{"invitation", "case"})

	// Settings validation.
	for _, bad := range []map[string]any{
		{"credits": -1}, {"credits": "ten"}, {"inviteCost": -2}, {"invitationTTL": "soon"}, {"invitationTTL": "0s"},
		{"riskWebhookURL": "ftp://x"}, {"unknown": true}, {"premiumCheckCost": -1}, {"license": "lapsed"},
	} {
		body := map[string]any{"tenant": c.token}
		for k, v := range bad {
			body[k] = v
		}
		if r := e.call(http.MethodPut, "/_emulator/providers/gatenox/settings", body); r.status != 400 {
			t.Errorf("settings %v: %d", bad, r.status)
		}
	}
	if r := e.call(http.MethodGet, "/_emulator/providers/gatenox/settings", nil); r.status != 400 {
		t.Errorf("settings without a tenant: %d", r.status)
	}
	g := e.call(http.MethodGet, "/_emulator/providers/gatenox/settings?tenant="+c.token, nil)
	equal(t, "settings", g.body, map[string]any{"tenant": c.token, "credits": nil, "inviteCost": float64(1),
		"invitationTTL": "720h0m0s", "externalRiskScore": true, "riskWebhookURL": "", "autoSubmit": false, "blocked": false,
		"premiumCheckCost": float64(5), "license": "active"})

	// Without external risk scoring, a new case gets no record.
	e.settings(c.token, map[string]any{"externalRiskScore": false})
	other := newCase(c, "norisk@example.com")
	equal(t, "no record", c.getCase(other).get("verification_individual", "external_risk_score"), nil)
}

// TestHostedPage: the page refuses what it cannot do, in HTML.
func TestHostedPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client("company-token-1")
	e.settings(c.token, map[string]any{"autoSubmit": false})
	inv := c.inviteOne("page@example.com")
	u := inv["invitation_url"].(string)
	equal(t, "unknown token", e.page(e.srv.URL+"/gatenox/invitations/kyc/nope").status, 404)
	for _, bad := range []url.Values{
		{"action": {"fly"}},
		{"action": {"submit"}, "date_of_birth": {"20/03/1986"}},
		{"action": {"submit"}, "nationality": {"GBR"}},
		{"action": {"submit"}, "given_names": {"<script>"}},
	} {
		if r := e.submit(u, bad); r.status != 400 {
			t.Errorf("%v: %d", bad, r.status)
		}
	}
	// Without redirect URLs the page answers with itself.
	r := e.submit(u, url.Values{"action": {"submit"}})
	equal(t, "submit", r.status, 303)
	equal(t, "Location", r.header.Get("Location"), u)
	equal(t, "submit twice", e.submit(u, url.Values{"action": {"submit"}}).status, 409)
	equal(t, "decline after submitting", e.submit(u, url.Values{"action": {"decline"}}).status, 409)
	equal(t, "page after", e.page(u).status, 200)
}

// TestConcurrentCompanies drives several companies at once while the
// clock moves and the default plan completes invitations.
func TestConcurrentCompanies(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
				e.emu.Advance(time.Second) //nolint:errcheck // a manual clock
				time.Sleep(time.Millisecond)
			}
		}
	}()
	for i := range 4 {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := e.client(fmt.Sprintf("company-%d", i))
			for j := range 5 {
				c.invite(map[string]any{"email": fmt.Sprintf("p%d-%d@example.com", i, j)})
				c.do(http.MethodGet, "/api/v1/invites/individuals?state=completed", nil)
				for _, k := range c.do(http.MethodGet, "/api/v1/verification_individuals?status=new", nil).list("verification_individuals") {
					id := k.(map[string]any)["id"].(string)
					c.form("/api/v1/verification_individuals/" + id + "/state/start")
					c.do(http.MethodGet, "/api/v1/verification_individuals/"+id+"/people", nil)
				}
			}
		}(i)
	}
	wg.Wait()
	close(stop)
	for i := range 4 {
		c := e.client(fmt.Sprintf("company-%d", i))
		equal(t, "invitations", c.do(http.MethodGet, "/api/v1/invites/individuals", nil).get("meta", "pagination", "total"), float64(5))
	}
}

// TestScenarioThroughTheEngine puts scenarios through the control API: one
// whose options script the person and the assessment, one with options the
// provider refuses, and one without a timeline, which keeps the company's
// default (here: the person does nothing on their own).
func TestScenarioThroughTheEngine(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client("company-token-1")
	put := func(name, yaml string) response {
		t.Helper()
		return e.call(http.MethodPut, "/_emulator/scenarios/gatenox/"+name, yaml, "Content-Type", "application/yaml")
	}
	if r := put("scripted", `name: scripted
provider: gatenox
options:
  person: {given_names: Joe, surname: Doe, date_of_birth: "1986-03-20", nationality: gb}
  assessment: risk_high
timeline: []
`); r.status != 201 && r.status != 200 {
		t.Fatalf("put: %d %s", r.status, r.raw)
	}
	if r := put("bad", "name: bad\nprovider: gatenox\noptions: {assessment: risk_extreme}\n"); r.status < 400 || r.status >= 500 {
		t.Errorf("bad options: %d %s", r.status, r.raw)
	}
	inv := c.do(http.MethodPost, "/api/v1/invites/individuals", map[string]any{"recipients": []any{map[string]any{"email": "s@example.com"}}},
		"X-Kycemu-Scenario", "scripted")
	equal(t, "invite", inv.status, 201)
	id := inv.str("personal_verifications", "0", "id")
	e.advance(time.Hour)
	equal(t, "nothing moves on its own", e.call(http.MethodGet, "/_emulator/sessions/"+id, nil).str("status"), "invited")
	equal(t, "complete", e.act(id, "complete").status, 200)
	caseID := c.caseOf(id)
	k := c.getCase(caseID).get("verification_individual").(map[string]any)
	equal(t, "scripted person", k["entity_name"], "Joe Doe")
	equal(t, "scripted date of birth", k["entity_identifier"], "1986-03-20")
	equal(t, "scripted nationality", c.do(http.MethodGet, "/api/v1/verification_individuals/"+caseID+"/people", nil).str("person", "nationality"), "GB")
	equal(t, "approve", e.act(caseID, "approve").status, 200)
	equal(t, "scripted assessment", c.getCase(caseID).str("verification_individual", "assessment"), "risk_high")
	equal(t, "session scenario", e.call(http.MethodGet, "/_emulator/sessions/"+caseID, nil).str("scenario"), "scripted")

	e.settings(c.token, map[string]any{"autoSubmit": false})
	inv = c.do(http.MethodPost, "/api/v1/invites/individuals", map[string]any{"recipients": []any{map[string]any{"email": "f@example.com"}}},
		"X-Kycemu-Scenario", "flaky-503")
	e.advance(time.Hour)
	equal(t, "no timeline, autoSubmit off", e.call(http.MethodGet, "/_emulator/sessions/"+inv.str("personal_verifications", "0", "id"), nil).str("status"), "invited")
	r := c.do(http.MethodPost, "/api/v1/invites/individuals", map[string]any{"recipients": []any{map[string]any{"email": "u@example.com"}}},
		"X-Kycemu-Scenario", "no-such-scenario")
	equal(t, "unknown scenario", r.status, 400)
	equal(t, "unknown scenario shape", r.get("error", "code"), float64(400))
}
