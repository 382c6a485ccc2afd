package scenario

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kycemu/kycemu/emulator/clock"
	"github.com/kycemu/kycemu/emulator/internal/fake"
	"github.com/kycemu/kycemu/emulator/provider"
)

func TestDurations(t *testing.T) {
	good := map[string]time.Duration{
		"0s": 0, "90s": 90 * time.Second, "1h30m": 90 * time.Minute, "250ms": 250 * time.Millisecond,
		"2d": 48 * time.Hour, "1d12h": 36 * time.Hour, "366d": 366 * 24 * time.Hour, "1.5s": 1500 * time.Millisecond,
	}
	for in, want := range good {
		got, err := parseDuration(in)
		if err != nil || got != want {
			t.Errorf("parseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
		back, err := parseDuration(formatDuration(got))
		if err != nil || back != got {
			t.Errorf("formatDuration(%v) = %q does not read back", got, formatDuration(got))
		}
	}
	for _, in := range []string{"", "5", "-1s", "+1s", "1d-1h", "367d", "9999h", "d", "1dd", "5 minutes", "1e3s"} {
		if _, err := parseDuration(in); err == nil {
			t.Errorf("parseDuration(%q) accepted", in)
		}
	}
	for d, want := range map[time.Duration]string{
		90 * time.Second: "1m30s", 26 * time.Hour: "1d2h", 250 * time.Millisecond: "250ms",
		time.Hour + 500*time.Millisecond: "1h0.5s",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q; want %q", d, got, want)
		}
	}
}

func TestGlob(t *testing.T) {
	cases := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "", true}, {"*", "anything", true}, {"BRAZIL", "BRAZIL", true}, {"BRAZIL", "brazil", false},
		{"1*", "123", true}, {"1*", "213", false}, {"*3", "123", true}, {"1?3", "123", true}, {"1?3", "13", false},
		{"a*b*c", "aXbYc", true}, {"a*b*c", "aXbY", false}, {"a*", "a*b", true}, {"*.*", "x.y", true},
		{"??", "é1", true},
	}
	for _, c := range cases {
		if got := glob(c.pattern, c.s); got != c.want {
			t.Errorf("glob(%q, %q) = %v; want %v", c.pattern, c.s, got, c.want)
		}
	}
}

func TestTrigger(t *testing.T) {
	cases := []struct {
		name string
		tr   Trigger
		want string // one character per call: x fired, . not
	}{
		{"always", Trigger{}, "xxxxxx"},
		{"first two", Trigger{Times: 2}, "xx...."},
		{"third call", Trigger{Skip: 2, Times: 1}, "..x..."},
		{"every second", Trigger{Every: 2}, ".x.x.x"},
		{"every second twice", Trigger{Every: 2, Times: 2}, ".x.x.."},
		{"every third after one", Trigger{Skip: 1, Every: 3}, "...x.."},
		{"certain", Trigger{Probability: 1}, "xxxxxx"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cn := &counter{rand: fake.New(1)}
			var b strings.Builder
			for range len(c.want) {
				if cn.hit(c.tr) {
					b.WriteByte('x')
				} else {
					b.WriteByte('.')
				}
			}
			if b.String() != c.want {
				t.Errorf("got %s; want %s", b.String(), c.want)
			}
		})
	}
	// A probability draws from the seeded source: the same seed, the same
	// calls hit.
	run := func() string {
		cn := &counter{rand: fake.New(7)}
		var b strings.Builder
		for range 64 {
			if cn.hit(Trigger{Probability: 0.5}) {
				b.WriteByte('x')
			} else {
				b.WriteByte('.')
			}
		}
		return b.String()
	}
	a, b := run(), run()
	if a != b || !strings.Contains(a, "x") || !strings.Contains(a, ".") {
		t.Errorf("probability 0.5 over 64 calls: %s then %s", a, b)
	}
}

