package emulator_test

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/kycemu/kycemu/emulator"
	"github.com/kycemu/kycemu/emulator/clock"
	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/internal/procstat"
)

// BenchmarkConsole renders console pages of an emulator holding 10,000
// gu1 validations (of 50 tenants; half approved, the rest in review), with
// the request journal and the webhook journal full. Each sub-benchmark is
// one page; ns/op is the time to answer it.
func BenchmarkConsole(b *testing.B) {
	c := clock.NewManual(t0)
	emu, err := emulator.New(emulator.WithClock(c), emulator.WithSeed(1))
	if err != nil {
		b.Fatal(err)
	}
	defer emu.Close()
	var ids []string
	for i := range 10_000 {
		ids = append(ids, gu1Flow(b, emu, i))
	}
	_, _ = c.Advance(5 * time.Second)
	for i, id := range ids {
		if i%2 == 0 {
			if _, err := emu.State().Act(id, provider.Action{Name: "approve"}); err != nil {
				b.Fatal(err)
			}
		}
	}
	if st, _ := emu.State().Session(ids[0]); st.Status != "approved" {
		b.Fatalf("first session is %s", st.Status)
	}
	pages := []struct{ name, path string }{
		{"overview", "/_emulator/ui/"},
		{"tenants", "/_emulator/ui/tenants"},
		{"sessions", "/_emulator/ui/sessions"},
		{"sessions-last-page", "/_emulator/ui/sessions?after=19900"},
		{"sessions-filtered", "/_emulator/ui/sessions?provider=gu1&tenant=gk_bench_7:org-7&status=approved"},
		{"session", "/_emulator/ui/sessions/" + ids[5000]},
		{"requests", "/_emulator/ui/requests"},
		{"requests-of-session", "/_emulator/ui/requests?session=" + ids[9999]},
		{"request", "/_emulator/ui/requests/20000"},
		{"webhooks", "/_emulator/ui/webhooks"},
		{"scenarios", "/_emulator/ui/scenarios"},
	}
	for _, p := range pages {
		b.Run(p.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := procstat.CPU(0)
			for b.Loop() {
				w := httptest.NewRecorder()
				emu.ServeHTTP(w, httptest.NewRequest("GET", p.path, nil))
				if w.Code != 200 {
					b.Fatalf("%s: %d %s", p.path, w.Code, w.Body.String()[:min(w.Body.Len(), 300)])
				}
			}
			// On a shared machine wall time (ns/op) includes waiting for a
			// core; the process's CPU time per page is the steadier figure.
			b.ReportMetric(float64((procstat.CPU(0)-cpu0).Microseconds())/1000/float64(b.N), "cpu-ms/op")
		})
	}
}
