package browsertest

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Helpers for tests that act on pages as a person does: by the stable
// data-testid of each control, waiting for the page a click leads to.

// TestID is the CSS selector of the element with a data-testid.
func TestID(id string) string { return `[data-testid="` + id + `"]` }

// Navigates runs actions that lead the tab to a new page (a click on a link
// or a submit button, an Enter in a form) and waits until that page has
// loaded, so the next action does not act on the old one.
func (b *Browser) Navigates(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	Value(b, chromedp.Evaluate[bool](`window.__browsertestOld = true`))
	b.Run(actions...)
	ctx, cancel := context.WithTimeout(b.ctx, Timeout)
	defer cancel()
	for {
		loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__browsertestOld === undefined && document.readyState === "complete"`))
		if err == nil && loaded {
			return
		}
		select {
		case <-ctx.Done():
			b.t.Fatalf("browsertest: no new page loaded: %v", ctx.Err())
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// Type replaces the text of an input or text area by typing it key by key,
// so the page sees every input event.
func (b *Browser) Type(sel, text string) {
	b.t.Helper()
	b.Run(chromedp.WaitVisible(chromedp.CSS(sel)))
	Value(b, chromedp.Evaluate[bool](`(() => { const e = document.querySelector(`+strconv.Quote(sel)+`); e.value = ""; e.focus(); return true })()`))
	b.Run(chromedp.SendKeys(chromedp.CSS(sel), text))
}

// Text returns the visible text of the first element a CSS selector
// matches, once it is visible.
func (b *Browser) Text(sel string) string {
	b.t.Helper()
	b.Run(chromedp.WaitVisible(chromedp.CSS(sel)))
	return Value(b, chromedp.Text(chromedp.CSS(sel)))
}

// Location returns the URL of the tab's page.
func (b *Browser) Location() string {
	b.t.Helper()
	return Value(b, chromedp.Location())
}

// EnvScreenshots names the directory Snapshot writes pictures to.
const EnvScreenshots = "KYCEMU_SCREENSHOTS"

// Snapshot writes a full-page PNG of the tab, 1280 pixels wide, as
// name.png in the directory $KYCEMU_SCREENSHOTS names (relative paths are
// relative to the test's package); it does nothing when the variable is
// unset. The documentation's pictures are made this way.
func (b *Browser) Snapshot(name string) {
	b.t.Helper()
	dir := os.Getenv(EnvScreenshots)
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatalf("browsertest: %v", err)
	}
	b.Run(chromedp.EmulateViewport(1280, 800))
	png := Value(b, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatalf("browsertest: %v", err)
	}
}

// App stands in for the application a hosted page sends the person back
// to (a redirect URL): a server on loopback that records where the browser
// lands.
type App struct {
	// URL is the app's base URL.
	URL    string
	landed chan *url.URL
}

// NewApp starts an app server for t.
func NewApp(t testing.TB) *App {
	a := &App{landed: make(chan *url.URL, 8)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/favicon.ico" { // the browser's own request, not a landing
			http.NotFound(w, r)
			return
		}
		select {
		case a.landed <- r.URL:
		default:
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, "<!doctype html><title>The app</title><p>Back in the app.</p>")
	}))
	t.Cleanup(srv.Close)
	a.URL = srv.URL
	return a
}

// Landed waits until the browser reaches the app and returns the URL it
// asked for (path and query); it fails the test after Timeout.
func (a *App) Landed(b *Browser) *url.URL {
	b.t.Helper()
	select {
	case u := <-a.landed:
		return u
	case <-time.After(Timeout):
		b.t.Fatalf("browsertest: the browser never reached the app; it is at %s", b.Location())
		return nil
	}
}
