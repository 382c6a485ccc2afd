package promtext

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"
)

// The runtime/metrics samples the Go collector reads, by index.
const (
	rmHeapObjectsBytes = iota
	rmHeapUnusedBytes
	rmHeapReleasedBytes
	rmHeapFreeBytes
	rmHeapStacksBytes
	rmOSStacksBytes
	rmMSpanInuseBytes
	rmMSpanFreeBytes
	rmMCacheInuseBytes
	rmMCacheFreeBytes
	rmProfilingBucketsBytes
	rmMetadataOtherBytes
	rmOtherBytes
	rmTotalBytes
	rmAllocsBytes
	rmAllocsObjects
	rmFreesObjects
	rmTinyAllocsObjects
	rmHeapObjects
	rmHeapGoalBytes
	rmGOGC
	rmGOMEMLIMIT
	rmGOMAXPROCS
	rmCount
)

var rmNames = [rmCount]string{
	rmHeapObjectsBytes:      "/memory/classes/heap/objects:bytes",
	rmHeapUnusedBytes:       "/memory/classes/heap/unused:bytes",
	rmHeapReleasedBytes:     "/memory/classes/heap/released:bytes",
	rmHeapFreeBytes:         "/memory/classes/heap/free:bytes",
	rmHeapStacksBytes:       "/memory/classes/heap/stacks:bytes",
	rmOSStacksBytes:         "/memory/classes/os-stacks:bytes",
	rmMSpanInuseBytes:       "/memory/classes/metadata/mspan/inuse:bytes",
	rmMSpanFreeBytes:        "/memory/classes/metadata/mspan/free:bytes",
	rmMCacheInuseBytes:      "/memory/classes/metadata/mcache/inuse:bytes",
	rmMCacheFreeBytes:       "/memory/classes/metadata/mcache/free:bytes",
	rmProfilingBucketsBytes: "/memory/classes/profiling/buckets:bytes",
	rmMetadataOtherBytes:    "/memory/classes/metadata/other:bytes",
	rmOtherBytes:            "/memory/classes/other:bytes",
	rmTotalBytes:            "/memory/classes/total:bytes",
	rmAllocsBytes:           "/gc/heap/allocs:bytes",
	rmAllocsObjects:         "/gc/heap/allocs:objects",
	rmFreesObjects:          "/gc/heap/frees:objects",
	rmTinyAllocsObjects:     "/gc/heap/tiny/allocs:objects",
	rmHeapObjects:           "/gc/heap/objects:objects",
	rmHeapGoalBytes:         "/gc/heap/goal:bytes",
	rmGOGC:                  "/gc/gogc:percent",
	rmGOMEMLIMIT:            "/gc/gomemlimit:bytes",
	rmGOMAXPROCS:            "/sched/gomaxprocs:threads",
}

// rm is one runtime/metrics reading.
type rm [rmCount]metrics.Sample

// u is a sample's value; 0 when this Go does not have it.
func (r *rm) u(i int) float64 {
	if v := r[i].Value; v.Kind() == metrics.KindUint64 {
		return float64(v.Uint64())
	}
	return 0
}

// goMetric is a family computed from a runtime/metrics reading.
type goMetric struct {
	desc  *Desc
	value func(*rm) float64
}

func memstat(name, help string, t Type, value func(*rm) float64) goMetric {
	return goMetric{NewDesc("go_memstats_"+name, help, t), value}
}

