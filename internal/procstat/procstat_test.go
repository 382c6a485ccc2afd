package procstat_test

import (
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/kycemu/kycemu/internal/procstat"
)

func TestReadsThisProcess(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	if rss := procstat.RSS(0); rss < 1 || rss != procstat.RSS(os.Getpid()) && rss <= 0 {
		t.Fatalf("RSS = %.1f MiB", rss)
	}
	if anon, rss := procstat.RSSAnon(0), procstat.RSS(0); anon <= 0 || anon > rss {
		t.Fatalf("anonymous RSS = %.1f MiB of %.1f MiB", anon, rss)
	}
	// Spin until the kernel has counted some CPU time for us: on a busy
	// machine that takes longer than the spinning itself, so only a
	// generous deadline (never reached when CPU is read right) bounds it.
	start := procstat.CPU(0)
	for deadline := time.Now().Add(30 * time.Second); procstat.CPU(0)-start < 20*time.Millisecond; {
		if time.Now().After(deadline) {
			t.Fatalf("30 s of spinning counted %s of CPU", procstat.CPU(0)-start)
		}
	}
	// OnCPU saw the spinning too, at its own finer grain.
	if on := procstat.OnCPU(0); on < 20*time.Millisecond || on != procstat.OnCPU(os.Getpid()) && on <= 0 {
		t.Fatalf("OnCPU = %s after spinning for 20 ms of CPU", on)
	}
	if procstat.RSS(1<<30) != 0 || procstat.CPU(1<<30) != 0 || procstat.OnCPU(1<<30) != 0 {
		t.Fatal("a process that does not exist reads as non-zero")
	}
}
