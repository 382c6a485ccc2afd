// Package procstat reads a process's resident memory and CPU time from
// Linux's /proc, for kycemu's benchmarks and load runs. Elsewhere it
// reports zeros.
package procstat

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// RSS returns the resident set size of a process (0: this one) in MiB.
func RSS(pid int) float64 { return status(pid, "VmRSS:") }

// RSSAnon returns the anonymous part of a process's resident set (heap,
// stacks, the runtime's own memory) in MiB: RSS without the pages of the
// executable and other files mapped from the page cache, which the
// kernel shares between processes and may drop at any time. It is what
// a container's memory usage charges for an idle kycemu.
func RSSAnon(pid int) float64 { return status(pid, "RssAnon:") }

// status reads one kB-valued field of /proc/PID/status, in MiB.
func status(pid int, field string) float64 {
	b, err := os.ReadFile(path(pid, "status"))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == field {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}

// CPU returns the user and system CPU time a process (0: this one) has used.
func CPU(pid int) time.Duration {
	b, err := os.ReadFile(path(pid, "stat"))
	if err != nil {
		return 0
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 > len(b) {
		return 0
	}
	f := strings.Fields(string(b[i+2:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond // USER_HZ is 100 on Linux
}

// OnCPU returns the time a process's threads (0: this process's) have run
// on a CPU, to the nanosecond, from /proc/PID/task/*/schedstat: precise
// where CPU counts 10 ms ticks, for figures as short as a start-up. Threads
// that have exited are not counted; a Go program keeps its threads.
func OnCPU(pid int) time.Duration {
	tasks, err := os.ReadDir(path(pid, "task"))
	if err != nil {
		return 0
	}
	var sum time.Duration
	for _, t := range tasks {
		b, err := os.ReadFile(path(pid, "task/"+t.Name()+"/schedstat"))
		if err != nil {
			continue // the thread has just exited
		}
		f := strings.Fields(string(b))
		if len(f) == 0 {
			continue
		}
		ns, _ := strconv.ParseInt(f[0], 10, 64)
		sum += time.Duration(ns)
	}
	return sum
}

func path(pid int, file string) string {
	if pid == 0 {
		return "/proc/self/" + file
	}
	return fmt.Sprintf("/proc/%d/%s", pid, file)
}
