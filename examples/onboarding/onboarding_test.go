package onboarding_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/kycemu/kycemu/examples/onboarding"
	"github.com/kycemu/kycemu/testkit"
	"github.com/kycemu/kycemu/testkit/control"
)

// These tests run kycemu in-process with testkit: no Docker, one emulator
// per test, a manual clock.

const apiKey = "onboarding-test-key"

// start runs kycemu and the service, wired the way production is: the
// service's Notus base URL points at kycemu, and kycemu's Notus webhooks for
// our API key go to the service's webhook endpoint.
func start(t *testing.T) (*testkit.Server, *app) {
	t.Helper()
	kyc := testkit.Start(t, testkit.WithManualClock(time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC)))
	ln := listen(t)
	secret := kyc.RouteWebhooks("notus", apiKey, "http://"+ln.Addr().String()+"/webhooks/notus")
	return kyc, serve(t, ln, onboarding.Config{
		Notus:         &onboarding.NotusClient{BaseURL: kyc.BaseURL("notus"), APIKey: apiKey, HTTP: kyc.Client()},
		WebhookSecret: secret,
	})
}

func TestApprovedCustomer(t *testing.T) {
	kyc, a := start(t)
	c := a.signUp(maria)
	if c.Status != onboarding.AwaitingDocuments || len(c.Missing) != 2 {
		t.Fatalf("after sign-up: %+v", c)
	}
	a.upload(c.ID, "front")
	a.upload(c.ID, "back")
	if got := a.submit(c.ID); got.Status != onboarding.Verifying {
		t.Fatalf("after submit: %s", got.Status)
	}
	// Notus reviews for a while; the test skips it.
	kyc.Advance(2 * time.Second)
	got := a.waitStatus(c.ID, onboarding.Approved)
	if got.IndividualID == nil {
		t.Fatal("approved without Notus's individualId")
	}
	// Notus saw exactly what its docs prescribe: one create with our key,
	// one process.
	if n := len(kyc.Requests(control.RequestFilter{Tenant: apiKey, Operation: "createStandardIndividualSession"})); n != 1 {
		t.Fatalf("%d creates", n)
	}
	if n := len(kyc.Requests(control.RequestFilter{Operation: "processStandardIndividualSession"})); n != 1 {
		t.Fatalf("%d process calls", n)
	}
}

func TestRejectedCustomer(t *testing.T) {
	kyc, a := start(t)
	c := a.onboard(maria)
	kyc.Reject(c.NotusSessionID, "document photo is blurry")
	if got := a.waitStatus(c.ID, onboarding.Rejected); got.IndividualID != nil {
		t.Fatalf("rejected customer has an individualId: %+v", got)
	}
	// A late copy of an earlier event (webhooks may come twice, or out of
	// order) does not undo the outcome.
	f := control.DeliveryFilter{SessionID: c.NotusSessionID, Event: "kyc.session.verifying"}
	first := waitDelivery(t, kyc, f, func(d control.Delivery) bool { return d.Status == "delivered" })
	again := kyc.Redeliver(first.ID)
	waitDelivery(t, kyc, f, func(d control.Delivery) bool { return d.ID == again.ID && d.Status == "delivered" })
	if got := a.customer(c.ID); got.Status != onboarding.Rejected {
		t.Fatalf("after a replayed verifying event: %s", got.Status)
	}
}

func TestCustomerWhoNeverUploadsExpires(t *testing.T) {
	kyc, a := start(t)
	c := a.signUp(maria)
	a.upload(c.ID, "front")
	kyc.Advance(time.Hour)
	a.waitStatus(c.ID, onboarding.Expired)
}

func TestSubmitBeforeUploadsIsRefusedLocally(t *testing.T) {
	kyc, a := start(t)
	c := a.signUp(maria)
	if status := a.call(http.MethodPost, "/customers/"+c.ID+"/submit", "", nil, nil); status != http.StatusConflict {
		t.Fatalf("submit without documents: %d, want 409", status)
	}
	if n := len(kyc.Requests(control.RequestFilter{Operation: "processStandardIndividualSession"})); n != 0 {
		t.Fatalf("service called process %d times", n)
	}
}

func TestForgedWebhookIsRefused(t *testing.T) {
	_, a := start(t)
	c := a.onboard(maria)
	body, _ := json.Marshal(map[string]any{"event": "kyc.session.completed", "sessionId": c.NotusSessionID, "status": "COMPLETED"})
	mac := hmac.New(sha256.New, []byte("a guessed secret"))
	mac.Write(body)
	req, _ := http.NewRequest(http.MethodPost, a.url+"/webhooks/notus", bytes.NewReader(body))
	req.Header.Set("X-Notus-Signature", hex.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("forged webhook: %d, want 401", resp.StatusCode)
	}
	if got := a.customer(c.ID); got.Status != onboarding.Verifying {
		t.Fatalf("after a forged webhook: %s", got.Status)
	}
}

func TestInvalidApplicantIsReportedNotCrashed(t *testing.T) {
	kyc, a := start(t)
	bad := maria
	bad.DocumentID = "12A45"
	body, _ := json.Marshal(bad)
	if status := a.call(http.MethodPost, "/customers", "application/json", body, nil); status != http.StatusUnprocessableEntity {
		t.Fatalf("bad document id: %d, want 422", status)
	}
	reqs := kyc.Requests(control.RequestFilter{Operation: "createStandardIndividualSession"})
	if len(reqs) != 1 || reqs[0].Status != http.StatusBadRequest {
		t.Fatalf("journal: %+v", reqs)
	}
}

func TestPollingFallbackWithoutWebhooks(t *testing.T) {
	kyc := testkit.Start(t, testkit.WithManualClock(time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC)))
	// No webhook route for this key: the service must poll.
	a := serve(t, listen(t), onboarding.Config{
		Notus: &onboarding.NotusClient{BaseURL: kyc.BaseURL("notus"), APIKey: "no-webhooks", HTTP: kyc.Client()},
	})
	c := a.onboard(maria)
	kyc.Approve(c.NotusSessionID)
	if got := a.customer(c.ID); got.Status != onboarding.Verifying {
		t.Fatalf("without refresh: %s", got.Status)
	}
	var got onboarding.Customer
	a.call(http.MethodGet, "/customers/"+c.ID+"?refresh=1", "", nil, &got)
	if got.Status != onboarding.Approved {
		t.Fatalf("after refresh: %s", got.Status)
	}
}

// waitDelivery waits until a delivery f selects satisfies ok (the service
// has answered and kycemu has journaled the answer) and returns it.
func waitDelivery(t *testing.T, kyc *testkit.Server, f control.DeliveryFilter, ok func(control.Delivery) bool) control.Delivery {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ds := kyc.Deliveries(f)
		for _, d := range ds {
			if ok(d) {
				return d
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no such delivery for %+v: %+v", f, ds)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
