package webhook_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/kycemu/kycemu/emulator/clock"
	"github.com/kycemu/kycemu/emulator/internal/fake"
	"github.com/kycemu/kycemu/emulator/internal/testutil"
	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/webhook"
)

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// received is one request a receiver saw.
type received struct {
	body      string
	signature string
	attempt   string
}

// receiver is a local webhook endpoint whose answers a test scripts.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []received
	answer func(n int, body string) int // n counts requests from 1
}

func newReceiver(t *testing.T, answer func(n int, body string) int) *receiver {
	t.Helper()
	rc := &receiver{answer: answer}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.got = append(rc.got, received{body: string(b), signature: r.Header.Get("X-Test-Signature"),
			attempt: r.Header.Get(webhook.HeaderAttempt)})
		n := len(rc.got)
		rc.mu.Unlock()
		status := http.StatusOK
		if rc.answer != nil {
			status = rc.answer(n, string(b))
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) bodies() []string {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := make([]string, len(rc.got))
	for i, g := range rc.got {
		out[i] = g.body
	}
	return out
}

func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.got)
}

func sign(secret string, body []byte, _ time.Time) http.Header {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return http.Header{"X-Test-Signature": {hex.EncodeToString(m.Sum(nil))}}
}

func hmacHex(secret, body string) string {
	h, _ := sign(secret, []byte(body), time.Time{})["X-Test-Signature"]
	return h[0]
}

