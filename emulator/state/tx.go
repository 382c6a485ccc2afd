package state

import (
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kycemu/kycemu/emulator/internal/fake"
	"github.com/kycemu/kycemu/emulator/provider"
)

// Tx is a transaction on one tenant, holding its lock. It is valid only
// inside the function it was handed to: it is recycled afterwards.
type Tx struct {
	sp    *Space
	t     *tenant
	write bool
	// durable: the store has a backend, so the transaction tracks what to
	// write; without one there is nothing to encode and nothing is kept.
	durable bool

	dirty   []*Record
	deleted []*Record
	ops     []Op // blob writes
	meta    bool // the tenant's data or streams changed
}

// txPool recycles transactions and the capacity of their lists: one is
// needed for every request, and a Tx is valid only inside its function.
var txPool = sync.Pool{New: func() any { return new(Tx) }}

// newTx returns a transaction on t from the pool.
func newTx(t *tenant, write bool) *Tx {
	tx := txPool.Get().(*Tx)
	tx.sp, tx.t, tx.write, tx.durable = t.sp, t, write, t.sp.s.Durable()
	return tx
}

// release returns a finished transaction to the pool, holding on to
// nothing it referred to.
func (tx *Tx) release() {
	if cap(tx.dirty) > 1024 || cap(tx.deleted) > 1024 || cap(tx.ops) > 64 {
		return // a transaction over a whole tenant: let its lists go
	}
	clear(tx.dirty)
	clear(tx.deleted)
	clear(tx.ops)
	*tx = Tx{dirty: tx.dirty[:0], deleted: tx.deleted[:0], ops: tx.ops[:0]}
	txPool.Put(tx)
}

// Tenant returns the tenant's name.
func (tx *Tx) Tenant() string { return tx.t.name }

// Now returns the emulator clock's time.
func (tx *Tx) Now() time.Time { return tx.sp.s.clock.Now() }

// Data returns the tenant's data (the pointer Spec.Tenant returned). In a
// write transaction it is stored when the transaction ends.
func (tx *Tx) Data() any {
	if tx.write {
		tx.meta = true
	}
	return tx.t.data
}

// Rand returns the tenant's random stream for a scope (none: the tenant's
// main stream), derived from the store's root source as
// Derive(provider, tenant, scope...). Its position is stored, so ids drawn
// after a restart continue the stream.
func (tx *Tx) Rand(scope ...string) *fake.Source {
	tx.mustWrite("draw from a random stream")
	tx.meta = true
	key := strings.Join(scope, "\x00")
	if r, ok := tx.t.rands[key]; ok {
		return r
	}
	base := tx.sp.s.cfg.Rand.Derive(append([]string{tx.sp.name, tx.t.name}, scope...)...)
	r := base
	if n := tx.t.draws[key]; n > 0 {
		r = fake.Resume(base.Seed(), n)
	}
	tx.t.rands[key] = r
	return r
}

func (tx *Tx) mustWrite(what string) {
	if !tx.write {
		panic("state: cannot " + what + " in a View")
	}
}

// Get returns a record of the tenant, or nil. In a write transaction the
// record is stored again when the transaction ends, so its Data may be
// changed in place.
func (tx *Tx) Get(kind, id string) *Record {
	r := tx.Peek(kind, id)
	if r != nil && tx.write {
		tx.touch(r)
	}
	return r
}

// Peek returns a record like Get but, in a write transaction, does not
// store it again: for reading only (a change to a peeked record's Data is
// not persisted unless the record is also touched).
func (tx *Tx) Peek(kind, id string) *Record {
	k := tx.sp.kind(kind)
	tx.sp.mu.RLock()
	r := k.recs[id]
	tx.sp.mu.RUnlock()
	if r == nil || r.t != tx.t {
		return nil // ids are unique across tenants: not one of ours
	}
	return r
}

// records returns the tenant's records of a kind.
func (tx *Tx) records(kind string) *tenantKind { return &tx.t.kinds[tx.sp.kind(kind).slot] }

// PeekData returns the tenant's data without storing it again.
func (tx *Tx) PeekData() any { return tx.t.data }

