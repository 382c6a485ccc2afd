package gatenox_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
)

const unauthorizedBody = `{"errors":{"token":"missing token","unauthorized":"Authentication failure"}}`

// TestUnauthorized: every operation refuses a missing, malformed or
// blocked token with the documented 401 body.
func TestUnauthorized(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.settings("blocked-token", map[string]any{"blocked": true})
	paths := []struct{ method, path string }{
		{http.MethodPost, "/gatenox/api/v1/invites/individuals"},
		{http.MethodGet, "/gatenox/api/v1/invites/individuals"},
		{http.MethodGet, "/gatenox/api/v1/verification_individuals"},
		{http.MethodGet, "/gatenox/api/v1/verification_individuals/x"},
		{http.MethodGet, "/gatenox/api/v1/verification_individuals/x/people"},
		{http.MethodGet, "/gatenox/api/v1/verification_individuals/x/addresses"},
		{http.MethodGet, "/gatenox/api/v1/verification_individuals/x/addresses/y"},
		{http.MethodGet, "/gatenox/api/v1/verification_individuals/x/audit_log"},
		{http.MethodPost, "/gatenox/api/v1/verification_individuals/x/state/start"},
		{http.MethodPost, "/gatenox/api/v1/verification_individuals/x/state/rejected"},
		{http.MethodGet, "/gatenox/api/v1/attachments/x"},
		{http.MethodPost, "/gatenox/api/v1/webhooks/external_risk_score"},
	}
	for _, auth := range []string{"", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token abc", "Bearer blocked-token"} {
		for _, p := range paths {
			var h []string
			if auth != "" {
				h = []string{"Authorization", auth}
			}
			r := e.call(p.method, p.path, nil, h...)
			if r.status != 401 || string(bytes.TrimSpace(r.raw)) != unauthorizedBody {
				t.Errorf("%q %s %s: %d %s", auth, p.method, p.path, r.status, r.raw)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("401 Content-Type %q", ct)
			}
		}
	}
	// Unblocking lets the token in again.
	e.settings("blocked-token", map[string]any{"blocked": false})
	if r := e.client("blocked-token").do(http.MethodGet, "/api/v1/invites/individuals", nil); r.status != 200 {
		t.Errorf("unblocked token: %d", r.status)
	}
}

