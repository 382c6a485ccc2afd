package state

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kycemu/kycemu/emulator/clock"
	"github.com/kycemu/kycemu/emulator/internal/fake"
	"github.com/kycemu/kycemu/emulator/provider"
)

// Limits bound what a store keeps. A zero field takes its default; a
// negative one means no bound.
type Limits struct {
	// Records caps the records kept in all. Default 100,000.
	Records int
	// RecordsPerTenant caps one tenant's records. Default 10,000.
	RecordsPerTenant int
	// Tenants caps the tenants (of all providers); the least recently used
	// goes first. Default 10,000.
	Tenants int
	// Retention is how long a record is kept after it reached a terminal
	// status, on the emulator clock. Default 7 days.
	Retention time.Duration
	// BlobBytes caps the bytes of uploads kept in all; the oldest uploads
	// go first. Default 256 MiB.
	BlobBytes int64
	// BlobBytesPerTenant caps one tenant's uploads. Default 64 MiB.
	BlobBytesPerTenant int64
}

// DefaultLimits returns the default bounds.
func DefaultLimits() Limits {
	return Limits{Records: 100_000, RecordsPerTenant: 10_000, Tenants: 10_000, Retention: 7 * 24 * time.Hour,
		BlobBytes: 256 << 20, BlobBytesPerTenant: 64 << 20}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.Records == 0 {
		l.Records = d.Records
	}
	if l.RecordsPerTenant == 0 {
		l.RecordsPerTenant = d.RecordsPerTenant
	}
	if l.Tenants == 0 {
		l.Tenants = d.Tenants
	}
	if l.Retention == 0 {
		l.Retention = d.Retention
	}
	if l.BlobBytes == 0 {
		l.BlobBytes = d.BlobBytes
	}
	if l.BlobBytesPerTenant == 0 {
		l.BlobBytesPerTenant = d.BlobBytesPerTenant
	}
	return l
}

// Config configures a Store.
type Config struct {
	// Clock stamps records and runs timelines. Default: clock.Real.
	Clock clock.Clock
	// Rand is the root random source; each tenant's stream is derived
	// from it (Tx.Rand). Default: seed 1.
	Rand *fake.Source
	// Log receives evictions and storage failures. Default: discard.
	Log *slog.Logger
	// Backend makes the store durable; nil keeps everything in memory.
	Backend Backend
	// Limits bound the store.
	Limits Limits
	// RestorePlan completes a plan read back from the backend (it carries
	// steps, options and webhook faults, not the scenario engine's upload
	// fault counters). Default: none.
	RestorePlan func(provider, kind, tenant string, p *provider.Plan)
}

// Stats are the store's counters.
type Stats struct {
	Records   int   `json:"records"`
	Tenants   int   `json:"tenants"`
	BlobBytes int64 `json:"blobBytes"`
	// Evicted counts records dropped to keep a bound, by reason
	// (retention, records, tenant_records, tenants, reset excluded).
	Evicted map[string]int64 `json:"evicted"`
	// BlobsEvicted counts uploads dropped to keep a byte bound.
	BlobsEvicted int64 `json:"blobsEvicted"`
	// CommitErrors counts batches the backend refused.
	CommitErrors int64 `json:"commitErrors"`
	// Kinds counts the records kept now by provider and kind, in
	// registration order (kinds without records included).
	Kinds []KindCount `json:"kinds"`
}

// KindCount is how many records of one kind the store keeps.
type KindCount struct {
	Provider string `json:"provider"`
	Kind     string `json:"kind"`
	Session  bool   `json:"session"`
	Records  int    `json:"records"`
}

// Store keeps every provider's records. Build it with New, register each
// provider's Spec with Space, then call Load.
type Store struct {
	cfg    Config
	lim    Limits
	clock  clock.Clock
	log    *slog.Logger
	commit *committer
	sched  *scheduler

	seq    atomic.Uint64 // last record sequence number
	dueSeq atomic.Uint64 // last Due.N
	tick   atomic.Int64  // tenant use order
	loaded atomic.Bool

	mu         sync.Mutex
	spaces     map[string]*Space
	spaceOrder []*Space
	live       list // every live record, oldest first
	ended      list // every finished record, in the order they ended
	records    int
	tenants    int
	blobBytes  int64
	blobs      blobQueue
	// sessions holds the session records in creation order. A deleted
	// one leaves an empty slot (compacted away when they are many), so
	// readers can walk the slots without the lock while it is being
	// changed.
	sessions []atomic.Pointer[Record]
	deadSess int // empty slots
	// retentionNext is when (UnixNano) the oldest finished record's
	// retention ends.
	retentionNext atomic.Int64

	evicted      sync.Map // reason -> *atomic.Int64
	blobsEvicted atomic.Int64
	commitErrors atomic.Int64
}

