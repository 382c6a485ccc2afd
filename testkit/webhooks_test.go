package testkit_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/kycemu/kycemu/testkit"
	"github.com/kycemu/kycemu/testkit/control"
	"github.com/kycemu/kycemu/testkit/receiver"
)

func TestNotusWebhooksAreSignedAndDelivered(t *testing.T) {
	srv := testkit.Start(t, testkit.WithManualClock(t0))
	rcv := srv.Webhooks("notus", "hook-key")

	s := notusClient(t, srv, "hook-key").Submit("123")
	ev := rcv.WaitEvent(10*time.Second, "kyc.session.verifying")
	if !ev.Verified || ev.Header.Get(receiver.NotusHeader) == "" {
		t.Fatalf("verifying event not verified: %+v", ev)
	}
	srv.Advance(2 * time.Second)
	ev = rcv.WaitEvent(10*time.Second, "kyc.session.completed")
	var body struct {
		SessionID    string  `json:"sessionId"`
		Status       string  `json:"status"`
		IndividualID *string `json:"individualId"`
	}
	if err := ev.Decode(&body); err != nil || body.SessionID != s.ID || body.Status != "COMPLETED" || body.IndividualID == nil {
		t.Fatalf("completed event %s (%v)", ev.Body, err)
	}
	if n := len(rcv.Rejected()); n != 0 {
		t.Fatalf("%d deliveries failed verification", n)
	}

	// Another tenant's webhooks do not come here.
	notusClient(t, srv, "other-key").Submit("456")
	srv.Advance(2 * time.Second)
	others := srv.Deliveries(control.DeliveryFilter{Tenant: "other-key"})
	if len(others) == 0 || others[0].Status != "undeliverable" {
		t.Fatalf("other tenant's deliveries: %+v", others)
	}
	if got := len(rcv.Events()); got != 2 {
		t.Fatalf("receiver has %d events, want 2", got)
	}
	// The receiver has the event before the engine journals the answer.
	mine := waitDeliveries(t, srv, control.DeliveryFilter{Tenant: "hook-key", SessionID: s.ID}, func(ds []control.Delivery) bool {
		return len(ds) == 2 && ds[1].Status == "delivered"
	})
	if len(mine) != 2 || mine[0].Event != "kyc.session.verifying" || mine[1].Status != "delivered" ||
		len(mine[1].Attempts) != 1 || mine[1].Attempts[0].StatusCode != http.StatusNoContent {
		t.Fatalf("delivery journal: %+v", mine)
	}
}

func TestWebhookRetriesReachAFlakyReceiver(t *testing.T) {
	srv := testkit.Start(t, testkit.WithManualClock(t0))
	rcv := srv.Webhooks("notus", "flaky", receiver.FailFirst(1))
	s := notusClient(t, srv, "flaky").Submit("1")

	// The first attempt fails; the retry is scheduled on the manual clock.
	f := control.DeliveryFilter{SessionID: s.ID, Event: "kyc.session.verifying"}
	waitDeliveries(t, srv, f, func(ds []control.Delivery) bool { return len(ds) == 1 && ds[0].NextAttemptAt != nil })
	srv.Advance(time.Hour)
	ev := rcv.WaitEvent(10*time.Second, "kyc.session.verifying")
	if !ev.Verified {
		t.Fatal("retried event not verified")
	}
	ds := waitDeliveries(t, srv, f, func(ds []control.Delivery) bool { return len(ds) == 1 && ds[0].Status == "delivered" })
	if len(ds) != 1 || len(ds[0].Attempts) < 2 || ds[0].Attempts[0].StatusCode != http.StatusInternalServerError {
		t.Fatalf("deliveries %+v", ds)
	}
	// Redelivering sends the same event again.
	again := srv.Redeliver(ds[0].ID)
	if again.RedeliveryOf != ds[0].ID {
		t.Fatalf("redelivery %+v", again)
	}
	rcv.WaitEvent(10*time.Second, "kyc.session.verifying")
}

