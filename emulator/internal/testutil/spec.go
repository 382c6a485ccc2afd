package testutil

import (
	"sync"
	"testing"

	"github.com/kycemu/kycemu/emulator/internal/oas"
	"github.com/kycemu/kycemu/specs"
)

var (
	specsMu sync.Mutex
	parsed  = map[string]*oas.Doc{}
)

// Spec returns a provider's parsed OpenAPI document, parsed once per test
// binary, for tests that validate webhook bodies against it.
func Spec(t testing.TB, provider string) *oas.Doc {
	t.Helper()
	specsMu.Lock()
	defer specsMu.Unlock()
	if d, ok := parsed[provider]; ok {
		return d
	}
	d, err := oas.Load(specs.MustRead(provider))
	if err != nil {
		t.Fatalf("load %s spec: %v", provider, err)
	}
	parsed[provider] = d
	return d
}
