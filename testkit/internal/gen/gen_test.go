package gen

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestGeneratedFilesAreCurrent fails when a provider gains or loses a
// kind, status or event (or control.Harness a method) that the checked-in
// generated files do not have yet.
func TestGeneratedFilesAreCurrent(t *testing.T) {
	root := filepath.Join("..", "..")
	files, err := Files(root)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(root, name))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("testkit/%s is missing or stale: run go generate ./testkit", name)
		}
	}
	dirs, err := filepath.Glob(filepath.Join(root, "providers", "*", "catalog_gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		rel, _ := filepath.Rel(root, d)
		if _, ok := files[filepath.ToSlash(rel)]; !ok {
			t.Errorf("testkit/%s names a provider kycemu no longer mounts", rel)
		}
	}
}

func TestIdent(t *testing.T) {
	for in, want := range map[string]string{
		"in_review":               "InReview",
		"STANDARD_BUSINESS":       "StandardBusiness",
		"kyc.validation_approved": "KYCValidationApproved",
		"qa":                      "QA",
		"state_change":            "StateChange",
	} {
		if got := Ident(in); got != want {
			t.Errorf("Ident(%q) = %q, want %q", in, got, want)
		}
	}
}