func TestGU1WebhooksAreSignedAndDelivered(t *testing.T) {
	srv := testkit.Start(t, testkit.WithManualClock(t0))
	const key, org = "gk_test_abc", "org-1"
	rcv := srv.Webhooks("gu1", key+":"+org)

	call := func(path string, in any) map[string]any {
		t.Helper()
		b, _ := json.Marshal(in)
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.BaseURL("gu1")+path, bytes.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("X-Organization-ID", org)
		req.Header.Set("Content-Type", "application/json")
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode >= 300 {
			t.Fatalf("POST %s: %d %v %v", path, resp.StatusCode, out, err)
		}
		return out
	}
	entity := call("/entities", map[string]any{"type": "person", "name": "Ana Souza", "countryCode": "BR",
		"taxId": "98765432100", "entityData": map[string]any{"person": map[string]any{"firstName": "Ana", "lastName": "Souza"}}})
	entityID := entity["entity"].(map[string]any)["id"].(string)
	validation := call("/api/kyc/validations", map[string]any{"entityId": entityID})
	id := validation["id"].(string)

	srv.Approve(id)
	ev := rcv.WaitEvent(10*time.Second, "kyc.validation_approved")
	if !ev.Verified || ev.Header.Get(receiver.GU1Header) == "" {
		t.Fatalf("approved event %+v", ev)
	}
	var body struct {
		OrganizationID string `json:"organizationId"`
		Payload        struct {
			ValidationID string `json:"validationId"`
			Status       string `json:"status"`
		} `json:"payload"`
	}
	if err := ev.Decode(&body); err != nil || body.OrganizationID != org || body.Payload.ValidationID != id || body.Payload.Status != "approved" {
		t.Fatalf("approved body %s (%v)", ev.Body, err)
	}
	if rcv.WaitEvent(10*time.Second, "kyc.validation_created").Name == "" {
		t.Fatal("no created event")
	}
}

func TestWebhooksOnANewServer(t *testing.T) {
	srv, err := testkit.New(testkit.WithManualClock(t0))
	if err != nil {
		t.Fatal(err)
	}
	rcv := srv.Webhooks("notus", "k")
	notusClient(t, srv, "k").Submit("1")
	if ev := rcv.WaitEvent(10*time.Second, "kyc.session.verifying"); !ev.Verified {
		t.Fatal("not verified")
	}
	srv.Close() // closes the receiver too
	resp, err := http.Post(rcv.URL, "application/json", nil)
	if err == nil {
		resp.Body.Close()
		t.Fatal("receiver still answers after the server closed")
	}
}

// waitDeliveries polls the delivery journal until ok accepts it.
func waitDeliveries(t *testing.T, srv *testkit.Server, f control.DeliveryFilter, ok func([]control.Delivery) bool) []control.Delivery {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ds := srv.Deliveries(f)
		if ok(ds) {
			return ds
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery journal never got there: %+v", ds)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestKulipaWebhooksAreVerifiedWithThePublishedKey(t *testing.T) {
	srv := testkit.Start(t, testkit.WithManualClock(t0))
	const key = "sk_sandbox_testkit"
	rcv := srv.Webhooks("kulipa", key)

	n := 0
	call := func(method, path string, in any) map[string]any {
		t.Helper()
		n++
		b, _ := json.Marshal(in)
		req, _ := http.NewRequestWithContext(t.Context(), method, srv.BaseURL("kulipa")+path, bytes.NewReader(b))
		req.Header.Set("x-api-key", key)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("x-idempotency-key", fmt.Sprintf("testkit-%d", n))
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode >= 300 {
			t.Fatalf("%s %s: %d %v %v", method, path, resp.StatusCode, out, err)
		}
		return out
	}
	user := call(http.MethodPost, "/users", map[string]any{"firstName": "Ada", "lastName": "Lovelace"})
	kyc := call(http.MethodPut, "/kycs", map[string]any{"userId": user["id"], "type": "full"})
	srv.Approve(kyc["id"].(string))

	ev := rcv.Wait(10*time.Second, nil)
	if !ev.Verified || ev.Header.Get(receiver.KulipaKeyIDHeader) == "" || ev.Name == "" {
		t.Fatalf("event %q verified=%v headers %v", ev.Name, ev.Verified, ev.Header)
	}

	// A delivery signed with an unpublished key is refused.
	srv.UseScenario("kulipa", key, "webhook-bad-signature")
	user2 := call(http.MethodPost, "/users", map[string]any{"firstName": "Grace", "lastName": "Hopper"})
	kyc2 := call(http.MethodPut, "/kycs", map[string]any{"userId": user2["id"], "type": "full"})
	srv.Approve(kyc2["id"].(string))
	deadline := time.Now().Add(10 * time.Second)
	for len(rcv.Rejected()) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	rej := rcv.Rejected()
	if len(rej) == 0 || !errors.Is(rej[0].Err, receiver.ErrSignature) {
		t.Fatalf("bad signature not refused: %+v", rej)
	}
}
