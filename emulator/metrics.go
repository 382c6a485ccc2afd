package emulator

import (
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/webhook"
)

// RecordCount is how many records of one kind a provider keeps now, and
// how many of that kind retention has evicted since the emulator started.
type RecordCount struct {
	Provider string
	Kind     string // e.g. "session"
	Stored   int
	Evicted  uint64
}

// metrics is one emulator's Prometheus registry (never the global one, so
// emulators in one process do not mix their figures).
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	attempts *prometheus.CounterVec
	finished *prometheus.CounterVec
}

func newMetrics(e *Emulator) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kycemu_requests_total",
			Help: "Provider API requests answered, by provider, operationId (unmatched for unknown routes) and HTTP status.",
		}, []string{"provider", "operation", "status"}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kycemu_webhook_attempts_total",
			Help: "Webhook delivery attempts, by provider and outcome (success, http_error, transport_error).",
		}, []string{"provider", "outcome"}),
		finished: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kycemu_webhook_deliveries_total",
			Help: "Webhook deliveries that ended, by provider and final status (delivered, failed, undeliverable, dropped, discarded).",
		}, []string{"provider", "status"}),
	}
	info := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "kycemu_build_info", Help: "Always 1; the version label names the build.",
		ConstLabels: prometheus.Labels{"version": Version()},
	})
	info.Set(1)
	m.reg.MustRegister(m.requests, m.attempts, m.finished, info,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "kycemu_webhook_pending", Help: "Webhook deliveries not yet finished (queued, delayed, in flight or waiting for a retry).",
		}, func() float64 { return float64(e.hooks.Pending()) }),
		recordCollector{e},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// request counts one answered provider request.
func (m *metrics) request(prov, op string, status int) {
	if op == "" {
		op = "unmatched"
	}
	m.requests.WithLabelValues(prov, op, strconv.Itoa(status)).Inc()
}

// attempt and finish are the webhook engine's observers.
func (m *metrics) attempt(prov string, a webhook.Attempt) {
	outcome := "success"
	switch {
	case a.StatusCode == 0:
		outcome = "transport_error"
	case a.StatusCode < 200 || a.StatusCode > 299:
		outcome = "http_error"
	}
	m.attempts.WithLabelValues(prov, outcome).Inc()
}

func (m *metrics) finish(prov, status string) { m.finished.WithLabelValues(prov, status).Inc() }

// recordCounts reports what the emulator stores: the configured source
// (the state layer) or, without one, the sessions each provider lists.
func (e *Emulator) recordCounts() []RecordCount {
	if e.cfg.recordCounts != nil {
		return e.cfg.recordCounts()
	}
	var out []RecordCount
	for _, m := range e.mounts {
		if s, ok := m.p.(provider.Sessions); ok {
			out = append(out, RecordCount{Provider: m.p.Name(), Kind: "session", Stored: len(s.Sessions(""))})
		}
	}
	return out
}

var (
	recordsDesc = prometheus.NewDesc("kycemu_records",
		"Records stored now, by provider and kind.", []string{"provider", "kind"}, nil)
	evictionsDesc = prometheus.NewDesc("kycemu_evictions_total",
		"Records evicted by retention since start, by provider and kind.", []string{"provider", "kind"}, nil)
)

// recordCollector reads the record counts at each scrape.
type recordCollector struct{ e *Emulator }

func (c recordCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- recordsDesc
	ch <- evictionsDesc
}

func (c recordCollector) Collect(ch chan<- prometheus.Metric) {
	for _, rc := range c.e.recordCounts() {
		ch <- prometheus.MustNewConstMetric(recordsDesc, prometheus.GaugeValue, float64(rc.Stored), rc.Provider, rc.Kind)
		ch <- prometheus.MustNewConstMetric(evictionsDesc, prometheus.CounterValue, float64(rc.Evicted), rc.Provider, rc.Kind)
	}
}

// metricsRoutes serves GET /_emulator/metrics in the Prometheus text
// format (or OpenMetrics, when the scraper asks for it).
func (e *Emulator) metricsRoutes(c prefixed) {
	h := promhttp.HandlerFor(e.metrics.reg, promhttp.HandlerOpts{EnableOpenMetrics: true})
	c.HandleFunc("/metrics", h.ServeHTTP).Methods(http.MethodGet, http.MethodHead)
}
