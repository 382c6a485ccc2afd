package hosted

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// TestIsPersonNameIsTheExpression checks the hand-written check against the
// regular expression it replaces, on the cases that tell them apart.
func TestIsPersonNameIsTheExpression(t *testing.T) {
	inputs := []string{
		"", "A", "Ana", "Ana Souza", "O'Brien", "J. R. R.", "Jean-Luc", "Zoë", "Łukasz", "李小龍", "Ελένη",
		" Ana", "'Ana", "-Ana", ".Ana", "Ana1", "Ana_", "Ana\n", "Ana\t", "Ana!", "A\u00a0B", "A\u200bB",
		"\xff", "A\xff", "A\xc3", "\ufffd", "A\ufffd", strings.Repeat("a", 63), strings.Repeat("a", 64),
		strings.Repeat("a", 65), strings.Repeat("a", 99), strings.Repeat("a", 100), strings.Repeat("a", 101),
		strings.Repeat("é", 100), strings.Repeat("é", 101), "A" + strings.Repeat(" ", 99), "Ab", "A'",
	}
	for _, bounds := range [][2]int{{1, 100}, {2, 64}} {
		re := regexp.MustCompile(fmt.Sprintf(`^[\p{L}][\p{L}' .-]{%d,%d}$`, bounds[0]-1, bounds[1]-1))
		for _, s := range inputs {
			if got, want := IsPersonName(s, bounds[0], bounds[1]), re.MatchString(s); got != want {
				t.Errorf("IsPersonName(%q, %d, %d) = %v, the expression says %v", s, bounds[0], bounds[1], got, want)
			}
		}
	}
}

func FuzzIsPersonName(f *testing.F) {
	f.Add("Ana Souza")
	f.Add("O'Brien-Łukasz")
	re := regexp.MustCompile(`^[\p{L}][\p{L}' .-]{1,63}$`)
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := IsPersonName(s, 2, 64), re.MatchString(s); got != want {
			t.Fatalf("IsPersonName(%q) = %v, the expression says %v", s, got, want)
		}
	})
}

func TestPageParsesOnFirstRender(t *testing.T) {
	p := Parse("broken", `{{define "content"}}{{.Missing`) // no panic yet
	defer func() {
		if recover() == nil {
			t.Fatal("rendering a broken page did not panic")
		}
	}()
	Render(httptest.NewRecorder(), http.StatusOK, p, Frame{})
}
