//go:build unix

// Package docs_test runs the shell blocks of README.md and docs/*.md, as a
// reader would paste them, against a freshly built kycemu, and compares
// what they print with the output the page shows.
//
// The conventions a page follows (README.md, "Docs that run", says the
// same for writers):
//
//   - Every ```sh (or bash, shell) block runs, in bash, from the
//     repository root, with the new kycemu first on PATH.
//   - A block starts a fresh shell, unless the line before it is
//     <!-- continues -->: then it runs in the shell of the block before it
//     on that page, with its variables and its kycemu (a walkthrough
//     split by prose). <!-- shell: NAME --> names a shell: every block of
//     the page with that name runs in it, in page order, whatever runs
//     between them (a walkthrough that goes on after another section).
//     When a shell ends, whatever it started is stopped.
//   - <!-- not run: reason --> before a block skips it (it needs Docker,
//     a registry, or is a fragment). <!-- exit N --> says the block's last
//     command exits N (default 0); directives combine: <!-- continues,
//     exit 1 -->.
//   - A ```text or ```json block right after a shell block is the output
//     it prints on stdout. Whitespace is ignored and … (or ...) stands
//     for any text; the rest must match exactly, start to end.
//   - Ports 8080 (kycemu) and 8090 (a service of the page's) in blocks and
//     outputs are replaced by free ports, and KYCEMU_ADDR points at the
//     first, so pages run in parallel.
//   - A block must leave nothing in the repository root: use mktemp.
//
// bash and curl are needed (the test skips, saying so, without them);
// jq too (the test fails without it: .ci/run installs it).
package docs_test

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

var show = flag.Bool("show", false, "log what every block prints (go test ./docs -run TestDocsRun/README.md -v -show)")

// block is one shell block of a page, with its expected output.
type block struct {
	file      string
	line      int    // of the opening fence
	heading   string // the nearest heading above it
	code      string
	continues bool
	shell     string // the named shell it runs in
	skip      string // why it does not run
	exit      int
	want      *string // the output block, if any
	wantLine  int
}

func (b block) where() string {
	return fmt.Sprintf("%s:%d (under %q)", b.file, b.line, b.heading)
}

var (
	fenceRE     = regexp.MustCompile("^```\\s*([A-Za-z0-9_-]*)")
	directiveRE = regexp.MustCompile(`^<!--\s*(.*?)\s*-->$`)
	exitRE      = regexp.MustCompile(`\bexit (\d+)\b`)
	shellRE     = regexp.MustCompile(`\bshell: ([A-Za-z0-9_-]+)`)
)

// parse finds the shell blocks of a Markdown page.
func parse(file string, data []byte) ([]block, error) {
	var out []block
	lines := strings.Split(string(data), "\n")
	heading, directive := "", ""
	lastShell := -1 // index in out of the shell block the next fence may answer
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if strings.HasPrefix(l, "#") {
			heading = strings.TrimSpace(strings.TrimLeft(l, "#"))
		}
		if m := directiveRE.FindStringSubmatch(strings.TrimSpace(l)); m != nil {
			directive = m[1]
			lastShell = -1
			continue
		}
		m := fenceRE.FindStringSubmatch(l)
		if m == nil {
			if strings.TrimSpace(l) != "" {
				directive, lastShell = "", -1
			}
			continue
		}
		start := i
		var body []string
		for i++; i < len(lines) && !strings.HasPrefix(lines[i], "```"); i++ {
			body = append(body, lines[i])
		}
		if i == len(lines) {
			return nil, fmt.Errorf("%s:%d: unclosed code block", file, start+1)
		}
		code := strings.Join(body, "\n") + "\n"
		switch lang := m[1]; lang {
		case "sh", "bash", "shell":
			b := block{file: file, line: start + 1, heading: heading, code: code}
			if directive != "" {
				b.continues = strings.Contains(directive, "continues")
				if sm := shellRE.FindStringSubmatch(directive); sm != nil {
					b.shell = sm[1]
				}
				if strings.HasPrefix(directive, "not run") {
					b.skip = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(directive, "not run"), ":"))
					if b.skip == "" {
						return nil, fmt.Errorf("%s:%d: say why the block is not run: <!-- not run: reason -->", file, start+1)
					}
				}
				if em := exitRE.FindStringSubmatch(directive); em != nil {
					b.exit, _ = strconv.Atoi(em[1])
				}
			}
			out = append(out, b)
			lastShell = len(out) - 1
		case "text", "json":
			if lastShell >= 0 && out[lastShell].want == nil {
				out[lastShell].want, out[lastShell].wantLine = &code, start+1
			}
			lastShell = -1
		default:
			lastShell = -1
		}
		directive = ""
	}
	return out, nil
}

