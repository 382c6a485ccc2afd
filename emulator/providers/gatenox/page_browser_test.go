package gatenox_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kycemu/kycemu/internal/browsertest"
)

var tid = browsertest.TestID

// TestInvitationPagesInBrowser: the invited person fills in the KYC form
// in Chromium, adds a photo of their passport and a PDF bill, picks the
// test outcome "approve" and submits with the keyboard; the browser lands
// on the success URL and the case is completed with their files as its
// documents. Then a company's user sends its data on the corporate
// invitation page and declines nothing: the corporate case opens.
func TestInvitationPagesInBrowser(t *testing.T) {
	e := newEnv(t)
	c := e.client("browser-company")
	app := browsertest.NewApp(t)
	inv := c.invite(map[string]any{"email": "ana@example.com", "redirect_url_success": app.URL + "/kyc/ok",
		"redirect_url_failure": app.URL + "/kyc/ko"}).list("personal_verifications")[0].(map[string]any)
	passportPNG := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
	dir := t.TempDir()
	passport, bill := filepath.Join(dir, "my-passport.png"), filepath.Join(dir, "gas-bill.pdf")
	_ = os.WriteFile(passport, passportPNG, 0o644)
	_ = os.WriteFile(bill, []byte("%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"), 0o644)

	b := browsertest.New(t)
	b.Run(chromedp.Navigate(inv["invitation_url"].(string)))
	if got := b.Text(tid("status")); got != "in_progress" {
		t.Fatalf("page shows %s", got)
	}
	b.Run(chromedp.SendKeys(chromedp.CSS(tid("given-names")), "Ana Maria"),
		chromedp.SendKeys(chromedp.CSS(tid("surname")), "Souza"),
		chromedp.SendKeys(chromedp.CSS(tid("date-of-birth")), "03201986"),
		chromedp.SendKeys(chromedp.CSS(tid("nationality")), "br"),
		chromedp.SetUploadFiles(chromedp.CSS(tid("passport")), []string{passport}),
		chromedp.SetUploadFiles(chromedp.CSS(tid("proof-of-address")), []string{bill}),
		chromedp.Click(chromedp.CSS(tid("outcome-approve"))))
	b.Snapshot("gatenox-individual")
	b.Run(chromedp.Focus(chromedp.CSS(tid("submit"))), chromedp.KeyEvent("\r"))
	equal(t, "redirect", app.Landed(b).Path, "/kyc/ok")
	l := c.do(http.MethodGet, "/api/v1/invites/individuals", nil).get("personal_verifications", "0").(map[string]any)
	equal(t, "state", l["state"], "completed")
	equal(t, "display_name", l["display_name"], "Ana Maria Souza")
	caseID := l["verification_id"].(string)
	equal(t, "case status", c.getCase(caseID).str("verification_individual", "status"), "completed")
	docs := c.do(http.MethodGet, "/api/v1/verification_individuals/"+caseID+"/people", nil).list("person", "documents")
	got := map[string]string{}
	for _, d := range docs {
		doc := d.(map[string]any)["document"].(map[string]any)
		att := doc["attachments"].([]any)[0].(map[string]any)
		rest := path.Base(att["urls"].(map[string]any)["original"].(string))
		raw, _ := base64.RawURLEncoding.DecodeString(rest)
		var ref struct {
			Metadata struct{ Filename string } `json:"metadata"`
		}
		_ = json.Unmarshal(raw, &ref)
		dl := c.do(http.MethodGet, "/api/v1/attachments/"+rest, nil)
		got[doc["document_type"].(string)] = ref.Metadata.Filename + " " + dl.header.Get("Content-Type")
		if doc["document_type"] == "passport" && string(dl.raw) != string(passportPNG) {
			t.Errorf("the passport attachment is not the uploaded picture")
		}
	}
	equal(t, "passport", got["passport"], "my-passport.png image/png")
	equal(t, "bill", got["recent_utility_bill"], "gas-bill.pdf application/pdf")

	// A corporate invitation: the company's user sends its data.
	ci := c.inviteCompany(map[string]any{"email": "owner@acme.example", "redirect_url_success": app.URL + "/kyb/ok"})
	b.Run(chromedp.Navigate(ci["invitation_url"].(string)),
		chromedp.SendKeys(chromedp.CSS(tid("formal-name")), "Acme Widgets Ltd"),
		chromedp.SendKeys(chromedp.CSS(tid("company-number")), "01234567"),
		chromedp.SendKeys(chromedp.CSS(tid("jurisdiction")), "gb"),
		chromedp.SendKeys(chromedp.CSS(tid("director-given-names")), "Grace"),
		chromedp.SendKeys(chromedp.CSS(tid("director-surname")), "Hopper"))
	b.Snapshot("gatenox-corporate")
	b.Run(chromedp.Click(chromedp.CSS(tid("submit"))))
	equal(t, "corporate redirect", app.Landed(b).Path, "/kyb/ok")
	if c.corporateCaseOf(ci["id"].(string)) == "" {
		t.Fatal("the corporate invitation has no case")
	}
}
