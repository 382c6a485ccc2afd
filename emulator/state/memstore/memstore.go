// Package memstore is a state.Backend that keeps its bytes in a map: the
// reference implementation of the backend contract, and a way for tests to
// restart a store in one process without a disk.
package memstore

import (
	"sort"
	"sync"

	"github.com/kycemu/kycemu/emulator/state"
)

var _ state.Backend = (*Backend)(nil)
var _ state.Sizer = (*Backend)(nil)

// Backend is an in-memory state.Backend. It is safe for concurrent use;
// Close keeps the bytes, so a new store can be loaded from it again.
type Backend struct {
	mu  sync.RWMutex
	ns  map[string]map[string][]byte
	err error
}

// New returns an empty backend.
func New() *Backend { return &Backend{ns: map[string]map[string][]byte{}} }

// Scan calls fn for every item of a namespace in key order.
func (b *Backend) Scan(ns string, fn func(key, val []byte) error) error {
	b.mu.RLock()
	m := b.ns[ns]
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	vals := make(map[string][]byte, len(m))
	for k, v := range m {
		vals[k] = v
	}
	b.mu.RUnlock()
	sort.Strings(keys)
	for _, k := range keys {
		if err := fn([]byte(k), vals[k]); err != nil {
			return err
		}
	}
	return nil
}

// Get returns one value.
func (b *Backend) Get(ns string, key []byte) ([]byte, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	v, ok := b.ns[ns][string(key)]
	if !ok {
		return nil, state.ErrNotFound
	}
	return append([]byte(nil), v...), nil
}

// Commit applies every op.
func (b *Backend) Commit(ops []state.Op) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return b.err
	}
	for _, op := range ops {
		m := b.ns[op.NS]
		if m == nil {
			m = map[string][]byte{}
			b.ns[op.NS] = m
		}
		if op.Val == nil {
			delete(m, string(op.Key))
		} else {
			m[string(op.Key)] = append([]byte(nil), op.Val...)
		}
	}
	return nil
}

// Size returns the bytes held.
func (b *Backend) Size() (int64, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	var n int64
	for _, m := range b.ns {
		for k, v := range m {
			n += int64(len(k) + len(v))
		}
	}
	return n, nil
}

// Fail makes every later Commit return err (nil heals it): tests of what a
// full disk does.
func (b *Backend) Fail(err error) {
	b.mu.Lock()
	b.err = err
	b.mu.Unlock()
}

// Close does nothing: the bytes stay for the next store.
func (b *Backend) Close() error { return nil }
