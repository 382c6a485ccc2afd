package emulator

import (
	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/providers/b2core"
	"github.com/kycemu/kycemu/emulator/providers/gatenox"
	"github.com/kycemu/kycemu/emulator/providers/gu1"
	"github.com/kycemu/kycemu/emulator/providers/kulipa"
	"github.com/kycemu/kycemu/emulator/providers/notus"
	"github.com/kycemu/kycemu/emulator/state"
)

// builtins returns every provider kycemu emulates, in mount order; each
// registers what it keeps in st.
func builtins(env provider.Env, st *state.Store) []provider.Provider {
	return []provider.Provider{
		notus.New(env, st),
		b2core.New(env, st),
		gu1.New(env, st),
		kulipa.New(env, st),
		gatenox.New(env, st),
	}
}
