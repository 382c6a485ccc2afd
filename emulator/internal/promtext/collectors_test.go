package promtext_test

import (
	"maps"
	"math"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/kycemu/kycemu/emulator/internal/promtext"
	"github.com/kycemu/kycemu/internal/procstat"
)

// clientGolang is what client_golang v1.25.0's default Go and process
// collectors expose on Linux (as kycemu served them before promtext), by
// name and type, with the units OpenMetrics announces.
var clientGolang = map[string]string{
	"go_gc_duration_seconds":               "summary",
	"go_gc_gogc_percent":                   "gauge percent",
	"go_gc_gomemlimit_bytes":               "gauge bytes",
	"go_goroutines":                        "gauge",
	"go_info":                              "gauge",
	"go_memstats_alloc_bytes":              "gauge",
	"go_memstats_alloc_bytes_total":        "counter",
	"go_memstats_buck_hash_sys_bytes":      "gauge",
	"go_memstats_frees_total":              "counter",
	"go_memstats_gc_sys_bytes":             "gauge",
	"go_memstats_heap_alloc_bytes":         "gauge",
	"go_memstats_heap_idle_bytes":          "gauge",
	"go_memstats_heap_inuse_bytes":         "gauge",
	"go_memstats_heap_objects":             "gauge",
	"go_memstats_heap_released_bytes":      "gauge",
	"go_memstats_heap_sys_bytes":           "gauge",
	"go_memstats_last_gc_time_seconds":     "gauge",
	"go_memstats_mallocs_total":            "counter",
	"go_memstats_mcache_inuse_bytes":       "gauge",
	"go_memstats_mcache_sys_bytes":         "gauge",
	"go_memstats_mspan_inuse_bytes":        "gauge",
	"go_memstats_mspan_sys_bytes":          "gauge",
	"go_memstats_next_gc_bytes":            "gauge",
	"go_memstats_other_sys_bytes":          "gauge",
	"go_memstats_stack_inuse_bytes":        "gauge",
	"go_memstats_stack_sys_bytes":          "gauge",
	"go_memstats_sys_bytes":                "gauge",
	"go_sched_gomaxprocs_threads":          "gauge threads",
	"go_threads":                           "gauge",
	"process_cpu_seconds_total":            "counter",
	"process_max_fds":                      "gauge",
	"process_network_receive_bytes_total":  "counter",
	"process_network_transmit_bytes_total": "counter",
	"process_open_fds":                     "gauge",
	"process_resident_memory_bytes":        "gauge",
	"process_start_time_seconds":           "gauge",
	"process_virtual_memory_bytes":         "gauge",
	"process_virtual_memory_max_bytes":     "gauge",
}

func runtimeRegistry() *promtext.Registry {
	r := promtext.NewRegistry()
	r.Register(promtext.GoRuntime())
	r.Register(promtext.Process())
	return r
}

// TestSameFamiliesAsClientGolang: the Go and process families have
// client_golang's names, types and units, and parse in both formats.
func TestSameFamiliesAsClientGolang(t *testing.T) {
	r := runtimeRegistry()
	want := maps.Clone(clientGolang)
	if runtime.GOOS != "linux" {
		maps.DeleteFunc(want, func(name, _ string) bool { return strings.HasPrefix(name, "process_") })
	}
	got := map[string]string{}
	for _, f := range parseText(t, appendFormat(t, r, promtext.FormatText)) {
		got[f.GetName()] = strings.ToLower(f.GetType().String())
	}
	om := appendFormat(t, r, promtext.FormatOpenMetrics)
	for _, line := range strings.Split(string(om), "\n") {
		if rest, ok := strings.CutPrefix(line, "# UNIT "); ok {
			fam, unit, _ := strings.Cut(rest, " ")
			got[fam] += " " + unit
		}
	}
	for name, typ := range want {
		if got[name] != typ {
			t.Errorf("%s: %q; client_golang: %q", name, got[name], typ)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: client_golang has no such family", name)
		}
	}
	// As with client_golang, go_memstats_alloc_bytes_total's OpenMetrics
	// family shares its name with the gauge go_memstats_alloc_bytes; that
	// is the only clash.
	if dups := checkOpenMetrics(t, om); !slices.Equal(dups, []string{"go_memstats_alloc_bytes"}) {
		t.Errorf("families named twice in OpenMetrics: %v", dups)
	}
}

