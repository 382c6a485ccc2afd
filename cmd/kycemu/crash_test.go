package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as the kycemu process the crash test kills: with
// KYCEMU_TEST_SERVE set it runs `kycemu serve` with the arguments in it.
func TestMain(m *testing.M) {
	if args := os.Getenv("KYCEMU_TEST_SERVE"); args != "" {
		var argv []string
		_ = json.Unmarshal([]byte(args), &argv)
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
		code := run(ctx, argv, os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// server is a kycemu child process.
type server struct {
	cmd  *exec.Cmd
	base string
	logs *bytes.Buffer
}

func startServer(t *testing.T, args ...string) *server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	argv, _ := json.Marshal(append([]string{"serve", "--addr", addr, "--log-level", "warn"}, args...))
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "KYCEMU_TEST_SERVE="+string(argv))
	logs := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, base: "http://" + addr, logs: logs}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(s.base + "/_emulator/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return s
			}
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("kycemu did not become healthy: %v\n%s", err, logs)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (s *server) kill(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = s.cmd.Wait()
}

func (s *server) stop(t *testing.T) {
	t.Helper()
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	if err := s.cmd.Wait(); err != nil {
		t.Errorf("kycemu did not stop cleanly: %v\n%s", err, s.logs)
	}
}

var client = &http.Client{Timeout: 5 * time.Second}

func call(base, method, path, tenant string, body any) (int, map[string]any, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if tenant != "" {
		req.Header.Set("Authorization", "Bearer gk_crash_"+tenant)
		req.Header.Set("X-Organization-ID", "org-"+tenant)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out, nil
}

// acked is a write kycemu answered 2xx before it was killed.
type acked struct {
	tenant, entity, validation string
	cancelled                  bool
}

// TestKill9LosesNoAcknowledgedWrite kills kycemu with SIGKILL in the middle
// of concurrent traffic and checks, after a restart on the same data
// directory, that every write it had answered 2xx is there.
func TestKill9LosesNoAcknowledgedWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("starts kycemu processes")
	}
	dir := t.TempDir()
	srv := startServer(t, "--data-dir", dir, "--clock", "manual", "--seed", "3")
	var mu sync.Mutex
	var done []acked
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tenant := fmt.Sprintf("w%d", w)
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				st, ent, err := call(srv.base, "POST", "/gu1/entities", tenant,
					map[string]any{"type": "person", "name": "Crash Test", "countryCode": "BR", "externalId": fmt.Sprintf("x-%d", i)})
				if err != nil || st != 201 {
					return // killed
				}
				a := acked{tenant: tenant, entity: ent["entity"].(map[string]any)["id"].(string)}
				st, v, err := call(srv.base, "POST", "/gu1/api/kyc/validations", tenant, map[string]any{"entityId": a.entity})
				if err == nil && st == 201 {
					a.validation = v["id"].(string)
					st, _, err = call(srv.base, "DELETE", "/gu1/api/kyc/validations/"+a.validation+"/cancel", tenant, map[string]any{"reason": "crash test"})
					a.cancelled = err == nil && st == 200
				}
				mu.Lock()
				done = append(done, a)
				mu.Unlock()
			}
		}()
	}
	// Let the traffic run, then kill kycemu without warning.
	for {
		mu.Lock()
		n := len(done)
		mu.Unlock()
		if n >= 150 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	srv.kill(t)
	close(stop)
	wg.Wait()

	srv = startServer(t, "--data-dir", dir, "--clock", "manual")
	defer srv.stop(t)
	var lost []string
	for _, a := range done {
		if st, _, _ := call(srv.base, "GET", "/gu1/entities/"+a.entity, a.tenant, nil); st != 200 {
			lost = append(lost, "entity "+a.entity)
		}
		if a.validation == "" {
			continue
		}
		st, v, _ := call(srv.base, "GET", "/gu1/api/kyc/validations/"+a.validation, a.tenant, nil)
		switch {
		case st != 200:
			lost = append(lost, "validation "+a.validation)
		case a.cancelled && v["status"] != "cancelled":
			lost = append(lost, fmt.Sprintf("cancel of %s (status %v)", a.validation, v["status"]))
		}
	}
	if len(lost) > 0 {
		t.Fatalf("%d of %d acknowledged writes lost after kill -9, e.g. %v", len(lost), len(done), lost[:min(5, len(lost))])
	}
	t.Logf("%d acknowledged entity+validation+cancel sequences all survived kill -9", len(done))
}
