package testkit_test

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kycemu/kycemu/testkit"
	"github.com/kycemu/kycemu/testkit/control"
)

func TestUseScenario(t *testing.T) {
	srv := testkit.Start(t, testkit.WithManualClock(t0))
	srv.UseScenario("notus", "rejected-key", "reject")
	rejected := notusClient(t, srv, "rejected-key").Submit("1")
	approved := notusClient(t, srv, "other-key").Submit("2")

	srv.Advance(5 * time.Second)
	if s := srv.Session(rejected.ID); s.Status != "FAILED" || s.Scenario != "reject" {
		t.Fatalf("tenant with the reject default: %s (scenario %q)", s.Status, s.Scenario)
	}
	if s := srv.Session(approved.ID); s.Status != "COMPLETED" {
		t.Fatalf("other tenant: %s", s.Status)
	}
	// Clearing the default brings the provider's default back.
	if err := srv.Control().ClearScenario(t.Context(), "notus", "rejected-key"); err != nil {
		t.Fatal(err)
	}
	again := notusClient(t, srv, "rejected-key").Submit("3")
	srv.Advance(2 * time.Second)
	if s := srv.Session(again.ID); s.Status != "COMPLETED" {
		t.Fatalf("after clearing the default: %s", s.Status)
	}
	if err := srv.Control().UseScenario(t.Context(), "notus", "k", "no-such-scenario"); !control.IsNotFound(err) {
		t.Fatalf("unknown scenario: %v", err)
	}
}

func TestScenarioHeaderAndPutScenario(t *testing.T) {
	srv := testkit.Start(t, testkit.WithManualClock(t0))
	srv.PutScenario("notus", "fail-after-30s", `
name: fail-after-30s
provider: notus
timeline:
  - from: VERIFYING
    after: 30s
    status: FAILED
    reason: face does not match
`)
	c := notusClient(t, srv, "k")
	c.Header = http.Header{control.ScenarioHeader: {"fail-after-30s"}}
	s := c.Submit("1")
	srv.Advance(29 * time.Second)
	if got := srv.Session(s.ID); got.Status != "VERIFYING" {
		t.Fatalf("at 29s: %s", got.Status)
	}
	srv.Advance(time.Second)
	got := srv.Session(s.ID)
	if last := got.History[len(got.History)-1]; got.Status != "FAILED" || last.Reason != "face does not match" {
		t.Fatalf("at 30s: %+v", got)
	}

	var names []string
	for _, sc := range srv.Scenarios("notus") {
		if sc.Source.Origin == "api" {
			names = append(names, sc.Name)
		}
	}
	if strings.Join(names, ",") != "fail-after-30s" {
		t.Fatalf("API scenarios %v", names)
	}
	if err := srv.Control().DeleteScenario(t.Context(), "notus", "fail-after-30s"); err != nil {
		t.Fatal(err)
	}
}

func TestPutScenarioReportsEveryProblem(t *testing.T) {
	srv := testkit.Start(t)
	_, err := srv.Control().PutScenario(t.Context(), "notus", "broken", []byte(`
name: broken
provider: notus
timeline:
  - after: soon
    status: COMPLETED
  - after: 1s
    status: APPROVED
`))
	var ce *control.Error
	if !errors.As(err, &ce) || ce.StatusCode != http.StatusBadRequest || len(ce.Problems) < 2 {
		t.Fatalf("broken scenario: %v", err)
	}
	for _, p := range ce.Problems {
		if !strings.Contains(p, ":") {
			t.Fatalf("problem %q is not file:line:col: message", p)
		}
	}
}

func TestWithScenarioDir(t *testing.T) {
	dir := t.TempDir()
	err := os.WriteFile(filepath.Join(dir, "instant.yaml"), []byte(`name: instant-approve
provider: notus
timeline:
  - from: VERIFYING
    after: 0s
    status: COMPLETED
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	srv := testkit.Start(t, testkit.WithManualClock(t0), testkit.WithScenarioDir(dir))
	found := false
	for _, sc := range srv.Scenarios("notus") {
		found = found || (sc.Name == "instant-approve" && sc.Source.Origin == "file")
	}
	if !found {
		t.Fatalf("instant-approve not loaded from %s: %+v", dir, srv.Scenarios("notus"))
	}
	c := notusClient(t, srv, "k")
	c.Header = http.Header{control.ScenarioHeader: {"instant-approve"}}
	s := c.Submit("1")
	srv.Advance(0)
	if got := srv.Session(s.ID); got.Status != "COMPLETED" {
		t.Fatalf("status %s", got.Status)
	}
}
