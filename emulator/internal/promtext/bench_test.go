package promtext_test

import (
	"strconv"
	"testing"

	"github.com/kycemu/kycemu/emulator/internal/promtext"
)

// BenchmarkInc counts on a kept series from every core.
func BenchmarkInc(b *testing.B) {
	c := promtext.NewRegistry().CounterVec(promtext.NewDesc("x_total", "", promtext.TypeCounter, "a", "b")).With("1", "2")
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c.Inc()
		}
	})
}

// BenchmarkWith looks a series up by its label values, as the webhook
// observers do.
func BenchmarkWith(b *testing.B) {
	v := promtext.NewRegistry().CounterVec(promtext.NewDesc("x_total", "", promtext.TypeCounter, "provider", "outcome"))
	b.ReportAllocs()
	for b.Loop() {
		v.With("notus", "success").Inc()
	}
}

// BenchmarkAppend writes 60 counter series and the Go figures (the
// process figures are left out: they measure the kernel's /proc).
func BenchmarkAppend(b *testing.B) {
	r := promtext.NewRegistry()
	v := r.CounterVec(promtext.NewDesc("kycemu_requests_total", "Requests.", promtext.TypeCounter, "provider", "operation", "status"))
	for op := range 20 {
		for _, status := range []string{"200", "400", "404"} {
			v.With("notus", "op"+strconv.Itoa(op), status).Inc()
		}
	}
	r.Register(promtext.GoRuntime())
	for _, f := range []promtext.Format{promtext.FormatText, promtext.FormatOpenMetrics} {
		b.Run(map[promtext.Format]string{promtext.FormatText: "text", promtext.FormatOpenMetrics: "openmetrics"}[f], func(b *testing.B) {
			b.ReportAllocs()
			var buf []byte
			for b.Loop() {
				var err error
				if buf, err = r.Append(buf[:0], f); err != nil {
					b.Fatal(err)
				}
			}
			b.SetBytes(int64(len(buf)))
		})
	}
}
