package b2core_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestLevelOneWizard is the whole documented journey: sign up, sign in,
// upload, walk the two-step Level 1 wizard (200, then 202) and watch the
// history grow from Level 0 to Level 1.
func TestLevelOneWizard(t *testing.T) {
	e := newEnv(t)
	token, clientID := e.client("Alice@Example.com")

	// Sign-up granted Level 0 with the reason "created".
	h := e.history(token, "")
	if h.Total != 1 || len(h.Data) != 1 {
		t.Fatalf("history after sign-up: %+v", h)
	}
	created := h.Data[0]
	if created.CurrentLevel != (levelRef{1, "Level 0"}) || created.PreviousLevel != nil ||
		created.Reason.Name != "created" || created.ClientID != clientID || created.UserID != 1 {
		t.Fatalf("sign-up grant: %+v", created)
	}
	if created.CreateTime != "2026-03-01T12:00:00+00:00" {
		t.Errorf("createTime %q, want B2Core's offset form of the clock", created.CreateTime)
	}

	// Step 1: identity documents.
	w := e.wizard(token)
	if w.Code != 200 || w.Done || w.Workflow == terminate {
		t.Fatalf("wizard start: %+v", w)
	}
	if ids := w.typeIDs(t); !slices.Equal(ids, []int{2, 1, 3, 7}) {
		t.Fatalf("step 1 types %v, want the identity documents", ids)
	}
	for _, d := range w.types(t) {
		if d.Description == "" || d.Group == nil {
			t.Errorf("document type %+v lacks fields", d)
		}
		if d.ID == 2 && (d.Description != "Passport" || !d.Enabled) {
			t.Errorf("passport: %+v", d)
		}
		if d.ID == 7 && d.Enabled {
			t.Errorf("residence permit should be disabled by default: %+v", d)
		}
	}
	// Asking again resumes the same procedure.
	if again := e.wizard(token); again.UUID != w.UUID || again.Code != 200 {
		t.Fatalf("wizard resumed as %+v, want uuid %s", again, w.UUID)
	}

	front, back := e.file(token), e.file(token)
	w2 := e.mustStep(token, w.UUID, 2, front, back)
	if w2.Code != 200 || w2.Done || w2.UUID != w.UUID {
		t.Fatalf("after step 1: %+v", w2)
	}
	if ids := w2.typeIDs(t); !slices.Equal(ids, []int{4, 5}) {
		t.Fatalf("step 2 types %v, want the proofs of address", ids)
	}

	// Step 2: proof of address, in the bare (unwrapped) form.
	e.advance(time.Minute)
	r := e.must(e.do(http.MethodPost, e.api+"/my/verifications", token, map[string]any{
		"documents": map[string]any{"type": 4, "files": []string{e.file(token)}}, "uuid": w.UUID,
	}), http.StatusOK, "step 2")
	var w3 wizardAnswer
	r.into(t, &w3)
	if w3.Code != 202 || !w3.Done || w3.Workflow != terminate || w3.UUID != w.UUID || len(w3.types(t)) != 0 {
		t.Fatalf("final step: %s", r.body)
	}
	if !strings.Contains(string(r.body), `"workflow":"B2B\\TCA\\Wizards\\Workflow\\TerminateWorkflow"`) {
		t.Errorf("workflow is not the documented PHP class string: %s", r.body)
	}

	// Approved at once by default: Level 1 granted.
	h = e.history(token, "?limit=10&offset=0&sort_order=desc&sort_by=createTime")
	if h.Total != 2 {
		t.Fatalf("history after Level 1: %+v", h)
	}
	g := h.Data[0]
	if g.CurrentLevel != (levelRef{2, "Level 1"}) || g.PreviousLevel == nil || *g.PreviousLevel != (levelRef{1, "Level 0"}) ||
		!strings.HasPrefix(g.Reason.Name, "Application: ") || g.ClientID != clientID {
		t.Fatalf("Level 1 grant: %+v", g)
	}
	if g.CreateTime != "2026-03-01T12:01:00+00:00" {
		t.Errorf("grant time %q", g.CreateTime)
	}
	if h.Data[1].ID != created.ID {
		t.Errorf("desc order: %+v", h.Data)
	}

	// Details come in the list envelope.
	var one history
	e.must(e.do(http.MethodGet, e.api+"/my/verifications/"+strconv.Itoa(g.ID), token, nil), http.StatusOK, "details").into(t, &one)
	if one.Total != 1 || len(one.Data) != 1 || one.Data[0].ID != g.ID || *one.Data[0].PreviousLevel != *g.PreviousLevel ||
		one.Data[0].Reason != g.Reason || one.Data[0].CreateTime != g.CreateTime {
		t.Fatalf("details: %+v", one)
	}

	// The next wizard is for Level 2 (one step).
	w4 := e.wizard(token)
	if w4.UUID == w.UUID || w4.Code != 200 || !slices.Equal(w4.typeIDs(t), []int{6}) {
		t.Fatalf("Level 2 wizard: %+v", w4)
	}
}

