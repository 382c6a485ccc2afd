package specs

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// Every directory here with a document is one Read knows, and Read gives
// that file's bytes.
func TestEveryDocumentIsEmbedded(t *testing.T) {
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range entries {
		file := filepath.Join(e.Name(), "openapi.yaml")
		if !e.IsDir() {
			continue
		}
		want, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		dirs = append(dirs, e.Name())
		if got, err := Read(e.Name()); err != nil || string(got) != string(want) {
			t.Errorf("Read(%s) is not %s (err %v)", e.Name(), file, err)
		}
	}
	if all := append(Names(), Control); !slices.Equal(slices.Sorted(slices.Values(all)), dirs) {
		t.Fatalf("embedded %v, directories with a document %v", all, dirs)
	}
}

func TestControlIsNotAProvider(t *testing.T) {
	if names := Names(); slices.Contains(names, Control) || !slices.Contains(names, "notus") {
		t.Fatalf("Names() = %v", names)
	}
	if _, err := Read(Control); err != nil {
		t.Fatal(err)
	}
}

func TestEmbedded(t *testing.T) {
	for _, name := range append(Names(), Control) {
		doc := MustRead(name)
		if !Embedded(doc) {
			t.Errorf("Embedded(%s) = false", name)
		}
		if got, ok := NameOf(slices.Clone(doc)); got != name || !ok {
			t.Errorf("NameOf(%s) = %q, %t", name, got, ok)
		}
		changed := slices.Clone(doc)
		changed[len(changed)/2] ^= 1
		if Embedded(changed) || Embedded(doc[:len(doc)-1]) {
			t.Errorf("a changed copy of %s counts as embedded", name)
		}
	}
	if Embedded(nil) {
		t.Error("Embedded(nil) = true")
	}
}

func TestReadSharesTheBytes(t *testing.T) {
	a, b := MustRead("notus"), MustRead("notus")
	if &a[0] != &b[0] {
		t.Fatal("two reads of one document gave two copies")
	}
	if _, err := Read("nobody"); err == nil {
		t.Fatal("Read of an unknown provider did not fail")
	}
}
