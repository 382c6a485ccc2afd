package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kycemu/kycemu/testkit"
)

// startProxyCmd runs `kycemu proxy args...` until the test ends and waits
// until it answers.
func startProxyCmd(t *testing.T, args ...string) string {
	t.Helper()
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	var logs bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, append([]string{"proxy", "--addr", addr}, args...), io.Discard, &logs) }()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("proxy exited %d; logs:\n%s", code, logs.String())
			}
		case <-time.After(15 * time.Second):
			t.Error("proxy did not stop")
		}
	})
	base := "http://" + addr
	for deadline := time.Now().Add(10 * time.Second); ; {
		if resp, err := http.Get(base + "/_proxy/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("proxy never answered; logs:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func send(t *testing.T, method, url, key, body string) int {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("x-api-key", key)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// A session recorded through `kycemu proxy` against a kycemu upstream: no
// drift (exit 0, text and JSON), and a replay in the same shape.
func TestProxyRecordsAndDriftReportsClean(t *testing.T) {
	up := testkit.Start(t, testkit.WithManualClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)), testkit.WithSeed(1))
	dir := t.TempDir()
	t.Setenv("KYCEMU_RECORD", dir)
	proxy := startProxyCmd(t, "--provider", "notus", "--upstream", up.URL+"/notus", "--log-format", "json")
	api := proxy + "/notus/api/v1/kyc/individual-verification-sessions/standard"
	if st := send(t, http.MethodPost, api, "cli-key", `{"firstName":"Ana","lastName":"Souza","birthDate":"15/03/1990",
		"documentCategory":"PASSPORT","documentCountry":"BRAZIL","documentId":"12345678909"}`); st != http.StatusCreated {
		t.Fatalf("create through the proxy: %d", st)
	}
	if st := send(t, http.MethodGet, api+"/6f1c2b7e-8a34-4c1d-9e2f-0a1b2c3d4e5f", "cli-key", ""); st != http.StatusNotFound {
		t.Fatalf("unknown session through the proxy: %d", st)
	}

	code, out, errs := runCmd(t, "drift", dir)
	if code != 0 || !strings.Contains(out, "2 exchanges (2 api): no drift") {
		t.Fatalf("drift: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = runCmd(t, "drift", dir, "--replay")
	if code != 0 || !strings.Contains(out, "replayed 2 of 2 exchanges against an in-process kycemu (seed 1, manual clock): no shape difference") {
		t.Fatalf("drift --replay: exit %d\n%s%s", code, out, errs)
	}
	code, out, _ = runCmd(t, "drift", "--format", "json", dir)
	var rep struct {
		Drift     bool
		Exchanges int
		Groups    []struct{ Operation string }
	}
	if err := json.Unmarshal([]byte(out), &rep); code != 0 || err != nil || rep.Drift || rep.Exchanges != 2 || len(rep.Groups) != 2 {
		t.Fatalf("drift --format json: exit %d, %v\n%s", code, err, out)
	}
}

// An upstream that answers in a shape the spec does not know makes
// `kycemu drift` exit 1 naming the finding.
func TestDriftExitsOneOnDrift(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTeapot)
		_, _ = io.WriteString(w, `{"fault":{"reason":"brewing"}}`)
	}))
	t.Cleanup(up.Close)
	dir := t.TempDir()
	proxy := startProxyCmd(t, "--upstream", "kulipa="+up.URL, "--record", dir)
	if st := send(t, http.MethodGet, proxy+"/kulipa/v1/users/usr_1", "k", ""); st != http.StatusTeapot {
		t.Fatalf("the proxy changed the answer: %d", st)
	}
	code, out, _ := runCmd(t, "drift", dir)
	if code != 1 || !strings.Contains(out, "kulipa getUser 418") || !strings.Contains(out, "undocumented-status") ||
		!strings.Contains(out, "error-envelope") || !strings.Contains(out, "real: {fault{reason}}") {
		t.Fatalf("drift: exit %d\n%s", code, out)
	}
	code, out, _ = runCmd(t, "drift", "--format=json", dir)
	if code != 1 || !strings.Contains(out, `"drift": true`) {
		t.Fatalf("drift --format=json: exit %d\n%s", code, out)
	}
}

func TestProxyAndDriftUsage(t *testing.T) {
	cases := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"proxy without upstream", []string{"proxy"}, "--upstream is required"},
		{"upstream without a provider", []string{"proxy", "--upstream", "https://api.notus.team"}, "needs --provider"},
		{"unknown provider", []string{"proxy", "--upstream", "acme=https://acme.test"}, `unknown provider "acme"`},
		{"relative upstream", []string{"proxy", "--provider", "gu1", "--upstream", "api.gu1.ai"}, "absolute http or https URL"},
		{"secret without name", []string{"proxy", "--upstream", "gu1=https://api.gu1.ai", "--webhook-secret", "whsec_x"}, "NAME=SECRET"},
		{"secret for no upstream", []string{"proxy", "--upstream", "gu1=https://api.gu1.ai", "--webhook-secret", "notus=x"}, "has no upstream"},
		{"drift without dir", []string{"drift"}, "usage: kycemu drift"},
		{"drift of nothing", []string{"drift", t.TempDir()}, "no exchange files"},
		{"drift bad format", []string{"drift", "--format", "xml", t.TempDir()}, "--format must be text or json"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := runCmd(t, tc.args...)
			if code != 2 || !strings.Contains(errs, tc.stderr) {
				t.Fatalf("exit %d, stderr: %s", code, errs)
			}
		})
	}
}
