package emulator

import (
	"maps"
	"net/http"
	"strconv"
	"sync"

	"github.com/kycemu/kycemu/emulator/internal/promtext"
	"github.com/kycemu/kycemu/emulator/webhook"
)

// metrics is one emulator's registry (never shared, so emulators in one
// process do not mix their figures).
type metrics struct {
	reg      *promtext.Registry
	requests *promtext.CounterVec
	attempts *promtext.CounterVec
	finished *promtext.CounterVec
	// counters caches the requests series by requestKey, so counting a
	// request is one map read and an atomic add, without building the
	// vector's key (and formatting the status) each time.
	counters sync.Map
}

type requestKey struct {
	prov, op string
	status   int
}

var (
	requestsDesc = promtext.NewDesc("kycemu_requests_total",
		"Provider API requests answered, by provider, operationId (unmatched for unknown routes) and HTTP status.",
		promtext.TypeCounter, "provider", "operation", "status")
	attemptsDesc = promtext.NewDesc("kycemu_webhook_attempts_total",
		"Webhook delivery attempts, by provider and outcome (success, http_error, transport_error).",
		promtext.TypeCounter, "provider", "outcome")
	finishedDesc = promtext.NewDesc("kycemu_webhook_deliveries_total",
		"Webhook deliveries that ended, by provider and final status (delivered, failed, undeliverable, dropped, discarded).",
		promtext.TypeCounter, "provider", "status")
	buildInfoDesc = promtext.NewDesc("kycemu_build_info",
		"Always 1; the version label names the build.", promtext.TypeGauge, "version")
	pendingDesc = promtext.NewDesc("kycemu_webhook_pending",
		"Webhook deliveries not yet finished (queued, delayed, in flight or waiting for a retry).", promtext.TypeGauge)
	sessionsDesc = promtext.NewDesc("kycemu_sessions",
		"Sessions stored now, by provider and kind.", promtext.TypeGauge, "provider", "kind")
	recordsDesc = promtext.NewDesc("kycemu_state_records",
		"Records the state layer keeps now (sessions and everything else: accounts, tokens, files, ...).", promtext.TypeGauge)
	tenantsDesc = promtext.NewDesc("kycemu_state_tenants",
		"Tenants the state layer keeps now.", promtext.TypeGauge)
	blobBytesDesc = promtext.NewDesc("kycemu_state_blob_bytes",
		"Bytes of uploads the state layer keeps now.", promtext.TypeGauge)
	evictionsDesc = promtext.NewDesc("kycemu_evictions_total",
		"Records evicted to keep a bound, by reason (retention, records, tenant_records, tenants).", promtext.TypeCounter, "reason")
	blobEvictionsDesc = promtext.NewDesc("kycemu_blob_evictions_total",
		"Uploads dropped to keep a byte bound.", promtext.TypeCounter)
	commitErrorsDesc = promtext.NewDesc("kycemu_state_commit_errors_total",
		"Write batches the storage backend refused.", promtext.TypeCounter)
)

func newMetrics(e *Emulator) *metrics {
	reg := promtext.NewRegistry()
	m := &metrics{
		reg:      reg,
		requests: reg.CounterVec(requestsDesc),
		attempts: reg.CounterVec(attemptsDesc),
		finished: reg.CounterVec(finishedDesc),
	}
	version := Version()
	reg.Register(func(s *promtext.Scrape) { s.Add(buildInfoDesc, 1, version) })
	reg.GaugeFunc(pendingDesc, func() float64 { return float64(e.hooks.Pending()) })
	reg.Register(e.collectState)
	reg.Register(promtext.GoRuntime())
	reg.Register(promtext.Process())
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
		c, _ = m.counters.LoadOrStore(k, m.requests.With(prov, op, strconv.Itoa(status)))
	}
	c.(*promtext.Counter).Inc()
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
	m.attempts.With(prov, outcome).Inc()
}

func (m *metrics) finish(prov, status string) { m.finished.With(prov, status).Inc() }

// collectState reads the stored sessions and the state layer's counters at
// each scrape.
func (e *Emulator) collectState(s *promtext.Scrape) {
	st := e.store.Stats()
	for _, k := range st.Kinds {
		if k.Session && k.Records > 0 { // a kind without sessions has no series
			s.Add(sessionsDesc, float64(k.Records), k.Provider, k.Kind)
		}
	}
	s.Add(recordsDesc, float64(st.Records))
	s.Add(tenantsDesc, float64(st.Tenants))
	s.Add(blobBytesDesc, float64(st.BlobBytes))
	evicted := map[string]int64{"retention": 0, "records": 0, "tenant_records": 0, "tenants": 0} // each from zero
	maps.Copy(evicted, st.Evicted)
	for reason, n := range evicted {
		s.Add(evictionsDesc, float64(n), reason)
	}
	s.Add(blobEvictionsDesc, float64(st.BlobsEvicted))
	s.Add(commitErrorsDesc, float64(st.CommitErrors))
}

// metricsRoutes serves GET /_emulator/metrics in the Prometheus text
// format, or OpenMetrics when the scraper asks for it.
func (e *Emulator) metricsRoutes(c prefixed) {
	c.HandleFunc("/metrics", e.metrics.reg.ServeHTTP, http.MethodGet)
}