// TestTopLevel walks every level; a wizard after the top answers 409.
func TestTopLevel(t *testing.T) {
	e := newEnv(t)
	token, _ := e.client("top@example.com")
	e.walkLevel1(token)
	w := e.wizard(token)
	if last := e.mustStep(token, w.UUID, 6, e.file(token)); last.Code != 202 || !last.Done {
		t.Fatalf("Level 2 final step: %+v", last)
	}
	h := e.history(token, "?sort_order=asc")
	var names []string
	for _, g := range h.Data {
		names = append(names, g.CurrentLevel.Name)
	}
	if !slices.Equal(names, []string{"Level 0", "Level 1", "Level 2"}) {
		t.Fatalf("levels in order: %v", names)
	}
	if p := h.Data[2].PreviousLevel; p == nil || p.Name != "Level 1" {
		t.Fatalf("Level 2 previous: %+v", h.Data[2])
	}
	r := e.do(http.MethodGet, e.api+"/my/verifications/wizard", token, nil)
	if r.status != http.StatusConflict || r.json(t)["code"] != float64(409) {
		t.Fatalf("wizard at the top level: %d %s", r.status, r.body)
	}
}

// TestBothPrefixes runs the flow through /api/v2 and /v2 alike.
func TestBothPrefixes(t *testing.T) {
	e := newEnv(t)
	short := e.root + "/b2core/v2"
	w := e.wizardAt(short, http.MethodGet, "/my/signup/wizard")
	e.must(e.do(http.MethodPost, short+"/my/signup", "", map[string]any{
		"uuid": w.UUID, "email": "short@example.com", "password": password, "password_confirmation": password,
		"device_fingerprint": fingerprint}), http.StatusOK, "sign up on /v2")
	si := e.wizardAt(short, http.MethodGet, "/my/signin/wizard")
	var in struct {
		Data tokens `json:"data"`
	}
	e.must(e.do(http.MethodPost, short+"/my/signin", "", map[string]any{
		"uuid": si.UUID, "email": "short@example.com", "password": password, "device_fingerprint": fingerprint,
	}), http.StatusOK, "sign in on /v2").into(t, &in)
	token := in.Data.Access.Token

	var up struct {
		Path string `json:"path"`
	}
	e.must(e.upload(short, token, "id.png", jpegBytes), http.StatusCreated, "upload on /v2").into(t, &up)
	var vw wizardAnswer
	e.must(e.do(http.MethodGet, short+"/my/verifications/wizard", token, nil), http.StatusOK, "wizard on /v2").into(t, &vw)
	// The endpoint list writes the POST with a trailing slash.
	e.must(e.do(http.MethodPost, short+"/my/verifications/", token, map[string]any{
		"data": map[string]any{"documents": map[string]any{"type": 1, "files": []string{up.Path}}, "uuid": vw.UUID},
	}), http.StatusOK, "step on /v2/my/verifications/")
	// The same client and procedure are visible through /api/v2.
	if again := e.wizard(token); again.UUID != vw.UUID || !slices.Equal(again.typeIDs(t), []int{4, 5}) {
		t.Fatalf("resumed through /api/v2: %+v", again)
	}
	for _, p := range []string{e.api, short} {
		var h history
		e.must(e.do(http.MethodGet, p+"/my/verifications", token, nil), http.StatusOK, "history").into(t, &h)
		if h.Total != 1 {
			t.Errorf("%s history total %d", p, h.Total)
		}
	}
}