// List returns the tenant's records of a kind in creation order. The slice
// is the store's: do not keep or change it.
func (tx *Tx) List(kind string) []*Record {
	rs := tx.records(kind).list()
	if tx.write {
		for _, r := range rs {
			tx.touch(r)
		}
	}
	return rs
}

// Count returns how many records of a kind the tenant has.
func (tx *Tx) Count(kind string) int { return tx.records(kind).n }

// Lookup returns the tenant's record holding an index value, or nil.
func (tx *Tx) Lookup(kind, index, value string) *Record {
	r := tx.peekIndex(kind, index, value)
	if r != nil && r.t != tx.t {
		return nil
	}
	if r != nil && tx.write {
		tx.touch(r)
	}
	return r
}

// ErrExists is returned when a record id or index value is already taken.
var ErrExists = errors.New("state: already exists")

// NewRecord describes a record to create.
type NewRecord struct {
	Kind string
	ID   string
	Data any
	// Status is the initial status; when set (for kinds with a machine)
	// the history starts with a move to it, by By.
	Status string
	By     string
	// Plan is the timeline to follow: steps anchored at creation ("") and
	// at the initial status are scheduled now.
	Plan *provider.Plan
	// Index sets secondary index values.
	Index map[string]string
}

// Create adds a record. Ids are unique per provider and kind across every
// tenant (the control API and unauthenticated calls find records by id
// alone): it fails with ErrExists when the id, or one of the index values,
// is taken, also by another tenant's record.
func (tx *Tx) Create(n NewRecord) (*Record, error) {
	tx.mustWrite("create")
	k := tx.sp.kind(n.Kind)
	s := tx.sp.s
	r := k.newRecord()
	r.Key, r.t = Key{Provider: tx.sp.name, Tenant: tx.t.name, Kind: n.Kind, ID: n.ID}, tx.t
	tx.sp.mu.Lock()
	if _, taken := k.recs[n.ID]; taken {
		tx.sp.mu.Unlock()
		return nil, ErrExists
	}
	for name, v := range n.Index {
		if tx.t.values(k, name, false)[v] != nil {
			tx.sp.mu.Unlock()
			return nil, ErrExists
		}
	}
	// Other tenants see the record from now on, but only its key and
	// tenant, which are set: they skip it (Tx.Peek) or name its tenant
	// (Space.Locate).
	k.recs[n.ID] = r
	tx.sp.mu.Unlock()

	now := tx.Now()
	r.Seq, r.Status, r.Plan, r.Created, r.Updated, r.Data = s.seq.Add(1), n.Status, n.Plan, now, now, n.Data
	if n.Status != "" && k.spec.Machine != nil {
		r.History = []provider.Transition{{To: n.Status, At: now, By: n.By}}
	}
	tx.t.kinds[k.slot].add(r)
	for name, v := range n.Index {
		tx.setIndex(r, name, v)
	}
	s.linkNew(r)
	tx.touch(r)
	if m := k.spec.Machine; m != nil && n.Status != "" && m.Terminal(n.Status) {
		r.Ended = now // born finished: nothing to schedule
		s.linkEnded(r, now)
		return r, nil
	}
	tx.arm(r, "")
	if n.Status != "" {
		tx.arm(r, n.Status)
	}
	return r, nil
}

// SetIndex sets (or, with "", clears) one of a record's index values. It
// fails with ErrExists when another record holds the value.
func (tx *Tx) SetIndex(r *Record, name, value string) error {
	tx.mustWrite("index")
	if value != "" {
		if other := tx.peekIndex(r.Kind, name, value); other != nil && other != r {
			return ErrExists
		}
	}
	tx.setIndex(r, name, value)
	tx.touch(r)
	return nil
}

func (tx *Tx) peekIndex(kind, name, value string) *Record {
	k := tx.sp.kind(kind)
	if k.indexes[name] == ProviderScope {
		tx.sp.mu.RLock()
		defer tx.sp.mu.RUnlock()
	}
	return tx.t.values(k, name, false)[value]
}

