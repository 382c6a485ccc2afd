package state

import (
	"errors"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/kycemu/kycemu/emulator/internal/fake"
	"github.com/kycemu/kycemu/emulator/provider"
)

// Space is one provider's part of the store.
type Space struct {
	s     *Store
	name  string
	spec  Spec
	kinds map[string]*kindInfo

	mu      sync.RWMutex
	tenants map[string]*tenant

	sharedMu sync.Mutex
	shared   any
}

type kindInfo struct {
	spec    Kind
	slot    int // the kind's place in Spec.Kinds and in tenant.kinds
	indexes map[string]Scope
	// recs holds every record of the kind, of all tenants, by id
	// (Space.mu): ids are unique across tenants, so one map answers both
	// a tenant's lookups and the lookups by id alone.
	recs map[string]*Record
	// global holds the values of the provider-scoped indexes: index
	// name -> value -> record (Space.mu).
	global map[string]map[string]*Record
	count  int // records kept now (Store.mu)
}

// tenant is one tenant's records and data.
type tenant struct {
	sp   *Space
	name string

	mu    sync.RWMutex
	gone  bool
	kinds []tenantKind // by kindInfo.slot
	data  any
	rands map[string]*fake.Source
	// resumed positions of random streams read back from the backend,
	// applied when the stream is first asked for.
	draws map[string]uint64

	used atomic.Int64 // Store.tick at the last transaction

	// Store.mu guards the rest.
	live      list
	ended     list
	count     int
	blobBytes int64
	blobs     blobQueue
}

// tenantKind is a tenant's records of one kind; the tenant lock guards it.
type tenantKind struct {
	n int // records of the kind
	// local holds the values of the tenant-scoped indexes, like
	// kindInfo.global; nil until the first is set.
	local map[string]map[string]*Record
	// order lists the records in creation order; a record leaves it in
	// constant time, however many the tenant keeps.
	order list
	// view is order as the slice Tx.List returns, built on demand and
	// kept until a record leaves (a create appends to it). Readers
	// holding the read lock may build it concurrently, hence the atomic.
	view atomic.Pointer[[]*Record]
}

// list returns the records in creation order; the caller holds the
// tenant lock, for reading at least.
func (tk *tenantKind) list() []*Record {
	if v := tk.view.Load(); v != nil {
		return *v
	}
	rs := make([]*Record, 0, tk.n)
	for r := tk.order.head; r != nil; r = r.o.next {
		rs = append(rs, r)
	}
	tk.view.CompareAndSwap(nil, &rs)
	return rs
}

// add puts a new record last; the caller holds the tenant lock for writing.
func (tk *tenantKind) add(r *Record) {
	tk.n++
	tk.order.push(r)
	if v := tk.view.Load(); v != nil {
		// No reader holds the lock, and the slices handed out before keep
		// their length: appending in place is invisible to them.
		*v = append(*v, r)
	}
}

// remove takes a record off; the caller holds the tenant lock for writing.
func (tk *tenantKind) remove(r *Record) {
	tk.n--
	tk.order.remove(r)
	tk.view.Store(nil)
}

// values returns the map of one index's values to their records: the
// provider's for a provider-scoped index (the caller holds Space.mu), the
// tenant's otherwise. A tenant's map is made on first use when create is
// set; until then it is nil, which reads as empty.
func (t *tenant) values(k *kindInfo, index string, create bool) map[string]*Record {
	if k.indexes[index] == ProviderScope {
		return k.global[index]
	}
	tk := &t.kinds[k.slot]
	m := tk.local[index]
	if m == nil && create {
		if tk.local == nil {
			tk.local = map[string]map[string]*Record{}
		}
		m = map[string]*Record{}
		tk.local[index] = m
	}
	return m
}

// newRecord returns a zero record of the kind. A kind with one index (the
// usual case) gets the room for its value in the record's own block: one
// object fewer per record for the garbage collector to mark.
func (k *kindInfo) newRecord() *Record {
	if len(k.indexes) != 1 {
		return &Record{k: k}
	}
	b := new(struct {
		r     Record
		index [1]indexValue
	})
	b.r.k, b.r.index = k, b.index[:0]
	return &b.r
}

func newSpace(s *Store, name string, spec Spec) *Space {
	sp := &Space{s: s, name: name, spec: spec, kinds: map[string]*kindInfo{},
		tenants: map[string]*tenant{}}
	for i, k := range spec.Kinds {
		if k.New == nil {
			panic("state: kind " + name + "/" + k.Name + " has no New")
		}
		ki := &kindInfo{spec: k, slot: i, indexes: k.Indexes, recs: map[string]*Record{},
			global: map[string]map[string]*Record{}}
		for name, scope := range k.Indexes {
			if scope == ProviderScope {
				ki.global[name] = map[string]*Record{}
			}
		}
		sp.kinds[k.Name] = ki
	}
	if spec.Shared != nil {
		sp.shared = spec.Shared()
	}
	return sp
}

// Name returns the provider's name.
func (sp *Space) Name() string { return sp.name }

// Store returns the store the space belongs to.
func (sp *Space) Store() *Store { return sp.s }

func (sp *Space) kind(name string) *kindInfo {
	k, ok := sp.kinds[name]
	if !ok {
		panic("state: " + sp.name + " has no kind " + name)
	}
	return k
}

func (sp *Space) newTenant(name string) *tenant {
	t := &tenant{sp: sp, name: name, kinds: make([]tenantKind, len(sp.spec.Kinds)),
		rands: map[string]*fake.Source{},
		live:  list{sel: tenantLinks}, ended: list{sel: tenantLinks}, blobs: blobQueue{tenant: true}}
	for i := range t.kinds {
		t.kinds[i].order.sel = orderLinks
	}
	if sp.spec.Tenant != nil {
		t.data = sp.spec.Tenant()
	}
	return t
}

