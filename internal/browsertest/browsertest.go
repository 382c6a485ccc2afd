// Package browsertest runs a headless Chromium for tests, driven with
// chromedp: pages are served by httptest servers on loopback, the test acts
// like a user or a page script, and a screenshot of the page is saved in the
// test's artifact directory when the test fails.
//
//	b := browsertest.New(t)
//	b.Run(chromedp.Navigate(page.URL), chromedp.WaitVisible("#done"))
//	status := browsertest.Value(b, chromedp.Text("#status"))
//
// New skips the test, saying why, only when no Chromium binary exists
// (install Debian's chromium; .ci/run does), and fails it instead when
// KYCEMU_REQUIRE_BROWSER=1 (as .ci/run sets). Set KYCEMU_CHROMIUM to use a
// particular binary.
package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// EnvBinary names the environment variable that points at a Chromium
// binary; without it New looks for chromium, chromium-browser,
// google-chrome and google-chrome-stable on PATH.
const EnvBinary = "KYCEMU_CHROMIUM"

// EnvRequire, set to 1, turns a missing browser into a failure.
const EnvRequire = "KYCEMU_REQUIRE_BROWSER"

// Timeout bounds each Run.
const Timeout = 30 * time.Second

// Find returns the Chromium binary New would use.
func Find() (string, error) {
	if p := os.Getenv(EnvBinary); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("browsertest: %s=%s: %w", EnvBinary, p, err)
		}
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("browsertest: no Chromium binary on PATH (apt-get install chromium, or set " + EnvBinary + ")")
}

// Browser is one headless Chromium with a fresh profile, closed when the
// test ends.
type Browser struct {
	t   testing.TB
	ctx context.Context
}

// New starts Chromium for t with a temporary profile. It skips t when no
// binary exists and fails it when the browser cannot start.
func New(t testing.TB) *Browser {
	t.Helper()
	bin, err := Find()
	if err != nil {
		if os.Getenv(EnvRequire) == "1" {
			t.Fatal(err.Error())
		}
		t.Skip(err.Error())
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.NoSandbox, // tests run as root in containers, where Chromium's sandbox cannot start
		chromedp.Flag("disable-dev-shm-usage", true),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithErrorf(t.Logf))
	b := &Browser{t: t, ctx: ctx}
	t.Cleanup(func() {
		if t.Failed() {
			b.screenshot()
		}
		cancel()
		cancelAlloc()
	})
	// Start the browser now, so a broken install fails here and not in the
	// first action.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("browsertest: start %s: %v", bin, err)
	}
	return b
}

// Context is the browser tab's context, for chromedp calls Run does not
// cover (listening to events, say).
func (b *Browser) Context() context.Context { return b.ctx }

// Run performs the actions in the tab, in order, within Timeout and fails
// the test on the first error.
func (b *Browser) Run(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, Timeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("browsertest: %v", err)
	}
}

// Value performs one action that answers a value (chromedp.Text,
// chromedp.Evaluate[T], ...) within Timeout and returns it; an error fails
// the test.
func Value[T any](b *Browser, action chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, Timeout)
	defer cancel()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		b.t.Fatalf("browsertest: %v", err)
	}
	return v
}

// screenshot saves the page as failure.png in the test's artifact
// directory (kept with go test -artifacts) and logs where.
func (b *Browser) screenshot() {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("browsertest: no screenshot: %v", err)
		return
	}
	dir := b.t.ArtifactDir()
	path := filepath.Join(dir, strings.ReplaceAll(b.t.Name(), "/", "_")+"-failure.png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Logf("browsertest: save screenshot: %v", err)
		return
	}
	b.t.Logf("browsertest: screenshot of the failing page: %s", path)
}