// TestTokens covers expiry on the clock, refresh rotation and sign-out.
func TestTokens(t *testing.T) {
	e := newEnv(t)
	e.signUp("tok@example.com")
	pair := e.signIn("tok@example.com")
	if pair.Access.CreatedAt != "2026-03-01T12:00:00+00:00" || pair.Access.ExpiresAt != "2026-03-01T13:00:00+00:00" {
		t.Errorf("access token times: %+v", pair.Access)
	}
	// The token is a JWT whose exp matches expiresAt.
	parts := strings.Split(pair.Access.Token, ".")
	if len(parts) != 3 {
		t.Fatalf("access token is not a JWT: %q", pair.Access.Token)
	}
	claims, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Exp int64 `json:"exp"`
	}
	if json.Unmarshal(claims, &c) != nil || c.Exp != t0.Add(time.Hour).Unix() {
		t.Errorf("JWT claims %s", claims)
	}

	list := func(tok string) int {
		t.Helper()
		return e.do(http.MethodGet, e.api+"/my/verifications", tok, nil).status
	}
	if s := list(pair.Access.Token); s != http.StatusOK {
		t.Fatalf("fresh token: %d", s)
	}
	e.advance(59 * time.Minute)
	if s := list(pair.Access.Token); s != http.StatusOK {
		t.Fatalf("token at 59 minutes: %d", s)
	}
	e.advance(time.Minute)
	r := e.do(http.MethodGet, e.api+"/my/verifications", pair.Access.Token, nil)
	if r.status != http.StatusUnauthorized || r.header.Get("WWW-Authenticate") != "Bearer" {
		t.Fatalf("expired token: %d %v %s", r.status, r.header, r.body)
	}

	// Refresh gives a new pair; the used refresh token is spent.
	var fresh tokens
	e.must(e.do(http.MethodPost, e.api+"/my/refresh", "", map[string]any{"refreshToken": pair.Refresh.Token}),
		http.StatusOK, "refresh").into(t, &fresh)
	if fresh.Access.Token == pair.Access.Token || fresh.Refresh.Token == pair.Refresh.Token {
		t.Fatal("refresh returned the old tokens")
	}
	if s := list(fresh.Access.Token); s != http.StatusOK {
		t.Fatalf("refreshed token: %d", s)
	}
	e.must(e.do(http.MethodPost, e.api+"/my/refresh", "", map[string]any{"refreshToken": pair.Refresh.Token}),
		http.StatusUnauthorized, "refresh token reused")
	e.must(e.do(http.MethodPost, e.api+"/my/refresh", "", map[string]any{"refresh_token": fresh.Access.Token}),
		http.StatusUnauthorized, "access token used to refresh")
	e.must(e.do(http.MethodGet, e.api+"/my/verifications", fresh.Refresh.Token, nil),
		http.StatusUnauthorized, "refresh token used as bearer")

	// Sign-out revokes the pair.
	e.must(e.do(http.MethodPost, e.api+"/my/signout", fresh.Access.Token, nil), http.StatusNoContent, "sign out")
	if s := list(fresh.Access.Token); s != http.StatusUnauthorized {
		t.Fatalf("after sign-out: %d", s)
	}
	e.must(e.do(http.MethodPost, e.api+"/my/refresh", "", map[string]any{"refreshToken": fresh.Refresh.Token}),
		http.StatusUnauthorized, "refresh after sign-out")
	e.must(e.do(http.MethodPost, e.api+"/my/signout", fresh.Access.Token, nil), http.StatusUnauthorized, "second sign-out")

	// Refresh tokens expire after 30 days.
	again := e.signIn("tok@example.com")
	e.advance(30 * 24 * time.Hour)
	e.must(e.do(http.MethodPost, e.api+"/my/refresh", "", map[string]any{"refreshToken": again.Refresh.Token}),
		http.StatusUnauthorized, "expired refresh token")
}

