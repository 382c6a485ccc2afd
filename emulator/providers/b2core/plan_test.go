package b2core

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kycemu/kycemu/emulator/clock"
	"github.com/kycemu/kycemu/emulator/internal/fake"
	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
)

// scripted is a stand-in scenario engine that hands out one plan.
type scripted struct {
	plan  *provider.Plan
	calls []string // kind/tenant/name of each Plan call
}

func (s *scripted) Plan(prov, kind, tenant, name string, _ []byte) (*provider.Plan, *provider.Error) {
	s.calls = append(s.calls, prov+"/"+kind+"/"+tenant+"/"+name)
	if name == "" {
		return nil, nil
	}
	p := *s.plan
	p.Scenario = name
	return &p, nil
}

// newProvider builds the provider on a store of its own (in memory).
func newProvider(t *testing.T, mc *clock.Mock, sc provider.Scenarios, lim state.Limits) (*Provider, *state.Store) {
	t.Helper()
	st := state.New(state.Config{Clock: mc, Rand: fake.New(3), Limits: lim})
	p := New(provider.Env{Clock: mc, Rand: fake.New(3), Scenarios: sc, Webhooks: provider.NoWebhooks{}}, st)
	if err := st.Load(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return p, st
}

type harness struct {
	t *testing.T
	p *Provider
}

// call runs a handler the way the core does after routing, auth and
// validation, and decodes the JSON answer.
func (h *harness) call(handler provider.Handler, op, tenant, scenario string, body any) (int, map[string]any) {
	h.t.Helper()
	var raw []byte
	if body != nil {
		raw, _ = json.Marshal(body)
	}
	rec := httptest.NewRecorder()
	c := &provider.Call{W: rec, R: httptest.NewRequest(http.MethodPost, "/", strings.NewReader(string(raw))), Op: op,
		Tenant: tenant, Body: raw, Scenario: scenario, Params: map[string]string{}}
	if err := handler(c); err != nil {
		pe, ok := err.(*provider.Error)
		if !ok {
			h.t.Fatalf("%s: %v", op, err)
		}
		return pe.Status, map[string]any{"message": pe.Message}
	}
	var m map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &m)
	return rec.Code, m
}

func (h *harness) signUp(email string) {
	h.t.Helper()
	_, w := h.call(h.p.signUpWizard, "initSignUpWizard", "", "", nil)
	fp := base64.StdEncoding.EncodeToString([]byte(`{"user_agent":"test"}`))
	if s, m := h.call(h.p.signUp, "signUp", "", "", map[string]any{"uuid": w["uuid"], "email": email,
		"password": "password1", "password_confirmation": "password1", "device_fingerprint": fp}); s != 200 {
		h.t.Fatalf("sign up: %d %v", s, m)
	}
}

// TestScenarioPlan: a scenario's options script the wizard steps, its
// steps script the review on the clock, and the procedure carries its name.
func TestScenarioPlan(t *testing.T) {
	mc := clock.NewManual(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	sc := &scripted{plan: &provider.Plan{
		Options: map[string]any{"levels": []any{map[string]any{"name": "Level 1",
			"steps": []any{map[string]any{"types": []any{1}}, map[string]any{"types": []any{4}}, map[string]any{"types": []any{6}}}}}},
		Steps: []provider.Step{{From: Submitted, After: 90 * time.Second, Status: Rejected, Reason: "scripted"}},
	}}
	p, st := newProvider(t, mc, sc, state.Limits{})
	h := &harness{t: t, p: p}
	h.signUp("plan@example.com")
	const tenant = "plan@example.com"

	types := p.config().DocumentTypes // unchanged by the scenario
	_, w := h.call(p.verificationWizard, "initVerificationWizard", tenant, "three-steps", nil)
	if len(sc.calls) != 1 || sc.calls[0] != "b2core/verification/plan@example.com/three-steps" {
		t.Fatalf("Plan calls: %v", sc.calls)
	}
	uuid := w["uuid"].(string)
	if got := p.ScenarioOf(&provider.Call{Op: "initVerificationWizard", Tenant: tenant}); got != "three-steps" {
		t.Errorf("ScenarioOf(wizard) = %q", got)
	}
	// Resuming does not ask for a plan again.
	h.call(p.verificationWizard, "initVerificationWizard", tenant, "", nil)
	if len(sc.calls) != 1 {
		t.Fatalf("resume asked for a plan: %v", sc.calls)
	}

	if err := p.state.Update(tenant, func(tx *state.Tx) error {
		_, err := tx.Create(state.NewRecord{Kind: kindFile, ID: "f", Data: &file{}})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	step := func(typ int) (int, map[string]any) {
		return h.call(p.runProcedure, "runVerificationProcedure", tenant, "", map[string]any{
			"documents": map[string]any{"type": typ, "files": []string{"f"}}, "uuid": uuid})
	}
	body, _ := json.Marshal(map[string]any{"data": map[string]any{"uuid": uuid}})
	if got := p.ScenarioOf(&provider.Call{Op: "runVerificationProcedure", Tenant: tenant, Body: body}); got != "three-steps" {
		t.Errorf("ScenarioOf(step) = %q", got)
	}
	for i, typ := range []int{1, 4, 6} {
		s, m := step(typ)
		want := float64(200)
		if i == 2 {
			want = 202
		}
		if s != 200 || m["code"] != want {
			t.Fatalf("step %d: %d %v", i+1, s, m)
		}
	}
	sess, _ := st.Session(uuid)
	if sess.Status != Submitted || sess.Scenario != "three-steps" {
		t.Fatalf("after the last step: %+v", sess)
	}
	mc.Advance(89 * time.Second)
	if sess, _ := st.Session(uuid); sess.Status != Submitted {
		t.Fatalf("decided early: %s", sess.Status)
	}
	mc.Advance(time.Second)
	sess, _ = st.Session(uuid)
	if sess.Status != Rejected || sess.History[len(sess.History)-1].Reason != "scripted" {
		t.Fatalf("after the review: %+v", sess)
	}
	var last grant
	_ = p.state.View(tenant, func(tx *state.Tx) error {
		_, a := clientOf(tx)
		last = a.History[len(a.History)-1]
		return nil
	})
	if !strings.HasSuffix(last.Reason, "rejected: scripted") || last.Current.Name != "Level 0" {
		t.Fatalf("rejection record: %+v", last)
	}
	if len(p.config().DocumentTypes) != len(types) {
		t.Error("the scenario changed the configuration")
	}

	// Options naming unknown document types make the wizard call fail with a 400.
	sc.plan.Options = map[string]any{"steps": []any{map[string]any{"types": []any{404}}}}
	if s, m := h.call(p.verificationWizard, "initVerificationWizard", tenant, "broken", nil); s != 400 {
		t.Fatalf("broken options: %d %v", s, m)
	}
	if m := p.Machines()[Kind]; m == nil || !m.Can(InProgress, Expired) || m.Can(Approved, Rejected) {
		t.Error("machine edges")
	}
}
