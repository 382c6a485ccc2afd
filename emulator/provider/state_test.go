package provider_test

import (
	"strings"
	"testing"

	"github.com/kycemu/kycemu/emulator/provider"
)

func TestMachine(t *testing.T) {
	m := provider.NewMachine("new", map[string][]string{"new": {"open"}, "open": {"done", "new"}})
	if !m.Can("new", "open") || m.Can("new", "done") || m.Can("done", "new") {
		t.Fatal("edges")
	}
	if !m.Terminal("done") || m.Terminal("open") {
		t.Fatal("terminal")
	}
	if got := m.Statuses(); len(got) != 3 || got[0] != "done" {
		t.Fatalf("statuses %v", got)
	}
}

func TestErrors(t *testing.T) {
	e := provider.Invalid("a.b", "must be %d", 3).WithCode("X")
	if e.Status != 400 || e.Code != "X" || e.Error() != "400 invalid: a.b: must be 3" {
		t.Fatalf("%+v %s", e, e)
	}
	if provider.StatusOf("nonsense") != 500 || provider.NotFound("x").CodeOr("NF") != "NF" {
		t.Fatal("defaults")
	}
	if _, err := (provider.NoScenarios{}).Plan("p", "k", "t", "named", nil); err == nil || err.Status != 400 {
		t.Fatal("a named scenario without an engine should be refused")
	}
}

func TestMachinePath(t *testing.T) {
	m := provider.NewMachine("a", map[string][]string{"a": {"b", "x"}, "b": {"c"}, "c": {"d", "x"}})
	main := map[string]string{"a": "b", "b": "c", "c": "d"}
	for _, tc := range []struct {
		from, to, want string
	}{
		{"a", "d", "b c d"},
		{"a", "x", "x"},
		{"b", "x", "c x"},
		{"d", "a", ""},
		{"a", "zzz", ""},
	} {
		if got := strings.Join(m.Path(tc.from, tc.to, main), " "); got != tc.want {
			t.Errorf("Path(%s, %s) = %q, want %q", tc.from, tc.to, got, tc.want)
		}
	}
	loop := provider.NewMachine("a", map[string][]string{"a": {"b"}, "b": {"a"}})
	if got := loop.Path("a", "z", map[string]string{"a": "b", "b": "a"}); got != nil {
		t.Errorf("a cycle in the main line must end: %v", got)
	}
}

func TestKindOfInvertsStatusOf(t *testing.T) {
	for _, k := range []provider.Kind{provider.KindInvalid, provider.KindUnauthorized, provider.KindForbidden, provider.KindNotFound,
		provider.KindMethod, provider.KindConflict, provider.KindTooLarge, provider.KindUnprocessable, provider.KindRateLimited,
		provider.KindInternal, provider.KindUnavailable} {
		if got := provider.KindOf(provider.StatusOf(k)); got != k {
			t.Errorf("KindOf(StatusOf(%s)) = %s", k, got)
		}
	}
	if provider.KindOf(502) != provider.KindInternal || provider.KindOf(418) != provider.KindInvalid {
		t.Error("unlisted statuses")
	}
}
