package clock_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kycemu/kycemu/emulator/clock"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestManualFiresInTimeOrder(t *testing.T) {
	c := clock.NewManual(t0)
	var got []string
	at := func(name string) func() {
		return func() { got = append(got, name+"@"+c.Now().Sub(t0).String()) }
	}
	c.AfterFunc(3*time.Second, at("c"))
	c.AfterFunc(time.Second, at("a"))
	c.AfterFunc(time.Second, at("a2")) // ties keep scheduling order
	c.AfterFunc(2*time.Second, func() {
		at("b")()
		c.AfterFunc(500*time.Millisecond, at("b+")) // scheduled by a timer, due within the window
	})
	stopped := c.AfterFunc(2500*time.Millisecond, at("stopped"))
	if !stopped.Stop() || stopped.Stop() {
		t.Fatal("Stop should succeed once")
	}
	if _, err := c.Advance(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, " ") != "a@1s a2@1s b@2s" {
		t.Fatalf("after 2s: %v", got)
	}
	if now := c.Now(); !now.Equal(t0.Add(2 * time.Second)) {
		t.Fatalf("now = %v", now)
	}
	if _, err := c.Advance(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, " ") != "a@1s a2@1s b@2s b+@2.5s c@3s" {
		t.Fatalf("after 12s: %v", got)
	}
	if c.Pending() != 0 {
		t.Fatalf("pending = %d", c.Pending())
	}
}

func TestManualRefusesToGoBack(t *testing.T) {
	c := clock.NewManual(t0)
	if _, err := c.Advance(-time.Second); !errors.Is(err, clock.ErrBackwards) {
		t.Fatalf("Advance(-1s) = %v", err)
	}
	if err := c.Set(t0.Add(-time.Hour)); !errors.Is(err, clock.ErrBackwards) {
		t.Fatalf("Set(past) = %v", err)
	}
	fired := false
	c.AfterFunc(time.Hour, func() { fired = true })
	if err := c.Set(t0.Add(time.Hour)); err != nil || !fired {
		t.Fatalf("Set to the due time: err %v, fired %v", err, fired)
	}
}

func TestManualIsSafeForConcurrentUse(t *testing.T) {
	c := clock.NewManual(t0)
	var mu sync.Mutex
	n := 0
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				c.AfterFunc(time.Duration(i*50+j)*time.Millisecond, func() { mu.Lock(); n++; mu.Unlock() })
				_ = c.Now()
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 20 {
			_, _ = c.Advance(10 * time.Millisecond)
		}
	}()
	wg.Wait()
	_, _ = c.Advance(time.Hour)
	if n != 400 {
		t.Fatalf("fired %d of 400 timers", n)
	}
}

func TestRealClock(t *testing.T) {
	var c clock.Clock = clock.Real{}
	done := make(chan struct{})
	c.AfterFunc(time.Millisecond, func() { close(done) })
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("real timer never fired")
	}
	if c.Manual() || c.Now().Location() != time.UTC {
		t.Fatal("real clock should be automatic and UTC")
	}
}

func TestManualStartsAtTheGivenTimeOrNow(t *testing.T) {
	fixed := time.Date(2026, 1, 1, 9, 0, 0, 0, time.FixedZone("x", 3600))
	if got := clock.NewManual(fixed).Now(); !got.Equal(fixed) || got.Location() != time.UTC {
		t.Errorf("fixed start: %v", got)
	}
	before := time.Now().Truncate(time.Second)
	got := clock.NewManual(time.Time{}).Now()
	if got.Before(before) || got.After(time.Now()) || got.Nanosecond() != 0 {
		t.Errorf("zero start: %v, want the wall-clock time (to the second) around %v", got, before)
	}
}

func TestOnMoveSeesEveryMoveAfterItsTimers(t *testing.T) {
	m := clock.NewManual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	var fired bool
	m.AfterFunc(time.Minute, func() { fired = true })
	var seen []time.Time
	m.OnMove(func(now time.Time) {
		if !fired && len(seen) == 0 {
			t.Error("OnMove ran before the due timer")
		}
		seen = append(seen, now)
	})
	_, _ = m.Advance(2 * time.Minute)
	_ = m.Set(m.Now().Add(time.Hour))
	_, _ = m.Advance(-time.Second) // refused: no move
	if len(seen) != 2 || !seen[1].Equal(m.Now()) {
		t.Fatalf("OnMove saw %v", seen)
	}
}

func TestResumeOnlyWithoutTimers(t *testing.T) {
	m := clock.NewManual(time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	earlier := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := m.Resume(earlier); err != nil || !m.Now().Equal(earlier) {
		t.Fatalf("resume to an earlier time: %v, now %s", err, m.Now())
	}
	m.AfterFunc(time.Minute, func() {})
	if err := m.Resume(earlier.Add(-time.Hour)); !errors.Is(err, clock.ErrBackwards) {
		t.Fatalf("resume with a timer pending: %v", err)
	}
}
