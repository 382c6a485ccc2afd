package emulator_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Gatenox company token used by the scenario tests.
const gxToken = "gx_test_scenarios"

func (h *harness) gx(method, path string, body any, scenario string) reply {
	h.t.Helper()
	hdr := []string{"Authorization", "Bearer " + gxToken}
	if scenario != "" {
		hdr = append(hdr, "X-Kycemu-Scenario", scenario)
	}
	return h.do(method, "/gatenox/api/v1"+path, body, hdr...)
}

// gxInvite invites one person under a scenario and returns the invitation
// id.
func (h *harness) gxInvite(scenario string) string {
	h.t.Helper()
	r := h.gx("POST", "/invites/individuals", map[string]any{"recipients": []any{map[string]any{"email": "ana@example.com"}}}, scenario)
	if r.status != 201 {
		h.t.Fatalf("invite: %d %s", r.status, r.body)
	}
	return r.json(h.t)["personal_verifications"].([]any)[0].(map[string]any)["id"].(string)
}

// gxInvitation returns an invitation's state and case id.
func (h *harness) gxInvitation(id string) (state, caseID string) {
	h.t.Helper()
	r := h.gx("GET", "/invites/individuals?per_page=100", nil, "")
	for _, it := range r.json(h.t)["personal_verifications"].([]any) {
		m := it.(map[string]any)
		if m["id"] == id {
			caseID, _ = m["verification_id"].(string)
			return m["state"].(string), caseID
		}
	}
	h.t.Fatalf("invitation not listed: %s", r.body)
	return "", ""
}

func (h *harness) wantInvitation(id, want string) string {
	h.t.Helper()
	state, caseID := h.gxInvitation(id)
	if state != want {
		h.t.Fatalf("invitation is %s; want %s", state, want)
	}
	return caseID
}

func (h *harness) gxCase(id string) map[string]any {
	h.t.Helper()
	r := h.gx("GET", "/verification_individuals/"+id, nil, "")
	if r.status != 200 {
		h.t.Fatalf("get case: %d %s", r.status, r.body)
	}
	return r.json(h.t)["verification_individual"].(map[string]any)
}

func (h *harness) wantCase(id, want string) map[string]any {
	h.t.Helper()
	c := h.gxCase(id)
	if c["status"] != want {
		h.t.Fatalf("case is %v; want %s", c["status"], want)
	}
	return c
}

// gxReceiver collects Gatenox webhooks (unsigned) as "prev→new" strings.
type gxReceiver struct {
	*httptest.Server
	mu  sync.Mutex
	got []string
}

func (h *harness) gxReceiver() *gxReceiver {
	h.t.Helper()
	rc := &gxReceiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var b map[string]string
		_ = json.Unmarshal(raw, &b)
		rc.mu.Lock()
		if b["event"] == "state_change" {
			rc.got = append(rc.got, b["prev_state"]+"→"+b["new_state"])
		}
		rc.mu.Unlock()
	}))
	h.t.Cleanup(rc.Close)
	if r := h.do("PUT", "/_emulator/webhooks/endpoints", map[string]string{"provider": "gatenox", "tenant": gxToken, "url": rc.URL}); r.status != 200 {
		h.t.Fatalf("endpoint: %d %s", r.status, r.body)
	}
	return rc
}

func (rc *gxReceiver) wait(t *testing.T, want ...string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		rc.mu.Lock()
		got := append([]string(nil), rc.got...)
		rc.mu.Unlock()
		if len(got) >= len(want) {
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("webhooks %v; want %v", got, want)
				}
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("webhooks %v; want %v", got, want)
		}
		time.Sleep(time.Millisecond)
	}
}

