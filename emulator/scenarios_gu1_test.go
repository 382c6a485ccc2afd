package emulator_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kycemu/kycemu/emulator/internal/oas"
	"github.com/kycemu/kycemu/emulator/internal/testutil"
)

// gu1 tenant: the API key and the organisation id.
const (
	gu1Key    = "gk_test_scenarios"
	gu1Org    = "6f1c2a34-1111-4e8e-9a77-5c2b1d0e9f01"
	gu1Tenant = gu1Key + ":" + gu1Org
)

func (h *harness) gu1(method, path string, body any, scenario string) reply {
	h.t.Helper()
	hdr := []string{"Authorization", "Bearer " + gu1Key, "X-Organization-ID", gu1Org}
	if scenario != "" {
		hdr = append(hdr, "X-Kycemu-Scenario", scenario)
	}
	return h.do(method, "/gu1"+path, body, hdr...)
}

// gu1Validation creates a person entity (with taxId, when given) and a
// validation under a scenario, and returns the validation id.
func (h *harness) gu1Validation(scenario, taxID string) string {
	h.t.Helper()
	ent := map[string]any{"type": "person", "name": "Ana Souza", "countryCode": "BR"}
	if taxID != "" {
		ent["taxId"] = taxID
	}
	r := h.gu1("POST", "/entities", ent, "")
	if r.status != 201 && r.status != 200 {
		h.t.Fatalf("create entity: %d %s", r.status, r.body)
	}
	entityID := r.json(h.t)["entity"].(map[string]any)["id"].(string)
	r = h.gu1("POST", "/api/kyc/validations", map[string]any{"entityId": entityID}, scenario)
	if r.status != 201 {
		h.t.Fatalf("create validation: %d %s", r.status, r.body)
	}
	v := r.json(h.t)
	if v["status"] != "pending" {
		h.t.Fatalf("new validation is %v", v["status"])
	}
	return v["id"].(string)
}

func (h *harness) gu1Status(id string) string {
	h.t.Helper()
	r := h.gu1("GET", "/api/kyc/validations/"+id, nil, "")
	if r.status != 200 {
		h.t.Fatalf("get validation: %d %s", r.status, r.body)
	}
	return r.json(h.t)["status"].(string)
}

func (h *harness) wantGu1(id, want string) {
	h.t.Helper()
	if got := h.gu1Status(id); got != want {
		h.t.Fatalf("validation is %s; want %s", got, want)
	}
}

// hookReceiver is a webhook endpoint that checks X-Webhook-Signature with
// the tenant's secret and every body against gu1's WebhookEvent schema. It
// refuses (401) a bad signature, as a careful receiver does.
type hookReceiver struct {
	*httptest.Server
	secret string
	doc    *oas.Doc
	mu     sync.Mutex
	got    []string // "event" or "event (bad signature)", in arrival order
	errs   []string
	// down makes the receiver answer 503 (and record nothing).
	down atomic.Bool
}

func (h *harness) gu1Receiver() *hookReceiver {
	h.t.Helper()
	var sec struct{ Secret string }
	_ = json.Unmarshal(h.do("GET", "/_emulator/webhooks/secret?provider=gu1&tenant="+gu1Tenant, nil).body, &sec)
	doc := testutil.Spec(h.t, "gu1")
	rc := &hookReceiver{secret: sec.Secret, doc: doc}
	rc.Server = httptest.NewServer(http.HandlerFunc(rc.serve))
	h.t.Cleanup(rc.Close)
	if r := h.do("PUT", "/_emulator/webhooks/endpoints", map[string]string{"provider": "gu1", "tenant": gu1Tenant, "url": rc.URL}); r.status != 200 {
		h.t.Fatalf("set endpoint: %d %s", r.status, r.body)
	}
	return rc
}

