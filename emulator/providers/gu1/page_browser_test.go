package gu1_test

import (
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kycemu/kycemu/internal/browsertest"
)

var tid = browsertest.TestID

// TestHostedPageInBrowser is a person going through providerSessionUrl in
// Chromium: start, details, both sides of the document, a selfie from the
// (fake) camera, the test outcome "approve", submitted with the keyboard.
// The API and the webhook receiver see the result.
func TestHostedPageInBrowser(t *testing.T) {
	e := newEnv(t)
	c := e.client(key, org)
	rc := e.receiver(c.secret(), nil)
	c.useReceiver(rc.URL)
	v := c.validate(c.person("20-30000007"), nil)
	id := v.str("id")
	dir := t.TempDir()
	front, back := filepath.Join(dir, "id-front.jpg"), filepath.Join(dir, "id-back.jpg")
	_ = os.WriteFile(front, jpegOf(color.RGBA{210, 190, 160, 255}), 0o644)
	_ = os.WriteFile(back, jpegOf(color.RGBA{160, 190, 210, 255}), 0o644)

	b := browsertest.New(t)
	b.Run(chromedp.Navigate(v.str("providerSessionUrl")))
	if got := b.Text(tid("status")); got != "pending" {
		t.Fatalf("page shows %s", got)
	}
	b.Snapshot("gu1-start")
	b.Navigates(chromedp.Click(chromedp.CSS(tid("start"))))
	if got := browsertest.Value(b, chromedp.Value(chromedp.CSS(tid("first-name")))); got != "Ana" {
		t.Fatalf("first name not prefilled from the entity: %q", got)
	}
	b.Type(tid("first-name"), "Ana Maria")
	b.Run(chromedp.SendKeys(chromedp.CSS(tid("date-of-birth")), "03141990"), // a date input takes the digits
		chromedp.SetValue(chromedp.CSS(tid("document-type")), "national_id"),
		chromedp.SendKeys(chromedp.CSS(tid("document-number")), "RG1234567"),
		chromedp.SetUploadFiles(chromedp.CSS(tid("document-front")), []string{front}),
		chromedp.SetUploadFiles(chromedp.CSS(tid("document-back")), []string{back}),
		chromedp.Click(chromedp.CSS(tid("selfie-camera"))),
		chromedp.WaitVisible(chromedp.CSS(tid("selfie-take"))),
		chromedp.Click(chromedp.CSS(tid("selfie-take"))),
		chromedp.Poll[chromedp.Void](`document.querySelector('[data-testid="selfie-status"]').textContent === "Selfie taken."`),
		chromedp.Click(chromedp.CSS(tid("outcome-approve"))))
	b.Snapshot("gu1-form")
	b.Run(chromedp.Focus(chromedp.CSS(tid("submit"))))
	b.Navigates(chromedp.KeyEvent("\r"))
	if got := b.Text(tid("status")); got != "approved" {
		t.Fatalf("page after submit shows %s (%s)", got, b.Text("main"))
	}
	b.Snapshot("gu1-done")

	got := c.do("GET", "/api/kyc/validations/"+id, nil)
	if got.str("status") != "approved" || got.str("extractedData", "firstName") != "Ana Maria" ||
		got.str("extractedData", "dateOfBirth") != "1990-03-14" || got.str("extractedData", "documentNumber") != "RG1234567" {
		t.Fatalf("validation: %s", got.raw)
	}
	docs := got.val("documentsVerified").([]any)
	if len(docs) != 2 || docs[1].(map[string]any)["side"] != "back" {
		t.Fatalf("documents: %v", docs)
	}
	hs := rc.waitHooks(t, 4)
	var names []string
	for _, h := range hs {
		names = append(names, strings.TrimPrefix(h.Event, "kyc.validation_"))
	}
	if strings.Join(names, ",") != "created,in_progress,in_review,approved" {
		t.Fatalf("webhooks: %v", names)
	}
	// The selfie came from the camera: a JPEG the page made.
	var selfie bool
	for _, r := range e.call("GET", "/_emulator/requests?session="+id, nil).val("requests").([]any) {
		req, _ := r.(map[string]any)["request"].(map[string]any)
		parts, _ := req["parts"].([]any)
		for _, p := range parts {
			pm := p.(map[string]any)
			selfie = selfie || (pm["name"] == "selfie" && pm["filename"] == "selfie.jpg" && pm["contentType"] == "image/jpeg" && pm["size"].(float64) > 1000)
		}
	}
	if !selfie {
		t.Fatal("no camera selfie in the journal of the validation")
	}
}
