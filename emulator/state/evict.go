package state

import (
	"context"
	"log/slog"
	"math"
	"sync/atomic"
	"time"
)

// list is an intrusive list of records, oldest first. sel picks which of a
// record's sets of links it uses.
type list struct {
	head, tail *Record
	sel        linkSet
}

type linkSet uint8

const (
	storeLinks  linkSet = iota // Store.live, Store.ended
	tenantLinks                // tenant.live, tenant.ended
	orderLinks                 // tenantKind.order
)

func (l *list) links(r *Record) *links {
	switch l.sel {
	case tenantLinks:
		return &r.tl
	case orderLinks:
		return &r.o
	}
	return &r.g
}

func (l *list) push(r *Record) {
	ln := l.links(r)
	ln.prev, ln.next = l.tail, nil
	if l.tail != nil {
		l.links(l.tail).next = r
	} else {
		l.head = r
	}
	l.tail = r
}

func (l *list) remove(r *Record) {
	ln := l.links(r)
	if ln.prev != nil {
		l.links(ln.prev).next = ln.next
	} else if l.head == r {
		l.head = ln.next
	}
	if ln.next != nil {
		l.links(ln.next).prev = ln.prev
	} else if l.tail == r {
		l.tail = ln.prev
	}
	ln.prev, ln.next = nil, nil
}

// linkNew puts a new record on the live lists and counts it; the caller
// holds its tenant's lock.
func (s *Store) linkNew(r *Record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !r.k.spec.Anchor {
		s.live.push(r)
		r.t.live.push(r)
	}
	s.records++
	r.t.count++
	r.k.count++
	if r.k.spec.Session {
		r.spos = len(s.sessions)
		s.sessions = append(s.sessions, atomic.Pointer[Record]{})
		s.sessions[r.spos].Store(r)
	}
}

// linkEnded moves a record that reached a terminal status at a time to the
// ended lists and arms the retention sweep.
func (s *Store) linkEnded(r *Record, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.ended || r.dead || r.k.spec.Anchor {
		return
	}
	s.live.remove(r)
	r.t.live.remove(r)
	s.ended.push(r)
	r.t.ended.push(r)
	r.ended, r.endedAt = true, at.UnixNano()
	s.armRetention()
}

// linkLive moves a reopened record back to the live lists.
func (s *Store) linkLive(r *Record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !r.ended || r.dead {
		return
	}
	s.ended.remove(r)
	r.t.ended.remove(r)
	s.live.push(r)
	r.t.live.push(r)
	r.ended = false
	s.armRetention()
}

// unlink removes a record from every structure and records the deletion
// in tx; the caller holds the tenant lock.
func (s *Store) unlink(r *Record, tx *Tx) {
	r.gone = true
	t, sp := r.t, r.t.sp
	t.kinds[r.k.slot].remove(r)
	sp.mu.Lock()
	if r.k.recs[r.ID] == r {
		delete(r.k.recs, r.ID)
	}
	for _, iv := range r.index {
		if m := t.values(r.k, iv.name, false); m[iv.value] == r {
			delete(m, iv.value)
		}
	}
	sp.mu.Unlock()
	s.mu.Lock()
	r.dead = true
	switch {
	case r.k.spec.Anchor:
	case r.ended:
		s.ended.remove(r)
		t.ended.remove(r)
		s.armRetention()
	default:
		s.live.remove(r)
		t.live.remove(r)
	}
	s.records--
	t.count--
	r.k.count--
	for name, b := range r.blobs {
		s.blobBytes -= b.size
		t.blobBytes -= b.size
		if s.cfg.Backend != nil {
			tx.ops = append(tx.ops, Op{NS: nsBlobs, Key: blobKey(r.Key, name)})
		}
	}
	r.blobs = nil
	if r.k.spec.Session {
		s.dropSession(r)
	}
	s.mu.Unlock()
	s.sched.cancel(r.Due)
	r.Due = nil
}

// dropSession empties a deleted session's slot in Store.sessions, so the
// record is garbage at once, and compacts the slots when the empty ones
// are the many; the caller holds s.mu.
func (s *Store) dropSession(r *Record) {
	s.sessions[r.spos].Store(nil)
	s.deadSess++
	if s.deadSess <= 1024 || s.deadSess <= len(s.sessions)/2 {
		return
	}
	// A new array: readers iterating the old one (Sessions, Counts) keep
	// it as it was.
	kept := make([]atomic.Pointer[Record], len(s.sessions)-s.deadSess)
	n := 0
	for i := range s.sessions {
		if o := s.sessions[i].Load(); o != nil {
			o.spos = n
			kept[n].Store(o)
			n++
		}
	}
	s.sessions, s.deadSess = kept, 0
}

// enforce brings the store back within its bounds after a transaction on
// cur; it takes no lock the caller holds.
func (s *Store) enforce(cur *tenant) {
	if !s.over(cur) {
		return
	}
	for {
		r, reason := s.recordVictim(cur)
		if r == nil {
			break
		}
		s.evict(r, reason)
	}
	for {
		t := s.tenantVictim(cur)
		if t == nil {
			break
		}
		s.dropTenant(t, "tenants")
	}
	s.enforceBlobs(cur)
}

