package emulator

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
)

// BenchmarkCountRequestParallel counts requests of a few series from every
// core at once, as concurrent API requests do.
func BenchmarkCountRequestParallel(b *testing.B) {
	e, err := New()
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	ops := []string{"getStandardIndividualSession", "createStandardIndividualSession", "processSession", ""}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			e.metrics.request("notus", ops[i%len(ops)], 200)
			i++
		}
	})
}

// BenchmarkScrape serves one GET /_emulator/metrics with 60 request series,
// the state figures and the Go and process metrics.
func BenchmarkScrape(b *testing.B) {
	for _, accept := range []string{"", "application/openmetrics-text; version=1.0.0"} {
		name := "text"
		if accept != "" {
			name = "openmetrics"
		}
		b.Run(name, func(b *testing.B) {
			e, err := New()
			if err != nil {
				b.Fatal(err)
			}
			defer e.Close()
			for op := range 20 {
				for _, status := range []int{200, 400, 404} {
					e.metrics.request("notus", "op"+strconv.Itoa(op), status)
				}
			}
			req := httptest.NewRequest(http.MethodGet, "/_emulator/metrics", nil)
			if accept != "" {
				req.Header.Set("Accept", accept)
			}
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				e.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("metrics answered %d", w.Code)
				}
			}
		})
	}
}