var wildcardRE = regexp.MustCompile(`…|\.\.\.`)

// match reports whether got is the output want shows, and if not the
// first part of want that did not match.
func match(want, got string) (bool, string) {
	squash := func(s string) string { return strings.Join(strings.Fields(s), "") }
	parts := wildcardRE.Split(squash(want), -1)
	g := squash(got)
	for i, p := range parts {
		switch {
		case i == 0:
			if !strings.HasPrefix(g, p) {
				return false, p
			}
			g = g[len(p):]
		case i == len(parts)-1:
			if !strings.HasSuffix(g, p) {
				return false, p
			}
			g = ""
		default:
			j := strings.Index(g, p)
			if j < 0 {
				return false, p
			}
			g = g[j+len(p):]
		}
	}
	if len(parts) == 1 && g != "" {
		return false, "(the end: the output goes on with " + short(g) + ")"
	}
	return true, ""
}

func short(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// notRun are pages whose blocks do not run (none: a block that cannot run
// says why in a not-run comment).
var notRun = map[string]bool{}

// pages are the documents whose blocks run.
func pages(t *testing.T) []string {
	files, _ := filepath.Glob("*.md")
	files = append([]string{"../README.md", "../examples/onboarding/README.md"}, files...)
	var out []string
	for _, f := range files {
		if _, err := os.Stat(f); err == nil && !notRun[f] {
			out = append(out, f)
		}
	}
	if len(out) < 5 {
		t.Fatalf("found only %v", out)
	}
	return out
}

func TestParse(t *testing.T) {
	page := "# T\n\n```sh\necho a\n```\n```text\na\n```\n\nprose\n\n<!-- continues, exit 1 -->\n```sh\nfalse\n```\n\n" +
		"<!-- not run: needs Docker -->\n```sh\ndocker ps\n```\n```json\n{}\n```\n<!-- shell: one -->\n```sh\ntrue\n```\n"
	bs, err := parse("p.md", []byte(page))
	if err != nil || len(bs) != 4 {
		t.Fatalf("%v %+v", err, bs)
	}
	if bs[0].want == nil || *bs[0].want != "a\n" || bs[0].continues || bs[0].line != 3 {
		t.Errorf("first: %+v", bs[0])
	}
	if !bs[1].continues || bs[1].exit != 1 || bs[1].want != nil {
		t.Errorf("second: %+v", bs[1])
	}
	if bs[2].skip != "needs Docker" || bs[2].want == nil {
		t.Errorf("third: %+v", bs[2])
	}
	if bs[3].shell != "one" || bs[3].continues {
		t.Errorf("fourth: %+v", bs[3])
	}
	if _, err := parse("p.md", []byte("<!-- not run -->\n```sh\nx\n```\n")); err == nil {
		t.Error("a skip without a reason was accepted")
	}
	for _, c := range []struct {
		want, got string
		ok        bool
	}{
		{`{"a": 1, "b": 2}`, `{"a":1,"b":2}`, true},
		{`{"a":1,…}`, `{"a":1,"b":2}`, true},
		{`{"a":1,...,"c":3}`, `{"a":1,"b":2,"c":3}`, true},
		{`{"a":1}`, `{"a":1,"b":2}`, false},
		{`…"b":3…`, `{"a":1,"b":2}`, false},
		{"204\n204\n", "204\n204\n", true},
		{"204\n", "000\n", false},
	} {
		if ok, _ := match(c.want, c.got); ok != c.ok {
			t.Errorf("match(%q, %q) = %v", c.want, c.got, ok)
		}
	}
}

// TestDocsRun runs every page.
func TestDocsRun(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the docs test starts kycemu for every walkthrough")
	}
	for _, tool := range []string{"bash", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the docs test needs %s, which is not on PATH: install it to run the docs' shell blocks", tool)
		}
	}
	if _, err := exec.LookPath("jq"); err != nil {
		t.Fatal("the docs' shell blocks use jq, which is not on PATH: install it (apt-get install jq; .ci/run does)")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "kycemu"), "./cmd/kycemu")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build kycemu: %v\n%s", err, out)
	}
	rootBefore := listDir(t, root)
	for _, page := range pages(t) {
		data, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		name, _ := filepath.Rel(root, filepath.Join(root, "docs", page))
		blocks, err := parse(name, data)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			runPage(t, root, bin, blocks)
		})
	}
	t.Cleanup(func() {
		if after := listDir(t, root); after != rootBefore {
			t.Errorf("the blocks left files in the repository root:\nbefore: %s\nafter:  %s", rootBefore, after)
		}
	})
}

