package emulator_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kycemu/kycemu/emulator"
)

func (h *harness) sessionCount(tenant string) int {
	h.t.Helper()
	var v struct{ Total int }
	_ = json.Unmarshal(h.do("GET", "/_emulator/sessions?tenant="+tenant, nil).body, &v)
	return v.Total
}

// pollStatuses polls a session n times and returns the HTTP statuses.
func (h *harness) pollStatuses(key, id string, n int, headers ...string) string {
	h.t.Helper()
	var out []string
	for range n {
		r := h.do("GET", notusAPI+"/"+id, nil, append([]string{"x-api-key", key}, headers...)...)
		out = append(out, fmt.Sprint(r.status))
	}
	return strings.Join(out, " ")
}

func TestFaultTriggers(t *testing.T) {
	cases := []struct {
		name, fault, want string
	}{
		{"first two", "times: 2", "503 503 200 200 200 200 200"},
		{"third poll", "skip: 2\n    times: 1", "200 200 503 200 200 200 200"},
		{"every second", "every: 2", "200 503 200 503 200 503 200"},
		{"every third, twice", "every: 3\n    times: 2", "200 200 503 200 200 503 200"},
		{"always", "skip: 0", "503 503 503 503 503 503 503"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			h.put("notus", "f", `
name: f
provider: notus
faults:
  - operation: getStandardIndividualSession
    `+c.fault+`
    respond: {status: 503}
`)
			s := h.notusCreate("k", "f", notusPerson())
			if got := h.pollStatuses("k", s.Session.ID, 7); got != c.want {
				t.Errorf("polls answered %s; want %s", got, c.want)
			}
		})
	}
}

// TestFaultProbability: a seeded probability hits the same calls on every
// run with the same seed, and per tenant whatever other tenants do.
func TestFaultProbability(t *testing.T) {
	const yaml = `
name: coin
provider: notus
faults:
  - operation: getStandardIndividualSession
    probability: 0.5
    respond: {status: 500}
`
	run := func(noise bool) string {
		h := newHarness(t)
		h.put("notus", "coin", yaml)
		s := h.notusCreate("k", "coin", notusPerson())
		if noise {
			o := h.notusCreate("other", "coin", notusPerson())
			h.pollStatuses("other", o.Session.ID, 5)
		}
		return h.pollStatuses("k", s.Session.ID, 24)
	}
	a, b, c := run(false), run(false), run(true)
	if a != b || a != c {
		t.Errorf("seeded runs differ:\n%s\n%s\n%s", a, b, c)
	}
	if !strings.Contains(a, "500") || !strings.Contains(a, "200") {
		t.Errorf("probability 0.5 over 24 calls: %s", a)
	}
}

// TestFaultedCallChangesNothing: a fault answers before the handler runs.
func TestFaultedCallChangesNothing(t *testing.T) {
	h := newHarness(t)
	h.put("notus", "outage", `
name: outage
provider: notus
faults:
  - operation: createStandardIndividualSession
    times: 1
    respond: {status: 503}
  - operation: processStandardIndividualSession
    times: 1
    respond: {status: 502, message: upstream verifier unreachable}
`)
	r := h.do("POST", notusAPI, notusPerson(), "x-api-key", "k", "X-Kycemu-Scenario", "outage")
	if r.status != 503 || r.json(t)["id"] != "SERVICE_UNAVAILABLE" {
		t.Fatalf("faulted create: %d %s", r.status, r.body)
	}
	if n := h.sessionCount("k"); n != 0 {
		t.Fatalf("the faulted create stored %d session(s)", n)
	}
	c := h.notusCreate("k", "outage", notusPerson())
	h.uploadAll(c)
	// process needs no API key: the fault follows the session's scenario.
	r = h.process(c.Session.ID)
	if r.status != 502 || r.json(t)["message"] != "upstream verifier unreachable" || r.json(t)["id"] != "INTERNAL_SERVER_ERROR" {
		t.Fatalf("faulted process: %d %s", r.status, r.body)
	}
	h.wantStatus("k", c.Session.ID, "PENDING")
	if got := h.control(c.Session.ID); len(got.History) != 1 {
		t.Fatalf("the faulted process moved the session: %+v", got.History)
	}
	if r := h.process(c.Session.ID); r.status != 200 {
		t.Fatalf("process after the fault: %d %s", r.status, r.body)
	}
	h.wantStatus("k", c.Session.ID, "VERIFYING")
	// The journal names the scenario and the fault, and the faulted
	// process call is counted under the session's tenant.
	var faulted []string
	for _, e := range h.journal("k") {
		if f, _ := e["fault"].(string); f != "" {
			faulted = append(faulted, fmt.Sprintf("%v %v %v %s", e["operation"], e["status"], e["scenario"], f))
		}
	}
	want := []string{
		"createStandardIndividualSession 503 outage faults[0]: respond 503",
		"processStandardIndividualSession 502 outage faults[1]: respond 502",
	}
	if strings.Join(faulted, "\n") != strings.Join(want, "\n") {
		t.Errorf("journal faults:\n%s\nwant\n%s", strings.Join(faulted, "\n"), strings.Join(want, "\n"))
	}
}

