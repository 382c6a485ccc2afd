// Package boltstore is a state.Backend in one bbolt file: a pure-Go,
// copy-on-write B+tree whose commits are atomic and fsynced, so a write
// that Commit acknowledged survives kill -9 and a power cut.
package boltstore

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/kycemu/kycemu/emulator/state"
)

var _ state.Backend = (*Backend)(nil)
var _ state.Sizer = (*Backend)(nil)

// FileName is the name of the database file in a data directory.
const FileName = "kycemu.db"

// Backend is a bbolt-backed state.Backend.
type Backend struct {
	db *bolt.DB
}

// Open opens (or creates) the store in dir. Only one process may hold a
// directory at a time: a second Open waits up to timeout for the lock and
// then fails.
func Open(dir string, timeout time.Duration) (*Backend, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	db, err := bolt.Open(filepath.Join(dir, FileName), 0o600, &bolt.Options{Timeout: timeout, FreelistType: bolt.FreelistMapType})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("open data dir %s: another kycemu holds it", dir)
	}
	if err != nil {
		return nil, fmt.Errorf("open data dir %s: %w", dir, err)
	}
	return &Backend{db: db}, nil
}

// Scan calls fn for every item of a namespace in key order.
func (b *Backend) Scan(ns string, fn func(key, val []byte) error) error {
	return b.db.View(func(tx *bolt.Tx) error {
		bk := tx.Bucket([]byte(ns))
		if bk == nil {
			return nil
		}
		return bk.ForEach(fn)
	})
}

// Get returns one value.
func (b *Backend) Get(ns string, key []byte) ([]byte, error) {
	var out []byte
	err := b.db.View(func(tx *bolt.Tx) error {
		bk := tx.Bucket([]byte(ns))
		if bk == nil {
			return state.ErrNotFound
		}
		v := bk.Get(key)
		if v == nil {
			return state.ErrNotFound
		}
		out = append([]byte(nil), v...)
		return nil
	})
	return out, err
}

// Commit applies every op in one bbolt transaction.
func (b *Backend) Commit(ops []state.Op) error {
	return b.db.Update(func(tx *bolt.Tx) error {
		for _, op := range ops {
			bk, err := tx.CreateBucketIfNotExists([]byte(op.NS))
			if err != nil {
				return err
			}
			if op.Val == nil {
				err = bk.Delete(op.Key)
			} else {
				err = bk.Put(op.Key, op.Val)
			}
			if err != nil {
				return fmt.Errorf("write %s: %w", op.NS, err)
			}
		}
		return nil
	})
}

// Size returns the size of the database file.
func (b *Backend) Size() (int64, error) {
	var n int64
	err := b.db.View(func(tx *bolt.Tx) error { n = tx.Size(); return nil })
	return n, err
}

// Close closes the file.
func (b *Backend) Close() error { return b.db.Close() }
