package emulator_test

import (
	"io"
	"net/http"
	"strconv"
	"testing"
)

// BenchmarkScrape measures one scrape of /_emulator/metrics with 1000
// stored sessions (it lists them to count them by kind).
func BenchmarkScrape(b *testing.B) {
	h := newHarness(b)
	for i := range 1000 {
		h.notusCreate("bench-"+strconv.Itoa(i%10), "", notusPerson())
	}
	b.ReportAllocs()
	for b.Loop() {
		resp, err := http.Get(h.srv.URL + "/_emulator/metrics")
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}