// TestSignInThrottle: five failures within a minute, then a 10-minute
// block that even the right password does not pass.
func TestSignInThrottle(t *testing.T) {
	e := newEnv(t)
	e.signUp("slow@example.com")
	e.signUp("other@example.com")
	for i := range 5 {
		r := e.signInAttempt("slow@example.com", "wrong password")
		if r.status != http.StatusBadRequest {
			t.Fatalf("failure %d: %d %s", i+1, r.status, r.body)
		}
		e.advance(5 * time.Second)
	}
	r := e.signInAttempt("slow@example.com", password)
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "600" || r.json(t)["code"] != float64(429) {
		t.Fatalf("sixth attempt: %d %v %s", r.status, r.header, r.body)
	}
	// Another email is not affected.
	e.signIn("other@example.com")

	e.advance(9*time.Minute + 59*time.Second)
	r = e.signInAttempt("slow@example.com", password)
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "1" {
		t.Fatalf("at the end of the block: %d %v", r.status, r.header)
	}
	e.advance(time.Second)
	e.signIn("slow@example.com")

	// Failures spread over more than a minute never block.
	for i := range 8 {
		e.must(e.signInAttempt("other@example.com", "nope"), http.StatusBadRequest, "spread failure "+strconv.Itoa(i))
		e.advance(13 * time.Second)
	}
	e.signIn("other@example.com")

	// Unknown emails are throttled the same way.
	for range 5 {
		e.must(e.signInAttempt("ghost@example.com", password), http.StatusBadRequest, "unknown email")
	}
	e.must(e.signInAttempt("ghost@example.com", password), http.StatusTooManyRequests, "unknown email blocked")
}

// TestWizardUUIDs: sign-in wizards are single-use and expire after an
// hour; sign-up and sign-in wizards are not interchangeable.
func TestWizardUUIDs(t *testing.T) {
	e := newEnv(t)
	e.signUp("w@example.com")
	w := e.wizardAt(e.api, http.MethodGet, "/my/signin/wizard")
	if w.Workflow != "login" || w.Code != 202 || !w.Done {
		t.Fatalf("sign-in wizard: %+v", w)
	}
	body := map[string]any{"uuid": w.UUID, "email": "w@example.com", "password": password, "device_fingerprint": fingerprint}
	e.must(e.do(http.MethodPost, e.api+"/my/signin", "", body), http.StatusOK, "sign in")
	e.must(e.do(http.MethodPost, e.api+"/my/signin", "", body), http.StatusConflict, "reused sign-in wizard")

	old := e.wizardAt(e.api, http.MethodPost, "/my/signin/wizard")
	e.advance(time.Hour)
	body["uuid"] = old.UUID
	e.must(e.do(http.MethodPost, e.api+"/my/signin", "", body), http.StatusConflict, "expired sign-in wizard")

	up := e.wizardAt(e.api, http.MethodGet, "/my/signup/wizard")
	body["uuid"] = up.UUID
	e.must(e.do(http.MethodPost, e.api+"/my/signin", "", body), http.StatusBadRequest, "sign-up wizard used to sign in")
}

