package b2core

import (
	"encoding/base64"
	"strconv"
	"testing"
	"time"

	"github.com/kycemu/kycemu/emulator/clock"
	"github.com/kycemu/kycemu/emulator/internal/fake"
	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
)

var testFingerprint = base64.StdEncoding.EncodeToString([]byte(`{"user_agent":"test"}`))

// trySignUp runs sign-up through the given wizard uuid (a new one when "").
func (h *harness) trySignUp(uuid, email string) (string, int, map[string]any) {
	h.t.Helper()
	if uuid == "" {
		_, w := h.call(h.p.signUpWizard, "initSignUpWizard", "", "", nil)
		uuid = w["uuid"].(string)
	}
	s, m := h.call(h.p.signUp, "signUp", "", "", map[string]any{"uuid": uuid, "email": email,
		"password": "password1", "password_confirmation": "password1", "device_fingerprint": testFingerprint})
	return uuid, s, m
}

// TestClientIDSpaceFull: sign-up draws client ids a bounded number of
// times, then takes the free ones in order; once every id is taken it
// answers 503 and gives the wizard back, and an id freed by a reset is
// handed out again.
func TestClientIDSpaceFull(t *testing.T) {
	mc := clock.NewManual(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	p, st := newProvider(t, mc, provider.NoScenarios{}, state.Limits{})
	p.clientIDs = idSpace{first: 500, size: 4}
	h := &harness{t: t, p: p}
	owner := map[int]string{}
	for _, email := range []string{"a@example.com", "b@example.com", "c@example.com", "d@example.com"} {
		_, s, m := h.trySignUp("", email)
		if s != 200 {
			t.Fatalf("sign-up of %s: %d %v", email, s, m)
		}
		id := int(m["data"].(map[string]any)["clientId"].(float64))
		if id < 500 || id >= 504 || owner[id] != "" {
			t.Fatalf("%s got client id %d (taken by %q)", email, id, owner[id])
		}
		owner[id] = email
	}
	uuid, s, m := h.trySignUp("", "e@example.com")
	if s != 503 {
		t.Fatalf("sign-up with every id taken: %d %v", s, m)
	}
	// The failed sign-up created no client and left its wizard usable.
	if _, _, ok := p.state.Find(kindClient, byClientID, "504"); ok {
		t.Error("an id outside the space was handed out")
	}
	freed := 0
	for id, email := range owner {
		if email == "c@example.com" {
			freed = id
		}
	}
	st.Reset("c@example.com")
	if _, s, m := h.trySignUp(uuid, "e@example.com"); s != 200 || int(m["data"].(map[string]any)["clientId"].(float64)) != freed {
		t.Fatalf("sign-up after a reset freed id %d: %d %v", freed, s, m)
	}
	if _, s, _ := h.trySignUp(uuid, "f@example.com"); s != 409 {
		t.Errorf("the wizard was not spent by the successful sign-up: %d", s)
	}
}

// TestClientIDFallbackInOrder: when every draw hits a taken id, sign-up
// takes a free one by walking the space in order from the last draw.
func TestClientIDFallbackInOrder(t *testing.T) {
	mc := clock.NewManual(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	p, _ := newProvider(t, mc, provider.NoScenarios{}, state.Limits{})
	p.clientIDs = idSpace{first: 1, size: 100}
	h := &harness{t: t, p: p}
	// Replay the tenant's stream (its two counters, then the draws) and
	// leave free only an id none of the draws names.
	const email = "late@example.com"
	rnd := fake.New(3).Derive(Name, email)
	rnd.Intn(9000)
	rnd.Intn(900)
	drawn := map[int]bool{}
	for range clientIDDraws {
		drawn[1+rnd.Intn(100)] = true
	}
	free := 0
	for id := 1; id <= 100 && free == 0; id++ {
		if !drawn[id] {
			free = id
		}
	}
	for id := 1; id <= 100; id++ {
		if id == free {
			continue
		}
		if err := p.state.Update("filler", func(tx *state.Tx) error {
			_, err := tx.Create(state.NewRecord{Kind: kindClient, ID: "filler" + strconv.Itoa(id), Data: &account{ClientID: id},
				Index: map[string]string{byClientID: strconv.Itoa(id)}})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	_, s, m := h.trySignUp("", email)
	if s != 200 {
		t.Fatalf("sign-up: %d %v", s, m)
	}
	if id := int(m["data"].(map[string]any)["clientId"].(float64)); id != free {
		t.Fatalf("client id %d, want the only free one, %d", id, free)
	}
}

// TestAuthWizardsAreForgotten: sign-up and sign-in wizards are records with
// an expiry: an expired one answers 409 for another hour, then it is gone
// (400); the per-tenant bound caps how many stay open, oldest first.
func TestAuthWizardsAreForgotten(t *testing.T) {
	mc := clock.NewManual(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	p, _ := newProvider(t, mc, provider.NoScenarios{}, state.Limits{RecordsPerTenant: 5})
	h := &harness{t: t, p: p}
	open := func() int {
		n := 0
		_ = p.state.View(anonTenant, func(tx *state.Tx) error { n = tx.Count(kindWizard); return nil })
		return n
	}
	var uuids []string
	for range 3 {
		_, w := h.call(p.signUpWizard, "initSignUpWizard", "", "", nil)
		uuids = append(uuids, w["uuid"].(string))
	}
	if n := open(); n != 3 {
		t.Fatalf("%d wizards open, want 3", n)
	}
	mc.Advance(wizardTTL)
	if _, s, _ := h.trySignUp(uuids[0], "x@example.com"); s != 409 {
		t.Fatalf("expired wizard: %d", s)
	}
	mc.Advance(wizardTTL)
	if n := open(); n != 0 {
		t.Fatalf("%d wizards kept an hour after they expired", n)
	}
	if _, s, _ := h.trySignUp(uuids[1], "x@example.com"); s != 400 {
		t.Fatalf("forgotten wizard: %d", s)
	}
	uuids = nil
	for range 7 {
		_, w := h.call(p.signInWizard, "initSignInWizard", "", "", nil)
		uuids = append(uuids, w["uuid"].(string))
	}
	if n := open(); n != 5 {
		t.Fatalf("%d wizards open under a bound of 5", n)
	}
	if _, s, _ := h.trySignUp(uuids[0], "x@example.com"); s != 400 {
		t.Errorf("the oldest wizard was not the one dropped: %d", s)
	}
}
