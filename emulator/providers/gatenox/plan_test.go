package gatenox

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kycemu/kycemu/emulator/clock"
	"github.com/kycemu/kycemu/emulator/internal/fake"
	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
)

// scripted is a stand-in scenario engine: each named scenario scripts the
// kinds it has plans for.
type scripted struct {
	plans map[string]map[string]*provider.Plan // name -> kind -> plan
}

func (s *scripted) Plan(_, kind, _, name string, _ []byte) (*provider.Plan, *provider.Error) {
	if name == "" {
		return nil, nil
	}
	byKind, known := s.plans[name]
	if !known {
		return nil, provider.Invalid("header."+provider.ScenarioHeader, "unknown scenario")
	}
	pl, applies := byKind[kind]
	if !applies {
		return nil, provider.Invalid("header."+provider.ScenarioHeader, "the scenario does not apply to this kind of session")
	}
	cp := *pl
	cp.Scenario = name
	return &cp, nil
}

// sink keeps every event sent.
type sink struct {
	mu     sync.Mutex
	events []provider.Event
}

func (s *sink) Send(e provider.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, e)
}

func newTestProvider(t *testing.T, sc provider.Scenarios) (*Provider, *state.Store, *clock.Mock, *sink) {
	t.Helper()
	clk := clock.NewManual(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	hooks := &sink{}
	st := state.New(state.Config{Clock: clk, Rand: fake.New(1)})
	p := New(provider.Env{Clock: clk, Rand: fake.New(1), Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Webhooks: hooks, Scenarios: sc}, st)
	return p, st, clk, hooks
}

// sessionsOf lists a tenant's sessions through the store.
func sessionsOf(st *state.Store, tenant string) []provider.Session {
	out, _, _ := st.Sessions(state.Filter{Provider: Name, Tenant: tenant}, 0, 1000)
	return out
}

// caseData reads a case's data.
func caseData(t *testing.T, p *Provider, id string) *kase {
	t.Helper()
	var k *kase
	if err := p.state.ViewRecord(KindCase, id, func(_ *state.Tx, r *state.Record) error {
		cp := *state.Data[kase](r)
		k = &cp
		return nil
	}); err != nil {
		t.Fatalf("case %s: %v", id, err)
	}
	return k
}

// invite runs the create handler as the core would after validation.
func invite(t *testing.T, p *Provider, scenario string) (int, map[string]any) {
	t.Helper()
	body := []byte(`{"recipients":[{"email":"plan@example.com"}]}`)
	rec := httptest.NewRecorder()
	c := &provider.Call{W: rec, R: httptest.NewRequest(http.MethodPost, "/api/v1/invites/individuals", strings.NewReader(string(body))),
		Op: "createIndividualInvites", Tenant: "tok", Body: body, BaseURL: "http://kycemu/gatenox", Scenario: scenario,
		Params: map[string]string{}}
	if err := p.createInvites(c); err != nil {
		pe := err.(*provider.Error)
		return pe.Status, nil
	}
	var m map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &m)
	return rec.Code, m
}

