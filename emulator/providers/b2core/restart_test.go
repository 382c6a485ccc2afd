package b2core_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kycemu/kycemu/emulator"
	"github.com/kycemu/kycemu/emulator/clock"
)

// startOn runs an emulator on a data directory behind a real HTTP server,
// with a manual clock at now; stop closes both as a redeploy would.
func startOn(t *testing.T, dir string, now time.Time) (e *env, stop func()) {
	t.Helper()
	emu, err := emulator.New(emulator.WithDataDir(dir), emulator.WithClock(clock.NewManual(now)), emulator.WithSeed(1))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(emu.Handler())
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			srv.Close()
			if err := emu.Close(); err != nil {
				t.Errorf("close: %v", err)
			}
		}
	}
	t.Cleanup(stop)
	return &env{t: t, emu: emu, http: srv.Client(), api: srv.URL + defaultAPI, root: srv.URL}, stop
}

// signInWith signs in through the sign-in wizard uuid given.
func (e *env) signInWith(uuid, email string) response {
	e.t.Helper()
	return e.do(http.MethodPost, e.api+"/my/signin", "", map[string]any{
		"uuid": uuid, "email": email, "password": password, "device_fingerprint": fingerprint})
}

// controlSession reads a procedure through the control API.
func (e *env) controlSession(uuid string) (status string, history []string) {
	e.t.Helper()
	var s struct {
		Status  string `json:"status"`
		History []struct {
			To string `json:"to"`
			By string `json:"by"`
		} `json:"history"`
	}
	e.must(e.control(http.MethodGet, "/sessions/"+uuid, nil), http.StatusOK, "control session").into(e.t, &s)
	for _, h := range s.History {
		history = append(history, h.To+" by "+h.By)
	}
	return s.Status, history
}

