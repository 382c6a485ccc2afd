// Package storetest is the conformance suite every state.Backend passes:
// run it from the backend's own tests with a constructor that returns a
// fresh backend, and a reopen function that closes it and opens the same
// storage again (the restart a durable backend must survive).
package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/kycemu/kycemu/emulator/state"
)

// Run runs the suite. open returns an empty backend; reopen closes b and
// returns a backend over the same storage.
func Run(t *testing.T, open func(t *testing.T) state.Backend, reopen func(t *testing.T, b state.Backend) state.Backend) {
	t.Run("PutGetDelete", func(t *testing.T) {
		b := open(t)
		mustCommit(t, b, put("a", "k1", "v1"), put("a", "k2", "v2"), put("b", "k1", "other"))
		expect(t, b, "a", "k1", "v1")
		expect(t, b, "b", "k1", "other")
		mustCommit(t, b, del("a", "k1"))
		if _, err := b.Get("a", []byte("k1")); !errors.Is(err, state.ErrNotFound) {
			t.Fatalf("deleted key: err = %v, want ErrNotFound", err)
		}
		if _, err := b.Get("never", []byte("k")); !errors.Is(err, state.ErrNotFound) {
			t.Fatalf("unknown namespace: err = %v, want ErrNotFound", err)
		}
		mustCommit(t, b, del("a", "missing")) // deleting nothing is fine
	})
	t.Run("ScanInKeyOrder", func(t *testing.T) {
		b := open(t)
		mustCommit(t, b, put("n", "b", "2"), put("n", "a\x00z", "1"), put("n", "c", "3"), put("m", "x", "no"))
		var got []string
		if err := b.Scan("n", func(k, v []byte) error { got = append(got, string(k)+"="+string(v)); return nil }); err != nil {
			t.Fatal(err)
		}
		if want := []string{"a\x00z=1", "b=2", "c=3"}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("scan = %q, want %q", got, want)
		}
		stop := errors.New("stop")
		n := 0
		if err := b.Scan("n", func(k, v []byte) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
			t.Fatalf("scan stopping: err %v after %d items", err, n)
		}
		if err := b.Scan("empty", func(k, v []byte) error { t.Fatal("item in empty namespace"); return nil }); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("LastWriteInABatchWins", func(t *testing.T) {
		b := open(t)
		mustCommit(t, b, put("n", "k", "1"), put("n", "k", "2"), del("n", "j"), put("n", "j", "3"))
		expect(t, b, "n", "k", "2")
		expect(t, b, "n", "j", "3")
	})
	t.Run("ValuesAreCopied", func(t *testing.T) {
		b := open(t)
		val := []byte("original")
		mustCommit(t, b, state.Op{NS: "n", Key: []byte("k"), Val: val})
		copy(val, "CHANGED!")
		got, _ := b.Get("n", []byte("k"))
		got[0] = 'X'
		expect(t, b, "n", "k", "original")
	})
	t.Run("LargeValue", func(t *testing.T) {
		b := open(t)
		big := bytes.Repeat([]byte{0xAB, 0x00, 0xFF}, 4<<20) // 12 MiB
		mustCommit(t, b, state.Op{NS: "blobs", Key: []byte("big"), Val: big})
		got, err := b.Get("blobs", []byte("big"))
		if err != nil || !bytes.Equal(got, big) {
			t.Fatalf("large value: %d bytes, err %v", len(got), err)
		}
	})
	t.Run("ConcurrentCommits", func(t *testing.T) {
		b := open(t)
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 50 {
					if err := b.Commit([]state.Op{put("c", fmt.Sprintf("%d-%03d", w, i), "v")}); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		n := 0
		_ = b.Scan("c", func(k, v []byte) error { n++; return nil })
		if n != 400 {
			t.Fatalf("%d items after concurrent commits, want 400", n)
		}
	})
	t.Run("SurvivesReopen", func(t *testing.T) {
		b := open(t)
		mustCommit(t, b, put("n", "kept", "yes"), put("n", "gone", "no"))
		mustCommit(t, b, del("n", "gone"))
		b = reopen(t, b)
		expect(t, b, "n", "kept", "yes")
		if _, err := b.Get("n", []byte("gone")); !errors.Is(err, state.ErrNotFound) {
			t.Fatalf("deleted key came back after reopen: %v", err)
		}
	})
	if _, ok := open(t).(state.Sizer); ok {
		t.Run("Size", func(t *testing.T) {
			b := open(t)
			before, err := b.(state.Sizer).Size()
			if err != nil {
				t.Fatal(err)
			}
			mustCommit(t, b, state.Op{NS: "n", Key: []byte("k"), Val: bytes.Repeat([]byte("x"), 1<<20)})
			after, _ := b.(state.Sizer).Size()
			if after < before+1<<20 {
				t.Fatalf("size %d -> %d after a 1 MiB value", before, after)
			}
		})
	}
}

func put(ns, k, v string) state.Op { return state.Op{NS: ns, Key: []byte(k), Val: []byte(v)} }
func del(ns, k string) state.Op    { return state.Op{NS: ns, Key: []byte(k)} }

func mustCommit(t *testing.T, b state.Backend, ops ...state.Op) {
	t.Helper()
	if err := b.Commit(ops); err != nil {
		t.Fatalf("commit: %v", err)
	}
}

func expect(t *testing.T, b state.Backend, ns, k, want string) {
	t.Helper()
	got, err := b.Get(ns, []byte(k))
	if err != nil || string(got) != want {
		t.Fatalf("get %s/%q = %q, %v; want %q", ns, k, got, err, want)
	}
}
