package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	dup := filepath.Join(dir, "sub", "dup.yml")
	_ = os.MkdirAll(filepath.Dir(dup), 0o755)
	_ = os.WriteFile(good, []byte("name: mine\nprovider: notus\ntimeline:\n  - from: VERIFYING\n    after: 1m\n    status: FAILED\n"), 0o644)
	_ = os.WriteFile(bad, []byte("name: other\nprovider: notus\ntimline: []\nfaults:\n  - operation: nope\n    respond: {status: 503}\n"), 0o644)
	_ = os.WriteFile(dup, []byte("name: mine\nprovider: notus\nfaults: [{latency: 1s}]\n"), 0o644)

	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := validate(context.Background(), args, &out, &errb)
		return code, out.String(), errb.String()
	}
	if code, out, _ := run(good); code != 0 || out != "" {
		t.Errorf("good file: exit %d, %q", code, out)
	}
	code, out, _ := run(good, bad)
	want := bad + ":3:1: unknown key \"timline\"; did you mean \"timeline\"?\n" +
		bad + ":5:16: faults[0].operation: unknown operation \"nope\" for notus; want an operationId of its spec: "
	if code != 1 || !strings.HasPrefix(out, want) {
		t.Errorf("bad file: exit %d\n%s", code, out)
	}
	// A directory stands for its files; names are unique across them.
	code, out, _ = run(good, filepath.Join(dir, "sub"))
	if code != 1 || out != dup+":1:7: name: duplicate scenario name \"mine\" for provider notus (first defined at "+good+":1:7)\n" {
		t.Errorf("duplicate: exit %d\n%s", code, out)
	}
	if code, out, _ := run(filepath.Join(dir, "missing.yaml")); code != 1 || !strings.HasSuffix(out, "missing.yaml:1:1: no such file\n") {
		t.Errorf("missing file: exit %d %q", code, out)
	}
	// A YAML syntax error points at the offending character, not at the
	// block around it.
	broken := filepath.Join(dir, "broken.yaml")
	_ = os.WriteFile(broken, []byte("name: broken\nprovider: notus\ntimeline:\n  - after: 5s\n   status: EXPIRED\n"), 0o644)
	if code, out, _ := run(broken); code != 1 || !strings.HasPrefix(out, broken+":5:4: invalid YAML: did not find expected '-' indicator") {
		t.Errorf("syntax error: exit %d\n%s", code, out)
	}
	if code, _, _ := run(); code != 2 {
		t.Errorf("no arguments: exit %d", code)
	}
	// The built-in scenarios are valid.
	if code, out, _ := run("../../scenarios"); code != 0 {
		t.Errorf("built-ins: exit %d\n%s", code, out)
	}
}
