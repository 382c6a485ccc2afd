package browsertest_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kycemu/kycemu/internal/browsertest"
)

func TestBrowserRunsAPageScript(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<!doctype html><p id="out">waiting</p><script>document.getElementById("out").textContent = "ran " + (6*7)</script>`)
	}))
	defer srv.Close()
	b := browsertest.New(t)
	b.Run(chromedp.Navigate(srv.URL))
	if got := browsertest.Value(b, chromedp.Text("#out")); got != "ran 42" {
		t.Fatalf("page text %q", got)
	}
}

func TestFindRefusesAMissingBinary(t *testing.T) {
	t.Setenv(browsertest.EnvBinary, t.TempDir()+"/no-such-chromium")
	if p, err := browsertest.Find(); err == nil {
		t.Fatalf("found %s", p)
	}
}