func (rc *hookReceiver) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	if rc.down.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	m := hmac.New(sha256.New, []byte(rc.secret))
	m.Write(raw)
	good := hmac.Equal([]byte(hex.EncodeToString(m.Sum(nil))), []byte(r.Header.Get("X-Webhook-Signature")))
	var ev struct{ Event string }
	var generic any
	_ = json.Unmarshal(raw, &ev)
	_ = json.Unmarshal(raw, &generic)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if err := rc.doc.ValidateValue("WebhookEvent", generic); err != nil {
		rc.errs = append(rc.errs, fmt.Sprintf("%s breaks WebhookEvent: %v", ev.Event, err))
	}
	if !good {
		rc.got = append(rc.got, ev.Event+" (bad signature)")
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	rc.got = append(rc.got, ev.Event)
	w.WriteHeader(http.StatusOK)
}

// events returns what arrived, short names ("approved" for
// kyc.validation_approved).
func (rc *hookReceiver) events() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := make([]string, len(rc.got))
	for i, e := range rc.got {
		out[i] = strings.TrimPrefix(e, "kyc.validation_")
	}
	return out
}

// wait waits (real time) until the receiver has seen want, in order.
func (rc *hookReceiver) wait(t *testing.T, want ...string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := rc.events()
		if strings.Join(got, ",") == strings.Join(want, ",") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("webhooks received:\n  %s\nwant\n  %s", strings.Join(got, ", "), strings.Join(want, ", "))
		}
		time.Sleep(2 * time.Millisecond)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, e := range rc.errs {
		t.Error(e)
	}
}

