package procstat

import (
	"strings"
	"testing"
)

func TestParseStat(t *testing.T) {
	// A command name with spaces and parentheses of its own.
	line := "4242 (my (odd) cmd) S 1 4242 4242 0 -1 4194560 900 0 0 0 150 37 0 0 20 0 9 0 123456 1311256576 6713 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n"
	st, err := parseStat([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	want := Stat{UserTicks: 150, SystemTicks: 37, StartTicks: 123456, VirtualBytes: 1311256576, ResidentPages: 6713}
	if st != want {
		t.Fatalf("parsed %+v; want %+v", st, want)
	}
	if st.CPU().Milliseconds() != 1870 {
		t.Fatalf("CPU = %s", st.CPU())
	}
	for _, bad := range []string{"", "4242 no parentheses", "4242 (cmd) S 1 2 3", strings.Replace(line, " 150 ", " x ", 1)} {
		if _, err := parseStat([]byte(bad)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestParseLimit(t *testing.T) {
	limits := `Limit                     Soft Limit           Hard Limit           Units
Max open files            1024                 524288               files
Max address space         unlimited            unlimited            bytes
Max open filesystems      7                    7
`
	for name, want := range map[string]uint64{"Max open files": 1024, "Max address space": Unlimited} {
		if got, err := parseLimit(limits, name); err != nil || got != want {
			t.Errorf("%s = %d, %v; want %d", name, got, err, want)
		}
	}
	if _, err := parseLimit(limits, "Max locked memory"); err == nil {
		t.Error("a limit the file does not list parsed")
	}
}

func TestParseNetstat(t *testing.T) {
	netstat := `TcpExt: SyncookiesSent InOctets
TcpExt: 7 8
IpExt: InNoRoutes InTruncatedPkts InMcastPkts OutMcastPkts InBcastPkts OutBcastPkts InOctets OutOctets InMcastOctets
IpExt: 0 0 0 2 0 0 1237403226 1071001100 0
`
	in, out, err := parseNetstat(netstat)
	if err != nil || in != 1237403226 || out != 1071001100 {
		t.Fatalf("in %d, out %d, %v", in, out, err)
	}
	if _, _, err := parseNetstat("TcpExt: InOctets\nTcpExt: 7\n"); err == nil {
		t.Error("netstat without IpExt parsed")
	}
}
