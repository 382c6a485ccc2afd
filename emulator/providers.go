package emulator

import (
	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/providers/b2core"
	"github.com/kycemu/kycemu/emulator/providers/gatenox"
	"github.com/kycemu/kycemu/emulator/providers/gu1"
	"github.com/kycemu/kycemu/emulator/providers/kulipa"
	"github.com/kycemu/kycemu/emulator/providers/notus"
)

// builtins returns every provider kycemu emulates, in mount order.
func builtins(env provider.Env) []provider.Provider {
	return []provider.Provider{
		notus.New(env),
		b2core.New(env),
		gu1.New(env),
		kulipa.New(env),
		gatenox.New(env),
	}
}
