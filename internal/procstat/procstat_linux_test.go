package procstat_test

import (
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/kycemu/kycemu/internal/procstat"
)

func TestReadsThisProcessInDetail(t *testing.T) {
	st, err := procstat.ReadStat(0)
	if err != nil {
		t.Fatal(err)
	}
	if st.VirtualBytes == 0 || st.ResidentPages == 0 || st.StartTicks == 0 {
		t.Fatalf("stat %+v", st)
	}
	boot, err := procstat.BootTime()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Unix(int64(boot+st.StartTicks/procstat.TicksPerSecond), 0)
	if age := time.Since(start); age < 0 || age > time.Hour {
		t.Fatalf("started %s ago", age)
	}
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		t.Fatal(err)
	}
	if n, err := procstat.SoftLimit(0, "Max open files"); err != nil || n != rl.Cur {
		t.Fatalf("open files limit %d, %v; getrlimit says %d", n, err, rl.Cur)
	}
	before, err := procstat.OpenFDs(0)
	if err != nil || before < 3 {
		t.Fatalf("%d open descriptors, %v", before, err)
	}
	f, err := os.Open(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	after, _ := procstat.OpenFDs(0)
	f.Close()
	if after != before+1 {
		t.Fatalf("%d descriptors before opening a file, %d after", before, after)
	}
	if _, _, err := procstat.NetBytes(0); err != nil {
		t.Fatal(err)
	}
	if _, err := procstat.ReadStat(1 << 30); err == nil {
		t.Fatal("a process that does not exist has a stat")
	}
}
