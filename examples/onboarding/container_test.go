package onboarding_test

import (
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"

	"github.com/kycemu/kycemu/examples/onboarding"
	"github.com/kycemu/kycemu/testkit/container"
	"github.com/kycemu/kycemu/testkit/control"
)

// These tests run the same service against kycemu in a Docker container
// (the image CI builds from the Dockerfile, named by KYCEMU_TEST_IMAGE), as
// a team whose CI runs kycemu as a container would. Notus's webhooks travel
// from the container to the service in the test process through
// testcontainers' host port access.

func startContainer(t *testing.T) (*control.Harness, *app) {
	t.Helper()
	img := os.Getenv("KYCEMU_TEST_IMAGE")
	if img == "" {
		t.Skip("container tests skipped: KYCEMU_TEST_IMAGE is not set (.ci/run builds the image and sets it when a Docker engine answers)")
	}
	if os.Getenv("TESTCONTAINERS_RYUK_DISABLED") == "" {
		t.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true") // no registry for the reaper image
	}
	testcontainers.SkipIfProviderIsNotHealthy(t)

	// The service's port must be open to the container when it starts.
	ln := listen(t)
	serviceURL := "http://" + ln.Addr().String()
	kc, err := container.Run(t.Context(), img,
		container.WithManualClock(time.Date(2026, 2, 1, 10, 0, 0, 0, time.UTC)),
		container.WithWebhookReceiver(serviceURL))
	testcontainers.CleanupContainer(t, kc)
	if err != nil {
		ln.Close()
		t.Fatalf("start kycemu: %v", err)
	}
	kyc := kc.Harness(t)
	hook, err := container.HostURL(serviceURL + "/webhooks/notus")
	if err != nil {
		t.Fatal(err)
	}
	secret := kyc.RouteWebhooks("notus", apiKey, hook)
	return kyc, serve(t, ln, onboarding.Config{
		Notus:         &onboarding.NotusClient{BaseURL: kyc.BaseURL("notus"), APIKey: apiKey, HTTP: &http.Client{Timeout: 10 * time.Second}},
		WebhookSecret: secret,
	})
}

func TestContainerApprovedAndRejectedCustomers(t *testing.T) {
	kyc, a := startContainer(t)

	approved := a.onboard(maria)
	if approved.Status != onboarding.Verifying {
		t.Fatalf("after submit: %s", approved.Status)
	}
	kyc.Advance(2 * time.Second)
	if got := a.waitStatus(approved.ID, onboarding.Approved); got.IndividualID == nil {
		t.Fatal("approved without an individualId")
	}

	joao := maria
	joao.FirstName, joao.DocumentID = "João", "98765432100"
	rejected := a.onboard(joao)
	kyc.Reject(rejected.NotusSessionID, "document expired")
	a.waitStatus(rejected.ID, onboarding.Rejected)

	for _, d := range kyc.Deliveries(control.DeliveryFilter{Tenant: apiKey}) {
		if d.Status == "failed" || d.Status == "undeliverable" {
			t.Fatalf("delivery %s of %s: %s (%s)", d.ID, d.Event, d.Status, d.Error)
		}
	}
}