func newEngine(t *testing.T, c clock.Clock, mod func(*webhook.Config)) *webhook.Engine {
	t.Helper()
	cfg := webhook.Config{Clock: c, Rand: fake.New(7), Timeout: 2 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	e := webhook.New(cfg)
	t.Cleanup(func() { _ = e.Close() })
	return e
}

func event(url, name string, retry ...time.Duration) provider.Event {
	return provider.Event{Provider: "test", Tenant: "t1", URL: url, Name: name, SessionID: "s1",
		Body: []byte(`{"event":"` + name + `"}`), Sign: sign, Retry: retry}
}

func statusOf(e *webhook.Engine, event string) string {
	for _, d := range e.Deliveries(webhook.Filter{Event: event}) {
		return d.Status
	}
	return ""
}

func waitStatus(t *testing.T, e *webhook.Engine, event, status string) webhook.Delivery {
	t.Helper()
	testutil.WaitFor(t, event+" "+status, func() bool { return statusOf(e, event) == status })
	return e.Deliveries(webhook.Filter{Event: event})[0]
}

func TestDeliversSignedEventsInOrder(t *testing.T) {
	rc := newReceiver(t, nil)
	e := newEngine(t, clock.NewManual(t0), nil)
	for i := range 5 {
		e.Send(event(rc.URL, "e"+strconv.Itoa(i)))
	}
	testutil.WaitFor(t, "five deliveries", func() bool { return len(e.Deliveries(webhook.Filter{Status: webhook.StatusDelivered})) == 5 })
	want := []string{`{"event":"e0"}`, `{"event":"e1"}`, `{"event":"e2"}`, `{"event":"e3"}`, `{"event":"e4"}`}
	if got := rc.bodies(); !slices.Equal(got, want) {
		t.Fatalf("bodies = %v, want %v", got, want)
	}
	secret := e.Secret("test", "t1")
	for _, r := range rc.requests() {
		if r.signature != hmacHex(secret, r.body) {
			t.Errorf("signature of %s does not verify", r.body)
		}
	}
	d := e.Deliveries(webhook.Filter{Event: "e0"})[0]
	if len(d.Attempts) != 1 || d.Attempts[0].StatusCode != 200 || !d.Attempts[0].At.Equal(t0) || d.Attempts[0].DurationMS <= 0 {
		t.Errorf("attempts = %+v", d.Attempts)
	}
	// The attempt keeps the headers it sent, the signature among them.
	if h := d.Attempts[0].Headers; h.Get(webhook.HeaderDelivery) != d.ID || h.Get("Content-Type") != "application/json" ||
		h.Get("X-Test-Signature") != hmacHex(secret, `{"event":"e0"}`) {
		t.Errorf("attempt headers = %v", h)
	}
}

func TestRetriesOnTheClockThenDeliversInOrder(t *testing.T) {
	// The receiver fails the first two requests, then accepts everything.
	rc := newReceiver(t, func(n int, _ string) int {
		if n <= 2 {
			return http.StatusServiceUnavailable
		}
		return http.StatusNoContent
	})
	mc := clock.NewManual(t0)
	e := newEngine(t, mc, nil)
	e.Send(event(rc.URL, "first", 10*time.Second, time.Minute))
	e.Send(event(rc.URL, "second", 10*time.Second, time.Minute))

	d := waitStatus(t, e, "first", webhook.StatusRetrying)
	if !d.NextAttemptAt.Equal(t0.Add(10 * time.Second)) {
		t.Fatalf("next attempt at %v", d.NextAttemptAt)
	}
	if got := statusOf(e, "second"); got != webhook.StatusQueued {
		t.Fatalf("second is %s while first retries, want queued", got)
	}
	if err := advance(mc, 9*time.Second); err != nil {
		t.Fatal(err)
	}
	if n := len(rc.requests()); n != 1 {
		t.Fatalf("%d requests before the backoff elapsed", n)
	}
	_ = advance(mc, time.Second)
	testutil.WaitFor(t, "second attempt", func() bool {
		d := e.Deliveries(webhook.Filter{Event: "first"})[0]
		return len(d.Attempts) == 2 && d.Status == webhook.StatusRetrying
	})
	_ = advance(mc, time.Minute)
	waitStatus(t, e, "second", webhook.StatusDelivered)

	got := rc.requests()
	want := []received{{body: `{"event":"first"}`, attempt: "1"}, {body: `{"event":"first"}`, attempt: "2"},
		{body: `{"event":"first"}`, attempt: "3"}, {body: `{"event":"second"}`, attempt: "1"}}
	if len(got) != len(want) {
		t.Fatalf("requests = %+v", got)
	}
	for i := range want {
		if got[i].body != want[i].body || got[i].attempt != want[i].attempt {
			t.Errorf("request %d = %s attempt %s, want %s attempt %s", i, got[i].body, got[i].attempt, want[i].body, want[i].attempt)
		}
	}
	first := e.Deliveries(webhook.Filter{Event: "first"})[0]
	codes := []int{}
	var ats []time.Time
	for _, a := range first.Attempts {
		codes = append(codes, a.StatusCode)
		ats = append(ats, a.At)
	}
	if !slices.Equal(codes, []int{503, 503, 204}) {
		t.Errorf("status codes = %v", codes)
	}
	if !slices.Equal(ats, []time.Time{t0, t0.Add(10 * time.Second), t0.Add(70 * time.Second)}) {
		t.Errorf("attempt times = %v", ats)
	}
}

func advance(mc *clock.Mock, d time.Duration) error {
	_, err := mc.Advance(d)
	return err
}

func TestGivesUpThenMovesOn(t *testing.T) {
	rc := newReceiver(t, func(_ int, body string) int {
		if body == `{"event":"doomed"}` {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	mc := clock.NewManual(t0)
	e := newEngine(t, mc, nil)
	e.Send(event(rc.URL, "doomed", time.Second, time.Second))
	e.Send(event(rc.URL, "next", time.Second, time.Second))
	for i := 0; i < 2; i++ {
		want := i + 1
		testutil.WaitFor(t, "attempt", func() bool {
			return len(e.Deliveries(webhook.Filter{Event: "doomed"})[0].Attempts) == want && statusOf(e, "doomed") == webhook.StatusRetrying
		})
		_ = advance(mc, time.Second)
	}
	d := waitStatus(t, e, "doomed", webhook.StatusFailed)
	if len(d.Attempts) != 3 || d.MaxAttempts != 3 {
		t.Errorf("attempts = %d of %d", len(d.Attempts), d.MaxAttempts)
	}
	waitStatus(t, e, "next", webhook.StatusDelivered)
}

func TestTimeoutIsRetried(t *testing.T) {
	release := make(chan struct{})
	rc := newReceiver(t, func(n int, _ string) int {
		if n == 1 {
			<-release
		}
		return http.StatusOK
	})
	defer close(release)
	mc := clock.NewManual(t0)
	e := newEngine(t, mc, func(c *webhook.Config) { c.Timeout = 50 * time.Millisecond })
	e.Send(event(rc.URL, "slow", time.Second))
	d := waitStatus(t, e, "slow", webhook.StatusRetrying)
	if d.Attempts[0].StatusCode != 0 || d.Attempts[0].Error == "" {
		t.Fatalf("attempt = %+v", d.Attempts[0])
	}
	_ = advance(mc, time.Second)
	waitStatus(t, e, "slow", webhook.StatusDelivered)
}

func TestTargetResolution(t *testing.T) {
	explicit, tenantRC, providerRC, defaultRC := newReceiver(t, nil), newReceiver(t, nil), newReceiver(t, nil), newReceiver(t, nil)
	e := newEngine(t, clock.NewManual(t0), func(c *webhook.Config) { c.DefaultURL = defaultRC.URL })
	send := func(tenant, url, name string) {
		ev := event(url, name)
		ev.Tenant = tenant
		e.Send(ev)
	}
	send("t1", "", "to-default")
	e.SetEndpoint("test", "", providerRC.URL)
	send("t1", "", "to-provider")
	e.SetEndpoint("test", "t1", tenantRC.URL)
	send("t1", "", "to-tenant")
	send("t2", "", "t2-to-provider")
	send("t1", explicit.URL, "to-explicit")
	testutil.WaitFor(t, "all delivered", func() bool { return len(e.Deliveries(webhook.Filter{Status: webhook.StatusDelivered})) == 5 })
	for rc, want := range map[*receiver][]string{
		defaultRC: {`{"event":"to-default"}`}, providerRC: {`{"event":"to-provider"}`, `{"event":"t2-to-provider"}`},
		tenantRC: {`{"event":"to-tenant"}`}, explicit: {`{"event":"to-explicit"}`},
	} {
		got := rc.bodies()
		slices.Sort(got) // separate tenants have separate queues: no order between them
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("receiver got %v, want %v", got, want)
		}
	}
	if eps := e.Endpoints("test", ""); len(eps) != 2 || eps[0].Tenant != "" || eps[1].Tenant != "t1" {
		t.Errorf("endpoints = %+v", eps)
	}
	e.SetEndpoint("test", "t1", "")
	if u, src := e.Resolve("test", "t1"); u != providerRC.URL || src != "provider" {
		t.Errorf("after removal resolves to %s (%s)", u, src)
	}
}

func TestUndeliverableThenRedelivered(t *testing.T) {
	e := newEngine(t, clock.NewManual(t0), nil)
	e.Send(event("", "lost"))
	d := e.Deliveries(webhook.Filter{})[0]
	if d.Status != webhook.StatusUndeliverable || d.URL != "" || len(d.Attempts) != 0 {
		t.Fatalf("delivery = %+v", d)
	}
	rc := newReceiver(t, nil)
	e.SetEndpoint("test", "t1", rc.URL)
	n, err := e.Redeliver(d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n.RedeliveryOf != d.ID || n.ID == d.ID || n.URL != rc.URL {
		t.Fatalf("redelivery = %+v", n)
	}
	testutil.WaitFor(t, "redelivery", func() bool { got, _ := e.Delivery(n.ID); return got.Status == webhook.StatusDelivered })
	if got := rc.requests(); len(got) != 1 || got[0].signature != hmacHex(e.Secret("test", "t1"), got[0].body) {
		t.Errorf("requests = %+v", got)
	}
	if _, err := e.Redeliver("nope"); err != webhook.ErrNotFound {
		t.Errorf("unknown id: %v", err)
	}
}

func TestRedeliverRefusesUnfinished(t *testing.T) {
	rc := newReceiver(t, func(int, string) int { return 500 })
	e := newEngine(t, clock.NewManual(t0), nil)
	e.Send(event(rc.URL, "x", time.Hour))
	d := waitStatus(t, e, "x", webhook.StatusRetrying)
	if _, err := e.Redeliver(d.ID); err != webhook.ErrInProgress {
		t.Errorf("redeliver in progress: %v", err)
	}
}

func TestBoundedQueueAndJournal(t *testing.T) {
	release := make(chan struct{})
	rc := newReceiver(t, func(int, string) int { <-release; return 200 })
	e := newEngine(t, clock.NewManual(t0), func(c *webhook.Config) { c.QueueSize = 2; c.JournalSize = 3 })
	for i := range 5 {
		e.Send(event(rc.URL, "e"+strconv.Itoa(i)))
	}
	if p := e.Pending(); p != 2 {
		t.Errorf("pending = %d, want 2", p)
	}
	for i := 2; i < 5; i++ {
		if s := statusOf(e, "e"+strconv.Itoa(i)); s != webhook.StatusDiscarded {
			t.Errorf("e%d is %s, want discarded", i, s)
		}
	}
	close(release)
	testutil.WaitFor(t, "queue drained", func() bool { return e.Pending() == 0 })
	// Five finished deliveries, but the journal keeps only the last three
	// to finish.
	all := e.Deliveries(webhook.Filter{})
	if len(all) != 3 {
		t.Fatalf("journal holds %d deliveries, want 3", len(all))
	}
	for i := range 20 {
		e.Send(event("", "u"+strconv.Itoa(i)))
	}
	all = e.Deliveries(webhook.Filter{})
	if len(all) != 3 || all[2].Event != "u19" {
		t.Errorf("journal = %d entries ending %s", len(all), all[len(all)-1].Event)
	}
	if got := e.Deliveries(webhook.Filter{Limit: 1}); len(got) != 1 || got[0].Event != "u19" {
		t.Errorf("limit 1 = %+v", got)
	}
}

func TestFaults(t *testing.T) {
	fault := func(kind string, d time.Duration, times int) []provider.WebhookFault {
		return []provider.WebhookFault{{Event: "hit.*", Kind: kind, Delay: d, Times: times}}
	}
	tests := []struct {
		name    string
		faults  []provider.WebhookFault
		advance time.Duration
		want    []string // bodies the receiver gets, in order
		status  string   // final status of hit.1
		badSig  bool
	}{
		{name: "drop", faults: fault("drop", 0, 0), want: []string{"miss"}, status: webhook.StatusDropped},
		{name: "duplicate", faults: fault("duplicate", 0, 0), want: []string{"hit.1", "hit.1", "miss"}, status: webhook.StatusDelivered},
		{name: "bad signature", faults: fault("bad_signature", 0, 0), want: []string{"hit.1", "miss"}, status: webhook.StatusDelivered, badSig: true},
		{name: "delay", faults: fault("delay", time.Minute, 0), advance: time.Minute, want: []string{"miss", "hit.1"}, status: webhook.StatusDelivered},
		{name: "reorder", faults: fault("reorder", 0, 0), want: []string{"miss", "hit.1"}, status: webhook.StatusDelivered},
		{name: "times", faults: fault("drop", 0, 1), want: []string{"miss", "hit.2"}, status: webhook.StatusDropped},
		{name: "no match", faults: []provider.WebhookFault{{Event: "other", Kind: "drop"}}, want: []string{"hit.1", "miss"}, status: webhook.StatusDelivered},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rc := newReceiver(t, nil)
			mc := clock.NewManual(t0)
			e := newEngine(t, mc, nil)
			send := func(name string) {
				ev := event(rc.URL, name)
				ev.Body = []byte(name)
				ev.Faults = tc.faults
				e.Send(ev)
			}
			send("hit.1")
			send("miss")
			if tc.name == "times" {
				send("hit.2")
			}
			waitStatus(t, e, "miss", webhook.StatusDelivered)
			if tc.advance > 0 {
				if got := rc.bodies(); !slices.Equal(got, []string{"miss"}) {
					t.Fatalf("before the delay elapsed: %v", got)
				}
				_ = advance(mc, tc.advance)
			}
			testutil.WaitFor(t, "all bodies", func() bool { return len(rc.bodies()) >= len(tc.want) && e.Pending() == 0 })
			if got := rc.bodies(); !slices.Equal(got, tc.want) {
				t.Errorf("bodies = %v, want %v", got, tc.want)
			}
			d := e.Deliveries(webhook.Filter{Event: "hit.1"})[0]
			if d.Status != tc.status {
				t.Errorf("hit.1 is %s, want %s", d.Status, tc.status)
			}
			if tc.name != "no match" && len(d.Faults) == 0 {
				t.Errorf("faults not journaled: %+v", d)
			}
			secret := e.Secret("test", "t1")
			for _, r := range rc.requests() {
				ok := r.signature == hmacHex(secret, r.body)
				if bad := tc.badSig && r.body == "hit.1"; ok == bad {
					t.Errorf("%s: signature verifies = %v", r.body, ok)
				}
			}
		})
	}
}

func TestReorderWithoutFollowerGoesAfterItsWait(t *testing.T) {
	rc := newReceiver(t, nil)
	mc := clock.NewManual(t0)
	e := newEngine(t, mc, nil)
	ev := event(rc.URL, "lonely")
	ev.Faults = []provider.WebhookFault{{Kind: "reorder", Delay: 5 * time.Second}}
	e.Send(ev)
	if s := statusOf(e, "lonely"); s != webhook.StatusDelayed {
		t.Fatalf("status %s", s)
	}
	_ = advance(mc, 5*time.Second)
	waitStatus(t, e, "lonely", webhook.StatusDelivered)
}

func TestResetForgetsTenantDeliveries(t *testing.T) {
	rc := newReceiver(t, func(int, string) int { return 500 })
	mc := clock.NewManual(t0)
	e := newEngine(t, mc, nil)
	e.Send(event(rc.URL, "a", time.Minute))
	other := event(rc.URL, "b", time.Minute)
	other.Tenant = "t2"
	e.Send(other)
	waitStatus(t, e, "a", webhook.StatusRetrying)
	waitStatus(t, e, "b", webhook.StatusRetrying)
	e.Reset("t1")
	if got := e.Deliveries(webhook.Filter{}); len(got) != 1 || got[0].Tenant != "t2" {
		t.Fatalf("after reset: %+v", got)
	}
	if e.Pending() != 1 {
		t.Errorf("pending = %d", e.Pending())
	}
	if mc.Pending() != 1 {
		t.Errorf("clock timers = %d, want only t2's retry", mc.Pending())
	}
	e.Reset("")
	if got := e.Deliveries(webhook.Filter{}); len(got) != 0 || e.Pending() != 0 || mc.Pending() != 0 {
		t.Errorf("after full reset: %d deliveries, %d pending, %d timers", len(got), e.Pending(), mc.Pending())
	}
}

func TestSendNeverBlocksAndCloseStopsWorkers(t *testing.T) {
	hang := make(chan struct{})
	rc := newReceiver(t, func(int, string) int { <-hang; return 200 })
	defer close(hang)
	e := webhook.New(webhook.Config{Clock: clock.NewManual(t0), Rand: fake.New(1), Workers: 2, Timeout: time.Hour})
	done := make(chan struct{})
	go func() {
		for i := range 100 {
			ev := event(rc.URL, "e")
			ev.Tenant = "t" + strconv.Itoa(i) // one queue each: both workers hang
			e.Send(ev)
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Send blocked behind a hanging receiver")
	}
	testutil.WaitFor(t, "two attempts in flight", func() bool {
		return len(e.Deliveries(webhook.Filter{Status: webhook.StatusDelivering})) == 2
	})
	closed := make(chan struct{})
	go func() { _ = e.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not abort attempts in flight")
	}
	_ = e.Close() // twice is fine
	e.Send(event(rc.URL, "after"))
	if got := e.Deliveries(webhook.Filter{Event: "after"}); len(got) != 0 {
		t.Errorf("event accepted after Close")
	}
}

func TestSecretsAreSeededPerTenant(t *testing.T) {
	a := webhook.New(webhook.Config{Rand: fake.New(42)})
	b := webhook.New(webhook.Config{Rand: fake.New(42)})
	c := webhook.New(webhook.Config{Rand: fake.New(43)})
	if a.Secret("gu1", "k") != b.Secret("gu1", "k") {
		t.Error("same seed, different secrets")
	}
	if a.Secret("gu1", "k") == c.Secret("gu1", "k") || a.Secret("gu1", "k") == a.Secret("gu1", "k2") ||
		a.Secret("gu1", "k") == a.Secret("notus", "k") {
		t.Error("secrets collide")
	}
}

func BenchmarkEngineThroughput(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	e := webhook.New(webhook.Config{Clock: clock.Real{}, Rand: fake.New(1), QueueSize: 1 << 20, JournalSize: 1000})
	defer e.Close()
	body := []byte(`{"event":"kyc.validation_approved","payload":{"validationId":"x"}}`)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.Send(provider.Event{Provider: "bench", Tenant: fmt.Sprintf("t%d", i%16), URL: srv.URL, Name: "e",
			Body: body, Sign: sign})
	}
	for e.Pending() > 0 {
		time.Sleep(100 * time.Microsecond)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
}

func BenchmarkSend(b *testing.B) {
	e := webhook.New(webhook.Config{Clock: clock.Real{}, Rand: fake.New(1), JournalSize: 1000})
	defer e.Close()
	body := []byte(`{"event":"kyc.validation_approved"}`)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		e.Send(provider.Event{Provider: "bench", Tenant: "t", Name: "e", Body: body, Sign: sign}) // undeliverable: journal only
	}
}
