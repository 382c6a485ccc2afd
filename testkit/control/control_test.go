package control_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/kycemu/kycemu/testkit"
	"github.com/kycemu/kycemu/testkit/control"
)

func TestErrorsFromSomethingElse(t *testing.T) {
	// A proxy or a wrong port answers without kycemu's error envelope.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "bad gateway", http.StatusBadGateway)
	}))
	defer srv.Close()
	_, err := control.New(srv.URL).Health(t.Context())
	var ce *control.Error
	if !errors.As(err, &ce) || ce.StatusCode != http.StatusBadGateway || ce.Code != "http_502" || ce.Message != "bad gateway" {
		t.Fatalf("got %v", err)
	}
	if control.IsNotFound(err) {
		t.Fatal("a 502 is not a not-found")
	}
}

func TestClockAndJournalCalls(t *testing.T) {
	start := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	srv := testkit.Start(t, testkit.WithManualClock(start))
	c := control.New(srv.URL + "/") // a trailing slash is fine
	ctx := t.Context()

	k, err := c.SetClock(ctx, start.Add(time.Hour))
	if err != nil || !k.Now.Equal(start.Add(time.Hour)) {
		t.Fatalf("SetClock: %+v %v", k, err)
	}
	if _, err := c.SetClock(ctx, start); err == nil {
		t.Fatal("SetClock backwards succeeded")
	}
	k, err = c.Clock(ctx)
	if err != nil || k.Mode != "manual" || !k.Now.Equal(start.Add(time.Hour)) {
		t.Fatalf("Clock: %+v %v", k, err)
	}

	createNotusSession(srv.BaseURL("notus"), "a")
	createNotusSession(srv.BaseURL("notus"), "b")
	if err := c.ClearRequests(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	reqs, err := c.Requests(ctx, control.RequestFilter{})
	if err != nil || len(reqs) != 1 || reqs[0].Tenant != "b" {
		t.Fatalf("after clearing tenant a: %+v %v", reqs, err)
	}
	if len(reqs[0].RequestBody) == 0 {
		t.Fatal("journal entry lacks the JSON request body")
	}
	if err := c.ClearRequests(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if reqs, _ := c.Requests(ctx, control.RequestFilter{Limit: 5}); len(reqs) != 0 {
		t.Fatalf("after clearing: %d entries", len(reqs))
	}
	if err := c.ResetTenant(ctx, ""); err == nil {
		t.Fatal("ResetTenant with no tenant succeeded")
	}
	ps, err := c.Providers(ctx)
	if err != nil || len(ps) == 0 || ps[0].Name != "notus" || len(ps[0].Operations) == 0 {
		t.Fatalf("Providers: %+v %v", ps, err)
	}
}

func TestWaitHealthy(t *testing.T) {
	srv := testkit.Start(t)
	h, err := control.New(srv.URL).WaitHealthy(t.Context(), 10*time.Millisecond)
	if err != nil || h.Status != "ok" {
		t.Fatalf("%+v %v", h, err)
	}
	// Nothing listens on a closed server's port.
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if _, err := control.New(dead.URL).WaitHealthy(ctx, 10*time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitHealthy on a dead URL: %v", err)
	}
}
