package state_test

import (
	"math"
	"runtime"
	"runtime/metrics"
	"strconv"
	"testing"
	"time"

	"github.com/kycemu/kycemu/emulator/clock"
	"github.com/kycemu/kycemu/emulator/internal/fake"
	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
	"github.com/kycemu/kycemu/emulator/state/memstore"
)

// session is a provider's data of about the size a real session keeps.
type session struct {
	Reference string            `json:"reference"`
	Name      string            `json:"name"`
	Country   string            `json:"country"`
	Document  string            `json:"document"`
	Meta      map[string]string `json:"meta,omitempty"`
}

var benchMachine = provider.NewMachine("created", map[string][]string{
	"created": {"pending", "expired"},
	"pending": {"approved", "declined"},
})

// benchStore returns a store with one session kind (a provider-scoped
// index, like a hosted page's token) under lim, without a backend.
func benchStore(b *testing.B, lim state.Limits) (*state.Store, *state.Space) {
	return benchStoreOn(b, nil, lim)
}

func benchStoreOn(b *testing.B, be state.Backend, lim state.Limits) (*state.Store, *state.Space) {
	b.Helper()
	s := state.New(state.Config{Clock: clock.NewManual(start), Rand: fake.New(1), Backend: be, Limits: lim})
	sp := s.Space("bench", state.Spec{Kinds: []state.Kind{{Name: "session", New: func() any { return &session{} },
		Machine: benchMachine, Session: true, Indexes: map[string]state.Scope{"token": state.ProviderScope}}}})
	if err := s.Load(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	return s, sp
}

var benchPlan = &provider.Plan{Scenario: "approve", Steps: []provider.Step{
	{After: time.Minute, Status: "pending"},
	{From: "pending", After: time.Minute, Status: "approved"},
}}

func benchCreate(b *testing.B, sp *state.Space, tenant string, i int) {
	id := "ses_" + strconv.Itoa(i)
	err := sp.Update(tenant, func(tx *state.Tx) error {
		_, err := tx.Create(state.NewRecord{Kind: "session", ID: id, Status: "created", By: "api", Plan: benchPlan,
			Data:  &session{Reference: "ref-" + id, Name: "Bench Person", Country: "BR", Document: "12345678"},
			Index: map[string]string{"token": "tok_" + id}})
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkCreateAtCapacity creates sessions in one tenant that is at its
// record bound, so every create evicts the oldest: the steady state of a
// sandbox left running for weeks.
func BenchmarkCreateAtCapacity(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			_, sp := benchStore(b, state.Limits{RecordsPerTenant: n, Records: -1})
			createPastBound(b, sp, n)
		})
	}
}

// BenchmarkCreateDurable is BenchmarkCreateAtCapacity at 10,000 on a
// backend that keeps bytes in a map: the cost of encoding what a
// transaction writes, without a disk's.
func BenchmarkCreateDurable(b *testing.B) {
	const n = 10_000
	_, sp := benchStoreOn(b, memstore.New(), state.Limits{RecordsPerTenant: n, Records: -1})
	createPastBound(b, sp, n)
}

// createPastBound fills tenant "t" up to its bound of n records, then
// times creates past it: each one evicts the oldest record.
func createPastBound(b *testing.B, sp *state.Space, n int) {
	for i := range n {
		benchCreate(b, sp, "t", i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		benchCreate(b, sp, "t", n+i)
	}
}

// BenchmarkStoredSessions fills a store with 100,000 or 1,000,000 sessions
// over 1,000 tenants and reports the live heap per record and what a full
// collection of that heap costs: the wall time of runtime.GC and the CPU
// time the collector spent marking, both inflated on a busy machine, and
// the bytes it has to scan per record (scan-B/record: the pointer-bearing
// part of the heap, which does not depend on the machine). Run it with
// -benchtime 1x: each round builds the whole store.
func BenchmarkStoredSessions(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			for range b.N {
				var before runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				scan0 := scannable()
				s, sp := benchStore(b, state.Limits{Records: -1, RecordsPerTenant: -1, Tenants: -1})
				for i := range n {
					benchCreate(b, sp, "t"+strconv.Itoa(i%1000), i)
				}
				b.StopTimer()
				runtime.GC()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				// The least of a few collections: what the heap costs, with
				// as little as can be of what else the machine was doing.
				gc, mark := time.Duration(math.MaxInt64), math.Inf(1)
				for range 7 {
					mark0, t0 := markCPU(), time.Now()
					runtime.GC()
					gc, mark = min(gc, time.Since(t0)), min(mark, markCPU()-mark0)
				}
				b.ReportMetric(float64(ms.HeapAlloc-before.HeapAlloc)/float64(n), "heap-B/record")
				b.ReportMetric(float64(ms.HeapObjects-before.HeapObjects)/float64(n), "objects/record")
				b.ReportMetric(float64(scannable()-scan0)/float64(n), "scan-B/record")
				b.ReportMetric(float64(gc.Microseconds())/1000, "ms/full-gc")
				b.ReportMetric(mark*1000, "mark-cpu-ms/gc")
				b.ReportMetric(float64(ms.NumGC-before.NumGC), "gc-cycles-filling")
				b.ReportMetric(float64(ms.PauseTotalNs-before.PauseTotalNs)/1e6, "stw-ms-filling")
				if st := s.Stats(); st.Records != n {
					b.Fatalf("%d records", st.Records)
				}
				runtime.KeepAlive(s)
				b.StartTimer()
			}
		})
	}
}

// markCPU returns the CPU seconds the collector has spent marking so far.
func markCPU() float64 {
	ss := []metrics.Sample{{Name: "/cpu/classes/gc/mark/assist:cpu-seconds"},
		{Name: "/cpu/classes/gc/mark/dedicated:cpu-seconds"}, {Name: "/cpu/classes/gc/mark/idle:cpu-seconds"}}
	metrics.Read(ss)
	var sum float64
	for _, s := range ss {
		sum += s.Value.Float64()
	}
	return sum
}

// scannable returns the bytes of heap the collector scans for pointers.
func scannable() uint64 {
	ss := []metrics.Sample{{Name: "/gc/scan/heap:bytes"}}
	metrics.Read(ss)
	return ss[0].Value.Uint64()
}

// BenchmarkLoad times rebuilding a store of 100,000 sessions from its
// backend (a map: the decoding and the rebuilding, not a disk).
func BenchmarkLoad(b *testing.B) {
	const n = 100_000
	be := memstore.New()
	lim := state.Limits{Records: -1, RecordsPerTenant: -1}
	s, sp := benchStoreOn(b, be, lim)
	for i := range n {
		benchCreate(b, sp, "t"+strconv.Itoa(i%1000), i)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		s, _ := benchStoreOn(b, be, lim)
		if st := s.Stats(); st.Records != n {
			b.Fatalf("%d records", st.Records)
		}
		_ = s.Close()
	}
}