func init() {
	for name, test := range map[string]func(t *testing.T, h *harness){
		"gu1/approve": func(t *testing.T, h *harness) {
			rc := h.gu1Receiver()
			id := h.gu1Validation("approve", "20-30000002") // the scenario wins over the sandbox taxId
			h.advance(2 * time.Second)
			h.wantGu1(id, "in_progress")
			h.advance(2 * time.Second)
			h.wantGu1(id, "in_review")
			h.advance(2 * time.Second)
			h.wantGu1(id, "approved")
			rc.wait(t, "created", "in_progress", "in_review", "approved")
		},
		"gu1/reject": func(t *testing.T, h *harness) {
			rc := h.gu1Receiver()
			id := h.gu1Validation("reject", "")
			h.advance(4 * time.Second)
			h.wantGu1(id, "in_review")
			h.advance(5 * time.Second)
			h.wantGu1(id, "rejected")
			if r := h.gu1("GET", "/api/kyc/validations/"+id, nil, ""); r.json(t)["reason"] != "the identity document could not be verified" {
				t.Errorf("reason: %s", r.body)
			}
			rc.wait(t, "created", "in_progress", "in_review", "rejected")
		},
		"gu1/expire": func(t *testing.T, h *harness) {
			rc := h.gu1Receiver()
			id := h.gu1Validation("expire", "")
			h.advance(2 * time.Second)
			h.wantGu1(id, "in_progress")
			h.advance(time.Hour - 2*time.Second - time.Millisecond)
			h.wantGu1(id, "in_progress")
			h.advance(time.Millisecond)
			h.wantGu1(id, "expired")
			rc.wait(t, "created", "in_progress", "expired")
		},
		"gu1/abandon": func(t *testing.T, h *harness) {
			rc := h.gu1Receiver()
			id := h.gu1Validation("abandon", "")
			h.advance(2 * time.Second)
			h.wantGu1(id, "in_progress")
			h.advance(5 * time.Minute)
			h.wantGu1(id, "abandoned")
			rc.wait(t, "created", "in_progress", "abandoned")
		},
		"gu1/slow-review": func(t *testing.T, h *harness) {
			rc := h.gu1Receiver()
			id := h.gu1Validation("slow-review", "")
			h.advance(5 * time.Second)
			h.wantGu1(id, "in_progress")
			h.advance(time.Hour - 5*time.Second)
			h.wantGu1(id, "in_review")
			h.advance(59 * time.Minute)
			h.wantGu1(id, "in_review")
			h.advance(time.Minute)
			h.wantGu1(id, "approved")
			rc.wait(t, "created", "in_progress", "in_review", "approved")
		},
		"gu1/slow-reject": func(t *testing.T, h *harness) {
			rc := h.gu1Receiver()
			id := h.gu1Validation("slow-reject", "")
			h.advance(time.Hour)
			h.wantGu1(id, "in_review")
			h.advance(5 * time.Minute)
			h.wantGu1(id, "rejected")
			rc.wait(t, "created", "in_progress", "in_review", "rejected")
		},
		"gu1/flaky-503": func(t *testing.T, h *harness) {
			// No timeline of its own: the sandbox taxId still decides.
			id := h.gu1Validation("flaky-503", "20-30000002")
			for i := range 2 {
				r := h.gu1("GET", "/api/kyc/validations/"+id, nil, "")
				if r.status != 503 || r.json(t)["error"] != "SERVICE_UNAVAILABLE" {
					t.Fatalf("read %d: %d %s", i+1, r.status, r.body)
				}
			}
			h.advance(3 * time.Second)
			h.wantGu1(id, "rejected")
		},
		"gu1/rate-limited": func(t *testing.T, h *harness) {
			h.do("PUT", "/_emulator/scenarios/defaults", map[string]string{"provider": "gu1", "tenant": gu1Tenant, "scenario": "rate-limited"})
			id := h.gu1Validation("", "") // 2 calls
			for range 98 {
				h.gu1Status(id)
			}
			h.advance(10 * time.Minute)
			r := h.gu1("GET", "/api/kyc/validations/"+id, nil, "")
			if r.status != 429 || r.json(t)["error"] != "RATE_LIMIT_EXCEEDED" || r.header.Get("Retry-After") != "3000" {
				t.Fatalf("call 101: %d Retry-After %q %s", r.status, r.header.Get("Retry-After"), r.body)
			}
			h.advance(50 * time.Minute)
			h.wantGu1(id, "approved")
		},
		"gu1/webhook-duplicate": func(t *testing.T, h *harness) {
			rc := h.gu1Receiver()
			id := h.gu1Validation("webhook-duplicate", "")
			h.advance(6 * time.Second)
			h.wantGu1(id, "approved")
			rc.wait(t, "created", "created", "in_progress", "in_progress", "in_review", "in_review", "approved", "approved")
		},
		"gu1/webhook-delay": func(t *testing.T, h *harness) {
			rc := h.gu1Receiver()
			id := h.gu1Validation("webhook-delay", "")
			h.advance(6 * time.Second)
			h.wantGu1(id, "approved")
			rc.wait(t, "created", "in_progress", "in_review")
			h.advance(10*time.Minute - time.Second)
			rc.wait(t, "created", "in_progress", "in_review")
			h.advance(time.Second)
			rc.wait(t, "created", "in_progress", "in_review", "approved")
		},
		"gu1/webhook-reorder": func(t *testing.T, h *harness) {
			rc := h.gu1Receiver()
			id := h.gu1Validation("webhook-reorder", "")
			h.advance(4 * time.Second)
			h.wantGu1(id, "in_review")
			rc.wait(t, "created", "in_progress")
			h.advance(2 * time.Second)
			rc.wait(t, "created", "in_progress", "approved", "in_review")
		},
		"gu1/webhook-bad-signature": func(t *testing.T, h *harness) {
			rc := h.gu1Receiver()
			id := h.gu1Validation("webhook-bad-signature", "")
			rc.wait(t, "created (bad signature)")
			h.advance(6 * time.Second)
			h.wantGu1(id, "approved")
			// Every attempt of that delivery is badly signed; the events
			// behind it wait until it is given up (gu1 retries for 7h12m30s).
			// Retries are scheduled when an attempt ends, so the clock is
			// moved one retry at a time.
			want := []string{"created (bad signature)"}
			for _, wait := range []time.Duration{30 * time.Second, 2 * time.Minute, 10 * time.Minute, time.Hour, 6 * time.Hour} {
				h.advance(wait)
				want = append(want, "created (bad signature)")
				if len(want) < 6 {
					rc.wait(t, want...)
				}
			}
			rc.wait(t, append(want, "in_progress", "in_review", "approved")...)
		},
	} {
		builtinTests[name] = test
	}
}
