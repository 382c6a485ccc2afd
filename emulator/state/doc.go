// Package state is the one place kycemu keeps what its providers remember:
// verification sessions, users, entities, uploads and per-tenant settings.
//
// A provider describes the kinds of records it keeps (Spec, Kind) and gets a
// Space: every read and write of its state is a transaction on one tenant
// (Space.Update, Space.View), under that tenant's lock, so a provider never
// writes its own tenant map, id index or lock dance. A Record carries what
// every provider needs — status, history, the scenario plan, the timeline
// steps still due (as data: due times on the emulator clock), secondary
// index values and blob names — and the provider's own data (Record.Data,
// a pointer to a struct with JSON tags).
//
// The Store behind the spaces keeps the working set in memory, bounded
// (Limits): finished records are dropped after Limits.Retention, and when a
// bound is reached the oldest finished records go first, then the oldest
// live ones, then whole tenants, least recently used first. An evicted
// record is simply gone: the provider answers its own 404.
//
// A Backend makes the store durable: every transaction's writes reach it,
// atomically, before Update returns (group-committed across concurrent
// transactions), and Load rebuilds the working set from it after a restart,
// re-arming the timeline steps still due. Backends are interchangeable
// (memstore, boltstore); the storetest package is their conformance suite.
// Without a backend nothing is encoded and nothing survives the process.
//
// Locking: a transaction holds its tenant's lock; the store's own mutexes
// are taken after a tenant lock, never before. Callbacks (Kind.Fire,
// Kind.Act) run inside a transaction of the record's tenant. A provider
// never keeps a *Record after its transaction ends, and never starts a
// transaction inside another: the inner one may need the outer tenant's
// lock (to keep a bound, to sweep retention) and would wait forever. A
// request that touches two tenants runs two transactions one after the
// other.
package state
