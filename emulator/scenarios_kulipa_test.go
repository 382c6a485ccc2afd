package emulator_test

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kycemu/kycemu/emulator/internal/oas"
	"github.com/kycemu/kycemu/emulator/internal/testutil"
)

// kulipaKey is the Kulipa API key (the tenant) of the scenario tests.
const kulipaKey = "kulipa_test_scenarios"

func (h *harness) kulipa(method, path string, body any, scenario string) reply {
	h.t.Helper()
	hdr := []string{"x-api-key", kulipaKey}
	if scenario != "" {
		hdr = append(hdr, "X-Kycemu-Scenario", scenario)
	}
	return h.do(method, "/kulipa/v1"+path, body, hdr...)
}

// kulipaKyc creates a user and a full KYC under a scenario and returns the
// KYC id and its webview URL.
func (h *harness) kulipaKyc(scenario string) (id, webview string) {
	h.t.Helper()
	r := h.kulipa("POST", "/users", map[string]any{"firstName": "Ada", "lastName": "Lovelace"}, "")
	if r.status != 201 {
		h.t.Fatalf("create user: %d %s", r.status, r.body)
	}
	r = h.kulipa("PUT", "/kycs", map[string]any{"userId": r.json(h.t)["id"], "type": "full"}, scenario)
	if r.status != 201 {
		h.t.Fatalf("create KYC: %d %s", r.status, r.body)
	}
	k := r.json(h.t)
	if k["status"] != "pending" {
		h.t.Fatalf("new KYC is %v", k["status"])
	}
	return k["id"].(string), k["url"].(string)
}

// kulipaComplete completes the KYC's webview, as the user would: their
// details, both sides of an identity card and a selfie.
func (h *harness) kulipaComplete(webview string) {
	h.t.Helper()
	ct, body := testutil.Multipart(url.Values{"action": {"complete"}, "firstName": {"Ada"}, "lastName": {"Lovelace"},
		"dateOfBirth": {"1990-12-10"}, "docCountry": {"GB"}, "docType": {"id_card"}, "docNumber": {"X1234567"}},
		map[string][]byte{"front": pngBytes(), "back": pngBytes(), "selfie": pngBytes()}, ".png")
	resp, err := h.srv.Client().Post(webview, ct, body)
	if err != nil {
		h.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusSeeOther {
		h.t.Fatalf("complete the webview: %d", resp.StatusCode)
	}
}

func (h *harness) kulipaKycView(id string) map[string]any {
	h.t.Helper()
	r := h.kulipa("GET", "/kycs/"+id, nil, "")
	if r.status != 200 {
		h.t.Fatalf("get KYC: %d %s", r.status, r.body)
	}
	return r.json(h.t)
}

func (h *harness) wantKulipa(id, want string) {
	h.t.Helper()
	if got := h.kulipaKycView(id)["status"]; got != want {
		h.t.Fatalf("KYC is %v; want %s", got, want)
	}
}

// kulipaReceiver is a webhook endpoint that verifies x-kulipa-signature
// with the key GET /v1/webhooks/keys/{keyId} publishes and every body
// against Kulipa's WebhookEvent schema. It refuses (401) a bad signature.
type kulipaReceiver struct {
	*httptest.Server
	h    *harness
	doc  *oas.Doc
	mu   sync.Mutex
	keys map[string]*ecdsa.PublicKey
	got  []string // "created" or "created (bad signature)", in arrival order
	errs []string
}

func (h *harness) kulipaReceiver() *kulipaReceiver {
	h.t.Helper()
	doc := testutil.Spec(h.t, "kulipa")
	rc := &kulipaReceiver{h: h, doc: doc, keys: map[string]*ecdsa.PublicKey{}}
	rc.Server = httptest.NewServer(http.HandlerFunc(rc.serve))
	h.t.Cleanup(rc.Close)
	if r := h.do("PUT", "/_emulator/webhooks/endpoints", map[string]string{"provider": "kulipa", "tenant": kulipaKey, "url": rc.URL}); r.status != 200 {
		h.t.Fatalf("set endpoint: %d %s", r.status, r.body)
	}
	return rc
}

func (rc *kulipaReceiver) key(id string) *ecdsa.PublicKey {
	rc.mu.Lock()
	k, ok := rc.keys[id]
	rc.mu.Unlock()
	if ok {
		return k
	}
	r, err := rc.h.try("GET", "/kulipa/v1/webhooks/keys/"+url.PathEscape(id), nil, "x-api-key", kulipaKey)
	if err != nil || r.status != 200 {
		return nil
	}
	var kv struct{ PublicKey string }
	_ = json.Unmarshal(r.body, &kv)
	blk, _ := pem.Decode([]byte(kv.PublicKey))
	if blk == nil {
		return nil
	}
	pub, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		return nil
	}
	k, _ = pub.(*ecdsa.PublicKey)
	rc.mu.Lock()
	rc.keys[id] = k
	rc.mu.Unlock()
	return k
}

