package emulator_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/kycemu/kycemu/emulator"
	"github.com/kycemu/kycemu/emulator/internal/testutil"
	"github.com/kycemu/kycemu/emulator/state"
)

// scrape reads /_emulator/metrics as Prometheus does and returns the
// families by name.
func (h *harness) scrape() map[string]*dto.MetricFamily {
	h.t.Helper()
	resp, err := http.Get(h.srv.URL + "/_emulator/metrics")
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/plain; version=0.0.4; charset=utf-8" {
		h.t.Fatalf("metrics answered %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		h.t.Fatalf("the metrics do not parse as the Prometheus text format: %v", err)
	}
	return fams
}

// value is the value of the sample of name whose labels include want, or
// -1 when there is none.
func value(fams map[string]*dto.MetricFamily, name string, want ...string) float64 {
	f, ok := fams[name]
	if !ok {
		return -1
	}
next:
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(want); i += 2 {
			if have[want[i]] != want[i+1] {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		}
	}
	return -1
}

// TestMetricsMove drives real traffic and checks each figure moves:
// requests by provider, operation and status; webhook attempts (a failed
// one, then its retry) and finished deliveries; stored sessions.
func TestMetricsMove(t *testing.T) {
	h := newHarness(t)
	before := h.scrape()
	if _, ok := before["kycemu_sessions"]; ok {
		t.Fatalf("sessions before any traffic: %v", before["kycemu_sessions"])
	}
	if value(before, "kycemu_build_info") != 1 || value(before, "go_goroutines") <= 0 {
		t.Fatal("build info or Go runtime metrics missing")
	}

	// The receiver refuses the first attempt, then takes everything.
	var calls atomic.Int32
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if calls.Add(1) == 1 {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	t.Cleanup(rcv.Close)
	if r := h.do("PUT", "/_emulator/webhooks/endpoints", map[string]string{"provider": "gu1", "tenant": gu1Tenant, "url": rcv.URL}); r.status != 200 {
		t.Fatalf("set endpoint: %d %s", r.status, r.body)
	}
	h.gu1Validation("", "")
	h.gu1("GET", "/no/such/route", nil, "")

	m := h.scrape()
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"kycemu_requests_total", []string{"provider", "gu1", "operation", "createEntity", "status", "201"}, 1},
		{"kycemu_requests_total", []string{"provider", "gu1", "operation", "createValidation", "status", "201"}, 1},
		{"kycemu_requests_total", []string{"provider", "gu1", "operation", "unmatched", "status", "404"}, 1},
		{"kycemu_sessions", []string{"provider", "gu1", "kind", "validation"}, 1},
		{"kycemu_evictions_total", []string{"reason", "tenant_records"}, 0},
	} {
		if got := value(m, c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v; want %v", c.name, c.labels, got, c.want)
		}
	}

	// The first attempt fails; the retry after 30 s of emulator time
	// succeeds.
	testutil.WaitFor(t, "a failed attempt", func() bool {
		return value(h.scrape(), "kycemu_webhook_attempts_total", "provider", "gu1", "outcome", "http_error") == 1
	})
	h.advance(30 * time.Second)
	testutil.WaitFor(t, "a delivered webhook", func() bool {
		m := h.scrape()
		return value(m, "kycemu_webhook_attempts_total", "provider", "gu1", "outcome", "success") >= 1 &&
			value(m, "kycemu_webhook_deliveries_total", "provider", "gu1", "status", "delivered") >= 1
	})
	if got := value(h.scrape(), "kycemu_webhook_deliveries_total", "provider", "gu1", "status", "failed"); got > 0 {
		t.Errorf("%v deliveries failed", got)
	}

	// Events of a tenant without a URL end undeliverable; a reset forgets
	// the sessions, and the gauge follows.
	h.do("DELETE", "/_emulator/webhooks/endpoints?provider=gu1&tenant="+gu1Tenant, nil)
	h.gu1Validation("", "")
	if got := value(h.scrape(), "kycemu_sessions", "provider", "gu1", "kind", "validation"); got != 2 {
		t.Errorf("gu1 sessions after a second validation: %v", got)
	}
	testutil.WaitFor(t, "an undeliverable webhook", func() bool {
		return value(h.scrape(), "kycemu_webhook_deliveries_total", "provider", "gu1", "status", "undeliverable") >= 1
	})
	h.do("POST", "/_emulator/reset", nil)
	if got := value(h.scrape(), "kycemu_sessions", "provider", "gu1", "kind", "validation"); got != -1 {
		t.Errorf("gu1 sessions after a reset: %v", got)
	}
}

// TestMetricsEvictions: sessions beyond a tenant's bound evict the oldest,
// and the state layer's figures show it.
func TestMetricsEvictions(t *testing.T) {
	h := newHarness(t, emulator.WithLimits(state.Limits{RecordsPerTenant: 3}))
	for range 5 {
		h.notusCreate("k", "", notusPerson())
	}
	m := h.scrape()
	evicted := value(m, "kycemu_evictions_total", "reason", "tenant_records")
	stored := value(m, "kycemu_state_records")
	if evicted < 2 || stored < 1 || stored > 3 {
		t.Fatalf("after 5 sessions under a bound of 3 records: %v evicted, %v stored", evicted, stored)
	}
	if got := value(m, "kycemu_sessions", "provider", "notus"); got < 1 || got > 3 {
		t.Errorf("notus sessions: %v", got)
	}
	if value(m, "kycemu_state_tenants") != 1 || value(m, "kycemu_evictions_total", "reason", "retention") != 0 {
		t.Errorf("tenants %v, retention evictions %v", value(m, "kycemu_state_tenants"), value(m, "kycemu_evictions_total", "reason", "retention"))
	}
}

