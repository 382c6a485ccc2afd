package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestPprof: --pprof serves the profiler on its own address, and the
// emulator's own listener does not serve it.
func TestPprof(t *testing.T) {
	addr, prof := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	var logs bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"--addr", addr, "--pprof", prof, "--log-format", "json"}, &bytes.Buffer{}, &logs)
	}()
	defer func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("serve exited %d; logs: %s", code, logs.String())
			}
		case <-time.After(10 * time.Second):
			t.Error("serve did not stop")
		}
	}()
	get := func(url string) (int, string) {
		deadline := time.Now().Add(10 * time.Second)
		for {
			resp, err := http.Get(url)
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				return resp.StatusCode, string(b)
			}
			if time.Now().After(deadline) {
				t.Fatalf("GET %s: %v; logs: %s", url, err, logs.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	if code, body := get("http://" + prof + "/debug/pprof/"); code != 200 || !strings.Contains(body, "goroutine") {
		t.Fatalf("profiler index: %d %.200s", code, body)
	}
	if code, body := get("http://" + prof + "/debug/pprof/heap?debug=1"); code != 200 || !strings.Contains(body, "heap profile") {
		t.Fatalf("heap profile: %d %.200s", code, body)
	}
	if code, _ := get("http://" + addr + "/debug/pprof/"); code == 200 {
		t.Fatal("the emulator's own listener serves the profiler")
	}
}

// TestPprofListenFails: an address that cannot be listened on stops the
// start-up with exit 1 rather than running without the profiler.
func TestPprofListenFails(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var logs bytes.Buffer
	code := run(context.Background(), []string{"--addr", freeAddr(t), "--pprof", ln.Addr().String()}, &bytes.Buffer{}, &logs)
	if code != 1 || !strings.Contains(logs.String(), "profiler listen failed") {
		t.Fatalf("exit %d, logs: %s", code, logs.String())
	}
}
