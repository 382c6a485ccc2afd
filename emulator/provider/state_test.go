package provider_test

import (
	"errors"
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

func TestOutcomesWalkTheMainLine(t *testing.T) {
	m := provider.NewMachine("pending", map[string][]string{
		"pending": {"review", "expired"},
		"review":  {"approved", "rejected"},
	})
	o := provider.Outcomes{Machine: m, Forward: map[string]string{"pending": "review"}, Noun: "check",
		Targets: map[string]string{"approve": "approved", "ok": "approved", "expire": "expired"},
		Listed:  []string{"approve", "expire"}}
	if got := o.Allowed("pending"); len(got) != 2 {
		t.Fatalf("allowed from pending: %v", got)
	}
	if got := o.Allowed("review"); len(got) != 1 || got[0] != "approve" {
		t.Fatalf("allowed from review: %v", got)
	}
	var moves []string
	move := func(to, reason string) { moves = append(moves, to+":"+reason) }
	if err := o.Force("pending", provider.Action{Name: "ok", Reason: "fine"}, move); err != nil {
		t.Fatal(err)
	}
	if len(moves) != 2 || moves[0] != "review:" || moves[1] != "approved:fine" {
		t.Fatalf("moves %v", moves)
	}
	err := o.Force("pending", provider.Action{Name: "fly"}, move)
	var pe *provider.Error
	if !errors.As(err, &pe) || pe.Status != 400 || pe.Message != "unknown action; use approve or expire" {
		t.Fatalf("unknown action: %v", err)
	}
	if err := o.Force("approved", provider.Action{Name: "expire"}, move); !errors.As(err, &pe) || pe.Status != 409 ||
		pe.Message != "cannot expire a check that is approved" {
		t.Fatalf("unreachable: %v", err)
	}
	if len(moves) != 2 {
		t.Fatalf("a refused action moved: %v", moves)
	}
}
