package emulator

import (
	"testing"

	"github.com/kycemu/kycemu/emulator/scenario"
)

// TestBuiltinScenariosAreParsedOnce: emulators of one process share the
// parse of the built-in scenarios, and what one emulator's API layer does
// leaves the others' built-ins alone.
func TestBuiltinScenariosAreParsedOnce(t *testing.T) {
	a, b := newEmulator(t), newEmulator(t)
	scA, okA := a.Scenarios().Get("notus", "approve")
	scB, okB := b.Scenarios().Get("notus", "approve")
	if !okA || !okB || scA != scB || scA.Origin != scenario.OriginBuiltin {
		t.Fatalf("built-in notus/approve: %p (%v) and %p (%v)", scA, okA, scB, okB)
	}
	put := []byte("name: approve\nprovider: notus\ndescription: shadows the built-in\n")
	if _, err := a.Scenarios().Put("body", put, "notus", "approve"); err != nil {
		t.Fatal(err)
	}
	if sc, _ := a.Scenarios().Get("notus", "approve"); sc == scA || sc.Origin != scenario.OriginAPI {
		t.Fatal("the put scenario does not shadow the built-in")
	}
	if sc, _ := b.Scenarios().Get("notus", "approve"); sc != scB || sc.Origin != scenario.OriginBuiltin {
		t.Fatal("a scenario put into one emulator changed another's built-in")
	}
}

func TestCatalogKeyTellsCatalogsApart(t *testing.T) {
	e := newEmulator(t)
	cat := e.catalog()
	if catalogKey(cat) != catalogKey(e.catalog()) {
		t.Fatal("the same catalogue gives two keys")
	}
	fewer := scenario.Catalog{}
	for name, info := range cat {
		if name != "gatenox" {
			fewer[name] = info
		}
	}
	noOps := scenario.Catalog{}
	for name, info := range cat {
		c := *info
		c.Operations = c.Operations[:len(c.Operations)-1]
		noOps[name] = &c
	}
	if k := catalogKey(cat); k == catalogKey(fewer) || k == catalogKey(noOps) {
		t.Fatal("different catalogues share a key")
	}
}

func newEmulator(t *testing.T) *Emulator {
	t.Helper()
	e, err := New(WithSpecCache(testSpecs))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

var testSpecs = NewSpecCache()

// TestOnlyEmbeddedDocumentsSkipValidation: a document that is not one of
// the embedded ones is validated in full, with or without a spec cache.
func TestOnlyEmbeddedDocumentsSkipValidation(t *testing.T) {
	invalid := []byte("openapi: ''\ninfo: {title: T, version: '1'}\npaths: {}\n")
	for _, e := range []*Emulator{newEmulator(t), func() *Emulator {
		e, err := New()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = e.Close() })
		return e
	}()} {
		if _, err := e.loadDoc(invalid); err == nil {
			t.Error("an invalid document that is not embedded loaded")
		}
	}
}
