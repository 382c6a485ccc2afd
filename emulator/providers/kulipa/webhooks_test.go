package kulipa_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/kycemu/kycemu/emulator/internal/testutil"
)

// kulipaSchedule is the documented retry schedule.
var kulipaSchedule = []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour, 4 * time.Hour,
	12 * time.Hour, 24 * time.Hour, 48 * time.Hour, 96 * time.Hour}

// delivery returns the journal entry of one event of a KYC.
func (e *env) delivery(kycID, event string) map[string]any {
	e.t.Helper()
	for _, d := range e.deliveries(kycID) {
		if d["event"] == event {
			return d
		}
	}
	return nil
}

// attemptTimes reads a delivery's attempt times.
func attemptTimes(t *testing.T, d map[string]any) []time.Time {
	t.Helper()
	var out []time.Time
	list, _ := d["attempts"].([]any)
	for _, a := range list {
		at, err := time.Parse(time.RFC3339Nano, a.(map[string]any)["at"].(string))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, at)
	}
	return out
}

// awaitRetry waits until the event's delivery made n attempts and waits
// for the next one, and returns when that is due.
func (e *env) awaitRetry(kycID, event string, n int) time.Time {
	e.t.Helper()
	var next time.Time
	testutil.WaitFor(e.t, "a retry to be scheduled", func() bool {
		d := e.delivery(kycID, event)
		if d == nil || d["status"] != "retrying" || len(attemptTimes(e.t, d)) != n {
			return false
		}
		var err error
		next, err = time.Parse(time.RFC3339Nano, d["nextAttemptAt"].(string))
		return err == nil
	})
	return next
}

func TestWebhookRetriesFollowKulipasScheduleThenGiveUp(t *testing.T) {
	e := newEnv(t)
	c := e.client(apiKey)
	rc := c.receiver(func(int) bool { return true }) // a dead endpoint
	kycID := c.kyc(c.user(nil), "full", nil).str("id")

	for i, wait := range kulipaSchedule {
		next := e.awaitRetry(kycID, "kyc.created", i+1)
		if got := next.Sub(e.now()); got != wait {
			t.Fatalf("after attempt %d the next waits %v, want %v", i+1, got, wait)
		}
		e.advance(wait)
	}
	testutil.WaitFor(t, "the delivery to fail", func() bool { return e.delivery(kycID, "kyc.created")["status"] == "failed" })
	d := e.delivery(kycID, "kyc.created")
	ats := attemptTimes(t, d)
	want := []time.Time{t0}
	for _, w := range kulipaSchedule {
		want = append(want, want[len(want)-1].Add(w))
	}
	if !slices.Equal(ats, want) || d["maxAttempts"] != float64(10) {
		t.Errorf("attempts at %v (max %v), want %v", ats, d["maxAttempts"], want)
	}
	// Every attempt was signed at its own time: the receiver verified all
	// ten (and refused them only because it is dead).
	reqs := rc.requests()
	if len(reqs) < 10 {
		t.Fatalf("receiver saw %d requests", len(reqs))
	}
	for i, h := range reqs[:10] {
		if h.EventName != "kyc.created" || !h.at.Equal(want[i]) {
			t.Errorf("request %d: %s at %v", i+1, h.EventName, h.at)
		}
	}
	rc.accepted(t) // fails on any signature or schema problem
}

func TestReceiverFailingTwiceGetsEventsInOrder(t *testing.T) {
	e := newEnv(t)
	c := e.client(apiKey)
	rc := c.receiver(func(n int) bool { return n <= 2 })
	userID := c.user(nil)
	k := c.kyc(userID, "full", nil)
	first := e.awaitRetry(k.str("id"), "kyc.created", 1)
	if r := e.call(http.MethodPost, "/_emulator/sessions/"+k.str("id")+"/submit", nil); r.status != 200 {
		t.Fatalf("submit: %d %s", r.status, r.raw)
	}
	e.advance(2 * time.Second) // verified; kyc.submitted and the rest wait behind kyc.created
	e.advance(first.Sub(e.now()))
	next := e.awaitRetry(k.str("id"), "kyc.created", 2)
	if got := next.Sub(e.now()); got != 5*time.Minute {
		t.Fatalf("second wait %v", got)
	}
	e.advance(5 * time.Minute)
	hs := rc.waitHooks(t, 4)
	if want := []string{"kyc.created", "kyc.submitted", "kyc.verified", "user.activated"}; !slices.Equal(names(hs), want) {
		t.Fatalf("webhooks %v, want %v", names(hs), want)
	}
	ats := attemptTimes(t, e.delivery(k.str("id"), "kyc.created"))
	if !slices.Equal(ats, []time.Time{t0, t0.Add(time.Minute), t0.Add(6 * time.Minute)}) {
		t.Errorf("kyc.created attempts %v", ats)
	}
}