func TestFaultAnswers(t *testing.T) {
	h := newHarness(t)
	h.put("notus", "answers", `
name: answers
provider: notus
faults:
  - operation: getStandardIndividualSession
    times: 1
    respond:
      status: 429
      retry_after: 30s
  - operation: getStandardIndividualSession
    skip: 1
    times: 1
    respond:
      status: 500
      body: {error: {code: 42, text: scripted}}
      headers: {X-Upstream: verifier}
  - operation: getStandardIndividualSession
    skip: 2
    times: 1
    respond:
      status: 503
      body: service down
  - operation: getStandardIndividualSession
    skip: 3
    times: 1
    respond:
      status: 418
      code: TEAPOT
`)
	s := h.notusCreate("k", "answers", notusPerson())
	get := func() reply { return h.do("GET", notusAPI+"/"+s.Session.ID, nil, "x-api-key", "k") }

	r := get()
	if r.status != 429 || r.header.Get("Retry-After") != "30" || r.json(t)["id"] != "TOO_MANY_REQUESTS" {
		t.Errorf("429: %d %v %s", r.status, r.header, r.body)
	}
	r = get()
	if r.status != 500 || string(r.body) != `{"error":{"code":42,"text":"scripted"}}` ||
		r.header.Get("X-Upstream") != "verifier" || r.header.Get("Content-Type") != "application/json" {
		t.Errorf("scripted JSON body: %d %v %s", r.status, r.header, r.body)
	}
	r = get()
	if r.status != 503 || string(r.body) != "service down" || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		t.Errorf("scripted text body: %d %v %q", r.status, r.header, r.body)
	}
	r = get()
	if r.status != 418 || r.json(t)["id"] != "TEAPOT" || r.json(t)["message"] != "i'm a teapot" {
		t.Errorf("scripted code: %d %s", r.status, r.body)
	}
	if r := get(); r.status != 200 || r.header.Get("X-Kycemu-Fault") != "" {
		t.Errorf("after the faults: %d %v", r.status, r.header)
	}
}

// TestFaultLatency: latency is real time, capped, and the emulator clock
// does not move while a call waits.
func TestFaultLatency(t *testing.T) {
	h := newHarness(t, emulator.WithMaxFaultLatency(200*time.Millisecond))
	h.put("notus", "slow", `
name: slow
provider: notus
faults:
  - operation: getStandardIndividualSession
    times: 1
    latency: 40ms
  - operation: getStandardIndividualSession
    skip: 1
    times: 1
    latency: 1h
    respond: {status: 504}
`)
	s := h.notusCreate("k", "slow", notusPerson())
	start := time.Now()
	r := h.do("GET", notusAPI+"/"+s.Session.ID, nil, "x-api-key", "k")
	if took := time.Since(start); r.status != 200 || took < 40*time.Millisecond {
		t.Errorf("slow call: %d after %v", r.status, took)
	}
	if r.header.Get("X-Kycemu-Fault") != "faults[0]: latency 40ms" {
		t.Errorf("fault header %q", r.header.Get("X-Kycemu-Fault"))
	}
	start = time.Now()
	r = h.do("GET", notusAPI+"/"+s.Session.ID, nil, "x-api-key", "k")
	if took := time.Since(start); r.status != 504 || took < 200*time.Millisecond {
		t.Errorf("capped call: %d after %v", r.status, took)
	}
	if got := r.header.Get("X-Kycemu-Fault"); got != "faults[1]: latency 1h, respond 504; latency capped at 200ms" {
		t.Errorf("capped fault header %q", got)
	}
	if now := h.now(); !now.Equal(t0) {
		t.Errorf("latency moved the manual clock to %v", now)
	}
}