// TestBadInputs sends what a careless client sends; each gets Gatenox's
// own shape, never a 5xx, and nothing changes.
func TestBadInputs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client("company-token-1")
	e.settings(c.token, map[string]any{"autoSubmit": false})
	caseID := newCase(c, "bad@example.com")
	c.state(caseID, "start")
	before := c.getCase(caseID).raw
	invites := c.do(http.MethodGet, "/api/v1/invites/individuals", nil).raw

	const (
		generic    = "generic"
		notFound   = "not_found"
		validation = "validation"
		dataErr    = "data_error"
	)
	state := func(event string) string { return "/api/v1/verification_individuals/" + caseID + "/state/" + event }
	tests := []struct {
		name, method, path string
		body               any
		form               []field
		status             int
		shape              string
		text               string // a substring of the answer
	}{
		{"no recipients", "POST", "/api/v1/invites/individuals", map[string]any{"recipients": []any{}}, nil, 422, validation, `"recipients":["must have at least 1 items"]`},
		{"no recipients key", "POST", "/api/v1/invites/individuals", map[string]any{}, nil, 422, validation, `"recipients":["is required"]`},
		{"missing email", "POST", "/api/v1/invites/individuals", map[string]any{"recipients": []any{map[string]any{"customer_id": "x"}}}, nil, 422, validation, `"recipients.0.email":["is required"]`},
		{"bad email", "POST", "/api/v1/invites/individuals", map[string]any{"recipients": []any{map[string]any{"email": "not-an-email"}}}, nil, 422, validation, `"recipients.0.email":["must be a valid email"]`},
		{"email not a string", "POST", "/api/v1/invites/individuals", map[string]any{"recipients": []any{map[string]any{"email": 42}}}, nil, 422, validation, `"recipients.0.email"`},
		{"not JSON", "POST", "/api/v1/invites/individuals", "{", nil, 422, validation, `"base"`},
		{"too many recipients", "POST", "/api/v1/invites/individuals", map[string]any{"recipients": make([]map[string]any, 101)}, nil, 422, validation, `"recipients"`},
		{"start twice", "POST", state("start"), nil, nil, 422, dataErr, "There is no event start defined for the in_progress state"},
		{"back to compliance from in_progress", "POST", state("back_to_compliance"), nil, nil, 422, dataErr, "There is no event back_to_compliance defined for the in_progress state"},
		{"reopen from in_progress", "POST", state("reopen"), nil, nil, 422, dataErr, "There is no event reopen defined for the in_progress state"},
		{"qa without assessment", "POST", state("qa"), nil, nil, 422, dataErr, "Assessment must be provided"},
		{"qa without comment", "POST", state("qa"), nil, []field{{"assessment", "risk_low"}}, 422, dataErr, "Assessment comment must be provided"},
		{"complete without comment", "POST", state("complete"), nil, []field{{"assessment", "risk_high"}}, 422, dataErr, "Assessment comment must be provided"},
		{"bad assessment", "POST", state("qa"), nil, []field{{"assessment", "risk_extreme"}, {"assessment_comment", "x"}}, 422, dataErr, "Assessment is not included in the list"},
		{"state with a bad JSON body", "POST", state("qa"), "{", nil, 400, generic, ""},
		{"unknown case", "GET", "/api/v1/verification_individuals/00000000-0000-4000-8000-000000000000", nil, nil, 404, notFound, "Couldn't find record"},
		{"non-uuid case", "GET", "/api/v1/verification_individuals/abc", nil, nil, 404, notFound, ""},
		{"unknown case people", "GET", "/api/v1/verification_individuals/abc/people", nil, nil, 404, notFound, ""},
		{"unknown case addresses", "GET", "/api/v1/verification_individuals/abc/addresses", nil, nil, 404, notFound, ""},
		{"unknown case address", "GET", "/api/v1/verification_individuals/abc/addresses/def", nil, nil, 404, notFound, ""},
		{"unknown case audit log", "GET", "/api/v1/verification_individuals/abc/audit_log", nil, nil, 404, notFound, ""},
		{"unknown case state", "POST", "/api/v1/verification_individuals/abc/state/start", nil, nil, 404, notFound, ""},
		{"page 0", "GET", "/api/v1/invites/individuals?page=0", nil, nil, 400, generic, "query.page: must be at least 1"},
		{"per_page not a number", "GET", "/api/v1/invites/individuals?per_page=ten", nil, nil, 400, generic, "query.per_page"},
		{"bad order_by", "GET", "/api/v1/invites/individuals?order_by=email,desc", nil, nil, 400, generic, "query.order_by"},
		{"bad order direction", "GET", "/api/v1/invites/individuals?order_by=created_at,down", nil, nil, 400, generic, "query.order_by"},
		{"bad state", "GET", "/api/v1/invites/individuals?state=invited,lost", nil, nil, 400, generic, "query.state"},
		{"bad status", "GET", "/api/v1/verification_individuals?status=approved", nil, nil, 400, generic, "query.status"},
		{"bad assessment_status", "GET", "/api/v1/verification_individuals?assessment_status=pending", nil, nil, 400, generic, "query.assessment_status"},
		{"bad created_at", "GET", "/api/v1/verification_individuals?created_at=yesterday", nil, nil, 400, generic, "query.created_at"},
		{"bad timestamp", "GET", "/api/v1/verification_individuals/" + caseID + "?timestamp=-1", nil, nil, 400, generic, "query.timestamp"},
		{"timestamp not a number", "GET", "/api/v1/verification_individuals/" + caseID + "?timestamp=now", nil, nil, 400, generic, "query.timestamp"},
		{"unknown route", "GET", "/api/v1/verification_companies", nil, nil, 404, generic, `"code":404`},
		{"wrong method", "DELETE", "/api/v1/invites/individuals", nil, nil, 405, generic, `"code":405`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r response
			if tc.form != nil {
				r = c.form(tc.path, tc.form...)
			} else {
				r = c.do(tc.method, tc.path, tc.body)
			}
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.raw)
			}
			switch tc.shape {
			case generic:
				equal(t, "error.code", r.get("error", "code"), float64(tc.status))
			case notFound:
				equal(t, "errors.not_found", r.str("errors", "not_found"), "Couldn't find record")
			case validation:
				if r.get("errors") == nil || r.get("field_errors") == nil {
					t.Errorf("not errors+field_errors: %s", r.raw)
				}
			case dataErr:
				equal(t, "errors.data_error", r.str("errors", "data_error"), tc.text)
			}
			if !strings.Contains(string(r.raw), tc.text) {
				t.Errorf("answer %s does not contain %s", r.raw, tc.text)
			}
			if strings.Contains(string(r.raw), "not-an-email") || strings.Contains(string(r.raw), "risk_extreme") {
				t.Errorf("the answer repeats a submitted value: %s", r.raw)
			}
		})
	}
	if now := c.getCase(caseID).raw; !bytes.Equal(now, before) {
		t.Errorf("bad calls changed the case:\n%s\n%s", before, now)
	}
	if now := c.do(http.MethodGet, "/api/v1/invites/individuals", nil).raw; !bytes.Equal(now, invites) {
		t.Errorf("bad calls changed the invitations")
	}
}