// TestScenarioPlans: a scenario may script the invitation, the case, or
// both; its webhook faults follow the case's events; an unknown scenario
// is refused.
func TestScenarioPlans(t *testing.T) {
	t.Parallel()
	faults := []provider.WebhookFault{{Event: "state_change", Kind: "delay", Delay: time.Minute}}
	sc := &scripted{plans: map[string]map[string]*provider.Plan{
		"quick-approve": {
			KindInvitation: {Steps: []provider.Step{{After: time.Second, Status: InvInProgress},
				{From: InvInProgress, After: time.Second, Status: InvCompleted}}},
			KindCase: {Steps: []provider.Step{{After: time.Minute, Status: CaseInProgress},
				{From: CaseInProgress, After: time.Hour, Status: CaseCompleted, Reason: "scripted approval"}},
				Webhooks: faults},
		},
		"never-opened": {KindInvitation: {}},
		"scripted-person": {
			KindInvitation: {Steps: []provider.Step{{After: time.Second, Status: InvInProgress},
				{From: InvInProgress, After: time.Second, Status: InvCompleted}},
				Options: map[string]any{"person": map[string]any{"given_names": "Joe", "surname": "Doe",
					"date_of_birth": "1986-03-20", "nationality": "gb"}}},
			KindCase: {Steps: []provider.Step{{After: time.Second, Status: CaseInProgress},
				{From: CaseInProgress, After: time.Second, Status: CaseQA}},
				Options: map[string]any{"assessment": "risk_high"}},
		},
		"bad-options": {KindCase: {Options: map[string]any{"assessment": "risk_extreme"}}},
	}}
	p, st, clk, hooks := newTestProvider(t, sc)

	if status, _ := invite(t, p, "no-such-scenario"); status != http.StatusBadRequest {
		t.Fatalf("unknown scenario: %d", status)
	}
	_, out := invite(t, p, "quick-approve")
	invID := out["personal_verifications"].([]any)[0].(map[string]any)["id"].(string)
	if _, err := clk.Advance(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	s, _ := st.Session(invID)
	if s.Status != InvCompleted || s.Scenario != "quick-approve" {
		t.Fatalf("invitation: %+v", s)
	}
	var caseID string
	for _, x := range sessionsOf(st, "tok") {
		if x.Kind == KindCase {
			caseID = x.ID
		}
	}
	if _, err := clk.Advance(time.Minute + time.Hour); err != nil {
		t.Fatal(err)
	}
	k, _ := st.Session(caseID)
	if k.Status != CaseCompleted || k.Scenario != "quick-approve" {
		t.Fatalf("case: %+v", k)
	}
	if got := p.ScenarioOf(&provider.Call{Tenant: "tok", Params: map[string]string{"verification_individual_id": caseID}}); got != "quick-approve" {
		t.Errorf("ScenarioOf = %q", got)
	}
	if got := p.ScenarioOf(&provider.Call{Tenant: "someone-else", Params: map[string]string{"id": caseID}}); got != "" {
		t.Errorf("ScenarioOf for another tenant = %q", got)
	}
	var moves []string
	for _, e := range hooks.events {
		if e.Sign != nil {
			t.Errorf("%s is signed", e.Name)
		}
		if e.Name != EventStateChange {
			continue
		}
		var b stateChangeEvent
		_ = json.Unmarshal(e.Body, &b)
		moves = append(moves, b.PrevState+"→"+b.NewState)
		if len(e.Faults) != 1 || e.Faults[0] != faults[0] {
			t.Errorf("faults of %s: %+v", e.Name, e.Faults)
		}
	}
	if got := strings.Join(moves, " "); got != "processing→new new→in_progress in_progress→completed" {
		t.Errorf("moves: %s", got)
	}
	if c := caseData(t, p, caseID); c.AssessmentComment == nil || *c.AssessmentComment != "scripted approval" || *c.Assessment != "risk_low" {
		t.Errorf("scripted approval recorded %v / %v", c.Assessment, c.AssessmentComment)
	}

	// Options script the person and the assessment.
	if status, _ := invite(t, p, "bad-options"); status != http.StatusBadRequest {
		t.Errorf("bad options: %d", status)
	}
	_, out = invite(t, p, "scripted-person")
	if _, err := clk.Advance(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	sid := out["personal_verifications"].([]any)[0].(map[string]any)["id"].(string)
	var skID string
	_ = p.state.ViewRecord(KindInvitation, sid, func(_ *state.Tx, r *state.Record) error {
		skID = state.Data[invitation](r).CaseID
		return nil
	})
	sk := caseData(t, p, skID)
	ks, _ := st.Session(skID)
	if sk.Person.fullName() != "Joe Doe" || sk.Person.Nationality != "GB" ||
		sk.Person.DateOfBirth != "1986-03-20" || ks.Status != CaseQA || *sk.Assessment != "risk_high" {
		t.Errorf("scripted person: %+v %s", sk.Person, ks.Status)
	}

	// A scenario that scripts only the invitation leaves the case plan at
	// its default; an empty invitation plan waits, and expires on time.
	_, out = invite(t, p, "never-opened")
	id := out["personal_verifications"].([]any)[0].(map[string]any)["id"].(string)
	if _, err := clk.Advance(29 * 24 * time.Hour); err != nil {
		t.Fatal(err)
	}
	if s, _ := st.Session(id); s.Status != InvInvited {
		t.Fatalf("never-opened after 29 days: %s", s.Status)
	}
	if _, err := clk.Advance(24 * time.Hour); err != nil {
		t.Fatal(err)
	}
	if s, _ := st.Session(id); s.Status != InvExpired || s.History[len(s.History)-1].By != "clock" {
		t.Fatalf("never-opened after 30 days: %+v", s)
	}

	// Reset forgets every session.
	_, _ = invite(t, p, "quick-approve")
	st.Reset("")
	if len(sessionsOf(st, "")) != 0 {
		t.Errorf("sessions after reset")
	}
}

// TestMachines: the machines know every documented status, and the
// default plans only make moves the machines allow.
func TestMachines(t *testing.T) {
	t.Parallel()
	p, _, _, _ := newTestProvider(t, provider.NoScenarios{})
	ms := p.Machines()
	if got := strings.Join(ms[KindInvitation].Statuses(), ","); got != "completed,expired,in_progress,invited,new,rejected,revoked" {
		t.Errorf("invitation statuses: %s", got)
	}
	if got := strings.Join(ms[KindCase].Statuses(), ","); got != "completed,data_update_requested,in_progress,new,qa,recalculate_risk_score,rejected" {
		t.Errorf("case statuses: %s", got)
	}
	for kind, m := range ms {
		at := map[string]string{"": m.Initial}
		for _, st := range p.DefaultPlan(kind).Steps {
			from := at[st.From]
			if st.From != "" {
				from = st.From
			}
			if !m.Can(from, st.Status) {
				t.Errorf("%s default plan: %s -> %s is not a move", kind, from, st.Status)
			}
		}
	}
	if p.DefaultPlan("other") != nil {
		t.Errorf("a plan for an unknown kind")
	}
}
