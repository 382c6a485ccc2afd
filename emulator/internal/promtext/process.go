package promtext

import (
	"math"
	"os"
	"runtime"
	"sync/atomic"

	"github.com/kycemu/kycemu/internal/procstat"
)

var (
	cpuDesc        = NewDesc("process_cpu_seconds_total", "User and system CPU time the process has used, in seconds.", TypeCounter)
	openFDsDesc    = NewDesc("process_open_fds", "File descriptors the process has open.", TypeGauge)
	maxFDsDesc     = NewDesc("process_max_fds", "The process's limit of open file descriptors (soft limit).", TypeGauge)
	vsizeDesc      = NewDesc("process_virtual_memory_bytes", "Size of the process's address space, in bytes.", TypeGauge)
	maxVsizeDesc   = NewDesc("process_virtual_memory_max_bytes", "The process's limit of address space, in bytes (soft limit; 2^64-1 when unlimited).", TypeGauge)
	rssDesc        = NewDesc("process_resident_memory_bytes", "The process's resident memory, in bytes.", TypeGauge)
	startTimeDesc  = NewDesc("process_start_time_seconds", "When the process started, in seconds since the Unix epoch.", TypeGauge)
	netInDesc      = NewDesc("process_network_receive_bytes_total", "Bytes received over IP in the process's network namespace.", TypeCounter)
	netOutDesc     = NewDesc("process_network_transmit_bytes_total", "Bytes sent over IP in the process's network namespace.", TypeCounter)
	pageSize       = uint64(os.Getpagesize())
	startTimeCache atomic.Uint64 // math.Float64bits of process_start_time_seconds, once read
)

// Process returns a collector of the process's figures under the names
// and types client_golang's process collector gives them, read from
// /proc/self at each scrape. Figures that cannot be read are left out, so
// on systems without /proc the collector adds nothing.
func Process() func(*Scrape) {
	if runtime.GOOS != "linux" {
		return func(*Scrape) {}
	}
	return collectProcess
}

func collectProcess(s *Scrape) {
	if st, err := procstat.ReadStat(0); err == nil {
		s.Add(cpuDesc, float64(st.UserTicks+st.SystemTicks)/procstat.TicksPerSecond)
		s.Add(vsizeDesc, float64(st.VirtualBytes))
		s.Add(rssDesc, float64(st.ResidentPages*pageSize))
		if start, ok := startTime(st); ok {
			s.Add(startTimeDesc, start)
		}
	}
	if n, err := procstat.OpenFDs(0); err == nil {
		s.Add(openFDsDesc, float64(n))
	}
	if n, err := procstat.SoftLimit(0, "Max open files"); err == nil {
		s.Add(maxFDsDesc, float64(n))
	}
	if n, err := procstat.SoftLimit(0, "Max address space"); err == nil {
		s.Add(maxVsizeDesc, float64(n))
	}
	if in, out, err := procstat.NetBytes(0); err == nil {
		s.Add(netInDesc, float64(in))
		s.Add(netOutDesc, float64(out))
	}
}

// startTime is the boot time plus the start after boot; it never changes,
// so /proc/stat is read once.
func startTime(st procstat.Stat) (float64, bool) {
	if v := startTimeCache.Load(); v != 0 {
		return math.Float64frombits(v), true
	}
	boot, err := procstat.BootTime()
	if err != nil {
		return 0, false
	}
	v := float64(boot) + float64(st.StartTicks)/procstat.TicksPerSecond
	startTimeCache.Store(math.Float64bits(v))
	return v, true
}