// TestReviewAndControl: with a review delay the application waits; the
// control API lists it and forces approve or reject.
func TestReviewAndControl(t *testing.T) {
	e := newEnv(t)
	e.must(e.control(http.MethodPut, "/providers/b2core/config", map[string]any{
		"review": map[string]any{"decision": "approve", "delay": "30s"},
	}), http.StatusOK, "configure review delay")

	token, _ := e.client("review@example.com")
	done := e.walkLevel1(token)
	if done.Code != 202 {
		t.Fatalf("final step: %+v", done)
	}
	if h := e.history(token, ""); h.Total != 1 {
		t.Fatalf("granted before the review: %+v", h)
	}
	// While under review the wizard resumes as complete (the documented example).
	if w := e.wizard(token); w.UUID != done.UUID || w.Code != 202 || !w.Done || w.Workflow != terminate {
		t.Fatalf("wizard under review: %+v", w)
	}
	var s struct {
		Status  string   `json:"status"`
		Tenant  string   `json:"tenant"`
		Actions []string `json:"actions"`
	}
	e.must(e.control(http.MethodGet, "/sessions/"+done.UUID, nil), http.StatusOK, "control session").into(t, &s)
	if s.Status != "submitted" || s.Tenant != "review@example.com" || !slices.Equal(s.Actions, []string{"approve", "reject"}) {
		t.Fatalf("control view: %+v", s)
	}
	e.advance(30 * time.Second)
	h := e.history(token, "")
	if h.Total != 2 || h.Data[0].CurrentLevel.Name != "Level 1" || h.Data[0].CreateTime != "2026-03-01T12:00:30+00:00" {
		t.Fatalf("after the review delay: %+v", h)
	}

	// Level 2: wait for a human, then reject through the control API.
	e.must(e.control(http.MethodPut, "/providers/b2core/config", map[string]any{
		"review": map[string]any{"decision": "none", "delay": "0s"},
	}), http.StatusOK, "manual review")
	w := e.wizard(token)
	e.mustStep(token, w.UUID, 6, e.file(token))
	e.advance(24 * time.Hour)
	token = e.signIn("review@example.com").Access.Token // the old one expired meanwhile
	if h := e.history(token, ""); h.Total != 2 {
		t.Fatalf("decided without a human: %+v", h)
	}
	e.must(e.control(http.MethodPost, "/sessions/"+w.UUID+"/actions", map[string]any{"action": "reject", "reason": "blurry scan"}),
		http.StatusOK, "reject")
	h = e.history(token, "")
	rej := h.Data[0]
	if h.Total != 3 || rej.CurrentLevel.Name != "Level 1" || rej.PreviousLevel == nil || rej.PreviousLevel.Name != "Level 1" ||
		!strings.HasSuffix(rej.Reason.Name, "rejected: blurry scan") {
		t.Fatalf("rejection record: %+v", h)
	}
	e.must(e.control(http.MethodPost, "/sessions/"+w.UUID+"/approve", nil), http.StatusConflict, "approve a rejected application")
	// The stale uuid is refused; a new wizard starts for the same level.
	e.must(e.step(token, w.UUID, 6, e.file(token)), http.StatusConflict, "step on a rejected wizard")
	w2 := e.wizard(token)
	if w2.UUID == w.UUID || !slices.Equal(w2.typeIDs(t), []int{6}) {
		t.Fatalf("wizard after rejection: %+v", w2)
	}
	// Approving straight from in_progress grants the level.
	e.must(e.control(http.MethodPost, "/sessions/"+w2.UUID+"/approve", nil), http.StatusOK, "approve in progress")
	if h := e.history(token, ""); h.Data[0].CurrentLevel.Name != "Level 2" || h.Data[0].PreviousLevel.Name != "Level 1" {
		t.Fatalf("after forced approval: %+v", h.Data[0])
	}

	// Every procedure is listed for the tenant.
	var list struct {
		Total    int `json:"total"`
		Sessions []struct {
			Provider, Kind, Status string
		} `json:"sessions"`
	}
	e.must(e.control(http.MethodGet, "/sessions?provider=b2core&tenant=review@example.com", nil), http.StatusOK, "list").into(t, &list)
	var statuses []string
	for _, s := range list.Sessions {
		statuses = append(statuses, s.Status)
		if s.Kind != "verification" || s.Provider != "b2core" {
			t.Errorf("session %+v", s)
		}
	}
	if !slices.Equal(statuses, []string{"approved", "rejected", "approved"}) {
		t.Fatalf("statuses %v", statuses)
	}
}

