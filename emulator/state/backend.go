package state

import "errors"

// Backend is durable storage under a Store: named namespaces of keys and
// values. The Store decides what goes where; a backend only has to keep
// bytes, apply a batch atomically, and give them back after a restart.
// Implementations: memstore (a map, for tests), boltstore (a bbolt file).
//
// A shared backend for several replicas would implement the same interface
// plus the Leaser ability (see docs/design.md).
type Backend interface {
	// Scan calls fn for every item of a namespace, in key order. fn must
	// not keep key or val after it returns.
	Scan(ns string, fn func(key, val []byte) error) error
	// Get returns one value, or ErrNotFound.
	Get(ns string, key []byte) ([]byte, error)
	// Commit applies every op or none; once it returns nil the writes
	// survive a crash of the process (and, for a file, of the machine).
	// It must not keep the ops slice after it returns.
	Commit(ops []Op) error
	// Close releases the storage.
	Close() error
}

// Op is one write of a batch: Val nil deletes Key.
type Op struct {
	NS  string
	Key []byte
	Val []byte
}

// Sizer is implemented by backends that can tell how many bytes they use.
type Sizer interface {
	Size() (int64, error)
}

// ErrNotFound is returned by Backend.Get for a missing key.
var ErrNotFound = errors.New("state: not found")

// The namespaces the store writes. Other packages (the webhook engine, the
// journal, the scenario engine) write their own through Store.Put.
const (
	nsRecords = "records" // one encoded Record per key
	nsTenants = "tenants" // one tenant's data, random-stream positions and counters
	nsBlobs   = "blobs"   // uploaded bytes, read on demand
	nsMeta    = "meta"    // the store's own: next sequence number, providers' shared settings
)
