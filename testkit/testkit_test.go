package testkit_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kycemu/kycemu/testkit"
	"github.com/kycemu/kycemu/testkit/control"
	"github.com/kycemu/kycemu/testkit/internal/notustest"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func notusClient(t *testing.T, srv *testkit.Server, key string) *notustest.Client {
	return notustest.New(t, srv.Client(), srv.BaseURL("notus"), key)
}

func TestStartServesNotusFlowOnManualClock(t *testing.T) {
	srv := testkit.Start(t, testkit.WithManualClock(t0), testkit.WithSeed(7))
	if got, want := srv.BaseURL("notus"), srv.URL+"/notus/api/v1"; got != want {
		t.Fatalf("BaseURL(notus) = %q, want %q", got, want)
	}
	c := notusClient(t, srv, "team-a-key")

	s := c.Submit("12345678900")
	if s.Status != "VERIFYING" {
		t.Fatalf("after process: status %s, want VERIFYING", s.Status)
	}
	// The default review takes two seconds of emulator time; nothing moves
	// until the test moves the clock.
	if _, got := c.Get(s.ID); got.Status != "VERIFYING" {
		t.Fatalf("before advancing: status %s, want VERIFYING", got.Status)
	}
	if now := srv.Advance(2 * time.Second); !now.Equal(t0.Add(2 * time.Second)) {
		t.Fatalf("Advance returned %v, want %v", now, t0.Add(2*time.Second))
	}
	status, got := c.Get(s.ID)
	if status != http.StatusOK || got.Status != "COMPLETED" || got.IndividualID == nil {
		t.Fatalf("after review: %d %+v, want COMPLETED with an individualId", status, got)
	}

	cs := srv.Session(s.ID)
	if cs.Provider != "notus" || cs.Tenant != "team-a-key" || cs.Status != "COMPLETED" {
		t.Fatalf("control view: %+v", cs)
	}
	var path []string
	for _, tr := range cs.History {
		path = append(path, string(tr.To)+"/"+tr.By)
	}
	if got, want := strings.Join(path, " "), "PENDING/client VERIFYING/client COMPLETED/timeline"; got != want {
		t.Fatalf("history %q, want %q", got, want)
	}
}

func TestForcedOutcomes(t *testing.T) {
	srv := testkit.Start(t, testkit.WithManualClock(t0))
	c := notusClient(t, srv, "key-outcomes")

	tests := []struct {
		name   string
		force  func(id string) control.Session
		status control.Status
	}{
		{"approve", srv.Approve, "COMPLETED"},
		{"reject", func(id string) control.Session { return srv.Reject(id, "document is blurry") }, "FAILED"},
		{"expire", srv.Expire, "EXPIRED"},
		{"act reject", func(id string) control.Session { return srv.Act(id, "reject") }, "FAILED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			created := c.Create("11122233344")
			got := tt.force(created.Session.ID)
			if got.Status != tt.status {
				t.Fatalf("control answered %s, want %s", got.Status, tt.status)
			}
			// The provider's own API agrees with the control API.
			if _, s := c.Get(created.Session.ID); string(s.Status) != string(tt.status) {
				t.Fatalf("GET session: %s, want %s", s.Status, tt.status)
			}
		})
	}

	// A rejection after processing keeps its reason in the history.
	s := c.Submit("55566677788")
	got := srv.Reject(s.ID, "document is blurry")
	last := got.History[len(got.History)-1]
	if last.To != "FAILED" || last.By != "control" || last.Reason != "document is blurry" {
		t.Fatalf("last transition %+v", last)
	}
}

func TestForcingAnIllegalOutcomeIsAnError(t *testing.T) {
	srv := testkit.Start(t)
	c := notusClient(t, srv, "key-illegal")
	created := c.Create("123")
	srv.Approve(created.Session.ID)

	_, err := srv.Control().Expire(t.Context(), created.Session.ID)
	var ce *control.Error
	if !errors.As(err, &ce) || ce.StatusCode != http.StatusConflict || ce.Code != "action_not_allowed" {
		t.Fatalf("expire a COMPLETED session: %v, want 409 action_not_allowed", err)
	}
	_, err = srv.Control().Approve(t.Context(), "00000000-0000-4000-8000-000000000000")
	if !control.IsNotFound(err) {
		t.Fatalf("approve an unknown session: %v, want a 404", err)
	}
}

func TestEachStartIsIsolated(t *testing.T) {
	a := testkit.Start(t)
	b := testkit.Start(t)
	if a.URL == b.URL {
		t.Fatalf("two servers share %s", a.URL)
	}
	created := notusClient(t, a, "same-key").Create("42")
	if got := len(a.Sessions(control.SessionFilter{})); got != 1 {
		t.Fatalf("server a has %d sessions, want 1", got)
	}
	if got := len(b.Sessions(control.SessionFilter{})); got != 0 {
		t.Fatalf("server b has %d sessions, want 0", got)
	}
	if status, _ := notusClient(t, b, "same-key").Get(created.Session.ID); status != http.StatusNotFound {
		t.Fatalf("server b GET of a's session: %d, want 404", status)
	}
}