func (tx *Tx) setIndex(r *Record, name, value string) {
	scope, declared := r.k.indexes[name]
	if !declared {
		panic("state: " + r.Provider + "/" + r.Kind + " has no index " + name)
	}
	i := slices.IndexFunc(r.index, func(iv indexValue) bool { return iv.name == name })
	had := i >= 0
	var old string
	if had {
		old = r.index[i].value
	}
	if had && old == value {
		return
	}
	if scope == ProviderScope {
		tx.sp.mu.Lock()
		defer tx.sp.mu.Unlock()
	}
	m := tx.t.values(r.k, name, value != "")
	if had {
		delete(m, old)
	}
	if value != "" {
		m[value] = r
	}
	switch {
	case value == "":
		if had {
			r.index = slices.Delete(r.index, i, i+1)
		}
	case had:
		r.index[i].value = value
	default:
		r.index = append(r.index, indexValue{name, value})
	}
}

// Move changes a record's status when its machine allows it: the history
// gains the move, steps anchored at the new status are scheduled, and a
// terminal status cancels what is still due. It reports whether it moved.
func (tx *Tx) Move(r *Record, to, by, reason string) bool {
	tx.mustWrite("move")
	m := r.k.spec.Machine
	if r.gone || m == nil || !m.Can(r.Status, to) {
		return false
	}
	now := tx.Now()
	r.History = append(r.History, provider.Transition{From: r.Status, To: to, At: now, By: by, Reason: reason})
	r.Status, r.Updated = to, now
	tx.touch(r)
	if m.Terminal(to) {
		tx.sp.s.sched.cancel(r.Due)
		r.Due = nil
		if cap(r.History) > len(r.History) {
			// A finished record is kept for the retention period, most
			// likely unchanged: trim the room append left for more moves.
			r.History = slices.Clone(r.History)
		}
		if r.Ended.IsZero() {
			r.Ended = now
			tx.sp.s.linkEnded(r, now)
		}
		return true
	}
	if !r.Ended.IsZero() { // reopened
		r.Ended = time.Time{}
		tx.sp.s.linkLive(r)
	}
	tx.arm(r, to)
	return true
}

// Touch marks a record changed, so it is stored when the transaction ends
// (Get, List and Lookup in a write transaction already do).
func (tx *Tx) Touch(r *Record) {
	tx.mustWrite("touch")
	tx.touch(r)
}

func (tx *Tx) touch(r *Record) {
	if tx.durable && !r.dirty && !r.gone {
		r.dirty = true
		tx.dirty = append(tx.dirty, r)
	}
}

// SetPlan replaces a record's plan; steps already due stay scheduled.
func (tx *Tx) SetPlan(r *Record, p *provider.Plan) {
	tx.mustWrite("set a plan")
	r.Plan = p
	tx.touch(r)
}

// Schedule adds a step to a record's timeline at an absolute time.
func (tx *Tx) Schedule(r *Record, at time.Time, st provider.Step) {
	tx.mustWrite("schedule")
	d := Due{N: tx.sp.s.dueSeq.Add(1), At: at, Step: st}
	r.Due = append(r.Due, d)
	tx.sp.s.sched.push(at, d.N, r)
	tx.touch(r)
}

// Unschedule drops every step still due (a record that stops following
// its plan).
func (tx *Tx) Unschedule(r *Record) {
	tx.mustWrite("unschedule")
	tx.sp.s.sched.cancel(r.Due)
	r.Due = nil
	tx.touch(r)
}

// arm schedules the plan's steps anchored at status.
func (tx *Tx) arm(r *Record, status string) {
	if r.Plan == nil {
		return
	}
	now := tx.Now()
	for _, st := range r.Plan.Steps {
		if st.From == status {
			tx.Schedule(r, now.Add(st.After), st)
		}
	}
}

// Delete removes a record with its index values and blobs.
func (tx *Tx) Delete(r *Record) {
	tx.mustWrite("delete")
	if r.gone {
		return
	}
	tx.sp.s.unlink(r, tx)
	if tx.durable {
		tx.deleted = append(tx.deleted, r)
	}
}