// TestFaultScope: the session's scenario decides its calls' faults; the
// header decides calls that touch no session; the tenant's default comes
// last. Counts are per tenant.
func TestFaultScope(t *testing.T) {
	h := newHarness(t)
	s := h.notusCreate("k", "reject", notusPerson()) // a scenario without faults
	// The header cannot override the session's scenario.
	if got := h.pollStatuses("k", s.Session.ID, 2, "X-Kycemu-Scenario", "flaky-503"); got != "200 200" {
		t.Errorf("session with its own scenario, header flaky-503: %s", got)
	}
	// A session without a scenario takes the header's faults.
	plain := h.notusCreate("k", "", notusPerson())
	if got := h.pollStatuses("k", plain.Session.ID, 3, "X-Kycemu-Scenario", "flaky-503"); got != "503 503 200" {
		t.Errorf("plain session, header flaky-503: %s", got)
	}
	// ... or the tenant default's, counted per tenant.
	if r := h.do("PUT", "/_emulator/scenarios/defaults", map[string]string{"provider": "notus", "tenant": "k2", "scenario": "flaky-503"}); r.status != 200 {
		t.Fatalf("set default: %d %s", r.status, r.body)
	}
	d := h.notusCreate("k2", "", notusPerson())
	if got := h.control(d.Session.ID).Scenario; got != "flaky-503" {
		t.Errorf("the tenant default did not stick to the session: %q", got)
	}
	if got := h.pollStatuses("k2", d.Session.ID, 3); got != "503 503 200" {
		t.Errorf("tenant default: %s", got)
	}
	other := h.notusCreate("k3", "flaky-503", notusPerson())
	if got := h.pollStatuses("k3", other.Session.ID, 3); got != "503 503 200" {
		t.Errorf("another tenant counts on its own: %s", got)
	}
	// Another tenant cannot reach a session's faults (nor the session).
	if r := h.do("GET", notusAPI+"/"+other.Session.ID, nil, "x-api-key", "k"); r.status != 404 {
		t.Errorf("another tenant's session: %d", r.status)
	}
	// Reset forgets the tenant's default and counts.
	h.do("POST", "/_emulator/reset", map[string]string{"tenant": "k2"})
	if got := h.notusCreate("k2", "", notusPerson()); h.control(got.Session.ID).Scenario != "" {
		t.Error("the tenant default survived a reset")
	}
}

// TestRateLimitAsTenantDefault: a rate-limit scenario set as the tenant's
// default counts every call of the tenant, sessions or not.
func TestRateLimitAsTenantDefault(t *testing.T) {
	h := newHarness(t)
	h.put("notus", "tight", `
name: tight
provider: notus
faults:
  - rate_limit: {requests: 2, per: 10s}
`)
	h.do("PUT", "/_emulator/scenarios/defaults", map[string]string{"provider": "notus", "tenant": "k", "scenario": "tight"})
	limits := func() reply {
		return h.do("GET", "/notus/api/v1/kyc/identities/00000000-0000-4000-8000-000000000000/financial-limits", nil, "x-api-key", "k")
	}
	if r := limits(); r.status != 404 {
		t.Fatalf("first call: %d %s", r.status, r.body)
	}
	h.advance(3 * time.Second)
	limits()
	r := limits()
	if r.status != 429 || r.header.Get("Retry-After") != "7" {
		t.Fatalf("third call: %d Retry-After %q", r.status, r.header.Get("Retry-After"))
	}
	// Other tenants are not limited.
	if r := h.do("GET", "/notus/api/v1/kyc/identities/00000000-0000-4000-8000-000000000000/financial-limits", nil, "x-api-key", "other"); r.status != 404 {
		t.Errorf("another tenant: %d", r.status)
	}
	h.advance(7 * time.Second)
	if r := limits(); r.status != 404 {
		t.Errorf("after the window: %d", r.status)
	}
}