// New returns an empty store.
func New(cfg Config) *Store {
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Rand == nil {
		cfg.Rand = fake.New(1)
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Store{cfg: cfg, lim: cfg.Limits.withDefaults(), clock: cfg.Clock, log: cfg.Log, spaces: map[string]*Space{}}
	s.commit = newCommitter(cfg.Backend, func(err error) {
		s.commitErrors.Add(1)
		s.log.Error("state: the backend refused a write", "error", err)
	})
	s.sched = newScheduler(cfg.Clock, s.fire)
	s.retentionNext.Store(math.MaxInt64)
	return s
}

// Limits returns the bounds in force.
func (s *Store) Limits() Limits { return s.lim }

// Durable reports whether the store has a backend.
func (s *Store) Durable() bool { return s.cfg.Backend != nil }

// Space registers a provider's spec and returns its space. Call it before
// Load; registering a name twice panics.
func (s *Store) Space(name string, spec Spec) *Space {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.spaces[name]; dup {
		panic("state: space " + name + " registered twice")
	}
	sp := newSpace(s, name, spec)
	s.spaces[name] = sp
	s.spaceOrder = append(s.spaceOrder, sp)
	return sp
}

// Close flushes pending writes and closes the backend. Timelines stop.
func (s *Store) Close() error {
	s.sched.stop()
	err := s.commit.close()
	if s.cfg.Backend != nil {
		err = errors.Join(err, s.cfg.Backend.Close())
	}
	return err
}

// Flush waits until every write enqueued so far is durable.
func (s *Store) Flush() error { return s.commit.enqueue(nil).wait() }

// Stats returns the store's counters.
func (s *Store) Stats() Stats {
	s.mu.Lock()
	st := Stats{Records: s.records, Tenants: s.tenants, BlobBytes: s.blobBytes, Evicted: map[string]int64{}}
	for _, sp := range s.spaceOrder {
		for _, k := range sp.spec.Kinds {
			st.Kinds = append(st.Kinds, KindCount{Provider: sp.name, Kind: k.Name, Session: k.Session,
				Records: sp.kinds[k.Name].count})
		}
	}
	s.mu.Unlock()
	s.evicted.Range(func(k, v any) bool {
		st.Evicted[k.(string)] = v.(*atomic.Int64).Load()
		return true
	})
	st.BlobsEvicted = s.blobsEvicted.Load()
	st.CommitErrors = s.commitErrors.Load()
	return st
}

func (s *Store) countEviction(reason string) {
	v, ok := s.evicted.Load(reason)
	if !ok { // once per reason: LoadOrStore allocates, and evictions are many
		v, _ = s.evicted.LoadOrStore(reason, new(atomic.Int64))
	}
	v.(*atomic.Int64).Add(1)
}

// Put stores an item of another package's namespace (the webhook queue,
// the journal) without waiting for it to be durable; Sync waits.
func (s *Store) Put(ns, key string, val []byte) {
	s.commit.enqueue([]Op{{NS: ns, Key: []byte(key), Val: val}})
}

// PutSync stores an item and waits until it is durable.
func (s *Store) PutSync(ns, key string, val []byte) error {
	return s.commit.enqueue([]Op{{NS: ns, Key: []byte(key), Val: val}}).wait()
}

// Delete removes an item of another package's namespace.
func (s *Store) Delete(ns, key string) { s.commit.enqueue([]Op{{NS: ns, Key: []byte(key)}}) }

// Scan reads back another package's namespace, in key order; nothing is
// stored without a backend.
func (s *Store) Scan(ns string, fn func(key string, val []byte) error) error {
	if s.cfg.Backend == nil {
		return nil
	}
	if err := s.Flush(); err != nil {
		return err
	}
	return s.cfg.Backend.Scan(ns, func(k, v []byte) error { return fn(string(k), v) })
}

// Get reads one item of another package's namespace.
func (s *Store) Get(ns, key string) ([]byte, bool, error) {
	if s.cfg.Backend == nil {
		return nil, false, nil
	}
	if err := s.Flush(); err != nil {
		return nil, false, err
	}
	v, err := s.cfg.Backend.Get(ns, []byte(key))
	if errors.Is(err, ErrNotFound) {
		return nil, false, nil
	}
	return v, err == nil, err
}

// Sessions lists session records in creation order: those after the
// cursor (a Seq; 0 from the start), at most limit (0: all) matching f. It
// returns the page, the cursor of the next page (0 at the end) and the
// number of matches in all.
func (s *Store) Sessions(f Filter, after uint64, limit int) (page []provider.Session, next uint64, total int) {
	s.sweepDue()
	s.mu.Lock()
	all := s.sessions // compaction allocates a new slice, so this one stays put
	s.mu.Unlock()
	page = []provider.Session{}
	var last uint64
	for i := range all {
		r := all[i].Load()
		if r == nil || !f.matchKey(r) {
			continue
		}
		onPage := r.Seq > after && (limit <= 0 || len(page) < limit)
		if !onPage {
			// Counted only: no summary is built for records off the page.
			if _, ok := f.status(r); ok {
				total++
				if r.Seq > after && next == 0 {
					next = last
				}
			}
			continue
		}
		sum, ok := f.view(r)
		if !ok {
			continue
		}
		total++
		page = append(page, sum)
		last = r.Seq
	}
	return page, next, total
}

// Tally is one group of Counts.
type Tally struct {
	Provider, Tenant, Status string
}

// Counts counts the session records matching f by provider, tenant and
// status, without building their summaries.
func (s *Store) Counts(f Filter) map[Tally]int {
	s.sweepDue()
	s.mu.Lock()
	all := s.sessions
	s.mu.Unlock()
	out := map[Tally]int{}
	for i := range all {
		r := all[i].Load()
		if r == nil || !f.matchKey(r) {
			continue
		}
		if st, ok := f.status(r); ok {
			out[Tally{r.Provider, r.Tenant, st}]++
		}
	}
	return out
}

// Filter selects sessions; zero fields match everything.
type Filter struct {
	Provider string
	Tenant   string
	Kind     string
	// Status matches case-insensitively.
	Status string
}

func (f Filter) matchKey(r *Record) bool {
	return (f.Provider == "" || f.Provider == r.Provider) && (f.Tenant == "" || f.Tenant == r.Tenant) &&
		(f.Kind == "" || f.Kind == r.Kind)
}

// status returns r's status under its tenant's lock when it is live and
// matches the status filter.
func (f Filter) status(r *Record) (string, bool) {
	t := r.t
	t.mu.RLock()
	defer t.mu.RUnlock()
	if r.gone || (f.Status != "" && !strings.EqualFold(r.Status, f.Status)) {
		return "", false
	}
	return r.Status, true
}

// view summarises r under its tenant's lock when it is live and matches
// the status filter.
func (f Filter) view(r *Record) (provider.Session, bool) {
	t := r.t
	t.mu.RLock()
	defer t.mu.RUnlock()
	if r.gone || (f.Status != "" && !strings.EqualFold(r.Status, f.Status)) {
		return provider.Session{}, false
	}
	return r.summary(), true
}

// Session returns one session by id, whichever provider and tenant own it.
func (s *Store) Session(id string) (provider.Session, bool) {
	var out provider.Session
	found := false
	for _, sp := range s.spaceList() {
		if sp.withSession(id, false, func(tx *Tx, r *Record) error {
			out, found = r.summary(), true
			return nil
		}) == nil && found {
			return out, true
		}
	}
	return out, false
}

// Owner returns the provider and tenant of a session, without reading it.
func (s *Store) Owner(id string) (prov, tenant string, ok bool) {
	for _, sp := range s.spaceList() {
		for _, k := range sp.spec.Kinds {
			if k.Session {
				if t, found := sp.Locate(k.Name, id); found {
					return sp.name, t, true
				}
			}
		}
	}
	return "", "", false
}

// Act forces a control action on a session.
func (s *Store) Act(id string, a provider.Action) (provider.Session, error) {
	for _, sp := range s.spaceList() {
		var out provider.Session
		err := sp.withSession(id, true, func(tx *Tx, r *Record) error {
			if r.k.spec.Act == nil {
				return provider.Errorf(provider.KindConflict, "this session takes no actions").WithCode("action_not_allowed")
			}
			if err := r.k.spec.Act(tx, r, a); err != nil {
				return err
			}
			out = r.summary()
			return nil
		})
		if errors.Is(err, errNoSession) {
			continue
		}
		return out, err
	}
	return provider.Session{}, provider.NotFound("no session with that id").WithCode("session_not_found")
}

// Reset forgets one tenant of every provider, or every tenant when tenant
// is "". Their timelines stop; nothing is counted as evicted. Providers'
// shared settings (Spec.Shared) are configuration and stay.
func (s *Store) Reset(tenant string) {
	for _, sp := range s.spaceList() {
		for _, t := range sp.tenantList() {
			if tenant == "" || t.name == tenant {
				s.dropTenant(t, "")
			}
		}
	}
}

// spaceList returns the spaces in the order they were registered. Spaces
// are only ever appended, never changed or removed, so the list as it
// stands is handed out without a copy (as tenantVictim reads it): a later
// registration writes past its end or into a new array. Its capacity is
// cut at its length, so an append by a caller cannot write into it either.
// Journaling a request looks its session's owner up here.
func (s *Store) spaceList() []*Space {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.spaceOrder[:len(s.spaceOrder):len(s.spaceOrder)]
}

var errNoSession = errors.New("state: no such session")

func (s *Store) String() string { return fmt.Sprintf("state.Store(%d records)", s.Stats().Records) }