// TestExpireThroughControl: an expired wizard's uuid is stale (409) and the
// next wizard call starts afresh.
func TestExpireThroughControl(t *testing.T) {
	e := newEnv(t)
	token, _ := e.client("expire@example.com")
	w := e.wizard(token)
	e.must(e.control(http.MethodPost, "/sessions/"+w.UUID+"/expire", nil), http.StatusOK, "expire")
	r := e.step(token, w.UUID, 2, e.file(token))
	if r.status != http.StatusConflict {
		t.Fatalf("step on an expired wizard: %d %s", r.status, r.body)
	}
	if m := r.json(t); m["errors"].(map[string]any)["data.uuid"] == nil {
		t.Errorf("no uuid error: %s", r.body)
	}
	e.must(e.control(http.MethodPost, "/sessions/"+w.UUID+"/actions", map[string]any{"action": "promote"}), http.StatusBadRequest, "unknown action")
	if w2 := e.wizard(token); w2.UUID == w.UUID || w2.Code != 200 {
		t.Fatalf("new wizard: %+v", w2)
	}
}

// TestTenantIsolation: clients never see each other's files, wizards or
// grants, and resetting one leaves the other alone.
func TestTenantIsolation(t *testing.T) {
	e := newEnv(t)
	a, _ := e.client("a@example.com")
	b, _ := e.client("b@example.com")
	fileA := e.file(a)
	wa := e.wizard(a)
	wb := e.wizard(b)
	e.must(e.step(b, wb.UUID, 2, fileA), http.StatusBadRequest, "another client's file")
	e.must(e.step(b, wa.UUID, 2, e.file(b)), http.StatusBadRequest, "another client's wizard")
	ha := e.history(a, "")
	e.must(e.do(http.MethodGet, e.api+"/my/verifications/"+strconv.Itoa(ha.Data[0].ID), b, nil), http.StatusNotFound, "another client's grant")

	e.must(e.control(http.MethodPost, "/reset", map[string]any{"tenant": "a@example.com"}), http.StatusOK, "reset a")
	e.must(e.do(http.MethodGet, e.api+"/my/verifications", a, nil), http.StatusUnauthorized, "token of a reset client")
	e.must(e.signInAttempt("a@example.com", password), http.StatusBadRequest, "sign in a reset client")
	if h := e.history(b, ""); h.Total != 1 {
		t.Fatalf("b after resetting a: %+v", h)
	}
	e.must(e.step(b, wb.UUID, 2, e.file(b)), http.StatusOK, "b's wizard survives")
	// a can register again from scratch.
	e.signUp("a@example.com")
}

// TestHistoryPaging checks limit, offset and both sort orders.
func TestHistoryPaging(t *testing.T) {
	e := newEnv(t)
	e.must(e.control(http.MethodPut, "/providers/b2core/config", map[string]any{
		"review": map[string]any{"decision": "reject", "delay": "0s", "reason": "test"},
	}), http.StatusOK, "auto reject")
	token, _ := e.client("pages@example.com")
	// Sign-up grant plus four rejections, one minute apart.
	for range 4 {
		e.advance(time.Minute)
		w := e.wizard(token)
		e.mustStep(token, w.UUID, 1, e.file(token))
		e.mustStep(token, w.UUID, 5, e.file(token))
	}
	all := e.history(token, "?sort_by=createTime&sort_order=asc")
	if all.Total != 5 || len(all.Data) != 5 || all.Data[0].Reason.Name != "created" {
		t.Fatalf("asc history: %+v", all)
	}
	for i := 1; i < 5; i++ {
		if all.Data[i].CreateTime <= all.Data[i-1].CreateTime {
			t.Fatalf("not ascending: %+v", all.Data)
		}
	}
	page := e.history(token, "?limit=2&offset=1&sort_order=desc")
	if page.Total != 5 || len(page.Data) != 2 || page.Data[0].ID != all.Data[3].ID || page.Data[1].ID != all.Data[2].ID {
		t.Fatalf("page: %+v", page)
	}
	if beyond := e.history(token, "?offset=10"); beyond.Total != 5 || len(beyond.Data) != 0 {
		t.Fatalf("beyond the end: %+v", beyond)
	}
	if def := e.history(token, ""); def.Data[0].ID != all.Data[4].ID {
		t.Fatalf("default order is not newest first: %+v", def.Data[0])
	}
}