// TestIllegalTransitions tries every state endpoint from every status the
// API can reach and checks the workflow's message for the refused ones.
func TestIllegalTransitions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client("company-token-1")
	e.settings(c.token, map[string]any{"autoSubmit": false})
	allowed := map[string][]string{
		"new":         {"start"},
		"in_progress": {"qa", "complete", "rejected"},
		"qa":          {"back_to_compliance", "complete", "rejected"},
		"completed":   {"reopen"},
		"rejected":    {"reopen"},
	}
	// How to bring a fresh case to each status.
	reach := map[string][]string{
		"new":         nil,
		"in_progress": {"start"},
		"qa":          {"start", "qa"},
		"completed":   {"start", "complete"},
		"rejected":    {"start", "rejected"},
	}
	events := map[string]string{"start": "start", "qa": "qa", "back_to_compliance": "back_to_compliance",
		"complete": "complete", "reopen": "reopen", "rejected": "reject"}
	assess := []field{{"assessment", "risk_low"}, {"assessment_comment", "ok"}}
	for status, path := range reach {
		for endpoint, event := range events {
			caseID := newCase(c, "it@example.com")
			for _, step := range path {
				c.state(caseID, step, assess...)
			}
			r := c.form("/api/v1/verification_individuals/"+caseID+"/state/"+endpoint, assess...)
			ok := false
			for _, a := range allowed[status] {
				ok = ok || a == endpoint
			}
			if ok {
				equal(t, status+" "+endpoint, r.status, 200)
				continue
			}
			equal(t, status+" "+endpoint+" status", r.status, 422)
			equal(t, status+" "+endpoint, r.str("errors", "data_error"),
				"There is no event "+event+" defined for the "+status+" state")
			equal(t, "unchanged", c.getCase(caseID).str("verification_individual", "status"), status)
		}
	}
}

// TestCredits: with a balance set, invitations cost credits; a batch the
// balance cannot pay answers the documented 422 and creates nothing.
func TestCredits(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client("company-token-1")
	s := e.settings(c.token, map[string]any{"credits": 10, "inviteCost": 3})
	equal(t, "credits", s.get("credits"), float64(10))
	c.invite(map[string]any{"email": "a@example.com"}, map[string]any{"email": "b@example.com"})
	r := e.call(http.MethodGet, "/_emulator/providers/gatenox/settings?tenant="+c.token, nil)
	equal(t, "balance after 2 invitations", r.get("credits"), float64(4))
	r = c.do(http.MethodPost, "/api/v1/invites/individuals", map[string]any{"recipients": []any{
		map[string]any{"email": "c@example.com"}, map[string]any{"email": "d@example.com"}}})
	equal(t, "status", r.status, 422)
	equal(t, "field_errors", r.get("field_errors", "credits_balance"),
		[]any{"NOT_ENOUGH_CREDITS", map[string]any{"balance_before": float64(4), "amount": float64(6), "balance_after": float64(-2)}})
	l := c.do(http.MethodGet, "/api/v1/invites/individuals", nil)
	equal(t, "invitations", l.get("meta", "pagination", "total"), float64(2))
	r = e.call(http.MethodGet, "/_emulator/providers/gatenox/settings?tenant="+c.token, nil)
	equal(t, "balance unchanged", r.get("credits"), float64(4))
	c.invite(map[string]any{"email": "c@example.com"})
	e.settings(c.token, map[string]any{"credits": nil})
	c.invite(map[string]any{"email": "e@example.com"}, map[string]any{"email": "f@example.com"})
	r = e.call(http.MethodGet, "/_emulator/providers/gatenox/settings?tenant="+c.token, nil)
	equal(t, "unlimited", r.get("credits"), nil)
}