// tenant returns a tenant's state, creating it when create is set.
func (sp *Space) tenant(name string, create bool) *tenant {
	sp.mu.RLock()
	t, ok := sp.tenants[name]
	sp.mu.RUnlock()
	if ok || !create {
		return t
	}
	sp.mu.Lock()
	if t, ok = sp.tenants[name]; !ok {
		t = sp.newTenant(name)
		sp.tenants[name] = t
		sp.s.mu.Lock()
		sp.s.tenants++
		sp.s.mu.Unlock()
	}
	sp.mu.Unlock()
	return t
}

func (sp *Space) tenantList() []*tenant {
	sp.mu.RLock()
	defer sp.mu.RUnlock()
	out := make([]*tenant, 0, len(sp.tenants))
	for _, t := range sp.tenants {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// Tenants returns the names of the tenants that have state, sorted.
func (sp *Space) Tenants() []string {
	ts := sp.tenantList()
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.name
	}
	return out
}

// Update runs fn in a write transaction on a tenant (created on first use)
// and returns once its writes are durable. fn's changes to records stay
// even when it returns an error, so check before you change. A failed
// write to the backend is returned as a 503 *provider.Error.
func (sp *Space) Update(tenant string, fn func(tx *Tx) error) error {
	sp.s.sweepDue()
	for {
		t := sp.tenant(tenant, true)
		err, retry := sp.s.update(t, fn)
		if !retry {
			return err
		}
	}
}

// View runs fn in a read transaction on a tenant. A tenant without state
// reads as empty; fn must not write.
func (sp *Space) View(tenant string, fn func(tx *Tx) error) error {
	sp.s.sweepDue()
	t := sp.tenant(tenant, false)
	if t == nil {
		t = sp.newTenant(tenant)
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	sp.s.touchTenant(t)
	tx := newTx(t, false)
	err := fn(tx)
	tx.release()
	return err
}

// Locate returns the tenant that owns a record.
func (sp *Space) Locate(kind, id string) (string, bool) {
	k, ok := sp.kinds[kind]
	if !ok {
		return "", false
	}
	sp.mu.RLock()
	defer sp.mu.RUnlock()
	r, ok := k.recs[id]
	if !ok {
		return "", false
	}
	return r.t.name, true
}

// Find returns the record holding a provider-scoped index value.
func (sp *Space) Find(kind, index, value string) (tenant, id string, ok bool) {
	k, ok := sp.kinds[kind]
	if !ok {
		return "", "", false
	}
	sp.mu.RLock()
	defer sp.mu.RUnlock()
	r, ok := k.global[index][value]
	if !ok {
		return "", "", false
	}
	return r.Tenant, r.ID, true
}

// ErrNoRecord is returned by UpdateRecord and ViewRecord when the record
// does not exist (or was evicted).
var ErrNoRecord = errors.New("state: no such record")

// UpdateRecord runs fn in a write transaction on the tenant that owns a
// record, whoever it is: the lookup-and-lock a request without credentials
// needs (an upload, a hosted page). It returns ErrNoRecord when the record
// does not exist.
func (sp *Space) UpdateRecord(kind, id string, fn func(tx *Tx, r *Record) error) error {
	return sp.onRecord(kind, id, true, fn)
}

// ViewRecord is UpdateRecord for reading.
func (sp *Space) ViewRecord(kind, id string, fn func(tx *Tx, r *Record) error) error {
	return sp.onRecord(kind, id, false, fn)
}

func (sp *Space) onRecord(kind, id string, write bool, fn func(tx *Tx, r *Record) error) error {
	name, ok := sp.Locate(kind, id)
	if !ok {
		return ErrNoRecord
	}
	run := func(tx *Tx) error {
		r := tx.Get(kind, id)
		if r == nil {
			return ErrNoRecord
		}
		return fn(tx, r)
	}
	if write {
		return sp.Update(name, run)
	}
	return sp.View(name, run)
}

// withSession runs fn on a session record with the given id of any of the
// space's session kinds; errNoSession when there is none.
func (sp *Space) withSession(id string, write bool, fn func(tx *Tx, r *Record) error) error {
	for _, k := range sp.spec.Kinds {
		if !k.Session {
			continue
		}
		err := sp.onRecord(k.Name, id, write, fn)
		if errors.Is(err, ErrNoRecord) {
			continue
		}
		return err
	}
	return errNoSession
}

// UpdateShared runs fn on the provider's shared data (Spec.Shared) and
// stores it.
func (sp *Space) UpdateShared(fn func(v any) error) error {
	sp.sharedMu.Lock()
	err := fn(sp.shared)
	var b *batch
	if err == nil && sp.s.Durable() {
		val, merr := encodeJSON(sp.shared)
		if merr != nil {
			err = merr
		} else {
			b = sp.s.commit.enqueue([]Op{{NS: nsMeta, Key: sharedKey(sp.name), Val: val}})
		}
	}
	sp.sharedMu.Unlock()
	if err != nil {
		return err
	}
	return storageError(b.wait())
}

// ViewShared runs fn on the provider's shared data.
func (sp *Space) ViewShared(fn func(v any)) {
	sp.sharedMu.Lock()
	defer sp.sharedMu.Unlock()
	fn(sp.shared)
}

func sharedKey(provider string) []byte { return []byte("shared\x00" + provider) }

func storageError(err error) error {
	if err == nil {
		return nil
	}
	return provider.Errorf(provider.KindUnavailable, "the emulator could not store the change")
}