func TestRateLimitWindow(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := &counter{}
	rl := &RateLimit{Requests: 2, Per: time.Minute}
	steps := []struct {
		at   time.Duration
		over bool
		wait time.Duration
	}{
		{0, false, 0}, {10 * time.Second, false, 0}, {20 * time.Second, true, 40 * time.Second},
		{59 * time.Second, true, time.Second}, {60 * time.Second, false, 0}, {61 * time.Second, false, 0},
		{62 * time.Second, true, 58 * time.Second},
	}
	for _, s := range steps {
		over, wait := c.limit(t0.Add(s.at), rl)
		if over != s.over || wait != s.wait {
			t.Errorf("at %v: over=%v wait=%v; want %v %v", s.at, over, wait, s.over, s.wait)
		}
	}
}

// testCatalog has a gu1-like machine, a machine with a cycle, and a
// provider whose two kinds follow different machines.
func testCatalog() Catalog {
	gu1 := provider.NewMachine("pending", map[string][]string{
		"pending":     {"in_progress", "expired", "cancelled", "abandoned"},
		"in_progress": {"in_review", "expired", "cancelled", "abandoned"},
		"in_review":   {"approved", "rejected", "cancelled"},
	})
	loop := provider.NewMachine("open", map[string][]string{
		"open":   {"review", "closed"},
		"review": {"open", "done"},
		"orphan": {"done"},
	})
	a := provider.NewMachine("new", map[string][]string{"new": {"ok", "ko"}})
	b := provider.NewMachine("new", map[string][]string{"new": {"ok"}})
	return Catalog{
		"gu1":   {Name: "gu1", Machines: map[string]*provider.Machine{"validation": gu1}, Operations: []string{"getKycValidation"}},
		"loop":  {Name: "loop", Machines: map[string]*provider.Machine{"case": loop}},
		"multi": {Name: "multi", Machines: map[string]*provider.Machine{"a": a, "b": b}},
		"plain": {Name: "plain", Operations: []string{"op"}},
	}
}