// TestRestart stops the emulator in the middle of everything B2Core keeps
// and starts another one on the same data directory: the configuration,
// clients, tokens, files, the half-walked wizard, a review that falls due
// later, a sign-in block and the sign-in wizards carry on, and ids drawn
// afterwards are new.
func TestRestart(t *testing.T) {
	dir := t.TempDir()
	a, stop := startOn(t, dir, t0)
	a.must(a.control(http.MethodPut, "/providers/b2core/config", map[string]any{
		"review": map[string]any{"decision": "approve", "delay": "1m"},
	}), http.StatusOK, "configure the review")

	// Alice signs up and in, uploads two files and submits step 1 (a 200 step).
	aliceID := a.signUp("alice@example.com")
	used := a.wizardAt(a.api, http.MethodGet, "/my/signin/wizard").UUID
	var in struct {
		Data tokens `json:"data"`
	}
	a.must(a.signInWith(used, "alice@example.com"), http.StatusOK, "alice signs in").into(t, &in)
	pair := in.Data
	f1, f2 := a.file(pair.Access.Token), a.file(pair.Access.Token)
	w := a.wizard(pair.Access.Token)
	if s := a.mustStep(pair.Access.Token, w.UUID, 2, f1); s.Code != 200 || s.Done {
		t.Fatalf("step 1: %+v", s)
	}
	// Bob completes his wizard; his review is due after the restart.
	bobToken, bobID := a.client("bob@example.com")
	bobW := a.walkLevel1(bobToken)
	// Carol is blocked after five failures.
	carolID := a.signUp("carol@example.com")
	for range 5 {
		a.must(a.signInAttempt("carol@example.com", "wrong password"), http.StatusBadRequest, "carol fails")
	}
	a.must(a.signInAttempt("carol@example.com", password), http.StatusTooManyRequests, "carol blocked")
	spare := a.wizardAt(a.api, http.MethodGet, "/my/signin/wizard").UUID
	seen := map[string]bool{}
	for _, id := range []string{strconv.Itoa(aliceID), strconv.Itoa(bobID), strconv.Itoa(carolID), used, spare, f1, f2,
		w.UUID, bobW.UUID, pair.Access.Token, pair.Refresh.Token, bobToken} {
		seen[id] = true
	}
	fresh := func(what, id string) {
		t.Helper()
		if id == "" || seen[id] {
			t.Errorf("%s %q after the restart is not new", what, id)
		}
		seen[id] = true
	}
	a.advance(10 * time.Second)
	stopped := a.emu.Clock().Now()
	stop()

	b, _ := startOn(t, dir, stopped)
	var cfg struct {
		Review struct {
			Decision string `json:"decision"`
			Delay    string `json:"delay"`
		} `json:"review"`
	}
	b.must(b.control(http.MethodGet, "/providers/b2core/config", nil), http.StatusOK, "config").into(t, &cfg)
	if cfg.Review.Decision != "approve" || cfg.Review.Delay != "1m0s" {
		t.Errorf("configuration after the restart: %+v", cfg)
	}

	// Alice's access token still works and her wizard resumes at step 2.
	if h := b.history(pair.Access.Token, ""); h.Total != 1 || h.Data[0].ClientID != aliceID {
		t.Fatalf("alice's history after the restart: %+v", h)
	}
	if again := b.wizard(pair.Access.Token); again.UUID != w.UUID || again.Code != 200 ||
		!slices.Equal(again.typeIDs(t), []int{4, 5}) {
		t.Fatalf("wizard after the restart: %+v", again)
	}
	if st, hist := b.controlSession(w.UUID); st != "in_progress" || !slices.Equal(hist, []string{"in_progress by client"}) {
		t.Fatalf("procedure after the restart: %s %v", st, hist)
	}
	// The sign-in wizards: the used one is spent, the spare one works.
	b.must(b.signInWith(used, "alice@example.com"), http.StatusConflict, "used sign-in wizard")
	var again struct {
		Data tokens `json:"data"`
	}
	b.must(b.signInWith(spare, "alice@example.com"), http.StatusOK, "spare sign-in wizard").into(t, &again)
	fresh("access token", again.Data.Access.Token)
	fresh("refresh token", again.Data.Refresh.Token)
	// Carol is still blocked; the rest of her ten minutes remain.
	r := b.signInAttempt("carol@example.com", password)
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "590" {
		t.Fatalf("carol after the restart: %d Retry-After %q", r.status, r.header.Get("Retry-After"))
	}
	// The refresh token refreshes, once.
	var rotated tokens
	b.must(b.do(http.MethodPost, b.api+"/my/refresh", "", map[string]any{"refreshToken": pair.Refresh.Token}),
		http.StatusOK, "refresh after the restart").into(t, &rotated)
	fresh("rotated access token", rotated.Access.Token)
	fresh("rotated refresh token", rotated.Refresh.Token)
	b.must(b.do(http.MethodPost, b.api+"/my/refresh", "", map[string]any{"refreshToken": pair.Refresh.Token}),
		http.StatusUnauthorized, "refresh token reused")

	// Alice finishes with a file from before the restart and a new one.
	f3 := b.file(pair.Access.Token)
	fresh("file path", f3)
	last := b.mustStep(pair.Access.Token, w.UUID, 4, f2, f3)
	if last.Code != 202 || !last.Done || last.UUID != w.UUID || last.Workflow != terminate {
		t.Fatalf("final step after the restart: %+v", last)
	}
	if st, _ := b.controlSession(w.UUID); st != "submitted" {
		t.Fatalf("after the final step: %s", st)
	}
	// Bob's review was due a minute after his last step, before the restart.
	b.advance(50 * time.Second)
	if st, hist := b.controlSession(bobW.UUID); st != "approved" ||
		!slices.Equal(hist, []string{"in_progress by client", "submitted by client", "approved by timeline"}) {
		t.Fatalf("bob's review after the restart: %s %v", st, hist)
	}
	if st, _ := b.controlSession(w.UUID); st != "submitted" {
		t.Fatalf("alice decided early: %s", st)
	}
	b.advance(10 * time.Second)
	if st, hist := b.controlSession(w.UUID); st != "approved" ||
		!slices.Equal(hist, []string{"in_progress by client", "submitted by client", "approved by timeline"}) {
		t.Fatalf("alice's review: %s %v", st, hist)
	}
	h := b.history(rotated.Access.Token, "")
	g := h.Data[0]
	if h.Total != 2 || g.CurrentLevel.Name != "Level 1" || g.PreviousLevel == nil || g.PreviousLevel.Name != "Level 0" ||
		!strings.HasPrefix(g.Reason.Name, "Application: ") || g.ClientID != aliceID ||
		g.CreateTime != stopped.Add(time.Minute).Format("2006-01-02T15:04:05+00:00") {
		t.Fatalf("alice's history after the review: %+v", h)
	}
	if bh := b.history(bobToken, ""); bh.Total != 2 || bh.Data[0].CurrentLevel.Name != "Level 1" {
		t.Fatalf("bob's history: %+v", bh)
	}

	// Ids drawn after the restart are new: a procedure, a client, wizards.
	fresh("procedure uuid", b.wizard(pair.Access.Token).UUID)
	fresh("sign-up wizard uuid", b.wizardAt(b.api, http.MethodGet, "/my/signup/wizard").UUID)
	fresh("client id", strconv.Itoa(b.signUp("dave@example.com")))
	var clients struct {
		Total int `json:"total"`
	}
	b.must(b.control(http.MethodGet, "/providers/b2core/clients", nil), http.StatusOK, "clients").into(t, &clients)
	if clients.Total != 4 {
		t.Errorf("clients after the restart: %d", clients.Total)
	}

	// The first access token still expires an hour after it was issued.
	b.advance(t0.Add(time.Hour).Sub(b.emu.Clock().Now()))
	r = b.do(http.MethodGet, b.api+"/my/verifications", pair.Access.Token, nil)
	if r.status != http.StatusUnauthorized || !strings.Contains(string(r.body), "expired") {
		t.Fatalf("first access token at its expiry: %d %s", r.status, r.body)
	}
}
