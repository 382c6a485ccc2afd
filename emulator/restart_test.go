package emulator_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/kycemu/kycemu/emulator"
	"github.com/kycemu/kycemu/emulator/clock"
)

// restarted starts a second emulator on the data directory of a stopped
// one, as a redeployed container would: no seed given, a manual clock that
// starts earlier than where the old one stood.
func restarted(t *testing.T, dir string) *harness {
	t.Helper()
	return serve(t, emulator.WithDataDir(dir), emulator.WithClock(clock.NewManual(t0)), emulator.WithStrictResponses(true))
}

const restartScenario = `
provider: gu1
name: slow-review
timeline:
  - {after: 1m, status: in_progress}
  - {after: 2m, from: in_progress, status: in_review}
  - {after: 1h, from: in_review, status: approved}
`

func TestGu1RestartCarriesOn(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, emulator.WithDataDir(dir))
	rc := h.gu1Receiver()
	h.put("gu1", "slow-review", restartScenario)
	if r := h.do("PUT", "/_emulator/scenarios/defaults", map[string]string{"provider": "gu1", "tenant": gu1Tenant, "scenario": "slow-review"}); r.status != 200 {
		t.Fatalf("set default: %d %s", r.status, r.body)
	}
	id := h.gu1Validation("", "")
	rc.wait(t, "created")
	h.advance(time.Minute)
	rc.wait(t, "created", "in_progress")
	rc.down.Store(true)
	h.advance(2 * time.Minute) // in_review; its webhook fails and waits for a retry
	h.wantGu1(id, "in_review")
	before := h.do("GET", "/_emulator/sessions/"+id, nil).json(t)
	stoppedAt := h.emu.Clock().Now()
	h.srv.Close()
	if err := h.emu.Close(); err != nil {
		t.Fatal(err)
	}

	rc.down.Store(false)
	h2 := restarted(t, dir)
	if got := h2.emu.Clock().Now(); !got.Equal(stoppedAt) {
		t.Fatalf("the manual clock restarted at %s, want %s", got, stoppedAt)
	}
	if h2.emu.Seed() != 1 {
		t.Fatalf("seed after restart: %d", h2.emu.Seed())
	}
	h2.wantGu1(id, "in_review")
	after := h2.do("GET", "/_emulator/sessions/"+id, nil).json(t)
	if toJSON(t, after["history"]) != toJSON(t, before["history"]) || after["scenario"] != "slow-review" {
		t.Fatalf("session after restart:\n %v\nbefore:\n %v", after, before)
	}
	if r := h2.do("GET", "/_emulator/scenarios/gu1/slow-review", nil); r.status != 200 {
		t.Fatalf("put scenario after restart: %d", r.status)
	}
	// The failed in_review webhook is retried on its schedule, with the
	// same delivery, then the timeline finishes the review.
	h2.advance(time.Hour)
	rc.wait(t, "created", "in_progress", "in_review", "approved")
	h2.wantGu1(id, "approved")
	// The tenant's default still applies to new validations.
	id2 := h2.gu1Validation("", "")
	if s := h2.do("GET", "/_emulator/sessions/"+id2, nil).json(t); s["scenario"] != "slow-review" {
		t.Fatalf("default scenario after restart: %v", s["scenario"])
	}
	if id2 == id {
		t.Fatal("an id was handed out twice")
	}
}

func toJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
