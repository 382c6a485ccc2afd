package state

import (
	"slices"
	"sync"
	"time"

	"github.com/kycemu/kycemu/emulator/clock"
)

// dueRef is one scheduled step in the heap: its time (UnixNano) and its
// Due.N. It holds no pointer, so the heap, one entry per step still due,
// is nothing for the garbage collector to scan; the record is found in
// scheduler.refs.
type dueRef struct {
	at int64
	n  uint64
}

// dueHeap is a binary min-heap of refs by time, then scheduling order.
// It is written out rather than built on container/heap, whose interface
// boxes every ref pushed or popped in an allocation.
type dueHeap []dueRef

func (h dueHeap) less(i, j int) bool {
	if h[i].at == h[j].at {
		return h[i].n < h[j].n
	}
	return h[i].at < h[j].at
}

func (h *dueHeap) push(d dueRef) {
	*h = append(*h, d)
	h.up(len(*h) - 1)
}

// pop removes and returns the earliest ref; h is not empty.
func (h *dueHeap) pop() dueRef {
	old := *h
	d, last := old[0], len(old)-1
	old[0] = old[last]
	*h = old[:last]
	h.down(0)
	return d
}

// init restores the heap order of any arrangement.
func (h dueHeap) init() {
	for i := len(h)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}

func (h dueHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(i, p) {
			return
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
}

func (h dueHeap) down(i int) {
	for {
		c := 2*i + 1
		if c >= len(h) {
			return
		}
		if r := c + 1; r < len(h) && h.less(r, c) {
			c = r
		}
		if !h.less(c, i) {
			return
		}
		h[i], h[c] = h[c], h[i]
		i = c
	}
}

// scheduler runs due steps in time order (ties in scheduling order) with
// one clock timer armed for the earliest.
type scheduler struct {
	clock clock.Clock
	run   func(r *Record, n uint64)

	mu sync.Mutex
	h  dueHeap
	// refs holds the record of every step that will fire, by Due.N. A
	// cancelled step leaves it at once, so a deleted record is not kept
	// alive until its old due times; its ref stays in h, skipped when it
	// comes up (or compacted away when such refs are the many).
	refs    map[uint64]*Record
	timer   clock.Timer
	armedAt int64 // UnixNano the timer is armed for, when timer is set
	running bool
	stopped bool
}

func newScheduler(c clock.Clock, run func(r *Record, n uint64)) *scheduler {
	return &scheduler{clock: c, run: run, refs: map[uint64]*Record{}}
}

// cancel drops steps that will not fire.
func (s *scheduler) cancel(ds []Due) {
	if len(ds) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range ds {
		delete(s.refs, d.N)
	}
	// Drop cancelled steps from the top, so the timer follows the next
	// step that will really fire (or stops when there is none).
	top := len(s.h) > 0 && s.h[0].at == s.armedAt
	for len(s.h) > 0 && s.refs[s.h[0].n] == nil {
		s.h.pop()
	}
	if !s.running && !s.stopped && top {
		switch {
		case len(s.h) == 0:
			if s.timer != nil {
				s.timer.Stop()
				s.timer = nil
			}
		case s.h[0].at != s.armedAt:
			s.arm(s.h[0].at)
		}
	}
	if stale := len(s.h) - len(s.refs); stale > 1024 && stale > len(s.refs) {
		kept := s.h[:0]
		for _, d := range s.h {
			if s.refs[d.n] != nil {
				kept = append(kept, d)
			}
		}
		s.h = kept
		s.h.init()
	}
}

// push schedules step n of r at a time.
func (s *scheduler) push(at time.Time, n uint64, r *Record) {
	d := dueRef{at: at.UnixNano(), n: n}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.h.push(d)
	s.refs[n] = r
	if s.running || s.stopped {
		return // the running loop picks it up
	}
	if s.timer != nil && d.at >= s.armedAt {
		return
	}
	s.arm(d.at)
}

// arm (re)sets the timer; the caller holds s.mu.
func (s *scheduler) arm(at int64) {
	if s.timer != nil {
		s.timer.Stop()
	}
	s.armedAt = at
	s.timer = s.clock.AfterFunc(time.Duration(at-s.clock.Now().UnixNano()), s.fire)
}

// fire runs every step that is due, then arms the timer for the next.
func (s *scheduler) fire() {
	s.mu.Lock()
	if s.running || s.stopped {
		s.mu.Unlock()
		return
	}
	s.running, s.timer = true, nil
	for {
		if len(s.h) == 0 {
			break
		}
		d := s.h[0]
		if d.at > s.clock.Now().UnixNano() {
			s.running = false
			s.arm(d.at)
			s.mu.Unlock()
			return
		}
		s.h.pop()
		r := s.refs[d.n]
		if r == nil {
			continue // cancelled
		}
		delete(s.refs, d.n)
		s.mu.Unlock()
		s.run(r, d.n)
		s.mu.Lock()
		if s.stopped {
			break
		}
	}
	s.running = false
	s.mu.Unlock()
}

func (s *scheduler) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopped = true
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
}

// fire applies one due step in a write transaction of its record's tenant.
// A panic in the provider's code is logged and the step dropped; the
// timeline goes on.
func (s *Store) fire(r *Record, n uint64) {
	defer func() {
		if v := recover(); v != nil {
			s.log.Error("state: a timeline step panicked", "provider", r.Provider, "kind", r.Kind, "id", r.ID, "panic", v)
		}
	}()
	_, _ = s.update(r.t, func(tx *Tx) error {
		if r.gone {
			return nil
		}
		i := slices.IndexFunc(r.Due, func(x Due) bool { return x.N == n })
		if i < 0 {
			return nil // cancelled
		}
		st := r.Due[i].Step
		if r.Due = slices.Delete(r.Due, i, i+1); len(r.Due) == 0 {
			r.Due = nil // the record may be kept for weeks: not its array
		}
		tx.touch(r)
		if f := r.k.spec.Fire; f != nil {
			f(tx, r, st)
		} else {
			tx.Move(r, st.Status, "timeline", st.Reason)
		}
		return nil
	})
}
