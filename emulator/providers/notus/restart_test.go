package notus_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/kycemu/kycemu/emulator"
	"github.com/kycemu/kycemu/emulator/internal/testutil"
)

// TestRestartCarriesOn uploads a session's documents, stops kycemu, starts
// a new one on the same data directory and finishes the flow there: the
// uploads, the session and its webhooks carry on as if nothing happened.
func TestRestartCarriesOn(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, emulator.WithDataDir(dir))
	rc := &receiver{t: t, secret: e.emu.WebhookSecret("notus", "key-a"), doc: testutil.Spec(t, "notus"), got: make(chan struct{}, 16)}
	hook := httptest.NewServer(rc)
	defer hook.Close()
	if err := e.emu.SetWebhookURL("notus", "key-a", hook.URL); err != nil {
		t.Fatal(err)
	}
	c := e.create(standard, "key-a", person())
	front := append([]byte(nil), pngBytes...)
	e.mustUpload(c.Front, front)
	e.mustUpload(c.Back, pngBytes)
	e.advance(time.Minute)
	e.srv.Close()

	e2 := newEnv(t, emulator.WithDataDir(dir))
	if now := e2.emu.Clock().Now(); !now.Equal(t0.Add(time.Minute)) {
		t.Fatalf("clock after restart: %s", now)
	}
	if st := e2.status(standard, "key-a", c.Session.ID); st["status"] != "PENDING" {
		t.Fatalf("session after restart: %v", st)
	}
	if r := e2.do(http.MethodPost, e2.api+standard+"/"+c.Session.ID+"/process", "", nil); r.status != http.StatusOK {
		t.Fatalf("process after restart: %d %s", r.status, r.body)
	}
	e2.advance(2 * time.Second)
	evs := rc.wait(2)
	if evs[0]["event"] != "kyc.session.verifying" || evs[1]["event"] != "kyc.session.completed" || evs[1]["individualId"] == nil {
		t.Fatalf("events after restart: %v", evs)
	}
	sess := e2.status(standard, "key-a", c.Session.ID)
	if sess["status"] != "COMPLETED" || sess["individualId"] != evs[1]["individualId"] {
		t.Fatalf("completed session: %v", sess)
	}
	// The upload made before the restart is still in the bucket.
	r := e2.do(http.MethodPost, e2.api+"/admin/kyc/verification-sessions/document-urls", "key-a",
		map[string]any{"sessionId": c.Session.ID, "sessionType": "STANDARD_INDIVIDUAL"})
	got := e2.do(http.MethodGet, r.json(t)["frontDocumentUrl"].(string), "", nil)
	if got.status != http.StatusOK || !bytes.Equal(got.body, front) {
		t.Fatalf("front after restart: %d, %d bytes", got.status, len(got.body))
	}
	// New sessions continue the id stream.
	if c2 := e2.create(standard, "key-a", person()); c2.Session.ID == c.Session.ID {
		t.Fatal("a session id was handed out twice")
	}
	limits := e2.do(http.MethodGet, e2.api+"/kyc/identities/"+sess["individualId"].(string)+"/financial-limits", "key-a", nil)
	if limits.status != http.StatusOK {
		t.Fatalf("financial limits after restart: %d %s", limits.status, limits.body)
	}
}
