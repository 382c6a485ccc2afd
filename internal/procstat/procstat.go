// Package procstat reads a process's resident memory, CPU time, limits and
// descriptors from Linux's /proc, for kycemu's benchmarks, load runs and
// process metrics. Elsewhere the figures read as zeros and the readers
// that return an error say so.
package procstat

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// TicksPerSecond is Linux's USER_HZ, the unit of the CPU and start times
// in /proc/PID/stat: 100 on every architecture Go runs on.
const TicksPerSecond = 100

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
	st, err := ReadStat(pid)
	if err != nil {
		return 0
	}
	return st.CPU()
}

// Stat holds the fields of /proc/PID/stat kycemu uses.
type Stat struct {
	UserTicks, SystemTicks uint64 // CPU time, in ticks of TicksPerSecond
	StartTicks             uint64 // when the process started, in ticks after boot
	VirtualBytes           uint64 // size of the address space
	ResidentPages          uint64 // resident set, in pages of os.Getpagesize()
}

// CPU is the user and system CPU time of st.
func (st Stat) CPU() time.Duration {
	return time.Duration(st.UserTicks+st.SystemTicks) * (time.Second / TicksPerSecond)
}

// ReadStat reads /proc/PID/stat of a process (0: this one).
func ReadStat(pid int) (Stat, error) {
	b, err := os.ReadFile(path(pid, "stat"))
	if err != nil {
		return Stat{}, err
	}
	return parseStat(b)
}

func parseStat(b []byte) (Stat, error) {
	// The command name, in parentheses, may hold spaces and parentheses
	// itself; the fields after its last ')' are plain numbers, starting
	// with the third (state).
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 > len(b) {
		return Stat{}, errors.New("procstat: no command name in stat")
	}
	f := strings.Fields(string(b[i+2:]))
	if len(f) < 22 {
		return Stat{}, fmt.Errorf("procstat: %d fields in stat", len(f)+2)
	}
	var (
		st  Stat
		err error
	)
	for _, v := range []struct {
		field int // as numbered in proc(5)
		to    *uint64
	}{{14, &st.UserTicks}, {15, &st.SystemTicks}, {22, &st.StartTicks}, {23, &st.VirtualBytes}, {24, &st.ResidentPages}} {
		if *v.to, err = strconv.ParseUint(f[v.field-3], 10, 64); err != nil {
			return Stat{}, fmt.Errorf("procstat: stat field %d: %w", v.field, err)
		}
	}
	return st, nil
}

// BootTime reads when the system booted, in seconds since the Unix
// epoch, from /proc/stat.
func BootTime() (uint64, error) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20) // the interrupt counts make long lines
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "btime "); ok {
			return strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, errors.New("procstat: no btime in /proc/stat")
}

// Unlimited is the value of a limit without a bound (RLIM_INFINITY).
const Unlimited = ^uint64(0)

// SoftLimit reads a soft resource limit of a process (0: this one) from
// /proc/PID/limits, by the name that file gives it ("Max open files",
// "Max address space"). A limit without a bound is Unlimited.
func SoftLimit(pid int, name string) (uint64, error) {
	b, err := os.ReadFile(path(pid, "limits"))
	if err != nil {
		return 0, err
	}
	return parseLimit(string(b), name)
}

func parseLimit(b, name string) (uint64, error) {
	for line := range strings.SplitSeq(b, "\n") {
		// "Max open files            1024                 524288               files"
		rest, ok := strings.CutPrefix(line, name)
		if !ok || rest == "" || rest[0] != ' ' {
			continue
		}
		f := strings.Fields(rest)
		if len(f) < 2 {
			break
		}
		if f[0] == "unlimited" {
			return Unlimited, nil
		}
		return strconv.ParseUint(f[0], 10, 64)
	}
	return 0, fmt.Errorf("procstat: no limit %q", name)
}

// OpenFDs counts the open file descriptors of a process (0: this one).
func OpenFDs(pid int) (int, error) {
	dir := path(pid, "fd")
	// Since Linux 6.2 the size of the directory is the count.
	if fi, err := os.Stat(dir); err != nil {
		return 0, err
	} else if fi.Size() > 0 {
		return int(fi.Size()), nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return 0, err
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	return len(names), err
}

// NetBytes reads the bytes received and sent over IP in the network
// namespace of a process (0: this one), from /proc/PID/net/netstat: the
// whole namespace's traffic, which in a container is the process's own.
func NetBytes(pid int) (in, out uint64, err error) {
	b, err := os.ReadFile(path(pid, "net/netstat"))
	if err != nil {
		return 0, 0, err
	}
	return parseNetstat(string(b))
}

func parseNetstat(b string) (in, out uint64, err error) {
	// Lines come in pairs: "IpExt: Name Name ..." then "IpExt: 1 2 ...".
	lines := strings.Split(b, "\n")
	for i := 0; i+1 < len(lines); i++ {
		names, ok := strings.CutPrefix(lines[i], "IpExt: ")
		if !ok {
			continue
		}
		values, ok := strings.CutPrefix(lines[i+1], "IpExt: ")
		if !ok {
			break
		}
		nf, vf := strings.Fields(names), strings.Fields(values)
		var found int
		for j := range min(len(nf), len(vf)) {
			switch nf[j] {
			case "InOctets":
				in, err = strconv.ParseUint(vf[j], 10, 64)
			case "OutOctets":
				out, err = strconv.ParseUint(vf[j], 10, 64)
			default:
				continue
			}
			if err != nil {
				return 0, 0, err
			}
			found++
		}
		if found == 2 {
			return in, out, nil
		}
		break
	}
	return 0, 0, errors.New("procstat: no IpExt octets in net/netstat")
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
