package emulator_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkGetSessionFaults measures a Notus poll through the whole stack
// (routing, validation, faults, handler, journal) for a session without a
// scenario and for one whose scenario has faults that do not fire.
func BenchmarkGetSessionFaults(b *testing.B) {
	for _, sc := range []string{"", "quiet"} {
		name := "no scenario"
		if sc != "" {
			name = "scenario with faults"
		}
		b.Run(name, func(b *testing.B) {
			h := newHarness(b)
			emu := h.emu
			if _, err := emu.Scenarios().Put("b", []byte(`
name: quiet
provider: notus
faults:
  - operation: getStandardIndividualSession
    every: 1000000000
    respond: {status: 503}
  - rate_limit: {requests: 1000000000, per: 1h}
`), "", ""); err != nil {
				b.Fatal(err)
			}
			c := h.notusCreate("k", sc, notusPerson())
			req, _ := http.NewRequest("GET", notusAPI+"/"+c.Session.ID, nil)
			req.Header.Set("x-api-key", "k")
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				emu.ServeHTTP(rec, req)
				if rec.Code != 200 {
					b.Fatalf("status %d", rec.Code)
				}
			}
		})
	}
}