// TestMetricsPerEmulator: two emulators in one process count apart.
func TestMetricsPerEmulator(t *testing.T) {
	a, b := newHarness(t), newHarness(t)
	a.gu1("GET", "/no/such/route", nil, "")
	if got := value(a.scrape(), "kycemu_requests_total", "provider", "gu1", "operation", "unmatched"); got != 1 {
		t.Errorf("first emulator: %v", got)
	}
	if got := value(b.scrape(), "kycemu_requests_total", "provider", "gu1", "operation", "unmatched"); got != -1 {
		t.Errorf("second emulator saw the first one's request: %v", got)
	}
}

// scrapeAccept reads /_emulator/metrics with an Accept header.
func (h *harness) scrapeAccept(accept string) (contentType, body string) {
	h.t.Helper()
	req, _ := http.NewRequest("GET", h.srv.URL+"/_emulator/metrics", nil)
	req.Header.Set("Accept", accept)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		h.t.Fatalf("metrics answered %d, %v", resp.StatusCode, err)
	}
	return resp.Header.Get("Content-Type"), string(b)
}

// TestMetricsFormats: a scraper asking for OpenMetrics gets it (counters'
// families named without _total, # EOF at the end); any other Accept
// header, however odd, gets the text format.
func TestMetricsFormats(t *testing.T) {
	h := newHarness(t)
	h.gu1("GET", "/no/such/route", nil, "")

	ct, om := h.scrapeAccept("application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1")
	if ct != "application/openmetrics-text; version=1.0.0; charset=utf-8" || !strings.HasSuffix(om, "\n# EOF\n") {
		t.Fatalf("OpenMetrics answered %q, ending %q", ct, om[max(0, len(om)-40):])
	}
	for _, line := range []string{
		"# HELP kycemu_requests Provider API requests answered, by provider, operationId (unmatched for unknown routes) and HTTP status.",
		"# TYPE kycemu_requests counter",
		`kycemu_requests_total{operation="unmatched",provider="gu1",status="404"} 1.0`,
		"# TYPE kycemu_evictions counter",
		`kycemu_evictions_total{reason="records"} 0.0`,
		`kycemu_build_info{version="` + emulator.Version() + `"} 1.0`,
		"# TYPE kycemu_webhook_pending gauge",
		"kycemu_webhook_pending 0.0",
		"# UNIT go_gc_gomemlimit_bytes bytes",
	} {
		if !strings.Contains(om, "\n"+line+"\n") {
			t.Errorf("OpenMetrics has no line %s", line)
		}
	}
	if strings.Contains(om, "# TYPE kycemu_requests_total") {
		t.Error("a counter family keeps _total in OpenMetrics")
	}

	for _, accept := range []string{"", "*/*", "application/json", "text/html;q=0.9", ";;;=,", "application/openmetrics-text;version=9", "application/openmetrics-text;q=0"} {
		ct, body := h.scrapeAccept(accept)
		if ct != "text/plain; version=0.0.4; charset=utf-8" || strings.Contains(body, "# EOF") {
			t.Errorf("Accept %q: %q", accept, ct)
		}
		p := expfmt.NewTextParser(model.UTF8Validation)
		if _, err := p.TextToMetricFamilies(strings.NewReader(body)); err != nil {
			t.Errorf("Accept %q: %v", accept, err)
		}
	}
}

// TestMetricsWhileServing: scrapes during concurrent requests parse, and
// every request is counted once.
func TestMetricsWhileServing(t *testing.T) {
	h := newHarness(t)
	const clients, each = 4, 25
	var wg sync.WaitGroup
	errs := make(chan error, clients*each)
	for c := range clients {
		wg.Go(func() {
			for i := range each {
				r, err := h.try("GET", fmt.Sprintf("/gu1/no/such/route/%d", i%3), nil, "Authorization", "Bearer "+gu1Key, "X-Organization-ID", gu1Org)
				if err == nil && r.status != 404 {
					err = fmt.Errorf("client %d: %d %s", c, r.status, r.body)
				}
				if err != nil {
					errs <- err
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	scrapes := 0
	for running := true; running; scrapes++ {
		select {
		case <-done:
			running = false
		default:
		}
		if got := value(h.scrape(), "kycemu_requests_total", "provider", "gu1", "operation", "unmatched", "status", "404"); got > clients*each {
			t.Fatalf("%v requests counted of at most %d", got, clients*each)
		}
	}
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := value(h.scrape(), "kycemu_requests_total", "provider", "gu1", "operation", "unmatched", "status", "404"); got != clients*each {
		t.Fatalf("%v requests counted of %d (%d scrapes)", got, clients*each, scrapes)
	}
}
