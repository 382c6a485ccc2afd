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
	} {
		builtinTests[name] = test
	}
}
