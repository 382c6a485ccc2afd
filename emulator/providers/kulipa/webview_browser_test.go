package kulipa_test

import (
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kycemu/kycemu/internal/browsertest"
)

var tid = browsertest.TestID

// TestWebviewInBrowser: a person completes a full KYC's webview in
// Chromium (details, both sides of an identity card, a camera selfie),
// leaving the outcome to the scenario, with the keyboard; the browser lands
// on the KYC's redirectUri. The review then verifies the KYC on the clock,
// the user becomes active, the export reads what was typed and the signed
// webhooks arrive. The shipping and rfi webviews are shown too.
func TestWebviewInBrowser(t *testing.T) {
	e := newEnv(t)
	c := e.client(apiKey)
	rc := c.receiver(nil)
	app := browsertest.NewApp(t)
	userID := c.user(map[string]any{"dateOfBirth": "1990-12-10"})
	k := c.kyc(userID, "full", map[string]any{"redirectUri": app.URL + "/kyc/done"})
	dir := t.TempDir()
	front, back := filepath.Join(dir, "card-front.jpg"), filepath.Join(dir, "card-back.jpg")
	_ = os.WriteFile(front, photo(color.Gray{200}), 0o644)
	_ = os.WriteFile(back, photo(color.Gray{60}), 0o644)

	b := browsertest.New(t)
	b.Run(chromedp.Navigate(k.str("url")))
	if got := b.Text(tid("status")); got != "pending" {
		t.Fatalf("webview shows %s", got)
	}
	if got := browsertest.Value(b, chromedp.Value(chromedp.CSS(tid("first-name")))); got != "Ada" {
		t.Fatalf("first name not pre-filled: %q", got)
	}
	b.Type(tid("document-country"), "gb")
	b.Run(chromedp.SetValue(chromedp.CSS(tid("document-type")), "id_card"),
		chromedp.SendKeys(chromedp.CSS(tid("document-number")), "GB1234567"),
		chromedp.SetUploadFiles(chromedp.CSS(tid("document-front")), []string{front}),
		chromedp.SetUploadFiles(chromedp.CSS(tid("document-back")), []string{back}),
		chromedp.Click(chromedp.CSS(tid("selfie-camera"))),
		chromedp.WaitVisible(chromedp.CSS(tid("selfie-take"))),
		chromedp.Click(chromedp.CSS(tid("selfie-take"))),
		chromedp.Poll[chromedp.Void](`document.querySelector('[data-testid="selfie-status"]').textContent === "Selfie taken."`))
	b.Snapshot("kulipa-full")
	b.Run(chromedp.Focus(chromedp.CSS(tid("complete"))), chromedp.KeyEvent("\r"))
	if got := app.Landed(b).Path; got != "/kyc/done" {
		t.Fatalf("redirected to %s", got)
	}
	if got := c.get("/kycs/" + k.str("id")).str("status"); got != "submitted" {
		t.Fatalf("after the webview: %s", got)
	}
	e.advance(2 * time.Second)
	if got := c.get("/kycs/" + k.str("id")).str("status"); got != "verified" {
		t.Fatalf("after the review: %s", got)
	}
	ex := c.get("/kycs/export?userId=" + userID)
	if ex.str("name", "first") != "Ada" || ex.str("identityDocument", "type") != "id_card" ||
		ex.str("identityDocument", "number") != "GB1234567" || ex.str("identityDocument", "countryCode") != "GB" {
		t.Fatalf("export: %s", ex.raw)
	}
	got := strings.Join(names(rc.waitHooks(t, 4)), ",")
	for _, want := range []string{"kyc.created", "kyc.submitted", "kyc.verified", "user.activated"} {
		if !strings.Contains(got, want) {
			t.Fatalf("webhooks %s lack %s", got, want)
		}
	}

	// The shipping webview: the address pre-filled from the user's data.
	ship := c.kyc(userID, "shipping", nil)
	b.Run(chromedp.Navigate(ship.str("url")))
	b.Type(tid("address1"), "221B Baker Street")
	b.Type(tid("city"), "London")
	b.Type(tid("postal-code"), "NW1 6XE")
	b.Type(tid("country"), "GB")
	b.Snapshot("kulipa-shipping")
	b.Navigates(chromedp.Click(chromedp.CSS(tid("complete"))))
	if got := c.get("/kycs/" + ship.str("id")); got.str("status") != "submitted" || got.str("shippingAddress", "address", "city") != "London" {
		t.Fatalf("shipping KYC: %s", got.raw)
	}
	// The rfi webview: where the money comes from, decided "reject".
	rfi := c.kyc(userID, "rfi", nil)
	b.Run(chromedp.Navigate(rfi.str("url")),
		chromedp.SetValue(chromedp.CSS(tid("source-of-funds")), "business"),
		chromedp.SendKeys(chromedp.CSS(tid("explanation")), "Income of my bookshop in Camden"),
		chromedp.Click(chromedp.CSS(tid("outcome-reject"))))
	b.Snapshot("kulipa-rfi")
	b.Navigates(chromedp.Click(chromedp.CSS(tid("complete"))))
	if got := b.Text(tid("status")); got != "rejected" {
		t.Fatalf("rfi webview after complete: %s", got)
	}
	if got := c.get("/kycs/" + rfi.str("id")).str("status"); got != "rejected" {
		t.Fatalf("rfi KYC: %s", got)
	}
}
