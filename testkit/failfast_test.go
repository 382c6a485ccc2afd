package testkit_test

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kycemu/kycemu/testkit"
	"github.com/kycemu/kycemu/testkit/control"
	"github.com/kycemu/kycemu/testkit/internal/gu1test"
	"github.com/kycemu/kycemu/testkit/providers/b2core"
	"github.com/kycemu/kycemu/testkit/providers/gatenox"
	"github.com/kycemu/kycemu/testkit/providers/gu1"
	"github.com/kycemu/kycemu/testkit/providers/kulipa"
	"github.com/kycemu/kycemu/testkit/providers/notus"
)

// recorder is a control.TB whose Fatalf records the message and stops the
// helper (as t.Fatalf would) without failing the test running it.
type recorder struct {
	ctx context.Context
	msg string
}

type fatal struct{}

func (r *recorder) Helper()                  {}
func (r *recorder) Context() context.Context { return r.ctx }
func (r *recorder) Fatalf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
	panic(fatal{})
}

// mistake runs f, which must fail through tb (or panic, for a server from
// testkit.New), and returns the message and
// how long it took. Every call f makes is given a 2-second budget: a check
// that waited instead of refusing at once would fail with a timeout message
// the callers' assertions reject.
func mistake(t *testing.T, f func(tb control.TB)) (string, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	rec := &recorder{ctx: ctx}
	start := time.Now()
	func() {
		defer func() {
			switch p := recover().(type) {
			case nil, fatal:
			case string: // a testkit.New server's helpers panic with the message
				rec.msg = p
			default:
				panic(p)
			}
		}()
		f(rec)
	}()
	took := time.Since(start)
	if rec.msg == "" {
		t.Fatal("the mistake was accepted")
	}
	if ctx.Err() != nil || strings.Contains(rec.msg, "deadline exceeded") {
		t.Fatalf("the mistake was found only by waiting (%s): %s", took, rec.msg)
	}
	t.Logf("refused in %s: %s", took.Round(time.Microsecond), rec.msg)
	return rec.msg, took
}

func mustContain(t *testing.T, msg string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(msg, p) {
			t.Errorf("message %q lacks %q", msg, p)
		}
	}
}

func TestWaitStatusRefusesUnknownStatusesAtOnce(t *testing.T) {
	srv := testkit.Start(t)
	vid := gu1test.Validation(t, srv.Client(), srv.BaseURL("gu1"), "gk_test", "org_1")
	nid := notusClient(t, srv, "wait-key").Create("123").Session.ID

	t.Run("gu1 status in capitals", func(t *testing.T) {
		msg, _ := mistake(t, func(tb control.TB) { srv.For(tb).WaitStatus(vid, 2*time.Second, "APPROVED") })
		mustContain(t, msg, `"APPROVED" is not a status of a gu1 validation`, `case-sensitive: "approved"`,
			`"abandoned", "approved", "cancelled", "expired", "in_progress", "in_review", "pending", "rejected"`)
	})
	t.Run("notus status in lower case", func(t *testing.T) {
		msg, _ := mistake(t, func(tb control.TB) { srv.For(tb).WaitStatus(nid, 2*time.Second, "completed") })
		mustContain(t, msg, `"completed" is not a status of a notus STANDARD_INDIVIDUAL`, `"COMPLETED", "EXPIRED", "FAILED", "PENDING", "VERIFYING"`)
	})
	t.Run("another provider's status", func(t *testing.T) {
		msg, _ := mistake(t, func(tb control.TB) { srv.For(tb).WaitStatus(nid, 2*time.Second, gu1.StatusApproved) })
		mustContain(t, msg, `"approved" is not a status of a notus`)
	})
	t.Run("no status", func(t *testing.T) {
		msg, _ := mistake(t, func(tb control.TB) { srv.For(tb).WaitStatus(nid, 2*time.Second) })
		mustContain(t, msg, "name at least one status")
	})
	t.Run("a final status it will not leave", func(t *testing.T) {
		id := notusClient(t, srv, "wait-key").Create("456").Session.ID
		srv.Reject(id, "")
		msg, _ := mistake(t, func(tb control.TB) { srv.For(tb).WaitStatus(id, 2*time.Second, notus.StatusCompleted) })
		mustContain(t, msg, `it is FAILED, a final status it will not leave`)
	})
	t.Run("unknown session", func(t *testing.T) {
		msg, _ := mistake(t, func(tb control.TB) { srv.For(tb).WaitStatus("no-such-id", 2*time.Second, notus.StatusCompleted) })
		mustContain(t, msg, "session_not_found")
	})
	// A valid status the session already has returns at once.
	if s := srv.WaitStatus(nid, 2*time.Second, notus.StatusPending, notus.StatusVerifying); s.Status != notus.StatusPending {
		t.Fatalf("WaitStatus: %s", s.Status)
	}
}

