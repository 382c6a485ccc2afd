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
