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
