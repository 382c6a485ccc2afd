package main

import (
	"bytes"
	"context"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"
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
