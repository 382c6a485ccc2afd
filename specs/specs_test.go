package specs

import (
	"slices"
	"testing"
)

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
