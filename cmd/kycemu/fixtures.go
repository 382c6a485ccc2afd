package main

import (
	"context"
	"fmt"
	"io"

	"github.com/kycemu/kycemu/fixtures"
)

// writeFixtures writes the sample documents into a directory and prints
// each path it wrote.
func writeFixtures(_ context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(stderr, "usage: kycemu fixtures DIR   (writes:", len(fixtures.All()), "files)")
		for _, f := range fixtures.All() {
			fmt.Fprintf(stderr, "  %-28s %s\n", f.Name, f.Document)
		}
		if len(args) == 1 {
			return 0
		}
		return 2
	}
	paths, err := fixtures.WriteDir(args[0])
	if err != nil {
		fmt.Fprintln(stderr, "kycemu fixtures:", err)
		return 1
	}
	for _, p := range paths {
		fmt.Fprintln(stdout, p)
	}
	return 0
}