// goMetrics are client_golang's default Go metrics that runtime/metrics
// gives, under its names and types (the go_memstats_* ones computed from
// runtime/metrics as it does, without stopping the world).
var goMetrics = []goMetric{
	memstat("alloc_bytes", "Bytes of heap objects allocated and not yet freed (from /memory/classes/heap/objects:bytes).", TypeGauge,
		func(r *rm) float64 { return r.u(rmHeapObjectsBytes) }),
	memstat("alloc_bytes_total", "Bytes allocated on the heap since the process started, freed or not (from /gc/heap/allocs:bytes).", TypeCounter,
		func(r *rm) float64 { return r.u(rmAllocsBytes) }),
	memstat("sys_bytes", "Bytes of memory the Go runtime has mapped from the system (from /memory/classes/total:bytes).", TypeGauge,
		func(r *rm) float64 { return r.u(rmTotalBytes) }),
	memstat("mallocs_total", "Heap objects allocated since the process started, freed or not (from /gc/heap/allocs:objects and /gc/heap/tiny/allocs:objects).", TypeCounter,
		func(r *rm) float64 { return r.u(rmAllocsObjects) + r.u(rmTinyAllocsObjects) }),
	memstat("frees_total", "Heap objects freed since the process started (from /gc/heap/frees:objects and /gc/heap/tiny/allocs:objects).", TypeCounter,
		func(r *rm) float64 { return r.u(rmFreesObjects) + r.u(rmTinyAllocsObjects) }),
	memstat("heap_alloc_bytes", "Bytes of heap objects allocated and not yet freed, as go_memstats_alloc_bytes (from /memory/classes/heap/objects:bytes).", TypeGauge,
		func(r *rm) float64 { return r.u(rmHeapObjectsBytes) }),
	memstat("heap_sys_bytes", "Bytes of heap memory mapped from the system: in use, idle or released.", TypeGauge,
		func(r *rm) float64 {
			return r.u(rmHeapObjectsBytes) + r.u(rmHeapUnusedBytes) + r.u(rmHeapReleasedBytes) + r.u(rmHeapFreeBytes)
		}),
	memstat("heap_idle_bytes", "Bytes of heap memory holding no objects, released to the system or not (from /memory/classes/heap/released:bytes and /memory/classes/heap/free:bytes).", TypeGauge,
		func(r *rm) float64 { return r.u(rmHeapReleasedBytes) + r.u(rmHeapFreeBytes) }),
	memstat("heap_inuse_bytes", "Bytes of heap spans holding at least one object (from /memory/classes/heap/objects:bytes and /memory/classes/heap/unused:bytes).", TypeGauge,
		func(r *rm) float64 { return r.u(rmHeapObjectsBytes) + r.u(rmHeapUnusedBytes) }),
	memstat("heap_released_bytes", "Bytes of idle heap memory given back to the system (from /memory/classes/heap/released:bytes).", TypeGauge,
		func(r *rm) float64 { return r.u(rmHeapReleasedBytes) }),
	memstat("heap_objects", "Heap objects allocated and not yet freed (from /gc/heap/objects:objects).", TypeGauge,
		func(r *rm) float64 { return r.u(rmHeapObjects) }),
	memstat("stack_inuse_bytes", "Bytes of goroutine stacks allocated from the heap (from /memory/classes/heap/stacks:bytes).", TypeGauge,
		func(r *rm) float64 { return r.u(rmHeapStacksBytes) }),
	memstat("stack_sys_bytes", "Bytes of stack memory: goroutine stacks and the system threads' own (from /memory/classes/heap/stacks:bytes and /memory/classes/os-stacks:bytes).", TypeGauge,
		func(r *rm) float64 { return r.u(rmHeapStacksBytes) + r.u(rmOSStacksBytes) }),
	memstat("mspan_inuse_bytes", "Bytes of span structures in use (from /memory/classes/metadata/mspan/inuse:bytes).", TypeGauge,
		func(r *rm) float64 { return r.u(rmMSpanInuseBytes) }),
	memstat("mspan_sys_bytes", "Bytes of memory reserved for span structures (from /memory/classes/metadata/mspan/inuse:bytes and /memory/classes/metadata/mspan/free:bytes).", TypeGauge,
		func(r *rm) float64 { return r.u(rmMSpanInuseBytes) + r.u(rmMSpanFreeBytes) }),
	memstat("mcache_inuse_bytes", "Bytes of per-P cache structures in use (from /memory/classes/metadata/mcache/inuse:bytes).", TypeGauge,
		func(r *rm) float64 { return r.u(rmMCacheInuseBytes) }),
	memstat("mcache_sys_bytes", "Bytes of memory reserved for per-P cache structures (from /memory/classes/metadata/mcache/inuse:bytes and /memory/classes/metadata/mcache/free:bytes).", TypeGauge,
		func(r *rm) float64 { return r.u(rmMCacheInuseBytes) + r.u(rmMCacheFreeBytes) }),
	memstat("buck_hash_sys_bytes", "Bytes of the profiler's bucket hash table (from /memory/classes/profiling/buckets:bytes).", TypeGauge,
		func(r *rm) float64 { return r.u(rmProfilingBucketsBytes) }),
	memstat("gc_sys_bytes", "Bytes of the garbage collector's metadata (from /memory/classes/metadata/other:bytes).", TypeGauge,
		func(r *rm) float64 { return r.u(rmMetadataOtherBytes) }),
	memstat("other_sys_bytes", "Bytes of the runtime's other allocations (from /memory/classes/other:bytes).", TypeGauge,
		func(r *rm) float64 { return r.u(rmOtherBytes) }),
	memstat("next_gc_bytes", "Heap size at which the next garbage collection is due (from /gc/heap/goal:bytes).", TypeGauge,
		func(r *rm) float64 { return r.u(rmHeapGoalBytes) }),
	{NewDesc("go_gc_gogc_percent", "GOGC: the heap growth, in percent, that triggers a collection (from /gc/gogc:percent).", TypeGauge).WithUnit("percent"),
		func(r *rm) float64 { return r.u(rmGOGC) }},
	{NewDesc("go_gc_gomemlimit_bytes", "GOMEMLIMIT: the runtime's soft memory limit, math.MaxInt64 when none is set (from /gc/gomemlimit:bytes).", TypeGauge).WithUnit("bytes"),
		func(r *rm) float64 { return r.u(rmGOMEMLIMIT) }},
	{NewDesc("go_sched_gomaxprocs_threads", "GOMAXPROCS: how many threads may run Go code at once (from /sched/gomaxprocs:threads).", TypeGauge).WithUnit("threads"),
		func(r *rm) float64 { return r.u(rmGOMAXPROCS) }},
}