func TestMachineCheck(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       []string // substrings of the problems, in order; none = valid
	}{
		{"issue example", `
name: slow-review-then-reject
provider: gu1
timeline:
  - {after: 5s, status: in_progress}
  - {after: 1h, status: in_review}
  - {after: 1h5m, status: rejected, reason: document expired}
`, nil},
		{"safety net", `
name: n
provider: gu1
timeline:
  - {after: 5s, status: in_progress}
  - {after: 24h, status: expired}
  - {from: in_review, after: 1h, status: approved}
`, nil},
		{"ties keep file order", `
name: n
provider: gu1
timeline:
  - {after: 5s, status: in_progress}
  - {after: 5s, status: in_review}
`, nil},
		{"ties in the wrong order", `
name: n
provider: gu1
timeline:
  - {after: 5s, status: in_review}
  - {after: 5s, status: in_progress}
`, []string{"timeline[0].status: at 5s after creation the session would still be pending"}},
		{"cycle is fine", `
name: n
provider: loop
timeline:
  - {from: open, after: 1m, status: review}
  - {from: review, after: 1m, status: open}
`, nil},
		{"unreachable anchor", `
name: n
provider: multi
kinds: [b]
timeline:
  - {from: ko, after: 1s, status: ok}
`, []string{`timeline[0].from: unknown status "ko" for multi`}},
		{"per kind machines", `
name: n
provider: multi
timeline:
  - {after: 1s, status: ko}
`, []string{"timeline[0].status: for b sessions, at 1s after creation the session would still be new, and multi does not allow new -> ko (from new it can move to ok)"}},
		{"never entered", `
name: n
provider: loop
timeline:
  - {from: orphan, after: 1s, status: done}
`, []string{"timeline[0].from: a loop session can never be orphan"}},
		{"kind label", `
name: n
provider: multi
kinds: [a, b]
timeline:
  - {after: 1s, status: ok}
  - {after: 2s, status: ko}
`, []string{"timeline[1].status: for a sessions, at 2s after creation the session would be ok"}},
		{"no machine", `
name: n
provider: plain
timeline:
  - {after: 1s, status: done}
`, []string{"timeline: plain sessions have no status machine"}},
		{"no kinds", `
name: n
provider: plain
kinds: [x]
faults: [{latency: 1s}]
`, []string{"kinds[0]: plain has no session kinds"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load("t.yaml", []byte(c.yaml), testCatalog())
			if len(c.want) == 0 {
				if err != nil {
					t.Fatalf("want valid, got:\n%v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("want problems %q, got none", c.want)
			}
			es := err.(Errors)
			if len(es) != len(c.want) {
				t.Fatalf("want %d problems, got:\n%v", len(c.want), err)
			}
			for i, w := range c.want {
				if !strings.Contains(es[i].Msg, w) {
					t.Errorf("problem %d = %q; want it to contain %q", i, es[i].Msg, w)
				}
			}
		})
	}
}

func TestMatch(t *testing.T) {
	sc := &Scenario{Match: []Match{
		{Path: "body.documentCountry", Globs: []string{"BRAZIL", "ARGENTINA"}},
		{Path: "body.owners.0.documentId", Globs: []string{"1*"}},
		{Path: "body.livenessRequired", Globs: []string{"true"}},
	}}
	body := func(s string) any { return decodeBody([]byte(s)) }
	if !sc.matches(body(`{"documentCountry":"ARGENTINA","owners":[{"documentId":"123"}],"livenessRequired":true}`)) {
		t.Error("a fitting body does not match")
	}
	for _, b := range []string{
		`{"documentCountry":"CHILE","owners":[{"documentId":"123"}],"livenessRequired":true}`,
		`{"documentCountry":"BRAZIL","owners":[{"documentId":"923"}],"livenessRequired":true}`,
		`{"documentCountry":"BRAZIL","owners":[],"livenessRequired":true}`,
		`{"documentCountry":"BRAZIL","owners":[{"documentId":"123"}]}`,
		`not json`, ``,
	} {
		if sc.matches(body(b)) {
			t.Errorf("%s matches", b)
		}
	}
	star := &Scenario{Match: []Match{{Path: "body.entityId", Globs: []string{"*"}}}}
	if !star.matches(body(`{"entityId":{"nested":1}}`)) || star.matches(body(`{}`)) {
		t.Error(`"*" must fit any present value and no missing one`)
	}
	num := &Scenario{Match: []Match{{Path: "body.limit", Globs: []string{"10?0"}}}}
	if !num.matches(body(`{"limit":1000}`)) {
		t.Error("numbers match as JSON writes them")
	}
}

func TestEngineSelection(t *testing.T) {
	eng := NewEngine(Config{Clock: clock.NewManual(time.Unix(0, 0)), Rand: fake.New(1)})
	eng.SetCatalog(testCatalog())
	if _, err := eng.Put("b", []byte(`
name: by-match
provider: gu1
match: {body.taxId: "*0002"}
timeline: [{after: 1s, status: in_progress}]
---
name: tenant-default
provider: gu1
timeline: [{after: 2s, status: in_progress}]
---
name: named
provider: gu1
timeline: [{after: 3s, status: in_progress}]
---
name: no-timeline
provider: gu1
faults: [{latency: 1s}]
`), "", ""); err != nil {
		t.Fatal(err)
	}
	if err := eng.SetDefault("gu1", "t1", "tenant-default"); err != nil {
		t.Fatal(err)
	}
	plan := func(tenant, name, body string) string {
		t.Helper()
		p, perr := eng.Plan("gu1", "validation", tenant, name, []byte(body))
		if perr != nil {
			return "error: " + perr.Message
		}
		if p == nil {
			return "provider default"
		}
		return p.Scenario
	}
	for _, c := range []struct{ tenant, name, body, want string }{
		{"t1", "named", `{"taxId":"0002"}`, "named"},
		{"t1", "", `{"taxId":"0002"}`, "by-match"},
		{"t1", "", `{"taxId":"0003"}`, "tenant-default"},
		{"t2", "", `{"taxId":"0003"}`, "provider default"},
		{"t2", "nope", `{}`, "error: unknown scenario for this provider; list them at GET /_emulator/scenarios"},
	} {
		if got := plan(c.tenant, c.name, c.body); got != c.want {
			t.Errorf("Plan(%s, %q, %s) = %s; want %s", c.tenant, c.name, c.body, got, c.want)
		}
	}
	p, _ := eng.Plan("gu1", "validation", "t1", "no-timeline", nil)
	if p.Steps != nil {
		t.Errorf("a scenario without a timeline and a provider without a default plan has steps %v", p.Steps)
	}
	eng.Reset("t1")
	if got := plan("t1", "", `{}`); got != "provider default" {
		t.Errorf("after reset the tenant default is still used: %s", got)
	}
	if err := eng.Delete("gu1", "named"); err != nil {
		t.Fatal(err)
	}
	if got := plan("t1", "named", `{}`); !strings.HasPrefix(got, "error") {
		t.Errorf("a deleted scenario is still chosen: %s", got)
	}
}

// TestEngineSelectionFollowsLayers: the scenarios in force, which the
// engine keeps between changes, follow every change of a layer.
func TestEngineSelectionFollowsLayers(t *testing.T) {
	eng := NewEngine(Config{Clock: clock.NewManual(time.Unix(0, 0)), Rand: fake.New(1)})
	eng.SetCatalog(testCatalog())
	load := func(yaml string) []*Scenario {
		t.Helper()
		scs, err := Load("l", []byte(yaml), testCatalog())
		if err != nil {
			t.Fatal(err)
		}
		return scs
	}
	const matching = `
name: m
provider: gu1
match: {body.taxId: "*0002"}
timeline: [{after: 1s, status: in_progress}]
`
	const plain = `
name: m
provider: gu1
timeline: [{after: 1s, status: in_progress}]
`
	plan := func() string {
		t.Helper()
		p, perr := eng.Plan("gu1", "validation", "t", "", []byte(`{"taxId":"0002"}`))
		if perr != nil {
			t.Fatal(perr)
		}
		if p == nil {
			return "default"
		}
		return p.Scenario
	}
	eng.UseBuiltins(load(matching))
	if got := plan(); got == "default" {
		t.Error("a matching built-in is not chosen")
	}
	eng.replace(OriginFile, load(plain))
	if got := plan(); got != "default" {
		t.Errorf("a file scenario does not shadow the built-in of its name: %s", got)
	}
	if l := eng.List("gu1"); len(l) != 1 || l[0].Origin != OriginFile || !slices.Equal(l[0].Hides, []Origin{OriginBuiltin}) {
		t.Errorf("List = %+v", l)
	}
	if _, err := eng.Put("p", []byte(matching), "", ""); err != nil {
		t.Fatal(err)
	}
	if got := plan(); got == "default" {
		t.Error("a put scenario does not shadow the file one")
	}
	if err := eng.Delete("gu1", "m"); err != nil {
		t.Fatal(err)
	}
	if got := plan(); got != "default" {
		t.Errorf("a deleted put scenario is still chosen: %s", got)
	}
	if err := eng.Adopt("p", []byte(matching), "gu1", "m"); err != nil {
		t.Fatal(err)
	}
	if got := plan(); got == "default" {
		t.Error("an adopted scenario is not chosen")
	}
	// A reader appending to what List returns changes nothing in force.
	l := eng.List("gu1")
	_ = append(l[0].Hides, OriginAPI)
	if l := eng.List("gu1"); !slices.Equal(l[0].Hides, []Origin{OriginFile, OriginBuiltin}) {
		t.Errorf("Hides = %v", l[0].Hides)
	}
}
