package main

import (
	"bytes"
	"context"
	"flag"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/kycemu/kycemu/fixtures"
)

func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestCommands(t *testing.T) {
	cases := []struct {
		name   string
		args   []string
		env    map[string]string
		code   int
		stdout string
		stderr string
	}{
		{"version", []string{"version"}, nil, 0, "kycemu ", ""},
		{"help", []string{"help"}, nil, 0, "usage:", ""},
		{"--help lists the commands", []string{"--help"}, nil, 0, "fixtures DIR", ""},
		{"--help lists the serve flags", []string{"--help"}, nil, 0, "-strict-responses", ""},
		{"serve -h", []string{"serve", "-h"}, nil, 0, "validate FILE|DIR...", ""},
		{"serve takes no arguments", []string{"serve", "now"}, nil, 2, "", "serve takes no arguments"},
		{"fixtures without a directory", []string{"fixtures"}, nil, 2, "", "usage: kycemu fixtures DIR"},
		{"health of a bad target", []string{"health", "ftp://x"}, nil, 2, "", "is not host:port, :port or an http(s) URL"},
		{"health with two targets", []string{"health", ":1", ":2"}, nil, 2, "", "usage: kycemu health"},
		{"unknown command", []string{"frobnicate"}, nil, 2, "", `unknown command "frobnicate"`},
		{"bad clock flag", []string{"serve", "--clock", "sundial"}, nil, 2, "", "--clock must be real or manual"},
		{"bad clock from env", []string{"serve"}, map[string]string{"KYCEMU_CLOCK": "sundial"}, 2, "", "--clock must be real or manual"},
		{"bad env value type", []string{}, map[string]string{"KYCEMU_SEED": "many"}, 2, "", "KYCEMU_SEED"},
		{"bad log format", []string{"--log-format", "xml"}, nil, 2, "", "--log-format"},
		{"bad clock start", []string{"--clock", "manual", "--clock-start", "yesterday"}, nil, 2, "", "--clock-start"},
		{"unknown flag", []string{"serve", "--colour"}, nil, 2, "", "flag provided but not defined"},
		{"health of nothing", []string{"health", "http://127.0.0.1:1"}, nil, 1, "", "kycemu health:"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			code, out, errs := runCmd(t, tc.args...)
			if code != tc.code || !strings.Contains(out, tc.stdout) || !strings.Contains(errs, tc.stderr) {
				t.Fatalf("exit %d (want %d)\nstdout: %s\nstderr: %s", code, tc.code, out, errs)
			}
		})
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestServeHealthAndShutdown starts the server with env twins, checks it
// with `kycemu health`, then stops it as SIGTERM would.
func TestServeHealthAndShutdown(t *testing.T) {
	addr := freeAddr(t)
	t.Setenv("KYCEMU_ADDR", addr)
	t.Setenv("KYCEMU_CLOCK", "manual")
	t.Setenv("KYCEMU_LOG_FORMAT", "json")
	ctx, cancel := context.WithCancel(context.Background())
	var logs bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"--seed", "9"}, &bytes.Buffer{}, &logs) }()

	deadline := time.Now().Add(10 * time.Second)
	var out string
	for {
		code, o, _ := runCmd(t, "health")
		if code == 0 {
			out = o
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never healthy; logs: %s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, want := range []string{`"status":"ok"`, `"mode":"manual"`, `"seed":9`} {
		if !strings.Contains(out, want) {
			t.Errorf("health output lacks %s: %s", want, out)
		}
	}
	// Without --clock-start a manual clock starts at the wall-clock time
	// (so wall-clock webhook verifiers accept what it signs).
	m := regexp.MustCompile(`"now":"([^"]+)"`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("health output has no clock time: %s", out)
	}
	if now, err := time.Parse(time.RFC3339Nano, m[1]); err != nil || time.Since(now).Abs() > time.Minute {
		t.Errorf("manual clock starts at %s, not at the wall-clock time", m[1])
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exited %d", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
	if !strings.Contains(logs.String(), `"msg":"shutting down"`) {
		t.Fatalf("logs: %s", logs.String())
	}
}

func TestHealthURL(t *testing.T) {
	for in, want := range map[string]string{
		"":                             "http://127.0.0.1:8080/_emulator/health",
		":9090":                        "http://127.0.0.1:9090/_emulator/health",
		"localhost:8080":               "http://localhost:8080/_emulator/health",
		"kycemu:8080":                  "http://kycemu:8080/_emulator/health",
		"http://127.0.0.1:8080":        "http://127.0.0.1:8080/_emulator/health",
		"http://127.0.0.1:8080/":       "http://127.0.0.1:8080/_emulator/health",
		"https://kyc.example/emu":      "https://kyc.example/emu/_emulator/health",
		"http://h:1/_emulator/health":  "http://h:1/_emulator/health",
		"http://h:1/_emulator/health/": "http://h:1/_emulator/health",
		"[::1]:8080":                   "http://[::1]:8080/_emulator/health",
	} {
		got, err := healthURL(in)
		if err != nil || got != want {
			t.Errorf("healthURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"ftp://h:1", "http://", "::nope::"} {
		if got, err := healthURL(bad); err == nil {
			t.Errorf("healthURL(%q) = %q; want an error", bad, got)
		}
	}
}

// TestHealthForms checks a running server through every form of target,
// and --wait against a server that starts late.
func TestHealthForms(t *testing.T) {
	addr := freeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	// --wait is started before the server exists.
	waited := make(chan int, 1)
	go func() {
		code, _, _ := runCmd(t, "health", "--wait", "20s", "localhost:"+port)
		waited <- code
	}()
	time.Sleep(300 * time.Millisecond)
	go func() {
		done <- run(ctx, []string{"--addr", addr, "--log-level", "error"}, &bytes.Buffer{}, &bytes.Buffer{})
	}()
	if code := <-waited; code != 0 {
		t.Fatalf("health --wait exited %d", code)
	}
	for _, target := range []string{":" + port, "localhost:" + port, "127.0.0.1:" + port, "http://127.0.0.1:" + port, "http://localhost:" + port + "/_emulator/health"} {
		if code, out, errs := runCmd(t, "health", target); code != 0 || !strings.Contains(out, `"status":"ok"`) {
			t.Errorf("health %s: exit %d\n%s%s", target, code, out, errs)
		}
	}
	if code, _, errs := runCmd(t, "health", "--wait", "200ms", "127.0.0.1:1"); code != 1 || !strings.Contains(errs, "kycemu health:") {
		t.Errorf("health --wait of nothing: exit %d, %s", code, errs)
	}
	cancel()
	<-done
}

func TestFixturesCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "docs")
	code, out, errs := runCmd(t, "fixtures", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(fixtures.All()) || lines[0] != filepath.Join(dir, "passport.jpg") {
		t.Fatalf("printed:\n%s", out)
	}
	b, err := os.ReadFile(filepath.Join(dir, "proof-of-address.pdf"))
	if err != nil || !bytes.Equal(b, fixtures.ProofOfAddress()) {
		t.Fatalf("proof-of-address.pdf: %v", err)
	}
	if code, _, errs := runCmd(t, "fixtures", filepath.Join(dir, "passport.jpg")); code != 1 || !strings.Contains(errs, "kycemu fixtures:") {
		t.Fatalf("fixtures into a file: exit %d, %s", code, errs)
	}
}

// TestReadmeFlagsTable: the README's flags table lists exactly the serve
// flags, each with its environment twin and default.
func TestReadmeFlagsTable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `--([a-z-]+)` \\| `([A-Z_]+)` \\| ([^|]+) \\|")
	documented := map[string][2]string{}
	for _, m := range row.FindAllStringSubmatch(string(readme), -1) {
		documented[m[1]] = [2]string{m[2], strings.TrimSpace(m[3])}
	}
	var cfg serveConfig
	fs := serveFlags(&cfg, &bytes.Buffer{})
	fs.VisitAll(func(f *flag.Flag) {
		d, ok := documented[f.Name]
		if !ok {
			t.Errorf("--%s is missing from the README's flags table", f.Name)
			return
		}
		delete(documented, f.Name)
		if env := "KYCEMU_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_")); d[0] != env {
			t.Errorf("--%s: the README names its twin %s, not %s", f.Name, d[0], env)
		}
		var def any
		if g, ok := f.Value.(flag.Getter); ok {
			def = g.Get()
		}
		if want, ok := def.(time.Duration); ok {
			if got, err := time.ParseDuration(strings.Trim(d[1], "`")); err != nil || got != want {
				t.Errorf("--%s: the README gives the default %q; the flag's is %s", f.Name, d[1], f.DefValue)
			}
		} else if f.DefValue != "" && f.DefValue != "0" && !strings.Contains(d[1], f.DefValue) {
			t.Errorf("--%s: the README gives the default %q; the flag's is %q", f.Name, d[1], f.DefValue)
		}
	})
	for name := range documented {
		t.Errorf("the README's flags table lists --%s, which serve does not have", name)
	}
}

func TestStartupGCRestoresTheCollector(t *testing.T) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		t.Skip("GOGC or GOMEMLIMIT is set: startupGC leaves the collector alone")
	}
	percent := debug.SetGCPercent(150)
	defer debug.SetGCPercent(percent)
	limit := debug.SetMemoryLimit(1 << 40)
	defer debug.SetMemoryLimit(limit)

	restore := startupGC(true)
	if p := debug.SetGCPercent(-1); p != -1 {
		t.Errorf("during start-up GOGC is %d, want off", p)
	}
	if l := debug.SetMemoryLimit(-1); l != startupHeapLimit {
		t.Errorf("during start-up the memory limit is %d, want %d", l, startupHeapLimit)
	}
	restore()
	if p := debug.SetGCPercent(150); p != 150 {
		t.Errorf("after start-up GOGC is %d, want 150 back", p)
	}
	if l := debug.SetMemoryLimit(-1); l != 1<<40 {
		t.Errorf("after start-up the memory limit is %d, want it back", l)
	}

	startupGC(false)() // with a data directory: nothing changes
	if p := debug.SetGCPercent(150); p != 150 {
		t.Errorf("a start with a data directory changed GOGC to %d", p)
	}
}