func TestSeedMakesRunsRepeatable(t *testing.T) {
	ids := make([]string, 2)
	for i := range ids {
		srv := testkit.Start(t, testkit.WithSeed(99), testkit.WithManualClock(t0))
		ids[i] = notusClient(t, srv, "seeded").Create("1").Session.ID
		if got := srv.Emulator().Seed(); got != 99 {
			t.Fatalf("Seed() = %d, want 99", got)
		}
	}
	if ids[0] != ids[1] {
		t.Fatalf("same seed, different session ids: %s and %s", ids[0], ids[1])
	}
	other := testkit.Start(t, testkit.WithSeed(100), testkit.WithManualClock(t0))
	if id := notusClient(t, other, "seeded").Create("1").Session.ID; id == ids[0] {
		t.Fatalf("different seeds gave the same id %s", id)
	}
}

func TestJournalAndReset(t *testing.T) {
	srv := testkit.Start(t)
	a, b := notusClient(t, srv, "tenant-a"), notusClient(t, srv, "tenant-b")
	ida := a.Create("1").Session.ID
	b.Create("2")
	if status, _ := a.Call(http.MethodPost, notustest.SessionsPath, map[string]any{"firstName": "x"}, true); status != http.StatusBadRequest {
		t.Fatalf("invalid create: %d, want 400", status)
	}

	creates := srv.Requests(control.RequestFilter{Operation: "createStandardIndividualSession"})
	if len(creates) != 3 {
		t.Fatalf("journal has %d creates, want 3: %+v", len(creates), creates)
	}
	if creates[0].Tenant != "tenant-a" || creates[0].Status != http.StatusCreated || creates[0].Method != http.MethodPost {
		t.Fatalf("first create: %+v", creates[0])
	}
	if creates[2].Status != http.StatusBadRequest || creates[2].Error == "" {
		t.Fatalf("invalid create journaled as %+v", creates[2])
	}
	if got := srv.Requests(control.RequestFilter{Tenant: "tenant-b"}); len(got) != 1 {
		t.Fatalf("tenant-b has %d journal entries, want 1", len(got))
	}

	srv.ResetTenant("tenant-a")
	if status, _ := a.Get(ida); status != http.StatusNotFound {
		t.Fatalf("after resetting tenant-a its session answers %d, want 404", status)
	}
	if got := srv.Sessions(control.SessionFilter{}); len(got) != 1 || got[0].Tenant != "tenant-b" {
		t.Fatalf("after resetting tenant-a: %+v", got)
	}
	srv.Reset()
	if got := srv.Sessions(control.SessionFilter{}); len(got) != 0 {
		t.Fatalf("after reset: %d sessions", len(got))
	}
	if got := srv.Requests(control.RequestFilter{}); len(got) != 0 {
		t.Fatalf("after reset: %d journal entries", len(got))
	}
}

func TestAdvanceNeedsAManualClock(t *testing.T) {
	srv := testkit.Start(t)
	_, err := srv.Control().Advance(t.Context(), time.Minute)
	var ce *control.Error
	if !errors.As(err, &ce) || ce.StatusCode != http.StatusConflict || ce.Code != "clock_not_manual" {
		t.Fatalf("advance a real clock: %v, want 409 clock_not_manual", err)
	}
}

func TestRealClockWaitStatus(t *testing.T) {
	srv := testkit.Start(t)
	s := notusClient(t, srv, "real-clock").Submit("987")
	got := srv.WaitStatus(s.ID, 10*time.Second, "COMPLETED", "FAILED")
	if got.Status != "COMPLETED" {
		t.Fatalf("default outcome %s, want COMPLETED", got.Status)
	}
}

func TestHealthAndSpec(t *testing.T) {
	srv := testkit.Start(t, testkit.WithSeed(5), testkit.WithManualClock(t0))
	h, err := srv.Control().Health(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if h.Status != "ok" || h.Seed != 5 || h.Clock.Mode != "manual" || !h.Clock.Now.Equal(t0) {
		t.Fatalf("health %+v", h)
	}
	spec, err := srv.Control().Spec(t.Context(), "notus")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(spec), "createStandardIndividualSession") {
		t.Fatal("notus spec lacks createStandardIndividualSession")
	}
	if _, err := srv.Control().BaseURL(t.Context(), "nope"); err == nil || !strings.Contains(err.Error(), "notus") {
		t.Fatalf("BaseURL of an unknown provider: %v, want an error listing the providers", err)
	}
}

func TestNewOutsideATest(t *testing.T) {
	srv, err := testkit.New(testkit.WithManualClock(t0))
	if err != nil {
		t.Fatal(err)
	}
	h := srv.For(t)
	created := notusClient(t, srv, "shared").Create("1")
	if got := h.Approve(created.Session.ID); got.Status != "COMPLETED" {
		t.Fatalf("approve: %s", got.Status)
	}
	srv.Close()
	srv.Close() // a second Close does nothing
	if _, err := srv.Control().Health(t.Context()); err == nil {
		t.Fatal("health answered after Close")
	}
}

func TestPanickerHarness(t *testing.T) {
	srv, err := testkit.New()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	defer func() {
		v := recover()
		if s, _ := v.(string); !strings.Contains(s, "session_not_found") {
			t.Fatalf("recovered %v, want a panic naming session_not_found", v)
		}
	}()
	srv.Approve("no-such-session")
}

func TestStartExample(t *testing.T) { testApprovedCustomer(t) }