func TestScenarioSelection(t *testing.T) {
	h := newHarness(t)
	h.put("notus", "argentina", `
name: argentina
provider: notus
kinds: [STANDARD_INDIVIDUAL]
match:
  body.documentCountry: ARGENTINA
  body.documentId: "9*"
timeline:
  - from: VERIFYING
    after: 1s
    status: FAILED
`)
	m := h.notusCreate("k", "", notusPerson("documentCountry", "ARGENTINA", "documentId", "987"))
	if got := h.control(m.Session.ID).Scenario; got != "argentina" {
		t.Errorf("matching body: scenario %q", got)
	}
	n := h.notusCreate("k", "", notusPerson("documentCountry", "ARGENTINA", "documentId", "187"))
	if got := h.control(n.Session.ID).Scenario; got != "" {
		t.Errorf("non-matching body: scenario %q", got)
	}
	// The header beats the match.
	x := h.notusCreate("k", "approve", notusPerson("documentCountry", "ARGENTINA", "documentId", "987"))
	if got := h.control(x.Session.ID).Scenario; got != "approve" {
		t.Errorf("header and matching body: scenario %q", got)
	}
	// The scenario sticks: replacing it later does not change the
	// session's timeline.
	h.put("notus", "argentina", `
name: argentina
provider: notus
match: {body.documentCountry: ARGENTINA}
timeline:
  - from: VERIFYING
    after: 1s
    status: COMPLETED
`)
	h.uploadAll(m)
	h.process(m.Session.ID)
	h.advance(time.Second)
	h.wantStatus("k", m.Session.ID, "FAILED")

	// An unknown name is the provider's 400, naming the header.
	r := h.do("POST", notusAPI, notusPerson(), "x-api-key", "k", "X-Kycemu-Scenario", "nope")
	if r.status != 400 || r.json(t)["field"] != "header.X-Kycemu-Scenario" {
		t.Errorf("unknown scenario: %d %s", r.status, r.body)
	}
	// A scenario restricted to other kinds is refused.
	h.put("notus", "business-only", "name: business-only\nprovider: notus\nkinds: [STANDARD_BUSINESS]\nfaults: [{latency: 1ms}]\n")
	r = h.do("POST", notusAPI, notusPerson(), "x-api-key", "k", "X-Kycemu-Scenario", "business-only")
	if r.status != 400 {
		t.Errorf("scenario of another kind: %d %s", r.status, r.body)
	}
	if n := h.sessionCount("k"); n != 3 {
		t.Errorf("refused creates stored sessions: %d", n)
	}
}

// TestFrozenTimeline: an empty timeline means nothing moves on its own.
func TestFrozenTimeline(t *testing.T) {
	h := newHarness(t)
	h.put("notus", "frozen", "name: frozen\nprovider: notus\ntimeline: []\n")
	c := h.notusCreate("k", "frozen", notusPerson())
	h.uploadAll(c)
	h.process(c.Session.ID)
	h.advance(48 * time.Hour)
	h.wantStatus("k", c.Session.ID, "VERIFYING")
	if r := h.do("POST", "/_emulator/sessions/"+c.Session.ID+"/approve", nil); r.status != 200 {
		t.Fatalf("force approve: %d %s", r.status, r.body)
	}
	h.wantStatus("k", c.Session.ID, "COMPLETED")
	_ = http.StatusOK
}
