package boltstore_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kycemu/kycemu/emulator/state"
	"github.com/kycemu/kycemu/emulator/state/boltstore"
	"github.com/kycemu/kycemu/emulator/state/storetest"
)

func open(t *testing.T, dir string) *boltstore.Backend {
	t.Helper()
	b, err := boltstore.Open(dir, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestConformance(t *testing.T) {
	dirs := map[state.Backend]string{}
	storetest.Run(t, func(t *testing.T) state.Backend {
		dir := t.TempDir()
		b := open(t, dir)
		t.Cleanup(func() { _ = b.Close() })
		dirs[b] = dir
		return b
	}, func(t *testing.T, b state.Backend) state.Backend {
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
		nb := open(t, dirs[b])
		t.Cleanup(func() { _ = nb.Close() })
		return nb
	})
}

func TestASecondProcessIsRefused(t *testing.T) {
	dir := t.TempDir()
	b := open(t, dir)
	defer b.Close()
	_, err := boltstore.Open(dir, 50*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "another kycemu holds it") {
		t.Fatalf("second open: %v", err)
	}
}
