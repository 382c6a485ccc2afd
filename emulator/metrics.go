package emulator

import (
	"maps"
	"net/http"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kycemu/kycemu/emulator/webhook"
)

// metrics is one emulator's Prometheus registry (never the global one, so
// emulators in one process do not mix their figures).
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	attempts *prometheus.CounterVec
	finished *prometheus.CounterVec
	// counters caches the requests series by requestKey, so counting a
	// request is one map read rather than hashing three label values
	// (and formatting the status) under the vector's lock.
	counters sync.Map
}

type requestKey struct {
	prov, op string
	status   int
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
		stateCollector{e},
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
	k := requestKey{prov, op, status}
	c, ok := m.counters.Load(k)
	if !ok {
		c, _ = m.counters.LoadOrStore(k, m.requests.WithLabelValues(prov, op, strconv.Itoa(status)))
	}
	c.(prometheus.Counter).Inc()
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

var (
	sessionsDesc = prometheus.NewDesc("kycemu_sessions",
		"Sessions stored now, by provider and kind.", []string{"provider", "kind"}, nil)
	recordsDesc = prometheus.NewDesc("kycemu_state_records",
		"Records the state layer keeps now (sessions and everything else: accounts, tokens, files, ...).", nil, nil)
	tenantsDesc = prometheus.NewDesc("kycemu_state_tenants",
		"Tenants the state layer keeps now.", nil, nil)
	blobBytesDesc = prometheus.NewDesc("kycemu_state_blob_bytes",
		"Bytes of uploads the state layer keeps now.", nil, nil)
	evictionsDesc = prometheus.NewDesc("kycemu_evictions_total",
		"Records evicted to keep a bound, by reason (retention, records, tenant_records, tenants).", []string{"reason"}, nil)
	blobEvictionsDesc = prometheus.NewDesc("kycemu_blob_evictions_total",
		"Uploads dropped to keep a byte bound.", nil, nil)
	commitErrorsDesc = prometheus.NewDesc("kycemu_state_commit_errors_total",
		"Write batches the storage backend refused.", nil, nil)
)

// stateCollector reads the stored sessions and the state layer's counters
// at each scrape.
type stateCollector struct{ e *Emulator }

func (c stateCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{sessionsDesc, recordsDesc, tenantsDesc, blobBytesDesc, evictionsDesc, blobEvictionsDesc, commitErrorsDesc} {
		ch <- d
	}
}

func (c stateCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.e.store.Stats()
	for _, k := range st.Kinds {
		if k.Session && k.Records > 0 { // a kind without sessions has no series, as before
			ch <- prometheus.MustNewConstMetric(sessionsDesc, prometheus.GaugeValue, float64(k.Records), k.Provider, k.Kind)
		}
	}
	ch <- prometheus.MustNewConstMetric(recordsDesc, prometheus.GaugeValue, float64(st.Records))
	ch <- prometheus.MustNewConstMetric(tenantsDesc, prometheus.GaugeValue, float64(st.Tenants))
	ch <- prometheus.MustNewConstMetric(blobBytesDesc, prometheus.GaugeValue, float64(st.BlobBytes))
	evicted := map[string]int64{"retention": 0, "records": 0, "tenant_records": 0, "tenants": 0} // each from zero
	maps.Copy(evicted, st.Evicted)
	for reason, n := range evicted {
		ch <- prometheus.MustNewConstMetric(evictionsDesc, prometheus.CounterValue, float64(n), reason)
	}
	ch <- prometheus.MustNewConstMetric(blobEvictionsDesc, prometheus.CounterValue, float64(st.BlobsEvicted))
	ch <- prometheus.MustNewConstMetric(commitErrorsDesc, prometheus.CounterValue, float64(st.CommitErrors))
}

// metricsRoutes serves GET /_emulator/metrics in the Prometheus text
// format (or OpenMetrics, when the scraper asks for it).
func (e *Emulator) metricsRoutes(c prefixed) {
	h := promhttp.HandlerFor(e.metrics.reg, promhttp.HandlerOpts{EnableOpenMetrics: true})
	c.HandleFunc("/metrics", h.ServeHTTP, http.MethodGet)
}