var (
	goroutinesDesc = NewDesc("go_goroutines", "Goroutines that exist now.", TypeGauge)
	threadsDesc    = NewDesc("go_threads", "Operating system threads the runtime has created.", TypeGauge)
	goInfoDesc     = NewDesc("go_info", "Always 1; the version label names the Go release that built the program.", TypeGauge, "version")
	gcPausesDesc   = NewDesc("go_gc_duration_seconds", "Stop-the-world pauses of garbage collection cycles, in seconds, over the recent cycles the runtime keeps.", TypeSummary)
	lastGCDesc     = NewDesc("go_memstats_last_gc_time_seconds", "When the last garbage collection finished, in seconds since the Unix epoch (0: none yet).", TypeGauge)
)

// goRuntime reads the Go runtime at each scrape.
type goRuntime struct {
	mu  sync.Mutex // one reading at a time: the buffers are reused
	rm  rm
	gc  debug.GCStats
	qvs [5]Quantile
}

// GoRuntime returns a collector of the Go runtime's figures, under the
// names, types and units client_golang's default Go collector gives them:
// go_goroutines, go_threads, go_info, go_gc_duration_seconds (a summary of
// the recent pauses), go_gc_gogc_percent, go_gc_gomemlimit_bytes,
// go_sched_gomaxprocs_threads and the go_memstats_* family. Everything
// but the pause summary comes from runtime/metrics, which reads without
// stopping the world.
func GoRuntime() func(*Scrape) {
	g := &goRuntime{}
	for i, name := range rmNames {
		g.rm[i].Name = name
	}
	g.gc.PauseQuantiles = make([]time.Duration, 5)
	return g.collect
}

func (g *goRuntime) collect(s *Scrape) {
	g.mu.Lock()
	defer g.mu.Unlock()
	metrics.Read(g.rm[:])
	for _, m := range goMetrics {
		s.Add(m.desc, m.value(&g.rm))
	}
	s.Add(goroutinesDesc, float64(runtime.NumGoroutine()))
	threads, _ := runtime.ThreadCreateProfile(nil)
	s.Add(threadsDesc, float64(threads))
	s.Add(goInfoDesc, 1, runtime.Version())

	// The pause quantiles: minimum, quartiles and maximum of the pauses
	// the runtime remembers (its last 256); the sum and count cover every
	// cycle.
	debug.ReadGCStats(&g.gc)
	for i, d := range g.gc.PauseQuantiles {
		g.qvs[i] = Quantile{float64(i) / 4, d.Seconds()}
	}
	s.AddSummary(gcPausesDesc, uint64(g.gc.NumGC), g.gc.PauseTotal.Seconds(), g.qvs[:])
	s.Add(lastGCDesc, float64(g.gc.LastGC.UnixNano())/1e9) // the epoch before the first cycle
}
