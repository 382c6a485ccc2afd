package emulator_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kycemu/kycemu/emulator"
)

func TestControlScenarios(t *testing.T) {
	h := newHarness(t)

	// The catalogue lists the built-ins with their files, and the
	// providers' own default timelines.
	var cat struct {
		Scenarios []struct {
			Name, Provider string
			Source         struct {
				Origin, File string
				Line         int
			}
		}
		ProviderDefaults map[string]map[string][]map[string]string
		Defaults         []any
	}
	r := h.do("GET", "/_emulator/scenarios?provider=notus", nil)
	if err := json.Unmarshal(r.body, &cat); err != nil || r.status != 200 {
		t.Fatalf("list: %d %s", r.status, r.body)
	}
	if len(cat.Scenarios) == 0 || cat.Scenarios[0].Source.Origin != "builtin" || !strings.HasPrefix(cat.Scenarios[0].Source.File, "scenarios/notus/") {
		t.Errorf("catalogue: %+v", cat.Scenarios)
	}
	if got := cat.ProviderDefaults["notus"]["STANDARD_INDIVIDUAL"]; len(got) != 2 || got[1]["from"] != "VERIFYING" {
		t.Errorf("notus default timeline: %v", got)
	}
	if r := h.do("GET", "/_emulator/scenarios/nope", nil); r.status != 404 {
		t.Errorf("unknown provider: %d", r.status)
	}

	// Get, as JSON and as YAML.
	r = h.do("GET", "/_emulator/scenarios/notus/reject", nil)
	if r.status != 200 || r.json(t)["timeline"] == nil {
		t.Errorf("get: %d %s", r.status, r.body)
	}
	r = h.do("GET", "/_emulator/scenarios/notus/reject?format=yaml", nil)
	if r.status != 200 || !strings.HasPrefix(string(r.body), "name: reject\nprovider: notus\n") {
		t.Errorf("get yaml: %d %s", r.status, r.body)
	}
	if r := h.do("GET", "/_emulator/scenarios/notus/nope", nil); r.status != 404 {
		t.Errorf("get unknown: %d", r.status)
	}

	// Put: validated with the loader's messages.
	r = h.do("PUT", "/_emulator/scenarios/notus/mine", "name: mine\nprovider: notus\ntimeline:\n  - after: soon\n    status: DONE\n")
	var bad struct {
		Error struct {
			Code     string
			Problems []struct{ Text string }
		}
	}
	_ = json.Unmarshal(r.body, &bad)
	if r.status != 400 || bad.Error.Code != "invalid_scenario" || len(bad.Error.Problems) != 2 ||
		bad.Error.Problems[0].Text != `body:4:12: timeline[0].after: "soon" is not a duration; write it like "90s", "1h30m", "250ms" or "2d" (at most 366d, not negative)` ||
		!strings.HasPrefix(bad.Error.Problems[1].Text, `body:5:13: timeline[0].status: unknown status "DONE" for notus`) {
		t.Errorf("bad put: %d %s", r.status, r.body)
	}
	if r := h.do("PUT", "/_emulator/scenarios/notus/other", "name: mine\nprovider: notus\nfaults: [{latency: 1ms}]\n"); r.status != 400 {
		t.Errorf("put under another name: %d %s", r.status, r.body)
	}
	mine := "name: mine\nprovider: notus\ntimeline:\n  - from: VERIFYING\n    after: 1m\n    status: FAILED\n"
	if r := h.do("PUT", "/_emulator/scenarios/notus/mine", mine); r.status != 201 || r.json(t)["source"].(map[string]any)["origin"] != "api" {
		t.Errorf("put: %d %s", r.status, r.body)
	}
	if r := h.do("PUT", "/_emulator/scenarios/notus/mine", mine); r.status != 200 {
		t.Errorf("put again: %d %s", r.status, r.body)
	}
	// A put scenario may shadow a built-in of the same name.
	if r := h.do("PUT", "/_emulator/scenarios/notus/approve", "name: approve\nprovider: notus\ntimeline: []\n"); r.status != 201 {
		t.Errorf("shadow a built-in: %d %s", r.status, r.body)
	}
	r = h.do("GET", "/_emulator/scenarios/notus/approve", nil)
	if src := r.json(t)["source"].(map[string]any); src["origin"] != "api" || src["hides"].([]any)[0] != "builtin" {
		t.Errorf("shadowing scenario: %s", r.body)
	}
	// Post takes several documents at once, all or nothing.
	r = h.do("POST", "/_emulator/scenarios", "name: a\nprovider: notus\nfaults: [{latency: 1ms}]\n---\nname: b\nprovider: notus\nfaults: [{latency: 1ms}]\n")
	if r.status != 200 || r.json(t)["total"] != 2.0 {
		t.Errorf("post: %d %s", r.status, r.body)
	}
	if r := h.do("POST", "/_emulator/scenarios", "name: c\nprovider: notus\nfaults: [{latency: 1ms}]\n---\nname: d\nprovider: nope\n"); r.status != 400 {
		t.Errorf("post with a bad document: %d %s", r.status, r.body)
	}
	if r := h.do("GET", "/_emulator/scenarios/notus/c", nil); r.status != 404 {
		t.Errorf("a failed post put a scenario: %d", r.status)
	}

	// Tenant defaults.
	if r := h.do("PUT", "/_emulator/scenarios/defaults", map[string]string{"provider": "notus", "tenant": "k", "scenario": "mine"}); r.status != 200 {
		t.Errorf("set default: %d %s", r.status, r.body)
	}
	if r := h.do("PUT", "/_emulator/scenarios/defaults", map[string]string{"provider": "notus", "tenant": "k", "scenario": "nope"}); r.status != 404 {
		t.Errorf("set unknown default: %d %s", r.status, r.body)
	}
	if r := h.do("PUT", "/_emulator/scenarios/defaults", map[string]string{"provider": "notus"}); r.status != 400 {
		t.Errorf("set incomplete default: %d %s", r.status, r.body)
	}
	r = h.do("GET", "/_emulator/scenarios/defaults", nil)
	if !strings.Contains(string(r.body), `{"provider":"notus","tenant":"k","scenario":"mine"}`) {
		t.Errorf("defaults: %s", r.body)
	}
	if c := h.notusCreate("k", "", notusPerson()); h.control(c.Session.ID).Scenario != "mine" {
		t.Error("the default is not used")
	}
	if r := h.do("DELETE", "/_emulator/scenarios/defaults?provider=notus&tenant=k", nil); r.status != 204 {
		t.Errorf("clear default: %d %s", r.status, r.body)
	}
	if r := h.do("DELETE", "/_emulator/scenarios/defaults?provider=notus&tenant=k", nil); r.status != 404 {
		t.Errorf("clear default twice: %d %s", r.status, r.body)
	}

	// Delete.
	if r := h.do("DELETE", "/_emulator/scenarios/notus/mine", nil); r.status != 204 {
		t.Errorf("delete: %d %s", r.status, r.body)
	}
	if r := h.do("DELETE", "/_emulator/scenarios/notus/mine", nil); r.status != 404 {
		t.Errorf("delete twice: %d %s", r.status, r.body)
	}
	if r := h.do("DELETE", "/_emulator/scenarios/notus/reject", nil); r.status != 409 {
		t.Errorf("delete a built-in: %d %s", r.status, r.body)
	}
	if r := h.do("DELETE", "/_emulator/scenarios/notus/approve", nil); r.status != 204 {
		t.Errorf("delete the shadowing scenario: %d", r.status)
	}
	r = h.do("GET", "/_emulator/scenarios/notus/approve", nil)
	if r.json(t)["source"].(map[string]any)["origin"] != "builtin" {
		t.Errorf("the built-in is not back: %s", r.body)
	}
	if r := h.do("POST", "/_emulator/scenarios/reload", nil); r.status != 409 {
		t.Errorf("reload without a directory: %d", r.status)
	}
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestScenarioDir: a bad file fails start-up with file:line:col messages;
// a good directory loads, and changes are picked up (and bad changes kept
// out) while running.
func TestScenarioDir(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "notus", "bad.yaml")
	writeFile(t, bad, "name: bad\nprovider: notus\ntimeline:\n  - after: 1s\n    status: COMPLETED\n")
	_, err := emulator.New(emulator.WithScenarioDir(dir))
	if err == nil || !strings.Contains(err.Error(), bad+":5:13: timeline[0].status: at 1s after creation the session would still be PENDING") {
		t.Fatalf("start with a bad file: %v", err)
	}

	writeFile(t, bad, "name: mine\nprovider: notus\ntimeline:\n  - from: VERIFYING\n    after: 1s\n    status: FAILED\n")
	h := newHarness(t, emulator.WithScenarioDir(dir), emulator.WithScenarioPollInterval(5*time.Millisecond))
	r := h.do("GET", "/_emulator/scenarios/notus/mine", nil)
	if r.status != 200 || r.json(t)["source"].(map[string]any)["file"] != bad {
		t.Fatalf("file scenario: %d %s", r.status, r.body)
	}
	// A second file appears.
	writeFile(t, filepath.Join(dir, "more.yml"), "name: more\nprovider: notus\nfaults: [{latency: 1ms}]\n")
	eventually(t, func() bool { return h.do("GET", "/_emulator/scenarios/notus/more", nil).status == 200 })
	// A broken edit is refused and reported; the scenarios stay.
	writeFile(t, filepath.Join(dir, "more.yml"), "name: more\nprovider: notus\nfautls: []\n")
	eventually(t, func() bool {
		var v struct{ Reload struct{ Problems []string } }
		_ = json.Unmarshal(h.do("GET", "/_emulator/scenarios", nil).body, &v)
		return len(v.Reload.Problems) == 1 && strings.HasSuffix(v.Reload.Problems[0], `more.yml:3:1: unknown key "fautls"; did you mean "faults"?`)
	})
	if r := h.do("GET", "/_emulator/scenarios/notus/more", nil); r.status != 200 {
		t.Errorf("a broken edit removed the scenario: %d", r.status)
	}
	if r := h.do("POST", "/_emulator/scenarios/reload", nil); r.status != 400 {
		t.Errorf("reload of a broken directory: %d %s", r.status, r.body)
	}
	// Removing the file removes its scenario.
	_ = os.Remove(filepath.Join(dir, "more.yml"))
	eventually(t, func() bool { return h.do("GET", "/_emulator/scenarios/notus/more", nil).status == 404 })
	if r := h.do("POST", "/_emulator/scenarios/reload", nil); r.status != 200 || r.json(t)["scenarios"] != 1.0 {
		t.Errorf("reload: %d %s", r.status, r.body)
	}
}

// eventually waits (real time, at most 5s) for cond.
func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
