package control_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/kycemu/kycemu/testkit"
	"github.com/kycemu/kycemu/testkit/control"
	"github.com/kycemu/kycemu/testkit/receiver"
)

// startKycemu stands in for a kycemu you already run: a CI service
// container, docker compose, or `go run ./cmd/kycemu --clock manual`.
func startKycemu() (url string, stop func()) {
	srv, err := testkit.New(testkit.WithManualClock(time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)))
	if err != nil {
		panic(err)
	}
	return srv.URL, srv.Close
}

func createNotusSession(baseURL, apiKey string) string {
	body, _ := json.Marshal(map[string]any{
		"firstName": "Ana", "lastName": "Souza", "birthDate": "1990-04-15",
		"documentCategory": "PASSPORT", "documentCountry": "BRAZIL", "documentId": "123456",
	})
	req, _ := http.NewRequest(http.MethodPost, baseURL+"/kyc/individual-verification-sessions/standard", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", apiKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var out struct {
		Session struct{ ID string } `json:"session"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return out.Session.ID
}

func ExampleNew() {
	url, stop := startKycemu()
	defer stop()
	ctx := context.Background()

	kyc := control.New(url)
	h, err := kyc.Health(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Println(h.Status, h.Clock.Mode)
	// Output: ok manual
}

func ExampleClient_BaseURL() {
	url, stop := startKycemu()
	defer stop()
	kyc := control.New(url)

	base, _ := kyc.BaseURL(context.Background(), "notus")
	fmt.Println(base[len(url):])
	// Output: /notus/api/v1
}

func ExampleClient_Approve() {
	url, stop := startKycemu()
	defer stop()
	kyc := control.New(url)
	ctx := context.Background()
	base, _ := kyc.BaseURL(ctx, "notus")
	id := createNotusSession(base, "key-1")

	s, err := kyc.Approve(ctx, id)
	if err != nil {
		panic(err)
	}
	for _, tr := range s.History {
		fmt.Println(tr.To, "by", tr.By)
	}
	// Output:
	// PENDING by client
	// VERIFYING by control
	// COMPLETED by control
}

func ExampleClient_Advance() {
	url, stop := startKycemu()
	defer stop()
	kyc := control.New(url)
	ctx := context.Background()

	k, err := kyc.Advance(ctx, 90*time.Second)
	if err != nil {
		panic(err)
	}
	fmt.Println(k.Mode, k.Now.Format(time.TimeOnly))
	// Output: manual 09:01:30
}

func ExampleClient_Requests() {
	url, stop := startKycemu()
	defer stop()
	kyc := control.New(url)
	ctx := context.Background()
	base, _ := kyc.BaseURL(ctx, "notus")
	createNotusSession(base, "key-1")
	createNotusSession(base, "")

	reqs, _ := kyc.Requests(ctx, control.RequestFilter{Operation: "createStandardIndividualSession"})
	for _, r := range reqs {
		fmt.Printf("%d tenant=%q\n", r.Status, r.Tenant)
	}
	// Output:
	// 201 tenant="key-1"
	// 401 tenant=""
}

func ExampleIsNotFound() {
	url, stop := startKycemu()
	defer stop()
	kyc := control.New(url)

	_, err := kyc.Session(context.Background(), "no-such-session")
	fmt.Println(control.IsNotFound(err))
	fmt.Println(err)
	// Output:
	// true
	// kycemu control: 404 session_not_found: no session with that id
}

func ExampleNewHarness() {
	url, stop := startKycemu()
	defer stop()

	// In a test: control.NewHarness(t, client); each call fails t on error.
	kyc := control.NewHarness(control.Panicker{}, control.New(url))
	id := createNotusSession(kyc.BaseURL("notus"), "key-1")
	fmt.Println(kyc.Expire(id).Status)
	// Output: EXPIRED
}

func ExampleClient_WaitStatus() {
	// With a real clock, poll until the emulator's review is over.
	srv, _ := testkit.New()
	defer srv.Close()
	kyc := control.New(srv.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	base, _ := kyc.BaseURL(ctx, "notus")
	id := createNotusSession(base, "key-1")

	go func() { _, _ = kyc.Approve(ctx, id) }() // stands in for the review
	s, err := kyc.WaitStatus(ctx, id, 10*time.Millisecond, "COMPLETED", "FAILED")
	fmt.Println(s.Status, err)
	// Output: COMPLETED <nil>
}

func ExampleClient_RouteWebhooks() {
	url, stop := startKycemu()
	defer stop()
	kyc := control.New(url)
	ctx := context.Background()

	rcv := receiver.Listen()
	defer rcv.Close()
	secret, err := kyc.RouteWebhooks(ctx, "notus", "key-1", rcv.URL+"/hooks")
	if err != nil {
		panic(err)
	}
	v, _ := receiver.ForProvider("notus", secret)
	rcv.SetVerifier(v)

	base, _ := kyc.BaseURL(ctx, "notus")
	id := createNotusSession(base, "key-1")
	_, _ = kyc.Expire(ctx, id)
	ev := rcv.WaitEvent(10*time.Second, "kyc.session.expired")
	fmt.Println(ev.Path, ev.Verified)

	ds, _ := kyc.Deliveries(ctx, control.DeliveryFilter{SessionID: id})
	fmt.Println(len(ds), ds[0].Event)
	// Output:
	// /hooks true
	// 1 kyc.session.expired
}

func ExampleClient_UseScenario() {
	url, stop := startKycemu()
	defer stop()
	kyc := control.New(url)
	ctx := context.Background()

	if err := kyc.UseScenario(ctx, "notus", "key-1", "expire"); err != nil {
		panic(err)
	}
	base, _ := kyc.BaseURL(ctx, "notus")
	id := createNotusSession(base, "key-1")
	_, _ = kyc.Advance(ctx, 10*time.Minute)
	s, _ := kyc.Session(ctx, id)
	fmt.Println(s.Scenario, s.Status)
	// Output: expire EXPIRED
}

func ExampleClient_PutScenario() {
	url, stop := startKycemu()
	defer stop()
	kyc := control.New(url)

	_, err := kyc.PutScenario(context.Background(), "notus", "typo", []byte("name: typo\nprovider: notus\ntimeline:\n  - after: 1s\n    status: DONE\n"))
	var ce *control.Error
	if errors.As(err, &ce) {
		fmt.Println(ce.StatusCode, ce.Code, len(ce.Problems) > 0)
	}
	// Output: 400 invalid_scenario true
}

func ExampleClient_WaitStatus_mistake() {
	// A status the session's kind does not have is refused before any
	// waiting, with the ones it has.
	url, stop := startKycemu()
	defer stop()
	kyc := control.New(url)
	ctx := context.Background()
	base, _ := kyc.BaseURL(ctx, "notus")
	id := createNotusSession(base, "key-1")

	_, err := kyc.WaitStatus(ctx, id, time.Second, "completed")
	fmt.Println(strings.Replace(err.Error(), id, "<id>", 1))
	// Output: kycemu control: wait for session <id>: "completed" is not a status of a notus STANDARD_INDIVIDUAL (statuses are case-sensitive: "COMPLETED"); its statuses are "COMPLETED", "EXPIRED", "FAILED", "PENDING", "VERIFYING"
}

func ExampleCheckTenant() {
	fmt.Println(control.CheckTenant("gu1", "gk_test"))
	fmt.Println(control.CheckTenant("gu1", "gk_test:org_1"))
	// Output:
	// kycemu control: a gu1 tenant is "<API key>:<organization id>" (gu1.Tenant(key, org) in testkit/providers/gu1): this one has no organization id
	// <nil>
}