func (rc *kulipaReceiver) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	ts := r.Header.Get("x-kulipa-signature-ts")
	sig, _ := hex.DecodeString(r.Header.Get("x-kulipa-signature"))
	digest := sha256.Sum256([]byte(ts + "." + string(raw)))
	pub := rc.key(r.Header.Get("x-kulipa-key-id"))
	good := pub != nil && ecdsa.VerifyASN1(pub, digest[:], sig)
	var ev struct{ EventName string }
	var generic any
	_ = json.Unmarshal(raw, &ev)
	_ = json.Unmarshal(raw, &generic)
	name := strings.TrimPrefix(strings.Replace(ev.EventName, "user.", "", 1), "kyc.")
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if err := rc.doc.ValidateValue("WebhookEvent", generic); err != nil {
		rc.errs = append(rc.errs, fmt.Sprintf("%s breaks WebhookEvent: %v", ev.EventName, err))
	}
	if !good {
		rc.got = append(rc.got, name+" (bad signature)")
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	rc.got = append(rc.got, name)
	w.WriteHeader(http.StatusOK)
}

// wait waits (real time) until the receiver has seen want, in order.
func (rc *kulipaReceiver) wait(t *testing.T, want ...string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		rc.mu.Lock()
		got := strings.Join(rc.got, ", ")
		rc.mu.Unlock()
		if got == strings.Join(want, ", ") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("webhooks received:\n  %s\nwant\n  %s", got, strings.Join(want, ", "))
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
		"kulipa/approve": func(t *testing.T, h *harness) {
			rc := h.kulipaReceiver()
			id, _ := h.kulipaKyc("approve")
			h.advance(5*time.Second - time.Millisecond)
			h.wantKulipa(id, "pending")
			h.advance(time.Millisecond)
			h.wantKulipa(id, "submitted")
			h.advance(2 * time.Second)
			h.wantKulipa(id, "verified")
			rc.wait(t, "created", "submitted", "verified", "activated")
		},
		"kulipa/reject": func(t *testing.T, h *harness) {
			rc := h.kulipaReceiver()
			id, _ := h.kulipaKyc("reject")
			h.advance(5 * time.Second)
			h.wantKulipa(id, "submitted")
			h.advance(5 * time.Second)
			if k := h.kulipaKycView(id); k["status"] != "rejected" || k["rejectionReason"] != "the identity document could not be verified" {
				t.Fatalf("KYC: %v", k)
			}
			rc.wait(t, "created", "submitted", "rejected")
		},
		"kulipa/expire": func(t *testing.T, h *harness) {
			id, _ := h.kulipaKyc("expire")
			late, webview := h.kulipaKyc("expire")
			h.advance(time.Hour - time.Millisecond)
			h.wantKulipa(id, "pending")
			h.kulipaComplete(webview) // completed in time: verified 2 s later
			h.advance(time.Millisecond)
			h.wantKulipa(id, "expired")
			h.advance(2 * time.Second)
			h.wantKulipa(late, "verified")
		},
		"kulipa/slow-review": func(t *testing.T, h *harness) {
			rc := h.kulipaReceiver()
			id, webview := h.kulipaKyc("slow-review")
			h.kulipaComplete(webview)
			h.advance(time.Hour - time.Second)
			h.wantKulipa(id, "submitted")
			h.advance(time.Second)
			h.wantKulipa(id, "verified")
			rc.wait(t, "created", "submitted", "verified", "activated")
		},
		"kulipa/slow-reject": func(t *testing.T, h *harness) {
			rc := h.kulipaReceiver()
			id, webview := h.kulipaKyc("slow-reject")
			h.kulipaComplete(webview)
			h.advance(time.Hour)
			if k := h.kulipaKycView(id); k["status"] != "rejected" || k["rejectionReason"] != "document expired" {
				t.Fatalf("KYC: %v", k)
			}
			rc.wait(t, "created", "submitted", "rejected")
		},
		"kulipa/manual-review": func(t *testing.T, h *harness) {
			id, webview := h.kulipaKyc("manual-review")
			h.advance(30 * 24 * time.Hour)
			h.wantKulipa(id, "pending") // not even an expiry
			h.kulipaComplete(webview)
			h.advance(30 * 24 * time.Hour)
			h.wantKulipa(id, "submitted")
			if r := h.do("POST", "/_emulator/sessions/"+id+"/approve", nil); r.status != 200 {
				t.Fatalf("approve: %d %s", r.status, r.body)
			}
			h.wantKulipa(id, "verified")
		},
		"kulipa/flaky-503": func(t *testing.T, h *harness) {
			id, webview := h.kulipaKyc("flaky-503")
			for i := range 2 {
				r := h.kulipa("GET", "/kycs/"+id, nil, "")
				if r.status != 503 || r.json(t)["code"] != "service_unavailable_error" {
					t.Fatalf("read %d: %d %s", i+1, r.status, r.body)
				}
			}
			// No timeline of its own: the default path.
			h.kulipaComplete(webview)
			h.advance(2 * time.Second)
			h.wantKulipa(id, "verified")
		},
		"kulipa/rate-limited": func(t *testing.T, h *harness) {
			h.do("PUT", "/_emulator/scenarios/defaults", map[string]string{"provider": "kulipa", "tenant": kulipaKey, "scenario": "rate-limited"})
			id, _ := h.kulipaKyc("") // 2 calls
			for range 8 {
				h.wantKulipa(id, "pending")
			}
			h.advance(20 * time.Second)
			r := h.kulipa("GET", "/kycs/"+id, nil, "")
			if r.status != 429 || r.json(t)["code"] != "rate_limit_error" || r.header.Get("Retry-After") != "40" ||
				r.header.Get("x-ratelimit-remaining") != "0" || r.header.Get("x-ratelimit-reset") != "40" {
				t.Fatalf("call 11: %d %v %s", r.status, r.header, r.body)
			}
			h.advance(40 * time.Second)
			h.wantKulipa(id, "pending")
		},
		"kulipa/webhook-duplicate": func(t *testing.T, h *harness) {
			rc := h.kulipaReceiver()
			id, webview := h.kulipaKyc("webhook-duplicate")
			h.kulipaComplete(webview)
			h.advance(2 * time.Second)
			h.wantKulipa(id, "verified")
			rc.wait(t, "created", "created", "submitted", "submitted", "verified", "verified", "activated", "activated")
		},
		"kulipa/webhook-delay": func(t *testing.T, h *harness) {
			rc := h.kulipaReceiver()
			id, webview := h.kulipaKyc("webhook-delay")
			h.kulipaComplete(webview)
			h.advance(2 * time.Second)
			h.wantKulipa(id, "verified")
			// A delayed event does not hold the others back: user.activated
			// arrives before kyc.verified.
			rc.wait(t, "created", "submitted", "activated")
			h.advance(10*time.Minute - time.Second)
			rc.wait(t, "created", "submitted", "activated")
			h.advance(time.Second)
			rc.wait(t, "created", "submitted", "activated", "verified")
		},
		"kulipa/webhook-bad-signature": func(t *testing.T, h *harness) {
			rc := h.kulipaReceiver()
			id, webview := h.kulipaKyc("webhook-bad-signature")
			rc.wait(t, "created (bad signature)")
			h.kulipaComplete(webview)
			h.advance(2 * time.Second)
			h.wantKulipa(id, "verified")
			// Every attempt of that delivery is signed with an unpublished
			// key; the events behind it wait until it is given up after
			// Kulipa's nine retries. Retries are scheduled when an attempt
			// ends, so the clock moves one retry at a time.
			want := []string{"created (bad signature)"}
			for i, wait := range []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour, 4 * time.Hour,
				12 * time.Hour, 24 * time.Hour, 48 * time.Hour, 96 * time.Hour} {
				if i == 0 {
					wait -= 2 * time.Second
				}
				h.advance(wait)
				want = append(want, "created (bad signature)")
				if len(want) < 10 {
					rc.wait(t, want...)
				}
			}
			rc.wait(t, append(want, "submitted", "verified", "activated")...)
		},
	} {
		builtinTests[name] = test
	}
}
