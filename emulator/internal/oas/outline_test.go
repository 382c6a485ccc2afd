package oas

import (
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/kycemu/kycemu/specs"
)

// TestOutlinesAreCurrent is what lets LoadEmbedded route before parsing:
// the generated outline of every embedded document is the outline of the
// document as it is now. When it fails, run go generate in this package.
func TestOutlinesAreCurrent(t *testing.T) {
	names := append(specs.Names(), specs.Control)
	for _, name := range names {
		d, err := Load(specs.MustRead(name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		o, ok := outlines[name]
		if !ok {
			t.Errorf("%s has no outline: run go generate ./emulator/internal/oas", name)
			continue
		}
		if got := d.Outline(); !reflect.DeepEqual(&got, o) {
			t.Errorf("the outline of %s is stale: run go generate ./emulator/internal/oas", name)
		}
	}
	slices.Sort(names)
	if got := slices.Sorted(maps.Keys(outlines)); !slices.Equal(got, names) {
		t.Errorf("outlines of %v, embedded documents %v", got, names)
	}
}

// lazy returns the test document loaded as an embedded one is, from its
// outline, with nothing parsed yet; and the eagerly loaded document.
func lazy(t *testing.T) (lazy, eager *Doc) {
	t.Helper()
	eager, _ = load(t)
	return lazyDoc(eager.outline, []byte(spec)), eager
}

func TestOutlineAnswersWithoutParsing(t *testing.T) {
	d, eager := lazy(t)
	if d.Title() != eager.Title() || d.Version() != eager.Version() ||
		!slices.Equal(d.BasePaths(), eager.BasePaths()) || !slices.Equal(d.OperationIDs(), eager.OperationIDs()) {
		t.Error("the outline describes the document otherwise than its parse")
	}
	ops := d.Operations()
	if len(ops) != 1 || ops[0].ID != "postItem" || ops[0].Method != "POST" || ops[0].Path != "/items/{id}" || !ops[0].JSONBody {
		t.Fatalf("operations %+v", ops)
	}
	if d.t != nil || ops[0].route != nil {
		t.Fatal("the outline's answers parsed the document")
	}
	// The operations handed out before the parse are the ones it completes.
	if p := validate(t, d, ops[0], ok, "", `{"name":"ab","kind":"c"}`); p == nil || p.Field != "kind" {
		t.Fatalf("problem %v", p)
	}
	if ops[0].route == nil || d.Operations()[0] != ops[0] {
		t.Fatal("the parse did not complete the outline's operations")
	}
}

func TestLazyDocumentIsSafeToShare(t *testing.T) {
	d, _ := lazy(t)
	op := d.Operations()[0]
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if p := validate(t, d, op, ok, "", `{"name":"ab","kind":"a"}`); p != nil {
				t.Errorf("problem %v", p)
			}
			if len(op.Statuses()) != 1 {
				t.Error("statuses of a parsed operation")
			}
		})
	}
	wg.Wait()
}

func TestStaleOutlineIsRefused(t *testing.T) {
	_, eager := lazy(t)
	stale := *eager.outline
	stale.Operations = []OutlineOp{{ID: "gone", Method: "GET", Path: "/gone"}}
	d := lazyDoc(&stale, []byte(spec))
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(error).Error(), "go generate") {
			t.Fatalf("recovered %v", r)
		}
	}()
	d.JSON()
	t.Fatal("a document differing from its outline was used")
}

func TestLoadEmbedded(t *testing.T) {
	raw := specs.MustRead("notus")
	d, err := LoadEmbedded("notus", raw)
	if err != nil {
		t.Fatal(err)
	}
	// Routing needs only the outline; nothing parses the document before
	// something asks for more.
	_ = d.Operations()
	_ = d.BasePaths()
	if d.t != nil {
		t.Fatal("LoadEmbedded parsed the document before it was needed")
	}
	if _, ok := d.ComponentSchema("Error"); !ok {
		t.Error("the parsed document has no Error schema")
	}
	// A document that is not the one outlined is parsed at once.
	other := append(slices.Clone(raw), '\n')
	if d, err = LoadEmbedded("notus", other); err != nil || d.t == nil {
		t.Fatalf("err %v; parsed %t", err, d.t != nil)
	}
	if d, err = LoadEmbedded("nobody", []byte(spec)); err != nil || d.t == nil {
		t.Fatalf("err %v; parsed %t", err, d.t != nil)
	}
	if _, err = LoadEmbedded("nobody", []byte("openapi: [")); err == nil {
		t.Fatal("LoadEmbedded accepted a document that does not parse")
	}
}
