package kulipa_test

import (
	"crypto/ecdsa"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kycemu/kycemu/emulator"
	"github.com/kycemu/kycemu/emulator/internal/testutil"
	"github.com/kycemu/kycemu/testkit"
)

// restartedEnv starts a second emulator on the data directory of a
// stopped one, as a redeployed container would, with a manual clock at
// the time the first one stopped.
func restartedEnv(t *testing.T, dir string, at time.Time) *env {
	t.Helper()
	srv := testkit.Start(t, testkit.WithManualClock(at), testkit.WithSeed(1),
		testkit.WithEmulatorOptions(emulator.WithDataDir(dir)))
	return &env{t: t, emu: srv.Emulator(), srv: srv, doc: testutil.Spec(t, "kulipa")}
}

// TestRestartCarriesOn stops an emulator half way through a KYC (the user
// completed the webview; the kyc.submitted webhook failed and waits for a
// retry) and finishes the flow on a second emulator on the same data
// directory: statuses, history, users, settings, the rate-limit window,
// idempotency keys, the webhook key and the pending retry all carry over.
func TestRestartCarriesOn(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, emulator.WithDataDir(dir))
	c := e.client(apiKey)
	e.settings(map[string]any{"tenant": apiKey, "reviewDelay": "1h"})
	e.settings(map[string]any{"kycTtl": "48h"})
	var down atomic.Bool
	rc := c.receiver(func(int) bool { return down.Load() })

	userBody := map[string]any{
		"firstName": "Grace", "lastName": "Hopper", "email": "grace@example.com",
		"phone":   map[string]any{"country": "US", "number": "+1 (202) 555-0143"},
		"address": map[string]any{"address1": "1 Navy Yard", "city": "Washington", "postalCode": "20374", "country": "US", "state": "DC"},
	}
	first := c.do(http.MethodPost, "/users", userBody, "x-idempotency-key", "onboard-grace")
	if first.status != http.StatusCreated {
		t.Fatalf("create user: %d %s", first.status, first.raw)
	}
	userID := first.str("id")
	k := c.kyc(userID, "full", map[string]any{"redirectUri": "https://partner.example/kyc/done"})
	kycID, webview := k.str("id"), k.str("url")
	rc.waitHooks(t, 1) // kyc.created

	// The partner's endpoint goes down; the user completes the webview.
	down.Store(true)
	if r := e.form(webview, url.Values{"action": {"complete"}}); r.status != http.StatusSeeOther {
		t.Fatalf("complete: %d %s", r.status, r.raw)
	}
	var failed hook
	testutil.WaitFor(t, "the kyc.submitted attempt to fail", func() bool {
		for _, h := range rc.requests() {
			if h.EventName == "kyc.submitted" && h.status != http.StatusOK {
				failed = h
				return true
			}
		}
		return false
	})
	beforeSession := e.call(http.MethodGet, "/_emulator/sessions/"+kycID, nil)
	beforeUser, beforeKyc := c.get("/users/"+userID), c.get("/kycs/"+kycID)
	beforeKey := c.get("/webhooks/keys/" + failed.keyID)
	remaining := beforeKey.header.Get("x-ratelimit-remaining")
	stoppedAt := e.now()
	e.srv.Close()

	down.Store(false)
	e2 := restartedEnv(t, dir, stoppedAt)
	c2 := e2.client(apiKey)
	rc.mu.Lock()
	rc.e, rc.keys = e2, map[string]*ecdsa.PublicKey{} // fetch the key again, from the new process
	rc.mu.Unlock()

	// What was stored reads back the same.
	if got := e2.now(); !got.Equal(stoppedAt) {
		t.Fatalf("clock after restart %v, want %v", got, stoppedAt)
	}
	after := c2.get("/kycs/" + kycID)
	if string(after.raw) != string(beforeKyc.raw) || after.str("status") != "submitted" {
		t.Fatalf("KYC after restart:\n%s\nbefore:\n%s", after.raw, beforeKyc.raw)
	}
	if got, want := after.header.Get("x-ratelimit-remaining"), mustAtoi(t, remaining)-1; mustAtoi(t, got) != want {
		t.Errorf("rate-limit window after restart: %s remaining, want %d", got, want)
	}
	if u := c2.get("/users/" + userID); string(u.raw) != string(beforeUser.raw) {
		t.Fatalf("user after restart:\n%s\nbefore:\n%s", u.raw, beforeUser.raw)
	}
	if s := e2.call(http.MethodGet, "/_emulator/sessions/"+kycID, nil); string(s.raw) != string(beforeSession.raw) {
		t.Fatalf("session after restart:\n%s\nbefore:\n%s", s.raw, beforeSession.raw)
	}
	if key := c2.get("/webhooks/keys/" + failed.keyID); string(key.raw) != string(beforeKey.raw) {
		t.Fatalf("webhook key after restart:\n%s\nbefore:\n%s", key.raw, beforeKey.raw)
	}
	s := e2.call(http.MethodGet, "/_emulator/providers/kulipa/settings?tenant="+apiKey, nil)
	if s.str("reviewDelay") != "1h0m0s" || s.str("kycTtl") != "48h0m0s" {
		t.Errorf("settings after restart: %s", s.raw)
	}
	// The KYC's url names the old server's port; its inquiry id still works.
	moved := e2.srv.URL + strings.TrimPrefix(webview, e.srv.URL)
	if page := e2.form(moved, url.Values{"action": {"complete"}}); page.status != http.StatusConflict {
		t.Errorf("the webview of a submitted KYC after restart: %d", page.status)
	}
	if dup := c2.do(http.MethodPost, "/users", map[string]any{"firstName": "Gregory", "lastName": "Hopper",
		"phone": map[string]any{"country": "us", "number": "12025550143"}}); dup.status != 409 || dup.str("code") != "duplicate_user_error" {
		t.Errorf("a second user with the phone after restart: %d %s", dup.status, dup.raw)
	}
	// The client retries its first create: the answer is replayed.
	again := c2.do(http.MethodPost, "/users", userBody, "x-idempotency-key", "onboard-grace")
	if again.status != http.StatusCreated || string(again.raw) != string(first.raw) || again.header.Get("x-kycemu-idempotent-replay") != "true" {
		t.Fatalf("idempotent retry after restart: %d %s (replay %q)", again.status, again.raw, again.header.Get("x-kycemu-idempotent-replay"))
	}

	// The failed kyc.submitted is retried a minute later, signed with the
	// same key; the review ends an hour after the submission (the
	// tenant's reviewDelay) and the user is activated.
	e2.advance(time.Minute)
	rc.waitHooks(t, 2)
	e2.advance(time.Hour)
	hs := rc.waitHooks(t, 4)
	if want := []string{"kyc.created", "kyc.submitted", "kyc.verified", "user.activated"}; !slices.Equal(names(hs), want) {
		t.Fatalf("webhooks %v, want %v", names(hs), want)
	}
	if hs[1].EventID != failed.EventID {
		t.Errorf("the retried kyc.submitted has event id %s, the failed attempt %s", hs[1].EventID, failed.EventID)
	}
	for _, h := range hs {
		if h.keyID != failed.keyID {
			t.Errorf("%s signed with key %s, want %s", h.EventName, h.keyID, failed.keyID)
		}
	}
	if h := hs[3]; h.UserID != userID || h.body["userStatus"] != "active" {
		t.Errorf("user.activated: %+v", h.body)
	}
	rc.mu.Lock()
	fetches := rc.fetches
	rc.mu.Unlock()
	if fetches != 2 {
		t.Errorf("the receiver fetched the key %d times, want once per process", fetches)
	}
	done := c2.get("/kycs/" + kycID)
	if done.str("status") != "verified" || done.str("verifiedAt") != stampOf(stoppedAt.Add(time.Hour)) {
		t.Fatalf("KYC after the review: %s", done.raw)
	}
	hist := e2.call(http.MethodGet, "/_emulator/sessions/"+kycID, nil).val("history").([]any)
	var path []string
	for _, tr := range hist {
		m := tr.(map[string]any)
		path = append(path, m["to"].(string)+" by "+m["by"].(string))
	}
	if want := []string{"pending by client", "submitted by webview", "verified by timeline"}; !slices.Equal(path, want) {
		t.Errorf("history %v, want %v", path, want)
	}
	if u := c2.get("/users/" + userID); u.str("status") != "active" || u.str("legalName", "lastName") != "Hopper" {
		t.Errorf("user after the review: %s", u.raw)
	}
	ex := c2.get("/kycs/export?userId=" + userID)
	if ex.str("kycId") != kycID || ex.str("address", "street1") != "1 Navy Yard" || ex.str("phoneNumber") != "+1 (202) 555-0143" {
		t.Errorf("export after restart: %s", ex.raw)
	}

	// Ids drawn after the restart are new; the provider-wide kycTtl still
	// applies.
	newUser := c2.user(nil)
	newKyc := c2.kyc(newUser, "shipping", nil)
	for _, id := range []string{newUser, newKyc.str("id"), newKyc.str("url")} {
		if id == userID || id == kycID || id == webview {
			t.Errorf("%s was handed out twice", id)
		}
	}
	if got, want := newKyc.str("expiresAt"), stampOf(e2.now().Add(48*time.Hour)); got != want {
		t.Errorf("expiresAt %s, want %s", got, want)
	}
	all := rc.waitHooks(t, 5)
	seen := map[string]bool{}
	for _, h := range all {
		if seen[h.EventID] {
			t.Errorf("event id %s sent twice", h.EventID)
		}
		seen[h.EventID] = true
	}
}

func stampOf(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%q is not a number", s)
	}
	return n
}
