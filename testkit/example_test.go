package testkit_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kycemu/kycemu/testkit"
	"github.com/kycemu/kycemu/testkit/control"
)

func ExampleNew() {
	// New serves outside a test (TestMain, a program); Close it yourself.
	srv, err := testkit.New()
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	h, err := srv.Control().Health(context.Background())
	if err != nil {
		panic(err)
	}
	fmt.Println(h.Status, slices.Contains(h.Providers, "notus"))
	// Output: ok true
}

func ExampleServer_BaseURL() {
	srv, _ := testkit.New()
	defer srv.Close()

	// Use it where your client had https://api.notus.team/api/v1.
	fmt.Println(strings.TrimPrefix(srv.BaseURL("notus"), srv.URL))
	// Output: /notus/api/v1
}

func ExampleServer_For() {
	// One server for a whole package, started in TestMain...
	srv, _ := testkit.New()
	defer srv.Close()

	// ...and, in each test, helpers that fail that test. Tests keep out of
	// each other's way by using their own API keys (tenants).
	testApproval := func(t *testing.T) {
		kyc := srv.For(t)
		id := createNotusSession(srv.Client(), kyc.BaseURL("notus"), "key-"+t.Name())
		kyc.Approve(id)
	}
	_ = testApproval
	fmt.Println("ok")
	// Output: ok
}

func ExampleServer_Approve() {
	srv, _ := testkit.New()
	defer srv.Close()
	id := createNotusSession(srv.Client(), srv.BaseURL("notus"), "key-1")

	s := srv.Approve(id)
	fmt.Println(s.Status)
	// Output: COMPLETED
}

func ExampleServer_Reject() {
	srv, _ := testkit.New()
	defer srv.Close()
	id := createNotusSession(srv.Client(), srv.BaseURL("notus"), "key-1")

	s := srv.Reject(id, "document photo is blurry")
	last := s.History[len(s.History)-1]
	fmt.Println(s.Status, last.By, last.Reason)
	// Output: FAILED control document photo is blurry
}

func ExampleServer_Act() {
	srv, _ := testkit.New()
	defer srv.Close()
	id := createNotusSession(srv.Client(), srv.BaseURL("notus"), "key-1")

	fmt.Println(srv.Session(id).Actions) // what can be forced now
	fmt.Println(srv.Act(id, "expire").Status)
	// Output:
	// [process approve reject expire]
	// EXPIRED
}

func ExampleWithManualClock() {
	start := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	srv, _ := testkit.New(testkit.WithManualClock(start))
	defer srv.Close()
	id := createNotusSession(srv.Client(), srv.BaseURL("notus"), "key-1")

	// A Notus session nobody uploads to expires after an hour: the test
	// skips the hour.
	srv.Advance(59 * time.Minute)
	fmt.Println(srv.Session(id).Status)
	fmt.Println(srv.Advance(time.Minute).Format(time.Kitchen), srv.Session(id).Status)
	// Output:
	// PENDING
	// 10:00AM EXPIRED
}

func ExampleWithSeed() {
	ids := map[string]bool{}
	for range 2 {
		srv, _ := testkit.New(testkit.WithSeed(42))
		ids[createNotusSession(srv.Client(), srv.BaseURL("notus"), "key-1")] = true
		srv.Close()
	}
	fmt.Println("distinct session ids over two runs:", len(ids))
	// Output: distinct session ids over two runs: 1
}

func ExampleServer_Requests() {
	srv, _ := testkit.New()
	defer srv.Close()
	createNotusSession(srv.Client(), srv.BaseURL("notus"), "key-1")

	for _, r := range srv.Requests(control.RequestFilter{Provider: "notus"}) {
		fmt.Println(r.Method, r.Operation, r.Tenant, r.Status)
	}
	// Output: POST createStandardIndividualSession key-1 201
}

func ExampleServer_Reset() {
	srv, _ := testkit.New()
	defer srv.Close()
	createNotusSession(srv.Client(), srv.BaseURL("notus"), "key-1")
	createNotusSession(srv.Client(), srv.BaseURL("notus"), "key-2")

	srv.ResetTenant("key-1")
	fmt.Println(len(srv.Sessions(control.SessionFilter{})))
	srv.Reset()
	fmt.Println(len(srv.Sessions(control.SessionFilter{})))
	// Output:
	// 1
	// 0
}

func ExampleServer_UseScenario() {
	srv, _ := testkit.New(testkit.WithManualClock(time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)))
	defer srv.Close()

	// Every new session of this API key follows the built-in "expire"
	// scenario: it expires 10 minutes after creation unless processed.
	srv.UseScenario("notus", "key-1", "expire")
	id := createNotusSession(srv.Client(), srv.BaseURL("notus"), "key-1")
	srv.Advance(10 * time.Minute)
	s := srv.Session(id)
	fmt.Println(s.Scenario, s.Status)
	// Output: expire EXPIRED
}

func ExampleServer_PutScenario() {
	srv, _ := testkit.New(testkit.WithManualClock(time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)))
	defer srv.Close()

	// A scenario of your own, in the same YAML QA writes.
	srv.PutScenario("notus", "expire-fast", `
name: expire-fast
provider: notus
timeline:
  - after: 30s
    status: EXPIRED
    reason: the customer walked away
`)
	srv.UseScenario("notus", "key-1", "expire-fast")
	id := createNotusSession(srv.Client(), srv.BaseURL("notus"), "key-1")
	srv.Advance(30 * time.Second)
	s := srv.Session(id)
	fmt.Println(s.Status, "-", s.History[len(s.History)-1].Reason)
	// Output: EXPIRED - the customer walked away
}

func ExampleServer_Webhooks() {
	srv, _ := testkit.New(testkit.WithManualClock(time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)))
	defer srv.Close()

	// Notus webhooks of key-1 now go to rcv, which checks their signature.
	rcv := srv.Webhooks("notus", "key-1")
	id := createNotusSession(srv.Client(), srv.BaseURL("notus"), "key-1")
	srv.Expire(id)

	ev := rcv.WaitEvent(10*time.Second, "kyc.session.expired")
	fmt.Println(ev.Name, "verified:", ev.Verified)
	// Output: kyc.session.expired verified: true
}

func ExampleWithScenarioDir() {
	// QA's scenario files, as a test would keep them under testdata/.
	dir, _ := os.MkdirTemp("", "scenarios")
	defer os.RemoveAll(dir)
	_ = os.WriteFile(filepath.Join(dir, "review-then-fail.yaml"), []byte(`
name: review-then-fail
provider: notus
timeline:
  - from: VERIFYING
    after: 30m
    status: FAILED
    reason: manual review rejected the document
`), 0o644)

	srv, err := testkit.New(testkit.WithScenarioDir(dir))
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	for _, sc := range srv.Scenarios("notus") {
		if sc.Source.Origin == "file" {
			fmt.Println(sc.Name, filepath.Base(sc.Source.File))
		}
	}
	// Output: review-then-fail review-then-fail.yaml
}
