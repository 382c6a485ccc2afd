package webhook_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kycemu/kycemu/emulator/clock"
	"github.com/kycemu/kycemu/emulator/internal/fake"
	"github.com/kycemu/kycemu/emulator/internal/testutil"
	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/webhook"
)

// mapStore is a webhook.Store in a map, standing in for the state layer.
type mapStore struct {
	mu sync.Mutex
	m  map[string]map[string][]byte
}

func (s *mapStore) Put(ns, key string, val []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]map[string][]byte{}
	}
	if s.m[ns] == nil {
		s.m[ns] = map[string][]byte{}
	}
	s.m[ns][key] = append([]byte(nil), val...)
}

func (s *mapStore) Delete(ns, key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m[ns], key)
}

func (s *mapStore) Scan(ns string, fn func(string, []byte) error) error {
	s.mu.Lock()
	keys := make([]string, 0, len(s.m[ns]))
	for k := range s.m[ns] {
		keys = append(keys, k)
	}
	vals := s.m[ns]
	s.mu.Unlock()
	sort.Strings(keys)
	for _, k := range keys {
		if err := fn(k, vals[k]); err != nil {
			return err
		}
	}
	return nil
}

// tenantSigner signs with the secret and the tenant's name, so a test can
// tell that a restored delivery is signed by the registered signer.
func tenantSigner(tenant, secret string, body []byte, _ time.Time) http.Header {
	m := hmac.New(sha256.New, []byte(secret+"/"+tenant))
	m.Write(body)
	return http.Header{"X-Test-Signature": {hex.EncodeToString(m.Sum(nil))}}
}

func TestRetriesSurviveARestart(t *testing.T) {
	st := &mapStore{}
	clk := clock.NewManual(t0)
	var fail sync.Map
	fail.Store("on", true)
	rc := newReceiver(t, func(int, string) int {
		if on, _ := fail.Load("on"); on == true {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	cfg := func(c *clock.Mock) webhook.Config {
		return webhook.Config{Clock: c, Rand: fake.New(5), Store: st,
			Signers: map[string]webhook.Signer{"p": tenantSigner}}
	}
	e := webhook.New(cfg(clk))
	e.SetEndpoint("p", "t1", rc.URL)
	e.Send(provider.Event{Provider: "p", Tenant: "t1", Name: "done", SessionID: "s1", Body: []byte(`{"n":1}`),
		Retry: []time.Duration{time.Minute, time.Hour}})
	testutil.WaitFor(t, "first attempt", func() bool {
		d := e.Deliveries(webhook.Filter{})
		return len(d) == 1 && d[0].Status == webhook.StatusRetrying
	})
	first := e.Deliveries(webhook.Filter{})[0]
	secret := e.Secret("p", "t1")
	_ = e.Close()

	// A new process: same store, a clock resumed where the old one stood.
	fail.Store("on", false)
	clk2 := clock.NewManual(clk.Now())
	e2 := webhook.New(cfg(clk2))
	defer e2.Close()
	if err := e2.Restore(); err != nil {
		t.Fatal(err)
	}
	if u, src := e2.Resolve("p", "t1"); u != rc.URL || src != "tenant" {
		t.Fatalf("endpoint after restart: %q from %q", u, src)
	}
	d, ok := e2.Delivery(first.ID)
	if !ok || d.Status != webhook.StatusRetrying || len(d.Attempts) != 1 || !d.NextAttemptAt.Equal(*first.NextAttemptAt) {
		t.Fatalf("restored delivery: %+v", d)
	}
	if e2.Pending() != 1 {
		t.Fatalf("pending after restart: %d", e2.Pending())
	}
	if n := len(rc.bodies()); n != 1 {
		t.Fatalf("%d requests before the retry is due", n)
	}
	_, _ = clk2.Advance(time.Minute)
	testutil.WaitFor(t, "retry delivered", func() bool {
		d, _ := e2.Delivery(first.ID)
		return d.Status == webhook.StatusDelivered
	})
	got := rc.requests()
	last := got[len(got)-1]
	if last.attempt != "2" || last.signature != tenantSigner("t1", secret, []byte(`{"n":1}`), time.Time{}).Get("X-Test-Signature") {
		t.Fatalf("retry after restart: attempt %s, signature %s", last.attempt, last.signature)
	}
	// New deliveries continue the id stream: no id is handed out twice.
	e2.Send(provider.Event{Provider: "p", Tenant: "t1", Name: "again", Body: []byte(`{}`)})
	ids := map[string]bool{}
	for _, d := range e2.Deliveries(webhook.Filter{}) {
		if ids[d.ID] {
			t.Fatalf("delivery id %s handed out twice", d.ID)
		}
		ids[d.ID] = true
	}
	if len(ids) != 2 || !strings.Contains(strings.Join(keys(ids), ","), first.ID) {
		t.Fatalf("deliveries after restart: %v", ids)
	}
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
