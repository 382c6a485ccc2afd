package container_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/testcontainers/testcontainers-go"

	"github.com/kycemu/kycemu/testkit/container"
	"github.com/kycemu/kycemu/testkit/receiver"
)

func ExampleRun() {
	ctx := context.Background()
	kc, err := container.Run(ctx, "kycemu:ci",
		container.WithManualClock(time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)),
		container.WithSeed(1),
	)
	defer func() {
		if err := testcontainers.TerminateContainer(kc); err != nil {
			log.Printf("terminate: %v", err)
		}
	}()
	if err != nil {
		log.Printf("run kycemu: %v", err)
		return
	}
	notus, _ := kc.ProviderURL(ctx, "notus")
	fmt.Println(notus) // http://localhost:<port>/notus/api/v1: give it to the code under test

	// Move the emulator's clock, force outcomes, read the journal:
	_, _ = kc.Control().Advance(ctx, time.Hour)
}

func ExampleContainer_RouteWebhooks() {
	ctx := context.Background()
	rcv := receiver.Listen() // in a test: receiver.New(t)
	defer rcv.Close()

	// The receiver's port is opened to the container when it starts...
	kc, err := container.Run(ctx, "kycemu:ci", container.WithWebhookReceiver(rcv.URL))
	defer func() { _ = testcontainers.TerminateContainer(kc) }()
	if err != nil {
		log.Printf("run kycemu: %v", err)
		return
	}
	// ...then the tenant's Notus webhooks are sent to it and verified there.
	if err := kc.RouteWebhooks(ctx, rcv, "notus", "my-api-key"); err != nil {
		log.Printf("route webhooks: %v", err)
		return
	}
	ev, err := rcv.Receive(ctx, receiver.Named("kyc.session.completed"))
	fmt.Println(ev.Verified, err)
}

func ExampleWithScenarioDir() {
	ctx := context.Background()
	// The files of testdata/scenarios are copied into the container, so the
	// engine may be remote and the files private.
	kc, err := container.Run(ctx, "kycemu:ci",
		container.WithManualClock(time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)),
		container.WithScenarioDir("testdata/scenarios"),
	)
	defer func() { _ = testcontainers.TerminateContainer(kc) }()
	if err != nil {
		log.Printf("run kycemu: %v", err)
		return
	}
	// A tenant's new sessions follow one of them.
	_ = kc.Control().UseScenario(ctx, "notus", "qa-key", "reject-after-review")
}

func ExampleWithDataVolume() {
	ctx := context.Background()
	// State survives the container: run it again with the same volume.
	kc, err := container.Run(ctx, "kycemu:ci", container.WithDataVolume("kycemu-state"))
	defer func() { _ = testcontainers.TerminateContainer(kc) }()
	if err != nil {
		log.Printf("run kycemu: %v", err)
	}
}

func ExampleHostURL() {
	// A server of the test process, as a container started with
	// WithHostAccess or WithWebhookReceiver reaches it.
	u, _ := container.HostURL("http://127.0.0.1:41234/webhooks/notus")
	fmt.Println(u)
	// Output: http://host.testcontainers.internal:41234/webhooks/notus
}
