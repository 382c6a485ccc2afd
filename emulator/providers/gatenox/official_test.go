package gatenox_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"go.yaml.in/yaml/v4"

	"github.com/kycemu/kycemu/emulator/internal/oas"
	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/providers/gatenox"
	"github.com/kycemu/kycemu/emulator/state"
	"github.com/kycemu/kycemu/specs"
)

// Gatenox's own OpenAPI document (API 1.11.0, from the public repository
// Gatenox/GatenoxDevelopersHub) is the reference for every answer's shape.
// The repository carries no licence, so kycemu keeps only an extract of it
// in testdata: its structure (paths, methods, parameters, statuses,
// schemas) without the prose and examples. The repairs kycemu makes to it
// are listed in kycemu's spec under x-kycemu-official-repairs.
//
// Every answer a test in this package receives from the Gatenox API is
// checked against the repaired document (see env.send); TestMain reports
// how many were valid and which official operations the suite exercised.

const (
	extractFile    = "testdata/official/gatenox_api_1_11_0.yaml"
	officialSource = "Gatenox/GatenoxDevelopersHub@3cdd8af .gitbook/assets/gatenox_api_1_11_0.yaml"
)

var update = flag.Bool("update", false, "rewrite the official extract from $KYCEMU_GATENOX_OFFICIAL")

// officialDoc loads the extract with kycemu's repairs once per test binary.
var officialDoc = sync.OnceValues(func() (*oas.Official, error) {
	b, err := os.ReadFile(extractFile)
	if err != nil {
		return nil, err
	}
	rs, err := officialRepairs()
	if err != nil {
		return nil, err
	}
	return oas.LoadOfficial(b, rs)
})

func officialRepairs() ([]oas.Repair, error) {
	var spec struct {
		Repairs []oas.Repair `yaml:"x-kycemu-official-repairs"`
	}
	if err := yaml.Unmarshal(specs.MustRead(gatenox.Name), &spec); err != nil {
		return nil, fmt.Errorf("read repairs: %w", err)
	}
	return spec.Repairs, nil
}

func official(t testing.TB) *oas.Official {
	t.Helper()
	o, err := officialDoc()
	if err != nil {
		t.Fatalf("load the official document: %v", err)
	}
	return o
}

// tally counts the answers checked against the official document.
var tally = struct {
	sync.Mutex
	valid, total int
	outside      int                     // answers on paths the document does not have (unknown routes)
	seen         map[string]map[int]bool // "METHOD /template" -> statuses
}{seen: map[string]map[int]bool{}}

// checkOfficial validates one answer of the Gatenox API (path without the
// /gatenox mount) against the official document.
func checkOfficial(t testing.TB, method, path string, status int, header http.Header, body []byte) {
	t.Helper()
	o := official(t)
	op, _, found := o.Find(method, path)
	if !found {
		tally.Lock()
		tally.outside++
		tally.Unlock()
		return
	}
	err := o.ValidateResponse(context.Background(), method, path, status, header, body)
	tally.Lock()
	tally.total++
	if err == nil {
		tally.valid++
	}
	key := op.Method + " " + op.Path
	if tally.seen[key] == nil {
		tally.seen[key] = map[int]bool{}
	}
	tally.seen[key][status] = true
	tally.Unlock()
	if err != nil {
		t.Errorf("%v\nbody: %.600s", err, body)
	}
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	tally.Lock()
	defer tally.Unlock()
	if tally.total > 0 {
		fmt.Printf("official document: %d/%d answers valid (%d more on paths it does not have)\n",
			tally.valid, tally.total, tally.outside)
	}
	if code == 0 && tally.total > 0 && flag.Lookup("test.run").Value.String() == "" {
		// A full run must exercise every official operation.
		o, err := officialDoc()
		if err != nil {
			fmt.Println(err)
			os.Exit(1)
		}
		var missing []string
		for _, op := range o.Operations() {
			if tally.seen[op.Method+" "+op.Path] == nil {
				missing = append(missing, op.Method+" "+op.Path)
			}
		}
		if len(missing) > 0 {
			fmt.Printf("official operations no test exercised:\n  %s\n", strings.Join(missing, "\n  "))
			code = 1
		}
		if os.Getenv("KYCEMU_OFFICIAL_REPORT") != "" {
			keys := make([]string, 0, len(tally.seen))
			for k := range tally.seen {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				var sts []int
				for s := range tally.seen[k] {
					sts = append(sts, s)
				}
				slices.Sort(sts)
				fmt.Printf("  %-80s %v\n", k, sts)
			}
		}
	}
	os.Exit(code)
}

// shape reduces a templated path to its literal segments, so that
// /a/{id}/b and /a/{x}/b compare equal.
var param = regexp.MustCompile(`\{[^}]+\}`)

func shape(method, path string) string { return method + " " + param.ReplaceAllString(path, "{}") }