// TestConfigControl: the ladder and catalogue are configurable, checked and
// restorable.
func TestConfigControl(t *testing.T) {
	e := newEnv(t)
	var cfg map[string]any
	e.must(e.control(http.MethodGet, "/providers/b2core/config", nil), http.StatusOK, "get config").into(t, &cfg)
	if len(cfg["levels"].([]any)) != 3 || len(cfg["documentTypes"].([]any)) != 7 {
		t.Fatalf("default config: %v", cfg)
	}
	bad := []map[string]any{
		{"levels": []any{}},
		{"levels": []any{map[string]any{"id": 1, "name": "L0"}, map[string]any{"id": 2, "name": "L1"}}},
		{"levels": []any{map[string]any{"id": 1, "name": "L0"}, map[string]any{"id": 2, "name": "L1", "steps": []any{map[string]any{"types": []int{99}}}}}},
		{"documentTypes": []any{map[string]any{"id": 1, "description": "only one"}}},
		{"review": map[string]any{"decision": "maybe"}},
		{"tokens": map[string]any{"accessTTL": "soon", "refreshTTL": "1h"}},
		{"colour": "blue"},
	}
	for i, b := range bad {
		if r := e.control(http.MethodPut, "/providers/b2core/config", b); r.status != http.StatusBadRequest {
			t.Errorf("bad config %d accepted: %d %s", i, r.status, r.body)
		}
	}
	// A one-level ladder with a single step of a new type.
	e.must(e.control(http.MethodPut, "/providers/b2core/config", map[string]any{
		"documentTypes": []any{map[string]any{"id": 42, "description": "Selfie", "enabled": true, "example": "selfie.jpeg"}},
		"levels": []any{
			map[string]any{"id": 10, "name": "Basic"},
			map[string]any{"id": 11, "name": "Verified", "steps": []any{map[string]any{"types": []int{42}}}},
		},
		"tokens": map[string]any{"accessTTL": "5m", "refreshTTL": "1h"},
	}), http.StatusOK, "custom config")
	token, _ := e.client("custom@example.com")
	if h := e.history(token, ""); h.Data[0].CurrentLevel != (levelRef{10, "Basic"}) {
		t.Fatalf("default level: %+v", h.Data[0])
	}
	w := e.wizard(token)
	if ts := w.types(t); len(ts) != 1 || ts[0].ID != 42 || ts[0].Example != "selfie.jpeg" {
		t.Fatalf("custom types: %+v", ts)
	}
	if last := e.mustStep(token, w.UUID, 42, e.file(token)); last.Code != 202 {
		t.Fatalf("one-step level: %+v", last)
	}
	e.must(e.do(http.MethodGet, e.api+"/my/verifications/wizard", token, nil), http.StatusConflict, "custom top level")
	e.advance(5 * time.Minute)
	e.must(e.do(http.MethodGet, e.api+"/my/verifications", token, nil), http.StatusUnauthorized, "5-minute token")

	var clients struct {
		Total   int `json:"total"`
		Clients []struct {
			Tenant string   `json:"tenant"`
			Level  levelRef `json:"level"`
		} `json:"clients"`
	}
	e.must(e.control(http.MethodGet, "/providers/b2core/clients", nil), http.StatusOK, "clients").into(t, &clients)
	if clients.Total != 1 || clients.Clients[0].Tenant != "custom@example.com" || clients.Clients[0].Level.Name != "Verified" {
		t.Fatalf("clients: %+v", clients)
	}
	e.must(e.control(http.MethodDelete, "/providers/b2core/config", nil), http.StatusOK, "restore defaults").into(t, &cfg)
	if len(cfg["levels"].([]any)) != 3 {
		t.Fatalf("restored config: %v", cfg)
	}
}

// TestSeedIsReproducible: the same seed gives the same ids and tokens.
func TestSeedIsReproducible(t *testing.T) {
	run := func() []string {
		e := newEnv(t)
		token, id := e.client("seed@example.com")
		w := e.wizard(token)
		return []string{token, strconv.Itoa(id), w.UUID, e.file(token)}
	}
	a, b := run(), run()
	if !slices.Equal(a, b) {
		t.Fatalf("two seeded runs differ:\n%v\n%v", a, b)
	}
}