func TestWaitOnAManualClockNobodyAdvancesSaysSo(t *testing.T) {
	srv := testkit.Start(t, testkit.WithManualClock(t0))
	id := notusClient(t, srv, "manual-key").Submit("123").ID // VERIFYING, COMPLETED after 2 s of clock

	rec := &recorder{ctx: t.Context()}
	func() {
		defer func() { _ = recover() }()
		srv.For(rec).WaitStatus(id, 150*time.Millisecond, notus.StatusCompleted)
	}()
	mustContain(t, rec.msg, "the emulator's clock is manual and nothing advanced it during the wait",
		"it still reads 2026-03-01T09:00:00Z", "call Advance instead of waiting")

	// Advanced, the same wait succeeds at once.
	srv.Advance(2 * time.Second)
	if s := srv.WaitStatus(id, 2*time.Second, notus.StatusCompleted); s.Status != notus.StatusCompleted {
		t.Fatalf("after Advance: %s", s.Status)
	}
}

// unbound starts a server whose helpers panic (testkit.New), for the
// helpers only Server has (Webhooks): mistake recovers the panic.
func unbound(t *testing.T) *testkit.Server {
	t.Helper()
	srv, err := testkit.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

func TestWebhooksRefuseMistakesAtOnce(t *testing.T) {
	srv := unbound(t)
	for _, tc := range []struct {
		name, provider, tenant string
		want                   []string
	}{
		{"gu1 tenant without organization", "gu1", "gk_test", []string{`a gu1 tenant is "<API key>:<organization id>"`, "gu1.Tenant(key, org)", "no organization id"}},
		{"gu1 tenant without key", "gu1", ":org_1", []string{"no API key"}},
		{"empty tenant", "notus", "", []string{"empty notus tenant"}},
		{"b2core tenant not an e-mail", "b2core", "token-123", []string{"b2core tenant is the client's e-mail address"}},
		{"b2core sends no webhooks", "b2core", b2core.Tenant("Ana@Example.com"), []string{"b2core sends no webhooks"}},
		{"unknown provider", "onfido", "key", []string{`no provider "onfido" is mounted; the providers are b2core, gatenox, gu1, kulipa, notus`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			msg, _ := mistake(t, func(control.TB) { srv.Webhooks(tc.provider, tc.tenant) })
			mustContain(t, msg, tc.want...)
		})
	}
}

func TestWaitEventRefusesUnknownEventsAtOnce(t *testing.T) {
	srv := unbound(t)
	rcv := srv.Webhooks(gu1.Name, gu1.Tenant("gk_test", "org_1"))
	msg, _ := mistake(t, func(control.TB) { rcv.WaitEvent(2*time.Second, "kyc.validation_aproved") })
	mustContain(t, msg, `"kyc.validation_aproved" is not a gu1 webhook event`,
		`gu1 sends "kyc.validation_created", "kyc.validation_in_progress", "kyc.validation_in_review", "kyc.validation_approved"`)
}

func TestScenarioAndSecretHelpersRefuseMalformedTenants(t *testing.T) {
	srv := testkit.Start(t)
	for name, f := range map[string]func(h *control.Harness){
		"UseScenario":   func(h *control.Harness) { h.UseScenario("gu1", "gk_test", "approve") },
		"WebhookSecret": func(h *control.Harness) { h.WebhookSecret("gu1", "gk_test") },
		"SetWebhookURL": func(h *control.Harness) { h.SetWebhookURL("gu1", "gk_test", "http://127.0.0.1:1/") },
		"RouteWebhooks": func(h *control.Harness) { h.RouteWebhooks("gu1", "gk_test", "http://127.0.0.1:1/") },
	} {
		t.Run(name, func(t *testing.T) {
			msg, _ := mistake(t, func(tb control.TB) { f(srv.For(tb)) })
			mustContain(t, msg, `a gu1 tenant is "<API key>:<organization id>"`)
		})
	}
}

func TestUnknownActionsNameTheValidOnes(t *testing.T) {
	srv := testkit.Start(t)
	nid := notusClient(t, srv, "act-key").Create("123").Session.ID
	vid := gu1test.Validation(t, srv.Client(), srv.BaseURL("gu1"), "gk_act", "org_1")
	for id, want := range map[string]string{
		nid: "use process, approve, reject, expire or liveness",
		vid: "use start, review, approve, reject, abandon, expire or cancel",
	} {
		msg, _ := mistake(t, func(tb control.TB) { srv.For(tb).Act(id, "aprove") })
		mustContain(t, msg, "unknown_action", want)
	}
}

// TestTenantHelpersMatchTheEmulator checks each provider's Tenant function
// against the tenant kycemu journals for a request with those credentials.
func TestTenantHelpersMatchTheEmulator(t *testing.T) {
	srv := testkit.Start(t)
	for _, tc := range []struct {
		provider, path string
		header         http.Header
		tenant         string
	}{
		{notus.Name, "/kyc/individual-verification-sessions/standard/00000000-0000-4000-8000-000000000000",
			http.Header{"X-Api-Key": {" nk_1 "}}, notus.Tenant(" nk_1 ")},
		{kulipa.Name, "/users", http.Header{"X-Api-Key": {"kk_1"}}, kulipa.Tenant("kk_1")},
		{gatenox.Name, "/api/v1/invites/individuals", http.Header{"Authorization": {"Bearer gt_1"}}, gatenox.Tenant("gt_1")},
		{gu1.Name, "/entities", http.Header{"Authorization": {"Bearer gk_1"}, "X-Organization-Id": {"org_9"}}, gu1.Tenant("gk_1", "org_9")},
	} {
		req, _ := http.NewRequest(http.MethodGet, srv.BaseURL(tc.provider)+tc.path, nil)
		req.Header = tc.header
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		got := srv.Requests(control.RequestFilter{Provider: tc.provider, Limit: 1})
		if len(got) != 1 || got[0].Tenant != tc.tenant {
			t.Errorf("%s: journal %+v, helper says tenant %q", tc.provider, got, tc.tenant)
		}
		if err := control.CheckTenant(tc.provider, tc.tenant); err != nil {
			t.Errorf("%s: CheckTenant refuses its own helper's tenant: %v", tc.provider, err)
		}
	}
	if err := control.CheckTenant(b2core.Name, b2core.Tenant(" Ana@Example.COM ")); err != nil {
		t.Errorf("b2core: %v", err)
	}
}

// TestServerShowsEveryHelper: every control.Harness method is a method of
// Server itself (not promoted), with the same signature, so go doc
// testkit.Server lists them.
func TestServerShowsEveryHelper(t *testing.T) {
	server, harness := reflect.TypeFor[*testkit.Server](), reflect.TypeFor[*control.Harness]()
	if _, ok := reflect.TypeFor[testkit.Server]().FieldByName("Harness"); ok {
		t.Fatal("Server embeds Harness: go doc hides promoted methods")
	}
	for m := range harness.Methods() {
		sm, ok := server.MethodByName(m.Name)
		if !ok {
			t.Errorf("Server lacks %s", m.Name)
			continue
		}
		for i := 1; i < m.Type.NumIn(); i++ {
			if sm.Type.In(i) != m.Type.In(i) {
				t.Errorf("Server.%s argument %d is %s, Harness's is %s", m.Name, i, sm.Type.In(i), m.Type.In(i))
			}
		}
		if sm.Type.NumOut() != m.Type.NumOut() || (m.Type.NumOut() == 1 && sm.Type.Out(0) != m.Type.Out(0)) {
			t.Errorf("Server.%s returns %s, Harness's %s", m.Name, sm.Type, m.Type)
		}
	}
}

func TestWaitStatusEndsWhenTheSessionReachesAnotherFinalStatus(t *testing.T) {
	srv := testkit.Start(t)
	id := notusClient(t, srv, "final-key").Create("789").Session.ID
	go func() {
		time.Sleep(50 * time.Millisecond)
		_, _ = srv.Control().Reject(context.Background(), id, "blurry")
	}()
	msg, _ := mistake(t, func(tb control.TB) { srv.For(tb).WaitStatus(id, 2*time.Second, notus.StatusCompleted) })
	mustContain(t, msg, `it is FAILED, a final status it will not leave`)
}
