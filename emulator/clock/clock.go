// Package clock is the only source of time for the emulator. A Real clock
// follows the wall clock; a Manual clock stands still until Advance or Set
// moves it, firing every timer that falls due on the way, in order. Session
// timelines, expiries, token lifetimes and webhook retries are all scheduled
// on a Clock, so a test can fast-forward an hour of review in microseconds.
package clock

import (
	"container/heap"
	"errors"
	"sync"
	"time"
)

// Clock tells the time and runs functions later.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// AfterFunc calls f in its own goroutine (Real) or synchronously from
	// Advance (Manual) once d has elapsed on this clock.
	AfterFunc(d time.Duration, f func()) Timer
	// Manual reports whether the clock only moves when told.
	Manual() bool
}

// Timer is a function scheduled by AfterFunc.
type Timer interface {
	// Stop prevents the function from running. It reports whether it did.
	Stop() bool
}

// Real is the wall clock.
type Real struct{}

// Now returns time.Now in UTC.
func (Real) Now() time.Time { return time.Now().UTC() }

// AfterFunc wraps time.AfterFunc.
func (Real) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// Manual reports false.
func (Real) Manual() bool { return false }

// ErrBackwards is returned when a manual clock is asked to go back in time.
var ErrBackwards = errors.New("clock cannot move backwards")

// Mock is a manual clock. The zero value is not usable; call NewManual.
type Mock struct {
	mu     sync.Mutex
	now    time.Time
	seq    uint64
	timers timerHeap
	// advancing serialises Advance calls so timers fire in one order.
	advancing sync.Mutex
	onMove    func(time.Time) // guarded by advancing
}

// OnMove registers f to be called with the new time after every Advance
// and Set, once the timers that fell due have run (the emulator stores the
// time, so a restarted manual clock resumes where it stood).
func (m *Mock) OnMove(f func(time.Time)) {
	m.advancing.Lock()
	defer m.advancing.Unlock()
	m.onMove = f
}

// Resume sets the clock to t, earlier or later than now, provided no timer
// is pending: a clock restored from storage before anything was scheduled
// on it. It fails with ErrBackwards otherwise.
func (m *Mock) Resume(t time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.timers) > 0 {
		return ErrBackwards
	}
	m.now = t.UTC()
	return nil
}

func (m *Mock) moved(t time.Time) {
	if m.onMove != nil {
		m.onMove(t)
	}
}

// NewManual returns a manual clock that reads start until moved. A zero
// start means the wall-clock time now, to the second: webhook signatures
// stamped on such a clock pass receivers that compare them with their own
// wall clock (Kulipa's SDK refuses timestamps more than 5 minutes old),
// while a fixed start keeps every timestamp the same on every run.
func NewManual(start time.Time) *Mock {
	if start.IsZero() {
		start = Real{}.Now().Truncate(time.Second)
	}
	return &Mock{now: start.UTC()}
}

// Now returns the clock's current time.
func (m *Mock) Now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.now
}

// Manual reports true.
func (m *Mock) Manual() bool { return true }

// AfterFunc schedules f to run when the clock reaches Now()+d. A d of zero or
// less runs f at the next Advance (even by zero).
func (m *Mock) AfterFunc(d time.Duration, f func()) Timer {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.seq++
	t := &mockTimer{clock: m, when: m.now.Add(d), seq: m.seq, f: f, index: -1}
	heap.Push(&m.timers, t)
	return t
}

// Pending returns how many timers wait to fire.
func (m *Mock) Pending() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.timers)
}

// Advance moves the clock forward by d, firing due timers in time order
// (ties in scheduling order). Timers scheduled by a firing timer run in the
// same call when they fall due before the target time. It returns the new
// time.
func (m *Mock) Advance(d time.Duration) (time.Time, error) {
	if d < 0 {
		return m.Now(), ErrBackwards
	}
	m.advancing.Lock()
	defer m.advancing.Unlock()
	m.mu.Lock()
	target := m.now.Add(d)
	m.mu.Unlock()
	m.runUntil(target)
	m.moved(target)
	return target, nil
}

// Set moves the clock to t, which must not be before Now.
func (m *Mock) Set(t time.Time) error {
	m.advancing.Lock()
	defer m.advancing.Unlock()
	m.mu.Lock()
	if t.Before(m.now) {
		m.mu.Unlock()
		return ErrBackwards
	}
	m.mu.Unlock()
	m.runUntil(t.UTC())
	m.moved(t.UTC())
	return nil
}

func (m *Mock) runUntil(target time.Time) {
	for {
		m.mu.Lock()
		if len(m.timers) == 0 || m.timers[0].when.After(target) {
			m.now = target
			m.mu.Unlock()
			return
		}
		t := heap.Pop(&m.timers).(*mockTimer)
		if t.when.After(m.now) {
			m.now = t.when
		}
		m.mu.Unlock()
		// Run outside the lock: the function may schedule more timers.
		t.f()
	}
}

type mockTimer struct {
	clock *Mock
	when  time.Time
	seq   uint64
	f     func()
	index int
}

func (t *mockTimer) Stop() bool {
	m := t.clock
	m.mu.Lock()
	defer m.mu.Unlock()
	if t.index < 0 {
		return false
	}
	heap.Remove(&m.timers, t.index)
	return true
}

type timerHeap []*mockTimer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if h[i].when.Equal(h[j].when) {
		return h[i].seq < h[j].seq
	}
	return h[i].when.Before(h[j].when)
}
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *timerHeap) Push(x any) {
	t := x.(*mockTimer)
	t.index = len(*h)
	*h = append(*h, t)
}
func (h *timerHeap) Pop() any {
	old := *h
	n := len(old)
	t := old[n-1]
	old[n-1] = nil
	t.index = -1
	*h = old[:n-1]
	return t
}