// TestParallelClients runs many clients at once against one emulator
// while the clock moves and reviews fire (run with -race): each ends at
// Level 1 and sees only its own history.
func TestParallelClients(t *testing.T) {
	e := newEnv(t)
	e.must(e.control(http.MethodPut, "/providers/b2core/config", map[string]any{
		"review": map[string]any{"decision": "approve", "delay": "3ms"},
	}), http.StatusOK, "review delay")
	const n = 8
	type result struct {
		token string
		id    int
		msg   string
	}
	results := make(chan result, n)
	for i := range n {
		go func() {
			sub := &collector{TB: t}
			pe := *e
			pe.t = sub
			var res result
			func() {
				defer func() { _ = recover() }()
				res.token, res.id = pe.client("parallel" + strconv.Itoa(i) + "@example.com")
				for range 3 {
					pe.file(res.token)
				}
				if last := pe.walkLevel1(res.token); last.Code != 202 {
					sub.Errorf("final step code %d", last.Code)
				}
			}()
			res.msg = sub.msg
			results <- res
		}()
	}
	stop, ticked := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(ticked)
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
				_ = e.emu.Advance(time.Millisecond)
			}
		}
	}()
	var all []result
	for range n {
		all = append(all, <-results)
	}
	close(stop)
	<-ticked
	e.advance(time.Second)
	for _, r := range all {
		if r.msg != "" {
			t.Fatal(r.msg)
		}
		h := e.history(r.token, "")
		if h.Total != 2 || h.Data[0].CurrentLevel.Name != "Level 1" {
			t.Errorf("client %d history: %+v", r.id, h)
		}
		for _, g := range h.Data {
			if g.ClientID != r.id {
				t.Errorf("client %d sees client %d's grant", r.id, g.ClientID)
			}
		}
	}
}

// collector lets helpers run in goroutines: failures are recorded instead
// of calling FailNow off the test goroutine.
type collector struct {
	testing.TB
	msg string
}

func (c *collector) Helper() {}
func (c *collector) Errorf(format string, args ...any) {
	c.msg += fmt.Sprintf(format, args...) + "; "
}
func (c *collector) Fatalf(format string, args ...any) {
	c.Errorf(format, args...)
	panic(c)
}
func (c *collector) Fatal(args ...any) { c.Fatalf("%s", fmt.Sprint(args...)) }

// TestSessionsAreBounded: a client keeps at most 100 signed-in sessions
// (the 101st sign-in signs the oldest out), and spent tokens and wizards
// are forgotten on the clock, so a client that signs in all day leaves
// only its account behind.
func TestSessionsAreBounded(t *testing.T) {
	e := newEnv(t)
	e.signUp("busy@example.com")
	first, second := e.signIn("busy@example.com"), e.signIn("busy@example.com")
	for range 99 {
		e.signIn("busy@example.com")
	}
	r := e.do(http.MethodGet, e.api+"/my/verifications", first.Access.Token, nil)
	if r.status != http.StatusUnauthorized || !strings.Contains(string(r.body), "revoked") {
		t.Fatalf("oldest session after 101 sign-ins: %d %s", r.status, r.body)
	}
	e.must(e.do(http.MethodPost, e.api+"/my/refresh", "", map[string]any{"refreshToken": first.Refresh.Token}),
		http.StatusUnauthorized, "refresh of the oldest session")
	e.must(e.do(http.MethodGet, e.api+"/my/verifications", second.Access.Token, nil), http.StatusOK, "second session")

	// Past the refresh tokens' 30 days and the store's 7-day retention of
	// finished records, only the account is left.
	e.advance(38 * 24 * time.Hour)
	e.must(e.control(http.MethodGet, "/sessions", nil), http.StatusOK, "sessions")
	if st := e.emu.State().Stats(); st.Records != 1 {
		t.Fatalf("records kept: %+v", st)
	}
	e.signIn("busy@example.com")
}