// TestGoFigures: the Go figures agree with what the runtime says.
func TestGoFigures(t *testing.T) {
	runtime.GC()
	start := time.Now()
	fams := map[string]*dto.MetricFamily{}
	for _, f := range parseText(t, appendFormat(t, runtimeRegistry(), promtext.FormatText)) {
		fams[f.GetName()] = f
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	v := func(name string) float64 {
		t.Helper()
		f := fams[name]
		if f == nil || len(f.GetMetric()) != 1 {
			t.Fatalf("%s: %v", name, f)
		}
		m := f.GetMetric()[0]
		return m.GetGauge().GetValue() + m.GetCounter().GetValue()
	}
	near := func(name string, want float64) {
		t.Helper()
		if got := v(name); math.Abs(got-want) > 0.25*want {
			t.Errorf("%s = %v; the runtime says %v", name, got, want)
		}
	}
	near("go_memstats_sys_bytes", float64(ms.Sys))
	near("go_memstats_heap_sys_bytes", float64(ms.HeapSys))
	near("go_memstats_next_gc_bytes", float64(ms.NextGC))
	near("go_memstats_stack_sys_bytes", float64(ms.StackSys))
	if v("go_memstats_mallocs_total") < v("go_memstats_frees_total") || v("go_memstats_heap_inuse_bytes") < v("go_memstats_heap_alloc_bytes") ||
		v("go_memstats_alloc_bytes") != v("go_memstats_heap_alloc_bytes") || v("go_memstats_alloc_bytes_total") < v("go_memstats_alloc_bytes") {
		t.Error("the memstats figures contradict each other")
	}
	if gogc := debug.SetGCPercent(-1); v("go_gc_gogc_percent") != float64(gogc) {
		t.Errorf("GOGC %v; the runtime says %d", v("go_gc_gogc_percent"), gogc)
	} else {
		debug.SetGCPercent(gogc)
	}
	if v("go_sched_gomaxprocs_threads") != float64(runtime.GOMAXPROCS(0)) || v("go_goroutines") < 1 || v("go_threads") < 1 {
		t.Error("GOMAXPROCS, goroutines or threads wrong")
	}
	if v("go_gc_gomemlimit_bytes") != float64(debug.SetMemoryLimit(-1)) {
		t.Errorf("GOMEMLIMIT %v", v("go_gc_gomemlimit_bytes"))
	}
	if last := time.Unix(0, int64(v("go_memstats_last_gc_time_seconds")*1e9)); start.Sub(last) > time.Minute || last.After(time.Now()) {
		t.Errorf("last GC at %s, the test's began at %s", last, start)
	}
	if l := fams["go_info"].GetMetric()[0].GetLabel(); len(l) != 1 || l[0].GetValue() != runtime.Version() {
		t.Errorf("go_info labels %v", l)
	}
	s := fams["go_gc_duration_seconds"].GetMetric()[0].GetSummary()
	var qs []float64
	for i, q := range s.GetQuantile() {
		if q.GetQuantile() != float64(i)/4 || i > 0 && q.GetValue() < qs[i-1] {
			t.Fatalf("pause quantiles %v", s.GetQuantile())
		}
		qs = append(qs, q.GetValue())
	}
	if len(qs) != 5 || s.GetSampleCount() < 1 || s.GetSampleCount() > uint64(ms.NumGC) || s.GetSampleSum() < qs[4] {
		t.Errorf("pause summary %v; %d cycles", s, ms.NumGC)
	}
}

// TestProcessFigures: the process figures are this process's.
func TestProcessFigures(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	fams := map[string]float64{}
	for _, f := range parseText(t, appendFormat(t, runtimeRegistry(), promtext.FormatText)) {
		if m := f.GetMetric(); len(m) == 1 {
			fams[f.GetName()] = m[0].GetGauge().GetValue() + m[0].GetCounter().GetValue()
		}
	}
	started := time.Unix(0, int64(fams["process_start_time_seconds"]*1e9))
	if age := time.Since(started); age < 0 || age > time.Hour {
		t.Errorf("started %s ago", age)
	}
	if rss, want := fams["process_resident_memory_bytes"], procstat.RSS(0)*(1<<20); math.Abs(rss-want) > 0.5*want {
		t.Errorf("resident %v bytes; status says %v", rss, want)
	}
	if fams["process_virtual_memory_bytes"] < fams["process_resident_memory_bytes"] || fams["process_virtual_memory_max_bytes"] <= 0 {
		t.Error("virtual memory figures")
	}
	if n := fams["process_open_fds"]; n < 3 || n > fams["process_max_fds"] {
		t.Errorf("%v open of %v", n, fams["process_max_fds"])
	}
	if cpu := fams["process_cpu_seconds_total"]; cpu < 0 || cpu > procstat.CPU(0).Seconds()+0.01 {
		t.Errorf("CPU %v s, then %v", cpu, procstat.CPU(0).Seconds())
	}
}
