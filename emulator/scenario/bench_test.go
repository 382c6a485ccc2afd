package scenario_test

import (
	"os"
	"testing"
	"time"

	"github.com/kycemu/kycemu/emulator/clock"
	"github.com/kycemu/kycemu/emulator/scenario"
)

func BenchmarkLoad(b *testing.B) {
	cat := catalog(b)
	data, err := os.ReadFile("testdata/valid/full.yaml")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := scenario.Load("full.yaml", data, cat); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCallFault is the engine's share of every API call: resolve the
// scenario and count the call against its faults.
func BenchmarkCallFault(b *testing.B) {
	eng := scenario.NewEngine(scenario.Config{Clock: clock.NewManual(time.Unix(0, 0))})
	eng.SetCatalog(catalog(b))
	if _, err := eng.Put("b", []byte(`
name: f
provider: notus
faults:
  - operation: getStandardIndividualSession
    every: 1000000
    respond: {status: 503}
  - rate_limit: {requests: 1000000000, per: 1h}
`), "", ""); err != nil {
		b.Fatal(err)
	}
	b.Run("no scenario", func(b *testing.B) {
		for b.Loop() {
			eng.CallFault("notus", "getStandardIndividualSession", "k", "", "")
		}
	})
	b.Run("two faults", func(b *testing.B) {
		for b.Loop() {
			eng.CallFault("notus", "getStandardIndividualSession", "k", "f", "")
		}
	})
}

// BenchmarkPlan is the engine's share of creating a session that names no
// scenario and matches none: the provider's own plan.
func BenchmarkPlan(b *testing.B) {
	eng := scenario.NewEngine(scenario.Config{Clock: clock.NewManual(time.Unix(0, 0))})
	eng.SetCatalog(catalog(b))
	if _, err := eng.Put("b", []byte(`
name: a
provider: notus
timeline: [{after: 1s, status: EXPIRED}]
---
name: b
provider: notus
faults: [{latency: 1s}]
---
name: c
provider: notus
timeline: [{after: 1s, status: EXPIRED}]
`), "", ""); err != nil {
		b.Fatal(err)
	}
	body := []byte(`{"firstName":"Ana"}`)
	b.ReportAllocs()
	for b.Loop() {
		if p, _ := eng.Plan("notus", "STANDARD_INDIVIDUAL", "k", "", body); p != nil {
			b.Fatal("a scenario was chosen")
		}
	}
}