// over reports whether cur or the store is past a bound: the one check,
// under one lock, that most transactions need.
func (s *Store) over(cur *tenant) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	past := func(lim, n int64) bool { return lim > 0 && n > lim }
	l := s.lim
	return past(int64(l.RecordsPerTenant), int64(cur.count)) || past(int64(l.Records), int64(s.records)) ||
		past(int64(l.Tenants), int64(s.tenants)) || past(l.BlobBytesPerTenant, cur.blobBytes) ||
		past(l.BlobBytes, s.blobBytes)
}

func (s *Store) recordVictim(cur *tenant) (*Record, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	oldest := func(ended, live *list) *Record {
		if ended.head != nil {
			return ended.head
		}
		return live.head
	}
	if lim := s.lim.RecordsPerTenant; lim > 0 && cur.count > lim {
		return oldest(&cur.ended, &cur.live), "tenant_records"
	}
	if lim := s.lim.Records; lim > 0 && s.records > lim {
		return oldest(&s.ended, &s.live), "records"
	}
	return nil, ""
}

func (s *Store) tenantVictim(cur *tenant) *tenant {
	s.mu.Lock()
	over := s.lim.Tenants > 0 && s.tenants > s.lim.Tenants
	spaces := s.spaceOrder
	s.mu.Unlock()
	if !over {
		return nil
	}
	var victim *tenant
	for _, sp := range spaces {
		sp.mu.RLock()
		for _, t := range sp.tenants {
			if t != cur && (victim == nil || t.used.Load() < victim.used.Load()) {
				victim = t
			}
		}
		sp.mu.RUnlock()
	}
	return victim
}

// evict drops one record to keep a bound. A record swept for retention
// is dropped only if it is still finished.
func (s *Store) evict(r *Record, reason string) {
	t := r.t
	t.mu.Lock()
	if r.gone || (reason == "retention" && r.Ended.IsZero()) {
		t.mu.Unlock()
		return
	}
	tx := newTx(t, true)
	tx.Delete(r)
	tx.finish()
	tx.release()
	t.mu.Unlock()
	s.countEviction(reason)
	s.log.LogAttrs(context.Background(), slog.LevelDebug, "state: record evicted", slog.String("reason", reason),
		slog.String("provider", r.Provider), slog.String("kind", r.Kind), slog.String("id", r.ID))
}

// dropTenant forgets a tenant of one provider; reason "" is a reset.
func (s *Store) dropTenant(t *tenant, reason string) {
	t.mu.Lock()
	if t.gone {
		t.mu.Unlock()
		return
	}
	t.gone = true
	tx := newTx(t, true)
	if s.Durable() {
		tx.ops = append(tx.ops, Op{NS: nsTenants, Key: tenantKey(t.sp.name, t.name)})
	}
	n := 0
	for i := range t.kinds {
		for r := t.kinds[i].order.head; r != nil; {
			next := r.o.next // Delete clears r's links
			tx.Delete(r)
			r = next
			n++
		}
	}
	tx.finish()
	tx.release()
	t.sp.mu.Lock()
	if t.sp.tenants[t.name] == t {
		delete(t.sp.tenants, t.name)
	}
	t.sp.mu.Unlock()
	s.mu.Lock()
	s.tenants--
	s.mu.Unlock()
	t.mu.Unlock()
	if reason != "" {
		for range n {
			s.countEviction(reason)
		}
		s.log.Info("state: tenant evicted", "reason", reason, "provider", t.sp.name, "records", n)
	}
}

// armRetention records when the oldest finished record's retention ends;
// the caller holds s.mu. The sweep runs lazily, after the next transaction
// from then on, so housekeeping never holds a timer on the clock.
func (s *Store) armRetention() {
	next := int64(math.MaxInt64)
	if s.lim.Retention >= 0 && s.ended.head != nil {
		next = s.retentionEnd(s.ended.head)
	}
	s.retentionNext.Store(next)
}

// sweepDue drops the finished records whose retention is over, if any is;
// it takes no lock the caller holds.
func (s *Store) sweepDue() {
	if s.clock.Now().UnixNano() < s.retentionNext.Load() {
		return
	}
	for {
		s.mu.Lock()
		r := s.ended.head
		if r == nil || s.retentionEnd(r) > s.clock.Now().UnixNano() {
			s.armRetention()
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		s.evict(r, "retention")
	}
}

// retentionEnd is when (UnixNano) a finished record's retention is over;
// the caller holds s.mu.
func (s *Store) retentionEnd(r *Record) int64 {
	if s.lim.Retention < 0 || r.endedAt > math.MaxInt64-int64(s.lim.Retention) {
		return math.MaxInt64
	}
	return r.endedAt + int64(s.lim.Retention)
}