// PutBlob stores bytes under a name of the record (an uploaded file),
// replacing what was there. A blob larger than the per-tenant budget is
// refused with ErrTooLarge; otherwise older blobs are dropped as needed.
func (tx *Tx) PutBlob(r *Record, name string, data []byte) error {
	tx.mustWrite("store a blob")
	s := tx.sp.s
	if lim := s.lim.BlobBytesPerTenant; lim > 0 && int64(len(data)) > lim {
		return ErrTooLarge
	}
	data = append([]byte(nil), data...)
	s.addBlob(r, name, data)
	if s.Durable() {
		tx.ops = append(tx.ops, Op{NS: nsBlobs, Key: blobKey(r.Key, name), Val: data})
	}
	tx.touch(r)
	return nil
}

// Blob returns a blob of the record.
func (tx *Tx) Blob(r *Record, name string) ([]byte, bool) {
	b, ok := r.blobs[name]
	if !ok {
		return nil, false
	}
	if !tx.sp.s.Durable() {
		return b.mem, true
	}
	key := blobKey(r.Key, name)
	for i := len(tx.ops) - 1; i >= 0; i-- { // written in this transaction
		if op := tx.ops[i]; op.NS == nsBlobs && string(op.Key) == string(key) {
			return op.Val, op.Val != nil
		}
	}
	data, err := tx.sp.s.readBlob(key)
	return data, err == nil
}

// DeleteBlob removes a blob of the record.
func (tx *Tx) DeleteBlob(r *Record, name string) {
	tx.mustWrite("delete a blob")
	if _, ok := r.blobs[name]; !ok {
		return
	}
	tx.sp.s.dropBlob(r, name)
	if tx.sp.s.Durable() {
		tx.ops = append(tx.ops, Op{NS: nsBlobs, Key: blobKey(r.Key, name)})
	}
	tx.touch(r)
}

// ErrTooLarge is returned for a blob over the per-tenant budget.
var ErrTooLarge = errors.New("state: blob over the budget")

// update runs a write transaction; retry reports that the tenant was
// evicted before its lock was taken.
func (s *Store) update(t *tenant, fn func(tx *Tx) error) (err error, retry bool) {
	t.mu.Lock()
	if t.gone {
		t.mu.Unlock()
		return nil, true
	}
	s.touchTenant(t)
	tx := newTx(t, true)
	var b *batch
	func() {
		defer func() {
			// Whatever happened (a panic too), store what changed.
			b = tx.finish()
			t.mu.Unlock()
		}()
		err = fn(tx)
	}()
	tx.release()
	s.enforce(t)
	if werr := b.wait(); werr != nil && err == nil {
		err = storageError(werr)
	}
	return err, false
}

// finish encodes what the transaction changed and hands it to the
// committer; the caller holds the tenant lock.
func (tx *Tx) finish() *batch {
	s := tx.sp.s
	for _, r := range tx.dirty {
		r.dirty = false
	}
	if !tx.durable {
		return nil
	}
	// Deletions first: a record deleted and created again under the same
	// key in one transaction must end up stored.
	var ops []Op
	for _, r := range tx.deleted {
		ops = append(ops, deleteOps(r)...)
	}
	ops = append(ops, tx.ops...)
	for _, r := range tx.dirty {
		if r.gone {
			continue
		}
		val, err := encodeRecord(r)
		if err != nil {
			s.log.Error("state: a record could not be encoded", "provider", r.Provider, "kind", r.Kind, "error", err)
			continue
		}
		ops = append(ops, Op{NS: nsRecords, Key: recordKey(r.Key), Val: val})
	}
	if tx.meta {
		if val, err := encodeTenant(tx.t); err == nil {
			ops = append(ops, Op{NS: nsTenants, Key: tenantKey(tx.sp.name, tx.t.name), Val: val})
		}
	}
	if len(ops) == 0 {
		return nil
	}
	return s.commit.enqueue(ops)
}

func (s *Store) touchTenant(t *tenant) { t.used.Store(s.tick.Add(1)) }
