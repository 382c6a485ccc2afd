package docgen

import (
	"strings"
	"testing"
)

func TestPDFEscapesText(t *testing.T) {
	s := string(PDF(`a (b) \ c`, "Zoë 1€", "", "last"))
	for _, want := range []string{`(a \(b\) \\ c) Tj`, `(Zo\353 1?) Tj`, "72 694 Td (last)"} {
		if !strings.Contains(s, want) {
			t.Errorf("PDF lacks %q:\n%s", want, s)
		}
	}
	if !strings.HasPrefix(s, "%PDF-1.4\n") || !strings.HasSuffix(s, "%%EOF\n") {
		t.Error("no header or trailer")
	}
}
