package emulator

import (
	"maps"
	"strings"
	"testing"

	"github.com/kycemu/kycemu/emulator/provider"
)

// lacking is a provider with one of its handlers taken away.
type lacking struct {
	provider.Provider
	op string
}

func (l lacking) Handlers() map[string]provider.Handler {
	h := maps.Clone(l.Provider.Handlers())
	delete(h, l.op)
	return h
}

// An embedded document is routed from its outline before it is parsed;
// an operation without a handler must still stop the mount there and then.
func TestMissingHandlerFailsTheMount(t *testing.T) {
	e, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	p := e.byName["gatenox"].p
	ops := e.byName["gatenox"].doc.OperationIDs()
	if _, err := newMount(e, lacking{p, ops[0]}, e.byName["gatenox"].doc); err == nil || !strings.Contains(err.Error(), "has no handler") {
		t.Fatalf("mounting without a handler for %s: %v", ops[0], err)
	}
}

func TestWaitSpecs(t *testing.T) {
	e, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	e.WaitSpecs()
	for _, m := range e.mounts {
		if _, ok := m.doc.ComponentSchema("Error"); !ok {
			t.Errorf("%s: no Error schema once parsed", m.p.Name())
		}
	}
}