func init() {
	for name, test := range map[string]func(t *testing.T, h *harness){
		"gatenox/approve": func(t *testing.T, h *harness) {
			rc := h.gxReceiver()
			inv := h.gxInvite("approve")
			h.advance(15 * time.Second) // the default: opened at 5 s, submitted at 15 s
			caseID := h.wantInvitation(inv, "completed")
			h.wantCase(caseID, "new")
			h.advance(time.Minute)
			h.wantCase(caseID, "in_progress")
			h.advance(time.Minute)
			c := h.wantCase(caseID, "completed")
			if c["assessment"] != "risk_low" || c["assessment_comment"] != "approved by the kycemu approve scenario" {
				t.Errorf("assessment %v / %v", c["assessment"], c["assessment_comment"])
			}
			rc.wait(t, "processing→new", "new→in_progress", "in_progress→completed")
		},
		"gatenox/reject": func(t *testing.T, h *harness) {
			rc := h.gxReceiver()
			inv := h.gxInvite("reject")
			h.advance(15 * time.Second)
			caseID := h.wantInvitation(inv, "completed")
			h.advance(2 * time.Minute)
			h.wantCase(caseID, "rejected")
			rc.wait(t, "processing→new", "new→in_progress", "in_progress→rejected")
			// The client can still reopen it.
			if r := h.gx("POST", "/verification_individuals/"+caseID+"/state/reopen", nil, ""); r.status != 200 {
				t.Fatalf("reopen: %d %s", r.status, r.body)
			}
		},
		"gatenox/slow-review": func(t *testing.T, h *harness) {
			inv := h.gxInvite("slow-review")
			h.advance(15 * time.Second)
			caseID := h.wantInvitation(inv, "completed")
			h.advance(time.Hour - time.Second)
			h.wantCase(caseID, "new")
			h.advance(time.Second)
			h.wantCase(caseID, "in_progress")
			h.advance(time.Hour)
			if c := h.wantCase(caseID, "qa"); c["assessment_comment"] != "no findings" {
				t.Errorf("assessment_comment %v", c["assessment_comment"])
			}
			h.advance(time.Hour)
			h.wantCase(caseID, "completed")
		},
		"gatenox/slow-reject": func(t *testing.T, h *harness) {
			inv := h.gxInvite("slow-reject")
			h.advance(15 * time.Second)
			caseID := h.wantInvitation(inv, "completed")
			h.advance(2 * time.Hour)
			h.wantCase(caseID, "qa")
			h.advance(time.Hour)
			h.wantCase(caseID, "rejected")
			r := h.gx("GET", "/verification_individuals/"+caseID+"/audit_log", nil, "")
			audits := r.json(t)["audit_log"].(map[string]any)["audits"].([]any)
			last := audits[len(audits)-1].(map[string]any)
			if got := fmt.Sprint(last["audited_changes"].(map[string]any)["rejection_comment"]); got != "[<nil> document expired]" {
				t.Errorf("last audit row: %v", last)
			}
			if c := h.wantCase(caseID, "rejected"); c["rejection_comment"] != "document expired" {
				t.Errorf("rejection_comment %v", c["rejection_comment"])
			}
		},
		"gatenox/expire": func(t *testing.T, h *harness) {
			inv := h.gxInvite("expire")
			h.advance(2 * time.Second)
			h.wantInvitation(inv, "in_progress")
			h.advance(time.Hour - 2*time.Second - time.Millisecond)
			h.wantInvitation(inv, "in_progress")
			h.advance(time.Millisecond)
			if caseID := h.wantInvitation(inv, "expired"); caseID != "" {
				t.Errorf("an expired invitation has a case")
			}
		},
		"gatenox/decline": func(t *testing.T, h *harness) {
			inv := h.gxInvite("decline")
			h.advance(2 * time.Second)
			h.wantInvitation(inv, "in_progress")
			h.advance(time.Minute)
			h.wantInvitation(inv, "rejected")
			if r := h.gx("GET", "/verification_individuals", nil, ""); len(r.json(t)["verification_individuals"].([]any)) != 0 {
				t.Errorf("a declined invitation made a case: %s", r.body)
			}
		},
		"gatenox/page-only": func(t *testing.T, h *harness) {
			inv := h.gxInvite("page-only")
			h.advance(29 * 24 * time.Hour)
			h.wantInvitation(inv, "invited")
			if r := h.do("POST", "/_emulator/sessions/"+inv+"/complete", nil); r.status != 200 {
				t.Fatalf("complete: %d %s", r.status, r.body)
			}
			caseID := h.wantInvitation(inv, "completed")
			h.advance(24 * time.Hour)
			h.wantCase(caseID, "new")
			// Another one expires after the time limit.
			other := h.gxInvite("page-only")
			h.advance(30 * 24 * time.Hour)
			h.wantInvitation(other, "expired")
		},
		"gatenox/flaky-503": func(t *testing.T, h *harness) {
			inv := h.gxInvite("flaky-503")
			h.advance(15 * time.Second)
			caseID := h.wantInvitation(inv, "completed")
			for i := range 2 {
				r := h.gx("GET", "/verification_individuals/"+caseID, nil, "")
				e, _ := r.json(t)["error"].(map[string]any)
				if r.status != 503 || e["code"] != 503.0 {
					t.Fatalf("read %d: %d %s", i+1, r.status, r.body)
				}
			}
			h.wantCase(caseID, "new")
		},
		"gatenox/rate-limited": func(t *testing.T, h *harness) {
			h.do("PUT", "/_emulator/scenarios/defaults", map[string]string{"provider": "gatenox", "tenant": gxToken, "scenario": "rate-limited"})
			h.gxInvite("") // call 1
			for range 59 {
				if r := h.gx("GET", "/invites/individuals", nil, ""); r.status != 200 {
					t.Fatalf("call under the limit: %d", r.status)
				}
			}
			r := h.gx("GET", "/invites/individuals", nil, "")
			e, _ := r.json(t)["error"].(map[string]any)
			if r.status != 429 || e["code"] != 429.0 || r.header.Get("Retry-After") != "60" {
				t.Fatalf("call 61: %d Retry-After %q %s", r.status, r.header.Get("Retry-After"), r.body)
			}
			h.advance(time.Minute)
			if r := h.gx("GET", "/invites/individuals", nil, ""); r.status != 200 {
				t.Fatalf("after the window: %d", r.status)
			}
		},
		"gatenox/webhook-duplicate": func(t *testing.T, h *harness) {
			rc := h.gxReceiver()
			inv := h.gxInvite("webhook-duplicate")
			h.advance(15 * time.Second)
			caseID := h.wantInvitation(inv, "completed")
			if r := h.gx("POST", "/verification_individuals/"+caseID+"/state/start", nil, ""); r.status != 200 {
				t.Fatalf("start: %d %s", r.status, r.body)
			}
			rc.wait(t, "processing→new", "processing→new", "new→in_progress", "new→in_progress")
		},
		"gatenox/kyb-approve": func(t *testing.T, h *harness) {
			rc := h.gxReceiver()
			inv := h.gxCorporateInvite("kyb-approve")
			h.advance(15 * time.Second)
			caseID := h.gxCorporateCase(inv)
			c := h.wantKYB(caseID, "new")
			if c["entity_name"] != "Acme Payments Ltd" || c["entity_identifier"] != "12345678" {
				t.Errorf("company %v / %v", c["entity_name"], c["entity_identifier"])
			}
			dirs := h.gx("GET", "/verifications/"+caseID+"/directors", nil, "").json(t)["directors"].([]any)
			ubos := h.gx("GET", "/verifications/"+caseID+"/ubos", nil, "").json(t)["ubos"].([]any)
			people := h.gx("GET", "/verifications/"+caseID+"/people", nil, "").json(t)["people"].([]any)
			if len(dirs) != 2 || len(ubos) != 1 || len(people) != 2 {
				t.Errorf("directors %d, ubos %d, people %d", len(dirs), len(ubos), len(people))
			}
			h.advance(2 * time.Minute)
			if c := h.wantKYB(caseID, "completed"); c["assessment"] != "risk_low" {
				t.Errorf("assessment %v", c["assessment"])
			}
			rc.wait(t, "processing→new", "new→in_progress", "in_progress→completed")
		},
		"gatenox/kyb-reject": func(t *testing.T, h *harness) {
			rc := h.gxReceiver()
			inv := h.gxCorporateInvite("kyb-reject")
			h.advance(15 * time.Second)
			caseID := h.gxCorporateCase(inv)
			h.advance(2 * time.Minute)
			if c := h.wantKYB(caseID, "rejected"); c["rejection_comment"] != "the ownership structure could not be verified" {
				t.Errorf("rejection_comment %v", c["rejection_comment"])
			}
			rc.wait(t, "processing→new", "new→in_progress", "in_progress→rejected")
		},
		"gatenox/kyb-data-update": func(t *testing.T, h *harness) {
			rc := h.gxReceiver()
			inv := h.gxCorporateInvite("kyb-data-update")
			h.advance(15 * time.Second)
			caseID := h.gxCorporateCase(inv)
			h.advance(2 * time.Minute)
			h.wantKYB(caseID, "data_update_requested")
			h.advance(time.Hour)
			h.wantKYB(caseID, "in_progress")
			rc.wait(t, "processing→new", "new→in_progress", "in_progress→data_update_requested", "data_update_requested→in_progress")
		},
		"gatenox/screening-hit": func(t *testing.T, h *harness) {
			r := h.gx("POST", "/checks/companies", map[string]string{"check_type": "standard", "company_name": "Korean Space"}, "screening-hit")
			if r.status != 200 {
				t.Fatalf("check: %d %s", r.status, r.body)
			}
			c := r.json(t)["check_company"].(map[string]any)
			if c["state"] != "completed" || len(c["issues"].([]any)) != 2 {
				t.Errorf("company check: %v", c)
			}
			r = h.gx("POST", "/checks/crypto_address", map[string]string{"address_type": "ETH", "address": "0x4838B106FCe9647Bdf1E7877BF73cE8B0BAD5f97"}, "screening-hit")
			id := r.json(t)["check_crypto_address"].(map[string]any)["id"].(string)
			h.advance(5 * time.Second)
			g := h.gx("GET", "/checks/crypto_address/"+id, nil, "").json(t)["check_crypto_address"].(map[string]any)
			if g["cscore_section"].(map[string]any)["risk_level"] != "HIGH" {
				t.Errorf("crypto report: %v", g)
			}
		},
		"gatenox/screening-pending": func(t *testing.T, h *harness) {
			r := h.gx("POST", "/checks/individuals", map[string]string{"check_type": "standard", "given_names": "Ana", "surname": "Souza"}, "screening-pending")
			c := r.json(t)["check_individual"].(map[string]any)
			if c["state"] != "processing" {
				t.Fatalf("pending check: %v", c)
			}
			id := c["id"].(string)
			h.advance(24 * time.Hour)
			if s := h.gx("GET", "/checks/individuals/"+id, nil, "").json(t)["check_individual"].(map[string]any)["state"]; s != "processing" {
				t.Errorf("after a day: %v", s)
			}
			if r := h.do("POST", "/_emulator/sessions/"+id+"/actions", map[string]string{"action": "hit"}); r.status != 200 {
				t.Fatalf("hit: %d %s", r.status, r.body)
			}
			g := h.gx("GET", "/checks/individuals/"+id, nil, "").json(t)["check_individual"].(map[string]any)
			if g["state"] != "completed" || len(g["issues"].([]any)) != 2 {
				t.Errorf("after the control API: %v", g)
			}
		},
	} {
		builtinTests[name] = test
	}
}

