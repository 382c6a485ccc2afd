package scenario_test

import (
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/kycemu/kycemu/emulator/scenario"
)

// countingLoader hands out each provider's built-ins from the repository's
// scenarios directory and counts how often each provider was asked for.
type countingLoader struct {
	t     *testing.T
	cat   scenario.Catalog
	mu    sync.Mutex
	calls map[string]int
}

func (l *countingLoader) load(prov string) ([]*scenario.Scenario, error) {
	l.mu.Lock()
	l.calls[prov]++
	l.mu.Unlock()
	return scenario.ParseProviderBuiltins(os.DirFS("../../scenarios"), l.cat, prov)
}

func (l *countingLoader) asked() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]int{}
	for k, v := range l.calls {
		out[k] = v
	}
	return out
}

func lazyEngine(t *testing.T) (*scenario.Engine, *countingLoader) {
	cat := catalog(t)
	eng := scenario.NewEngine(scenario.Config{})
	eng.SetCatalog(cat)
	l := &countingLoader{t: t, cat: cat, calls: map[string]int{}}
	eng.UseLazyBuiltins(l.load)
	return eng, l
}

func names(es []scenario.Entry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Provider+"/"+e.Name)
	}
	return out
}

// A provider's built-ins are parsed the first time something needs that
// provider's scenarios, once, and no other provider's with them.
func TestLazyBuiltinsLoadPerProviderOnce(t *testing.T) {
	eng, l := lazyEngine(t)
	if got := l.asked(); len(got) != 0 {
		t.Fatalf("built-ins parsed before anything needed them: %v", got)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, ok := eng.Get("notus", "approve"); !ok {
				t.Error("notus/approve is not there")
			}
		})
	}
	wg.Wait()
	if got := l.asked(); len(got) != 1 || got["notus"] < 1 {
		t.Fatalf("asked %v; want notus only", got)
	}
	if _, perr := eng.Plan("gu1", "", "t1", "no-such-scenario", nil); perr == nil {
		t.Fatal("an unknown scenario name was accepted")
	}
	if got := l.asked(); got["gu1"] != 1 {
		t.Fatalf("asked %v; want gu1 once after its first plan", got)
	}

	// Listing everything loads the rest, and gives what an eager load gives.
	lazy := names(eng.List(""))
	eager := scenario.NewEngine(scenario.Config{})
	eager.SetCatalog(l.cat)
	if err := eager.LoadBuiltins(os.DirFS("../../scenarios")); err != nil {
		t.Fatal(err)
	}
	if want := names(eager.List("")); !slices.Equal(lazy, want) {
		t.Fatalf("lazy list %v\neager list %v", lazy, want)
	}
	for prov, n := range l.asked() {
		if n != 1 && prov != "notus" { // concurrent first Gets may each parse; one wins
			t.Errorf("%s parsed %d times", prov, n)
		}
	}
	for prov := range l.cat {
		if l.asked()[prov] == 0 {
			t.Errorf("%s was never loaded by List(\"\")", prov)
		}
	}
}

// A scenario put before its provider's built-ins were needed still hides
// the built-in of its name.
func TestLazyBuiltinsPutHides(t *testing.T) {
	eng, _ := lazyEngine(t)
	body, err := os.ReadFile("../../scenarios/notus/approve.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eng.Put("put.yaml", body, "notus", "approve"); err != nil {
		t.Fatal(err)
	}
	for _, en := range eng.List("notus") {
		if en.Name == "approve" {
			if en.Origin != scenario.OriginAPI || !slices.Contains(en.Hides, scenario.OriginBuiltin) {
				t.Fatalf("approve: origin %s, hides %v", en.Origin, en.Hides)
			}
			return
		}
	}
	t.Fatal("notus/approve not listed")
}

// A loader that fails is a broken build: the caller that needed the
// built-ins panics with the reason, rather than carrying on without them.
func TestLazyBuiltinsFailureIsLoud(t *testing.T) {
	eng := scenario.NewEngine(scenario.Config{})
	eng.SetCatalog(catalog(t))
	eng.UseLazyBuiltins(func(prov string) ([]*scenario.Scenario, error) {
		return nil, os.ErrInvalid
	})
	defer func() {
		r := recover()
		if s, _ := r.(string); !strings.Contains(s, "built-in scenarios of notus do not load") {
			t.Fatalf("recovered %v", r)
		}
	}()
	eng.Get("notus", "approve")
	t.Fatal("a failing loader went unnoticed")
}

func TestParseProviderBuiltins(t *testing.T) {
	cat := catalog(t)
	fsys := os.DirFS("../../scenarios")
	all, err := scenario.ParseBuiltins(fsys, cat)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for prov := range cat {
		scs, err := scenario.ParseProviderBuiltins(fsys, cat, prov)
		if err != nil {
			t.Fatalf("%s: %v", prov, err)
		}
		for _, sc := range scs {
			if sc.Provider != prov || sc.Origin != scenario.OriginBuiltin {
				t.Errorf("%s: got %s/%s of origin %s", prov, sc.Provider, sc.Name, sc.Origin)
			}
		}
		total += len(scs)
	}
	if total != len(all) {
		t.Fatalf("per provider %d scenarios, all at once %d", total, len(all))
	}
	if _, err := scenario.ParseProviderBuiltins(fsys, cat, "nobody"); err == nil {
		t.Error("a provider outside the catalogue was accepted")
	}
	if _, err := scenario.ParseProviderBuiltins(fsys, cat, "../etc"); err == nil {
		t.Error("a path was accepted as a provider")
	}
	// A provider with no directory of built-ins has none.
	empty := os.DirFS(t.TempDir())
	for prov := range cat {
		if scs, err := scenario.ParseProviderBuiltins(empty, cat, prov); err != nil || len(scs) != 0 {
			t.Fatalf("%s in an empty tree: %d scenarios, %v", prov, len(scs), err)
		}
		break
	}
}
