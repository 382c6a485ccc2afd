// Package browsertest drives headless Chromium from a Go test with
// chromedp: it finds the browser, gives each test a fresh profile and tab,
// and saves a screenshot of the page in the test's artifact directory when
// the test fails (go test -artifacts keeps it; otherwise it is a temporary
// directory, logged). A test is skipped only when no Chromium binary
// exists.
//
// Set KYCEMU_SCREENSHOTS to a directory to have Snapshot write the pictures
// the documentation shows.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Browser is a headless Chromium tab for one test.
type Browser struct {
	t testing.TB
	// Ctx is the tab's chromedp context.
	Ctx context.Context
}

// Path returns the Chromium binary: $KYCEMU_CHROMIUM, else the first of
// chromium, chromium-browser, google-chrome and google-chrome-stable on
// the PATH.
func Path() (string, bool) {
	if p := os.Getenv("KYCEMU_CHROMIUM"); p != "" {
		if _, err := exec.LookPath(p); err == nil {
			return p, true
		}
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, true
		}
	}
	return "", false
}

// Width and Height are the size of the browser window.
const (
	Width  = 1280
	Height = 900
)

// New starts headless Chromium with a fresh profile and returns its tab.
func New(t testing.TB) *Browser {
	t.Helper()
	path, ok := Path()
	if !ok {
		t.Skip("no Chromium binary (install Debian's chromium, or set KYCEMU_CHROMIUM)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(Width, Height),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		// The selfie step asks for a camera: a fake one answers at once.
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("lang", "en-US"),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	b := &Browser{t: t, Ctx: ctx}
	// The first call starts the browser and binds it to its context, so it
	// runs on the tab's own context, not on one with a timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium (%s): %v", path, err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			b.failureShot()
		}
	})
	return b
}

// failureShot saves the page the test failed on.
func (b *Browser) failureShot() {
	ctx, cancel := context.WithTimeout(b.Ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("browsertest: no screenshot of the failure: %v", err)
		return
	}
	path := filepath.Join(b.t.ArtifactDir(), "failure.png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Logf("browsertest: screenshot not saved: %v", err)
		return
	}
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	b.t.Logf("browsertest: the page at failure (%s) is in %s", loc, path)
}

// timeout bounds each call on the tab (the machines running the tests are
// shared, so it is generous).
const timeout = 45 * time.Second

// Do runs steps on the tab and fails the test on the first error.
func (b *Browser) Do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, timeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

// Navigates runs steps that lead the tab to a new page (a click on a link
// or a submit button, an Enter in a form) and waits until that page has
// loaded, so the next step does not act on the old one.
func (b *Browser) Navigates(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	Get(b, chromedp.Evaluate[bool](`window.__browsertestOld = true`))
	b.Do(steps...)
	ctx, cancel := context.WithTimeout(b.Ctx, timeout)
	defer cancel()
	for {
		loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__browsertestOld === undefined && document.readyState === "complete"`))
		if err == nil && loaded {
			return
		}
		select {
		case <-ctx.Done():
			b.t.Fatalf("browser: no new page loaded: %v", ctx.Err())
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// Get runs one action that answers a value and fails the test on error.
func Get[T any](b *Browser, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, timeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("browser: %v", err)
	}
	return v
}

// Type replaces the text of an input or text area by typing it, key by
// key, as a person does (the page sees every input event).
func (b *Browser) Type(sel, text string) {
	b.t.Helper()
	b.Do(chromedp.WaitVisible(chromedp.CSS(sel)))
	Get(b, chromedp.Evaluate[bool](`(() => { const e = document.querySelector(`+strconv.Quote(sel)+`); e.value = ""; e.focus(); return true })()`))
	b.Do(chromedp.SendKeys(chromedp.CSS(sel), text))
}

// Text returns the visible text of the first element a CSS selector
// matches, once it is visible.
func (b *Browser) Text(sel string) string {
	b.t.Helper()
	b.Do(chromedp.WaitVisible(chromedp.CSS(sel)))
	return Get(b, chromedp.Text(chromedp.CSS(sel)))
}

// Location returns the URL of the tab's page.
func (b *Browser) Location() string {
	b.t.Helper()
	return Get(b, chromedp.Location())
}

// TestID is the CSS selector of the element with a data-testid.
func TestID(id string) string { return `[data-testid="` + id + `"]` }

// Snapshot writes a full-page PNG of the tab as name.png in the directory
// KYCEMU_SCREENSHOTS names; it does nothing when the variable is unset.
func (b *Browser) Snapshot(name string) {
	b.t.Helper()
	dir := os.Getenv("KYCEMU_SCREENSHOTS")
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatalf("screenshots: %v", err)
	}
	png := Get(b, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatalf("screenshots: %v", err)
	}
}