// TestOfficialOperationsHaveHandlers walks the official document: every
// operation must be an operation of kycemu's spec (the source of routes)
// with a handler.
func TestOfficialOperationsHaveHandlers(t *testing.T) {
	o := official(t)
	doc, err := oas.Load(specs.MustRead(gatenox.Name))
	if err != nil {
		t.Fatal(err)
	}
	ours := map[string]string{}
	for _, op := range doc.Operations() {
		ours[shape(op.Method, op.Path)] = op.ID
	}
	handlers := gatenox.New(provider.Env{}, state.New(state.Config{})).Handlers()
	ops := o.Operations()
	if len(ops) != 64 {
		t.Errorf("the official 1.11.0 document has 64 operations, the extract %d", len(ops))
	}
	for _, op := range ops {
		id, found := ours[shape(op.Method, op.Path)]
		if !found {
			t.Errorf("%s %s: not in kycemu's spec", op.Method, op.Path)
			continue
		}
		if handlers[id] == nil {
			t.Errorf("%s %s (%s): no handler", op.Method, op.Path, id)
		}
	}
}

// TestOfficialRepairsAreListed checks that every repair says why, and that
// a rule named twice is not.
func TestOfficialRepairsAreListed(t *testing.T) {
	rs, err := officialRepairs()
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) == 0 {
		t.Fatal("kycemu's spec lists no repairs")
	}
	rules := map[string]bool{}
	for i, r := range rs {
		if strings.TrimSpace(r.Why) == "" {
			t.Errorf("repair %d says nothing about why", i+1)
		}
		if r.Rule != "" && rules[r.Rule] {
			t.Errorf("rule %s is listed twice", r.Rule)
		}
		rules[r.Rule] = true
	}
	official(t) // every repair applies and the result loads
}

// TestOfficialExtract rebuilds the extract from the original document when
// KYCEMU_GATENOX_OFFICIAL names a copy of it (git show the source path from
// a clone of the repository), and checks the stored extract is that
// rebuild; -update rewrites it.
func TestOfficialExtract(t *testing.T) {
	src := os.Getenv("KYCEMU_GATENOX_OFFICIAL")
	if src == "" {
		t.Skip("set KYCEMU_GATENOX_OFFICIAL to a copy of " + officialSource + " to check the extract")
	}
	orig, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(orig)
	header := strings.Join([]string{
		"Structural extract of Gatenox's OpenAPI document, API 1.11.0.",
		"Source: " + officialSource + " (sha256 " + hex.EncodeToString(sum[:]) + ").",
		"Only the structure is kept (paths, methods, parameters, statuses, schemas);",
		"prose, examples and tags are left out. Rebuild: KYCEMU_GATENOX_OFFICIAL=<copy> go test -run TestOfficialExtract -update",
	}, "\n")
	got, err := oas.Extract(orig, header)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(filepath.FromSlash(extractFile), got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	stored, err := os.ReadFile(extractFile)
	if err != nil {
		t.Fatal(err)
	}
	if string(stored) != string(got) {
		t.Fatal("the stored extract differs from one rebuilt from the original; run with -update")
	}
}

// TestErrorsOfEveryOperation walks the official document and calls every
// operation as a client that got it wrong: without a token (401), and,
// where the path names a record, with an id nobody has (404). Each answer
// is checked against the official document like every other.
func TestErrorsOfEveryOperation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client("sweep-company")
	const unknown = "7c0c8a8e-7a51-4a11-9d5e-9b1f8a0e0e0e"
	concrete := map[string]string{"jurisdiction_code": "gb", "company_number": "13714404", "rest": "eyJpZCI6Im5vbmUifQ"}
	for _, op := range official(t).Operations() {
		path := param.ReplaceAllStringFunc(op.Path, func(p string) string {
			if v, ok := concrete[p[1:len(p)-1]]; ok {
				return v
			}
			return unknown
		})
		t.Run(op.Method+" "+op.Path, func(t *testing.T) {
			anon := e.call(op.Method, "/gatenox"+path, nil)
			if anon.status != http.StatusUnauthorized || anon.str("errors", "token") != "missing token" {
				t.Errorf("without a token: %d %s", anon.status, anon.raw)
			}
			checkOfficial(t, op.Method, path, anon.status, anon.header, anon.raw)
			if path == op.Path || op.Method != http.MethodGet && strings.Contains(op.Path, "/checks/") && !strings.Contains(op.Path, "{id}") {
				return // nothing to look up
			}
			var r response
			if op.Method == http.MethodGet {
				r = c.do(op.Method, path, nil)
			} else {
				r = c.formWith(op.Method, path)
			}
			if r.status != http.StatusNotFound {
				t.Errorf("an unknown id: %d %s", r.status, r.raw)
			}
		})
	}
}
