package scenario_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kycemu/kycemu/emulator"
	"github.com/kycemu/kycemu/emulator/clock"
	"github.com/kycemu/kycemu/emulator/scenario"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// catalog is the catalogue of the providers this build emulates.
func catalog(t testing.TB) scenario.Catalog {
	t.Helper()
	emu, err := emulator.New(emulator.WithClock(clock.NewManual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))), emulator.WithSeed(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = emu.Close() })
	return emu.Scenarios().Catalog()
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs (run go test -update to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// TestGoldenValid freezes the format: each file under testdata/valid loads,
// and its normalised form is the .golden file next to it. The normalised
// form loads back to itself.
func TestGoldenValid(t *testing.T) {
	cat := catalog(t)
	files, _ := filepath.Glob("testdata/valid/*.yaml")
	if len(files) == 0 {
		t.Fatal("no test files")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			scs, err := scenario.Load(f, data, cat)
			if err != nil {
				t.Fatalf("load failed:\n%v", err)
			}
			var out []string
			for _, sc := range scs {
				out = append(out, string(sc.YAML()))
			}
			norm := strings.Join(out, "---\n")
			golden(t, strings.TrimSuffix(f, ".yaml")+".golden", []byte(norm))

			again, err := scenario.Load("normalised", []byte(norm), cat)
			if err != nil {
				t.Fatalf("the normalised form does not load:\n%v", err)
			}
			var out2 []string
			for _, sc := range again {
				out2 = append(out2, string(sc.YAML()))
			}
			if got := strings.Join(out2, "---\n"); got != norm {
				t.Errorf("normalising is not idempotent:\n%s\nthen\n%s", norm, got)
			}
		})
	}
}

// TestGoldenErrors freezes the problems: each file under testdata/errors
// shows one kind of load error, and the .golden file next to it holds the
// exact "file:line:col: message" lines.
func TestGoldenErrors(t *testing.T) {
	cat := catalog(t)
	files, _ := filepath.Glob("testdata/errors/*.yaml")
	if len(files) == 0 {
		t.Fatal("no test files")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			scs, err := scenario.Load(f, data, cat)
			if err == nil {
				t.Fatalf("loaded %d scenario(s); want problems", len(scs))
			}
			if scs != nil {
				t.Errorf("a failed load returned scenarios")
			}
			golden(t, strings.TrimSuffix(f, ".yaml")+".golden", []byte(err.Error()+"\n"))
		})
	}
}

// TestBuiltinsLoad checks every embedded built-in scenario loads as a set.
func TestBuiltinsLoad(t *testing.T) {
	eng := scenario.NewEngine(scenario.Config{})
	eng.SetCatalog(catalog(t))
	if err := eng.LoadBuiltins(os.DirFS("../../scenarios")); err != nil {
		t.Fatal(err)
	}
	if n := len(eng.List("")); n == 0 {
		t.Fatal("no built-in scenarios")
	}
}