func listDir(t *testing.T, dir string) string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return strings.Join(names, " ")
}

// runPage runs a page's blocks: one shell per run of continuing blocks or
// per shell name, one shell after another.
func runPage(t *testing.T, root, bin string, blocks []block) {
	var order []string
	shells := map[string][]block{}
	current := ""
	for i, b := range blocks {
		if b.skip != "" {
			continue
		}
		switch {
		case b.shell != "":
			current = "name:" + b.shell
		case b.continues:
			if current == "" {
				t.Errorf("%s is marked <!-- continues --> but no block runs before it", b.where())
				current = fmt.Sprint("block:", i)
			}
		default:
			current = fmt.Sprint("block:", i)
		}
		if _, ok := shells[current]; !ok {
			order = append(order, current)
		}
		shells[current] = append(shells[current], b)
	}
	for _, k := range order {
		runShell(t, root, bin, shells[k])
	}
}

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// suspicious are stderr lines that say a block did not work although its
// last command exited 0.
var suspicious = regexp.MustCompile(`command not found|No such file or directory|jq: error|parse error|curl: \(\d+\)|Failed to connect|address already in use`)

// runShell runs blocks in one bash, each with its output captured apart,
// and checks each.
func runShell(t *testing.T, root, bin string, blocks []block) {
	port := freePort(t)
	ports := strings.NewReplacer(":8080", ":"+port, ":8090", ":"+freePort(t))
	out := t.TempDir()
	var script strings.Builder
	for i, b := range blocks {
		code := ports.Replace(b.code)
		fmt.Fprintf(&script, "{\n%s\n} >%q 2>%q </dev/null\necho $? >%q\n", code,
			filepath.Join(out, strconv.Itoa(i)+".out"), filepath.Join(out, strconv.Itoa(i)+".err"), filepath.Join(out, strconv.Itoa(i)+".rc"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script.String())
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "GOBIN="+bin,
		"KYCEMU_ADDR=127.0.0.1:"+port)
	logf, err := os.Create(filepath.Join(out, "shell.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd.Stdout, cmd.Stderr = logf, logf // files, not pipes: background jobs must not hold Wait
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	runErr := cmd.Run()
	// Stop what the shell left running (kycemu in the background).
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	if ctx.Err() != nil {
		t.Errorf("%s: the shell did not finish within 90 s (a command waits forever? kycemu started in the foreground?)", blocks[0].where())
	}
	time.Sleep(50 * time.Millisecond) // let stopped processes flush their last lines
	for i, b := range blocks {
		read := func(ext string) string {
			data, _ := os.ReadFile(filepath.Join(out, strconv.Itoa(i)+ext))
			return string(data)
		}
		stdout, stderr, rcText := read(".out"), read(".err"), strings.TrimSpace(read(".rc"))
		if rcText == "" {
			t.Errorf("%s never finished (the shell stopped before it: %v)\nstderr:\n%s", b.where(), runErr, indent(stderr))
			break
		}
		rc, _ := strconv.Atoi(rcText)
		var problems []string
		if rc != b.exit {
			problems = append(problems, fmt.Sprintf("its last command exited %d, want %d", rc, b.exit))
		}
		if l := firstMatchingLine(stderr, suspicious); l != "" {
			problems = append(problems, "stderr says: "+l)
		}
		if b.want != nil {
			want := ports.Replace(*b.want)
			if ok, part := match(want, stdout); !ok {
				problems = append(problems, fmt.Sprintf("its output differs from the one shown at %s:%d; first part not found: %s\n--- want\n%s--- got\n%s",
					b.file, b.wantLine, short(part), indent(*b.want), indent(stdout)))
			}
		}
		if *show {
			t.Logf("%s printed (exit %d):\n%s", b.where(), rc, indent(stdout))
		}
		if len(problems) > 0 {
			t.Errorf("%s:\n  %s\nblock:\n%sstderr:\n%s", b.where(), strings.Join(problems, "\n  "), indent(b.code), indent(stderr))
		}
	}
}

func firstMatchingLine(s string, re *regexp.Regexp) string {
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if re.MatchString(sc.Text()) {
			return sc.Text()
		}
	}
	return ""
}

func indent(s string) string {
	if s == "" {
		return "    (nothing)\n"
	}
	var b bytes.Buffer
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		b.WriteString("    " + l + "\n")
	}
	return b.String()
}
