package oas

import (
	"bytes"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/kycemu/kycemu/specs"
)

// TestEmbeddedDocumentsAreValid is the validation LoadValid leaves out:
// every document embedded in the binary passes Load's T.Validate, and
// LoadValid reads it into the same document.
func TestEmbeddedDocumentsAreValid(t *testing.T) {
	for _, name := range append(specs.Names(), specs.Control) {
		t.Run(name, func(t *testing.T) {
			raw := specs.MustRead(name)
			checked, err := Load(raw)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			fast, err := LoadValid(raw)
			if err != nil {
				t.Fatalf("LoadValid: %v", err)
			}
			a, err := checked.JSON()
			if err != nil {
				t.Fatal(err)
			}
			b, err := fast.JSON()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a, b) {
				t.Error("LoadValid read a different document than Load")
			}
		})
	}
}

func TestLoadValidStillParses(t *testing.T) {
	if _, err := LoadValid([]byte("openapi: [")); err == nil {
		t.Fatal("LoadValid accepted a document that does not parse")
	}
	// What LoadValid does not check, Load still refuses.
	bad := []byte(strings.Replace(shapeSpec, "openapi: 3.0.3", "openapi: ''", 1))
	if _, err := Load(bad); err == nil {
		t.Fatal("Load accepted a document without a version")
	}
}

func TestCacheSharesDocuments(t *testing.T) {
	var c Cache
	raw := []byte(shapeSpec)
	var wg sync.WaitGroup
	docs := make([]*Doc, 8)
	for i := range docs {
		wg.Go(func() {
			d, err := c.Load(bytes.Clone(raw))
			if err != nil {
				t.Error(err)
			}
			docs[i] = d
		})
	}
	wg.Wait()
	for _, d := range docs[1:] {
		if d != docs[0] {
			t.Fatal("equal documents were loaded more than once")
		}
	}
	other := []byte(strings.Replace(shapeSpec, "title:", "title: x", 1))
	if d, err := c.LoadValid(other); err != nil || d == docs[0] {
		t.Fatalf("a different document came back as the cached one (err %v)", err)
	}
	if _, err := c.Load([]byte("openapi: [")); err == nil {
		t.Fatal("the cache accepted a document that does not parse")
	}
}

func TestOperationIDsFollowOperations(t *testing.T) {
	for _, name := range append(specs.Names(), specs.Control) {
		d, err := LoadValid(specs.MustRead(name))
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, op := range d.Operations() {
			want = append(want, op.ID)
		}
		if got := d.OperationIDs(); !slices.Equal(got, want) {
			t.Errorf("%s: OperationIDs() = %v, Operations() names %v", name, got, want)
		}
	}
}

// BenchmarkParseEmbedded is what the first request to a provider pays for
// its document: the parse LoadEmbedded leaves to first use.
func BenchmarkParseEmbedded(b *testing.B) {
	for _, name := range append(specs.Names(), specs.Control) {
		raw := specs.MustRead(name)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				d, err := LoadEmbedded(name, raw)
				if err != nil {
					b.Fatal(err)
				}
				d.Wait()
			}
		})
	}
}
