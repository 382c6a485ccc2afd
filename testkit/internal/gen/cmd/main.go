// Command cmd rewrites the testkit's generated files; go generate ./testkit
// runs it in the testkit directory.
package main

import (
	"log"
	"os"
	"path/filepath"

	"github.com/kycemu/kycemu/testkit/internal/gen"
)

func main() {
	files, err := gen.Files(".")
	if err != nil {
		log.Fatalf("gen: %v", err)
	}
	for name, src := range files {
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			log.Fatalf("gen: %v", err)
		}
		if err := os.WriteFile(name, src, 0o644); err != nil {
			log.Fatalf("gen: %v", err)
		}
	}
}
