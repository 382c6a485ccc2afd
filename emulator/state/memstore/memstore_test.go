package memstore_test

import (
	"testing"

	"github.com/kycemu/kycemu/emulator/state"
	"github.com/kycemu/kycemu/emulator/state/memstore"
	"github.com/kycemu/kycemu/emulator/state/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(*testing.T) state.Backend { return memstore.New() },
		func(_ *testing.T, b state.Backend) state.Backend { _ = b.Close(); return b })
}
