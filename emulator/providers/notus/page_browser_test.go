package notus_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kycemu/kycemu/internal/browsertest"
	"github.com/kycemu/kycemu/testkit"
)

var tid = browsertest.TestID

// TestCapturePageInBrowser: a person on the page standing in for Notus's
// web SDK uploads the documents of an enhanced session (through the
// presigned forms, to the bucket), takes the liveness selfie with the
// (fake) camera, picks "approve" and finishes; the page calls process and
// lands on the partner app's redirect URL. The API then shows the session
// COMPLETED with its files.
func TestCapturePageInBrowser(t *testing.T) {
	kyc := testkit.Start(t, testkit.WithManualClock(time.Time{}))
	api := kyc.URL + "/notus/api/v1/kyc/individual-verification-sessions/enhanced"
	const key = "sdk-page-key"
	call := func(method, u, body string) map[string]any {
		t.Helper()
		req, _ := http.NewRequest(method, u, strings.NewReader(body))
		req.Header.Set("x-api-key", key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var v map[string]any
		raw, _ := io.ReadAll(resp.Body)
		if err := json.Unmarshal(raw, &v); err != nil || resp.StatusCode >= 300 {
			t.Fatalf("%s %s: %d %s", method, u, resp.StatusCode, raw)
		}
		return v
	}
	created := call(http.MethodPost, api, `{"firstName":"Ana","lastName":"Souza","birthDate":"15/03/1990","documentCategory":"IDENTITY_CARD",`+
		`"documentCountry":"BRAZIL","documentId":"12345678909","email":"ana@example.com","phone":"+5511999990000","address":"Rua A, 1",`+
		`"city":"São Paulo","state":"SP","postalCode":"01000-000"}`)
	id := created["session"].(map[string]any)["id"].(string)

	app := browsertest.NewApp(t)

	dir := t.TempDir()
	front, back, proof := filepath.Join(dir, "front.png"), filepath.Join(dir, "back.png"), filepath.Join(dir, "bill.pdf")
	_ = os.WriteFile(front, pngBytes, 0o600)
	_ = os.WriteFile(back, pngBytes, 0o600)
	_ = os.WriteFile(proof, pdfBytes, 0o600)

	b := browsertest.New(t)
	b.Run(chromedp.Navigate(kyc.URL + "/notus/_sdk/" + id + "?redirect=" + url.QueryEscape(app.URL+"/kyc/done")))
	if got := b.Text(tid("status")); got != "PENDING" {
		t.Fatalf("page shows %s", got)
	}
	b.Run(chromedp.SetUploadFiles(chromedp.CSS(tid("upload-front")), []string{front}),
		chromedp.SetUploadFiles(chromedp.CSS(tid("upload-back")), []string{back}),
		chromedp.SetUploadFiles(chromedp.CSS(tid("upload-proofOfAddress")), []string{proof}))
	for _, slot := range []string{"front", "back", "proofOfAddress"} {
		b.Run(chromedp.Poll[chromedp.Void](`document.querySelector('[data-testid="upload-status-` + slot + `"]').textContent === "Uploaded."`))
	}
	b.Run(chromedp.Click(chromedp.CSS(tid("selfie-camera"))),
		chromedp.WaitVisible(chromedp.CSS(tid("selfie-take"))),
		chromedp.Click(chromedp.CSS(tid("selfie-take"))),
		chromedp.Poll[chromedp.Void](`document.querySelector('[data-testid="selfie-status"]').textContent === "Selfie taken."`),
		chromedp.Click(chromedp.CSS(tid("liveness-submit"))),
		chromedp.Poll[chromedp.Void](`document.querySelector('[data-testid="liveness-status"]').textContent === "Liveness check done."`),
		chromedp.Click(chromedp.CSS(tid("outcome-approve"))))
	b.Snapshot("notus-capture")
	b.Navigates(chromedp.Click(chromedp.CSS(tid("finish"))))
	if q := app.Landed(b).Query(); q.Get("sessionId") != id || q.Get("status") != "COMPLETED" {
		t.Fatalf("redirected with %v", q)
	}

	got := call(http.MethodGet, api+"/"+id, "")["session"].(map[string]any)
	if got["status"] != "COMPLETED" || got["individualId"] == nil {
		t.Fatalf("session: %v", got)
	}
	// The files are in the bucket: the document URLs serve them back.
	urls := call(http.MethodPost, kyc.URL+"/notus/api/v1/admin/kyc/verification-sessions/document-urls",
		`{"sessionId":"`+id+`","sessionType":"ENHANCED_INDIVIDUAL"}`)
	for _, k := range []string{"frontDocumentUrl", "faceImageUrl"} {
		resp, err := http.Get(urls[k].(string))
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || len(data) == 0 {
			t.Errorf("%s: %d, %d bytes", k, resp.StatusCode, len(data))
		}
		if k == "faceImageUrl" && http.DetectContentType(data) != "image/jpeg" {
			t.Errorf("the face image is %s, not the camera's JPEG", http.DetectContentType(data))
		}
	}
}