// gxCorporateInvite invites one company under a scenario and returns the
// invitation id.
func (h *harness) gxCorporateInvite(scenario string) string {
	h.t.Helper()
	r := h.gx("POST", "/invites/corporates", map[string]any{"recipients": []any{map[string]any{"email": "owner@acme.example"}}}, scenario)
	if r.status != 201 {
		h.t.Fatalf("corporate invite: %d %s", r.status, r.body)
	}
	return r.json(h.t)["invites"].([]any)[0].(map[string]any)["id"].(string)
}

// gxCorporateCase returns the case of a corporate invitation.
func (h *harness) gxCorporateCase(invitationID string) string {
	h.t.Helper()
	r := h.gx("GET", "/invites/corporates?per_page=100", nil, "")
	for _, it := range r.json(h.t)["personal_verifications"].([]any) {
		if m := it.(map[string]any); m["id"] == invitationID {
			if id, _ := m["verification_id"].(string); id != "" {
				return id
			}
		}
	}
	h.t.Fatalf("no case for the corporate invitation: %s", r.body)
	return ""
}

func (h *harness) wantKYB(id, want string) map[string]any {
	h.t.Helper()
	r := h.gx("GET", "/verifications/"+id, nil, "")
	if r.status != 200 {
		h.t.Fatalf("get corporate case: %d %s", r.status, r.body)
	}
	c := r.json(h.t)["verification"].(map[string]any)
	if c["status"] != want {
		h.t.Fatalf("corporate case is %v; want %s", c["status"], want)
	}
	return c
}
