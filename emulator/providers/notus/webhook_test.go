package notus_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/kycemu/kycemu/emulator/internal/oas"
	"github.com/kycemu/kycemu/emulator/internal/testutil"
)

// receiver verifies X-Notus-Signature and keeps the events in order.
type receiver struct {
	t      *testing.T
	secret string
	doc    *oas.Doc
	mu     sync.Mutex
	events []map[string]any
	got    chan struct{}
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	mac := hmac.New(sha256.New, []byte(rc.secret))
	mac.Write(body)
	if !hmac.Equal([]byte(hex.EncodeToString(mac.Sum(nil))), []byte(r.Header.Get("X-Notus-Signature"))) {
		rc.t.Errorf("bad signature on %s", body)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var ev map[string]any
	if err := json.Unmarshal(body, &ev); err != nil {
		rc.t.Errorf("webhook body: %v", err)
	}
	if err := rc.doc.ValidateValue("Webhook", ev); err != nil {
		rc.t.Errorf("webhook breaks the spec: %v", err)
	}
	rc.mu.Lock()
	rc.events = append(rc.events, ev)
	rc.mu.Unlock()
	rc.got <- struct{}{}
}

func (rc *receiver) wait(n int) []map[string]any {
	rc.t.Helper()
	for range n {
		select {
		case <-rc.got:
		case <-time.After(5 * time.Second):
			rc.t.Fatalf("waited 5s for webhook; have %d", len(rc.events))
		}
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]map[string]any(nil), rc.events...)
}

func TestWebhooksAreSignedAndFollowTheSession(t *testing.T) {
	e := newEnv(t)
	doc := testutil.Spec(t, "notus")
	rc := &receiver{t: t, secret: e.emu.WebhookSecret("notus", "key-a"), doc: doc, got: make(chan struct{}, 16)}
	hook := httptest.NewServer(rc)
	defer hook.Close()
	if err := e.emu.SetWebhookURL("notus", "key-a", hook.URL); err != nil {
		t.Fatal(err)
	}
	c := e.create(standard, "key-a", person())
	e.mustUpload(c.Front, pngBytes)
	e.mustUpload(c.Back, pngBytes)
	e.do(http.MethodPost, e.api+standard+"/"+c.Session.ID+"/process", "", nil)
	e.advance(2 * time.Second)
	evs := rc.wait(2)
	if evs[0]["event"] != "kyc.session.verifying" || evs[1]["event"] != "kyc.session.completed" {
		t.Fatalf("events: %v", evs)
	}
	if evs[1]["sessionId"] != c.Session.ID || evs[1]["individualId"] == nil || evs[1]["timestamp"] != "2026-03-01T12:00:02.000Z" {
		t.Fatalf("completed event: %v", evs[1])
	}
	// Another tenant's events do not reach this receiver: key-b has no URL,
	// so its event is journaled as undeliverable.
	other := e.create(standard, "key-b", person())
	e.do(http.MethodPost, e.srv.URL+"/_emulator/sessions/"+other.Session.ID+"/process", "", nil)
	r := e.do(http.MethodGet, e.srv.URL+"/_emulator/webhooks/deliveries?provider=notus&tenant=key-b", "", nil)
	ds := r.json(t)["deliveries"].([]any)
	if len(ds) != 1 || ds[0].(map[string]any)["status"] != "undeliverable" {
		t.Fatalf("key-b deliveries: %v", ds)
	}
	select {
	case <-rc.got:
		t.Fatal("key-a's receiver got key-b's event")
	case <-time.After(100 * time.Millisecond):
	}
}
