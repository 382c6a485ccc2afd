package emulator_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/kycemu/kycemu/emulator"
	"github.com/kycemu/kycemu/emulator/clock"
	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
	"github.com/kycemu/kycemu/internal/procstat"
)

// gu1Flow creates an entity and a validation for one of 50 tenants through
// the handler (no network) and returns the validation id.
func gu1Flow(tb testing.TB, h http.Handler, i int) string {
	key, org := "gk_bench_"+strconv.Itoa(i%50), "org-"+strconv.Itoa(i%50)
	do := func(path string, body any) map[string]any {
		b, _ := json.Marshal(body)
		r := httptest.NewRequest("POST", "/gu1"+path, bytes.NewReader(b))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", "Bearer "+key)
		r.Header.Set("X-Organization-ID", org)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != 201 {
			tb.Fatalf("%s: %d %s", path, w.Code, w.Body)
		}
		var out map[string]any
		_ = json.Unmarshal(w.Body.Bytes(), &out)
		return out
	}
	ent := do("/entities", map[string]any{"type": "person", "name": "Bench Person", "countryCode": "BR"})
	v := do("/api/kyc/validations", map[string]any{"entityId": ent["entity"].(map[string]any)["id"]})
	return v["id"].(string)
}

// BenchmarkSteadyWeek creates b.N gu1 validations and finishes half of
// them, spread over a simulated week on a manual clock, under the default
// bounds; it reports the heap and RSS at the end and the records kept. Run
// it with -benchtime=10000x, 100000x, 1000000x: under the defaults the
// figures stop growing once the bounds are reached.
func BenchmarkSteadyWeek(b *testing.B) {
	c := clock.NewManual(t0)
	emu, err := emulator.New(emulator.WithClock(c), emulator.WithSeed(1))
	if err != nil {
		b.Fatal(err)
	}
	defer emu.Close()
	step := 7 * 24 * time.Hour / time.Duration(max(b.N/100, 1))
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		id := gu1Flow(b, emu, i)
		if i%2 == 0 {
			if _, err := emu.State().Act(id, provider.Action{Name: "approve"}); err != nil {
				b.Fatal(err)
			}
		}
		if i%100 == 99 {
			_, _ = c.Advance(step)
		}
	}
	b.StopTimer()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	st := emu.State().Stats()
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MB")
	b.ReportMetric(procstat.RSS(0), "rss-MB")
	b.ReportMetric(float64(st.Records), "records")
	var ev int64
	for _, n := range st.Evicted {
		ev += n
	}
	b.ReportMetric(float64(ev), "evicted")
}

// BenchmarkCreate times one gu1 entity + validation create through the
// handler, in memory and with a data directory, and reports the p50 and
// p99 of the pair.
func BenchmarkCreate(b *testing.B) {
	for _, mode := range []string{"memory", "data-dir"} {
		b.Run(mode, func(b *testing.B) {
			opts := []emulator.Option{emulator.WithClock(clock.NewManual(t0)), emulator.WithSeed(1)}
			if mode == "data-dir" {
				opts = append(opts, emulator.WithDataDir(b.TempDir()))
			}
			emu, err := emulator.New(opts...)
			if err != nil {
				b.Fatal(err)
			}
			defer emu.Close()
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := range b.N {
				start := time.Now()
				gu1Flow(b, emu, i)
				lat = append(lat, time.Since(start))
			}
			b.StopTimer()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
		})
	}
}

// BenchmarkRestart fills a data directory with 100,000 records (50,000
// validations and their entities) once, then times starting an emulator on
// it: loading, re-arming the timelines and applying the bounds.
func BenchmarkRestart(b *testing.B) {
	dir := b.TempDir()
	emu, err := emulator.New(emulator.WithClock(clock.NewManual(t0)), emulator.WithSeed(1), emulator.WithDataDir(dir),
		emulator.WithLimits(state.Limits{RecordsPerTenant: -1}))
	if err != nil {
		b.Fatal(err)
	}
	for i := range 50_000 {
		gu1Flow(b, emu, i)
	}
	if n := emu.State().Stats().Records; n != 100_000 {
		b.Fatalf("%d records", n)
	}
	_ = emu.Close()
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		e2, err := emulator.New(emulator.WithClock(clock.NewManual(t0)), emulator.WithDataDir(dir),
			emulator.WithLimits(state.Limits{RecordsPerTenant: -1}))
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(time.Since(start).Milliseconds()), "ms/start")
		if n := e2.State().Stats().Records; n != 100_000 {
			b.Fatalf("%d records after restart", n)
		}
		_ = e2.Close()
	}
}
