package b2core_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/kycemu/kycemu/emulator"
	"github.com/kycemu/kycemu/emulator/state"
	"github.com/kycemu/kycemu/internal/procstat"
)

// BenchmarkWizardStep measures one POST /my/verifications through the
// whole HTTP stack (routing, bearer check, request validation, handler,
// strict response validation, journal). The ladder has one level of 500
// identical steps whose applications are rejected at once, so a fresh
// wizard is started (outside the timer) every 500 steps.
func BenchmarkWizardStep(b *testing.B) {
	e := newEnv(b)
	steps := make([]any, 500)
	for i := range steps {
		steps[i] = map[string]any{"types": []int{2}}
	}
	e.must(e.control(http.MethodPut, "/providers/b2core/config", map[string]any{
		"levels": []any{map[string]any{"id": 1, "name": "Level 0"}, map[string]any{"id": 2, "name": "Level 1", "steps": steps}},
		"review": map[string]any{"decision": "reject", "delay": "0s"},
		"tokens": map[string]any{"accessTTL": "1000h", "refreshTTL": "1000h"},
	}), http.StatusOK, "configure")
	token, _ := e.client("bench@example.com")
	path := e.file(token)
	client := e.http
	url := e.api + "/my/verifications"

	var uuid string
	left := 0
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if left == 0 {
			b.StopTimer()
			uuid, left = e.wizard(token).UUID, len(steps)
			b.StartTimer()
		}
		body, _ := json.Marshal(map[string]any{"data": map[string]any{
			"documents": map[string]any{"type": 2, "files": []string{path}}, "uuid": uuid}})
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var w struct {
			Code int `json:"code"`
		}
		err = json.NewDecoder(resp.Body).Decode(&w)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d: %v", resp.StatusCode, err)
		}
		left--
		if (left == 0) != (w.Code == 202) {
			b.Fatalf("body code %d with %d steps left", w.Code, left)
		}
	}
}

// BenchmarkAnonymousWizard measures GET /my/signup/wizard (no credential)
// through the whole HTTP stack with a number of sign-up wizards already
// open and none used: the anonymous hot path that the issue measured. The
// per-tenant record bound is raised so that all the wizards stay live;
// "datadir" keeps them in a data directory (one commit per wizard). It
// reports the process's CPU time per request besides the wall time.
func BenchmarkAnonymousWizard(b *testing.B) {
	for _, bc := range []struct {
		name    string
		live    int
		durable bool
	}{{"live=0", 0, false}, {"live=20000", 20_000, false}, {"live=0-datadir", 0, true}} {
		b.Run(bc.name, func(b *testing.B) {
			opts := []emulator.Option{emulator.WithLimits(state.Limits{RecordsPerTenant: 1_000_000, Records: 1_000_000})}
			if bc.durable {
				opts = append(opts, emulator.WithDataDir(b.TempDir()))
			}
			e := newEnv(b, opts...)
			client := e.http
			url := e.api + "/my/signup/wizard"
			get := func() {
				resp, err := client.Get(url)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("status %d", resp.StatusCode)
				}
			}
			for range bc.live {
				get()
			}
			b.ReportAllocs()
			cpu := procstat.CPU(0)
			b.ResetTimer()
			for b.Loop() {
				get()
			}
			// Client and server share the process: CPU time per request is
			// the figure a busy machine does not distort.
			b.ReportMetric(float64(procstat.CPU(0)-cpu)/float64(b.N), "cpu-ns/op")
		})
	}
}
