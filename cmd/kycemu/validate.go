package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/kycemu/kycemu/emulator"
	"github.com/kycemu/kycemu/emulator/clock"
	"github.com/kycemu/kycemu/emulator/scenario"
)

// validate checks scenario files (a directory stands for every *.yaml and
// *.yml below it) against the providers this build emulates, as one set:
// names must be unique per provider across all of them. Every problem is
// printed to stdout as "file:line:col: message"; the exit status is 0 when
// all files are valid, 1 when any is not, 2 on usage errors.
func validate(_ context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(stderr, "usage: kycemu validate FILE|DIR...")
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	emu, err := emulator.New(emulator.WithClock(clock.NewManual(clock.Real{}.Now())), emulator.WithSeed(1))
	if err != nil {
		fmt.Fprintln(stderr, "kycemu validate:", err)
		return 1
	}
	defer emu.Close()
	var files []scenario.File
	unreadable := 0
	for _, a := range args {
		info, err := os.Stat(a)
		if err == nil && info.IsDir() {
			fs, err := scenario.ReadDir(a)
			if err != nil {
				fmt.Fprintf(stdout, "%s:1:1: %s\n", a, describeOpenError(err))
				unreadable++
				continue
			}
			files = append(files, fs...)
			continue
		}
		b, err := os.ReadFile(a)
		if err != nil {
			fmt.Fprintf(stdout, "%s:1:1: %s\n", a, describeOpenError(err))
			unreadable++
			continue
		}
		files = append(files, scenario.File{Name: a, Data: b})
	}
	scs, err := scenario.LoadFiles(files, emu.Scenarios().Catalog())
	if err == nil && unreadable > 0 {
		fmt.Fprintf(stderr, "kycemu validate: %d file(s) could not be read\n", unreadable)
		return 1
	}
	if err != nil {
		var es scenario.Errors
		if errors.As(err, &es) {
			for _, e := range es {
				fmt.Fprintln(stdout, e.Error())
			}
			fmt.Fprintf(stderr, "kycemu validate: %d problem(s) in %d file(s)\n", len(es), len(files))
			return 1
		}
		fmt.Fprintln(stderr, "kycemu validate:", err)
		return 1
	}
	fmt.Fprintf(stderr, "kycemu validate: %d scenario(s) in %d file(s) are valid\n", len(scs), len(files))
	return 0
}

func describeOpenError(err error) string {
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "no such file"
	case errors.Is(err, os.ErrPermission):
		return "permission denied"
	}
	return "cannot read the file"
}
