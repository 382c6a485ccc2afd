package state

import (
	"time"

	"github.com/kycemu/kycemu/emulator/provider"
)

// Key addresses a record.
type Key struct {
	Provider string `json:"provider"`
	Tenant   string `json:"tenant"`
	Kind     string `json:"kind"`
	ID       string `json:"id"`
}

// Scope says where the values of a secondary index are unique.
type Scope int

const (
	// TenantScope: unique within a tenant (a Kulipa user's phone number).
	TenantScope Scope = iota
	// ProviderScope: unique across all of a provider's tenants, and
	// answered by Space.Find without knowing the tenant (a gu1 session id
	// in a hosted page's URL).
	ProviderScope
)

// Kind describes one kind of record a provider keeps.
type Kind struct {
	// Name is the kind's name, e.g. "validation"; for sessions it is the
	// kind the control API shows and scenarios name.
	Name string
	// New returns a pointer to a new zero value of the kind's data type,
	// into which a stored record's data is decoded.
	New func() any
	// Machine is the status machine of the kind; nil for records without
	// a status (users, entities).
	Machine *provider.Machine
	// Session marks the kinds the control API lists as sessions.
	Session bool
	// Fire applies a timeline step that fell due. Nil means
	// tx.Move(r, step.Status, "timeline", step.Reason).
	Fire func(tx *Tx, r *Record, step provider.Step)
	// Actions lists the control actions a session allows now.
	Actions func(r *Record) []string
	// Act forces a control action on a session; it returns an
	// *provider.Error when the action is unknown or not allowed.
	Act func(tx *Tx, r *Record, a provider.Action) error
	// Indexes declares the kind's secondary indexes and their scope.
	Indexes map[string]Scope
	// Anchor marks records that go only with their tenant (a B2Core
	// client account): the record bounds never pick them, though they
	// count towards them.
	Anchor bool
}

// Spec is what a provider keeps.
type Spec struct {
	Kinds []Kind
	// Tenant returns a pointer to a tenant's new data (settings, counters,
	// rate-limit windows); nil when the provider keeps none.
	Tenant func() any
	// Shared returns a pointer to the provider's new shared data (settings
	// that apply to every tenant); nil when it keeps none.
	Shared func() any
}

// Due is a timeline step waiting for its time.
type Due struct {
	// N orders steps due at the same time (scheduling order) and names the
	// step within its record.
	N    uint64        `json:"n"`
	At   time.Time     `json:"at"`
	Step provider.Step `json:"step"`
}

// Record is one stored object. The exported fields may be read (and Data
// changed) inside a transaction of its tenant; change status, plan, index
// values and blobs only through the Tx methods.
type Record struct {
	Key
	// Seq is the record's creation order across the store.
	Seq     uint64
	Status  string
	Plan    *provider.Plan
	Created time.Time
	Updated time.Time
	// Ended is when the record reached a terminal status (zero while it
	// is live).
	Ended   time.Time
	History []provider.Transition
	// Due lists the timeline steps still to fire.
	Due []Due
	// Data is the provider's own data: the pointer Kind.New returns.
	Data any

	// index holds the record's secondary index values: a kind declares
	// few indexes, and a slice costs one small allocation where a map
	// costs two larger ones for every record.
	index []indexValue
	// blobs is nil for the many records that never get an upload.
	blobs map[string]blob

	t *tenant
	k *kindInfo
	// links in the store's and the tenant's live/ended lists (Store.mu),
	// and in the tenant's creation-order list of the kind (tenant lock).
	g, tl, o links
	// endedAt is when the record went on the ended lists, in UnixNano
	// (Store.mu): Ended as the store's lists see it.
	endedAt int64
	// spos is the record's slot in Store.sessions (Store.mu).
	spos  int
	gone  bool // deleted; guarded by the tenant lock
	dead  bool // mirrors gone for the store's lists (Store.mu)
	dirty bool // the current transaction will write the record
	ended bool // which lists the record is on (Store.mu)
}

type indexValue struct{ name, value string }

type links struct{ prev, next *Record }

// Scenario returns the name of the scenario the record's plan came from.
func (r *Record) Scenario() string {
	if r.Plan == nil {
		return ""
	}
	return r.Plan.Scenario
}

// Finished reports whether the record reached a terminal status.
func (r *Record) Finished() bool { return !r.Ended.IsZero() }

// IndexValue returns the record's value for a secondary index.
func (r *Record) IndexValue(name string) string {
	for _, iv := range r.index {
		if iv.name == name {
			return iv.value
		}
	}
	return ""
}

// Blobs returns the names and sizes of the record's blobs.
func (r *Record) Blobs() map[string]int64 {
	out := make(map[string]int64, len(r.blobs))
	for name, b := range r.blobs {
		out[name] = b.size
	}
	return out
}

// Data returns a record's data as the type its kind stores.
func Data[T any](r *Record) *T { return r.Data.(*T) }

// summary is the control-API view; the caller holds the tenant lock.
func (r *Record) summary() provider.Session {
	out := provider.Session{Provider: r.Provider, Tenant: r.Tenant, ID: r.ID, Kind: r.Kind, Status: r.Status,
		Scenario: r.Scenario(), CreatedAt: r.Created, UpdatedAt: r.Updated, Actions: []string{},
		History: append([]provider.Transition(nil), r.History...)}
	if r.k.spec.Actions != nil {
		out.Actions = append(out.Actions, r.k.spec.Actions(r)...)
	}
	return out
}
