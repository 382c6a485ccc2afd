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
	start := procstat.CPU(0)
	for deadline := time.Now().Add(100 * time.Millisecond); time.Now().Before(deadline); {
	}
	if used := procstat.CPU(0) - start; used < 20*time.Millisecond {
		t.Fatalf("100 ms of spinning counted %s of CPU", used)
	}
	if procstat.RSS(1<<30) != 0 || procstat.CPU(1<<30) != 0 {
		t.Fatal("a process that does not exist reads as non-zero")
	}
}
