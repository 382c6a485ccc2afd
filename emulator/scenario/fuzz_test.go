package scenario_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kycemu/kycemu/emulator/scenario"
)

// FuzzLoad feeds the loader arbitrary bytes. It must never panic; every
// problem must carry a position in the file; and whatever loads must come
// back unchanged from its normalised form.
//
//	go test -fuzz=FuzzLoad ./emulator/scenario
func FuzzLoad(f *testing.F) {
	for _, glob := range []string{"testdata/valid/*.yaml", "testdata/errors/*.yaml", "../../scenarios/*/*.yaml"} {
		files, _ := filepath.Glob(glob)
		for _, p := range files {
			b, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	cat := catalog(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		scs, err := scenario.Load("f.yaml", data, cat)
		if err != nil {
			var es scenario.Errors
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("load failed without positioned problems: %v", err)
			}
			for _, e := range es {
				if e.File != "f.yaml" || e.Line < 1 || e.Col < 1 || e.Msg == "" {
					t.Fatalf("badly positioned problem: %#v", e)
				}
			}
			if scs != nil {
				t.Fatal("a failed load returned scenarios")
			}
			return
		}
		var norm []string
		for _, sc := range scs {
			norm = append(norm, string(sc.YAML()))
		}
		n1 := strings.Join(norm, "---\n")
		again, err := scenario.Load("normalised.yaml", []byte(n1), cat)
		if err != nil {
			t.Fatalf("the normalised form of a valid file does not load:\n%s\n%v", n1, err)
		}
		var norm2 []string
		for _, sc := range again {
			norm2 = append(norm2, string(sc.YAML()))
		}
		if n2 := strings.Join(norm2, "---\n"); n2 != n1 {
			t.Fatalf("normalising is not stable:\n%s\nthen\n%s", n1, n2)
		}
	})
}
