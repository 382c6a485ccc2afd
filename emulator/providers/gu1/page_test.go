package gu1_test

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kycemu/kycemu/emulator/internal/testutil"
)

// pageForm is the hosted page's form as a person fills it in.
func pageForm(action string) url.Values {
	return url.Values{"action": {action}, "firstName": {"Maria"}, "lastName": {"Silva"}, "dateOfBirth": {"1991-04-12"},
		"documentType": {"national_id"}, "documentNumber": {"ab123456"}}
}

// jpegOf and pngOf are real pictures (the page reads their bytes).
func jpegOf(c color.Color) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 32, 20))
	for i := 0; i < len(img.Pix); i += 4 {
		r, g, b, _ := c.RGBA()
		img.Pix[i], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = uint8(r>>8), uint8(g>>8), uint8(b>>8), 255
	}
	var buf bytes.Buffer
	_ = jpeg.Encode(&buf, img, nil)
	return buf.Bytes()
}

func pngOf() []byte {
	var buf bytes.Buffer
	_ = png.Encode(&buf, image.NewGray(image.Rect(0, 0, 16, 16)))
	return buf.Bytes()
}

// pagePictures are the document's sides and a selfie (no back for a
// passport).
func pagePictures(back bool) map[string][]byte {
	p := map[string][]byte{"front": jpegOf(color.RGBA{200, 180, 150, 255}), "selfie": pngOf()}
	if back {
		p["back"] = jpegOf(color.RGBA{150, 180, 200, 255})
	}
	return p
}

// postPage posts the page's form as a browser does: multipart, one file
// per picture.
func postPage(t *testing.T, c *http.Client, u string, form url.Values, files map[string][]byte) *http.Response {
	t.Helper()
	ct, body := testutil.Multipart(form, files, ".jpg")
	resp, err := c.Post(u, ct, body)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestHostedPageTakesDetailsPicturesAndOutcome(t *testing.T) {
	e := newEnv(t)
	c := e.client(key, org)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	v := c.validate(c.person("20-30000007"), nil)
	u, id := v.str("providerSessionUrl"), v.str("id")
	status := func() string { return c.do(http.MethodGet, "/api/kyc/validations/"+id, nil).str("status") }

	page := func() string {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if p := page(); !strings.Contains(p, `data-testid="start"`) || strings.Contains(p, `data-testid="submit"`) {
		t.Fatal("a pending validation's page does not offer to start")
	}
	postPage(t, noRedirect, u, url.Values{"action": {"start"}}, nil).Body.Close()
	if p := page(); !strings.Contains(p, `data-testid="document-front"`) || !strings.Contains(p, `data-testid="outcome-approve"`) {
		t.Fatal("the started page does not ask for the document and offer outcomes")
	}

	for name, tc := range map[string]struct {
		form  url.Values
		files map[string][]byte
	}{
		"no pictures":     {pageForm("submit"), nil},
		"no back":         {pageForm("submit"), pagePictures(false)},
		"not a picture":   {pageForm("submit"), map[string][]byte{"front": []byte("%PDF-1.4 not an image"), "back": pngOf(), "selfie": pngOf()}},
		"no name":         {func() url.Values { f := pageForm("submit"); f.Del("firstName"); return f }(), pagePictures(true)},
		"born tomorrow":   {func() url.Values { f := pageForm("submit"); f.Set("dateOfBirth", "2999-01-01"); return f }(), pagePictures(true)},
		"odd document":    {func() url.Values { f := pageForm("submit"); f.Set("documentType", "library_card"); return f }(), pagePictures(true)},
		"short number":    {func() url.Values { f := pageForm("submit"); f.Set("documentNumber", "1"); return f }(), pagePictures(true)},
		"unknown outcome": {func() url.Values { f := pageForm("submit"); f.Set("outcome", "maybe"); return f }(), pagePictures(true)},
	} {
		resp := postPage(t, noRedirect, u, tc.form, tc.files)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), `data-testid="error"`) {
			t.Errorf("%s: %d", name, resp.StatusCode)
		}
		if got := status(); got != "in_progress" {
			t.Fatalf("%s: the validation moved to %s", name, got)
		}
	}

	// A passport needs no back; the test outcome approves at once.
	form := pageForm("submit")
	form.Set("documentType", "passport")
	form.Set("outcome", "approve")
	resp := postPage(t, noRedirect, u, form, pagePictures(false))
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != u {
		t.Fatalf("submit: %d to %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	got := c.do(http.MethodGet, "/api/kyc/validations/"+id, nil)
	if got.str("status") != "approved" {
		t.Fatalf("after submit with approve: %s", got.raw)
	}
	var val struct {
		Documents []map[string]any `json:"documentsVerified"`
		Extracted map[string]any   `json:"extractedData"`
		Decision  map[string]any   `json:"decision"`
	}
	_ = json.Unmarshal(got.raw, &val)
	if len(val.Documents) != 1 || val.Documents[0]["side"] != "front" || val.Documents[0]["documentType"] != "passport" ||
		val.Documents[0]["mimeType"] != "image/jpeg" {
		t.Errorf("documents: %v", val.Documents)
	}
	if val.Extracted["firstName"] != "Maria" || val.Extracted["documentNumber"] != "AB123456" || val.Extracted["dateOfBirth"] != "1991-04-12" {
		t.Errorf("extracted: %v", val.Extracted)
	}
	if val.Decision["decidedBy"] != "provider" {
		t.Errorf("decision: %v", val.Decision)
	}
	if p := page(); !strings.Contains(p, `data-testid="done"`) || !strings.Contains(p, "verified") {
		t.Error("the page does not say the identity is verified")
	}
	// The journal links the page's requests to the validation.
	j := e.call(http.MethodGet, "/_emulator/requests?session="+id, nil)
	var reqs struct {
		Requests []struct {
			Method, Path string
			Request      *struct {
				Parts []struct {
					Name  string
					Size  int
					Value string
				}
			}
		}
	}
	_ = json.Unmarshal([]byte(j.raw), &reqs)
	posts := 0
	for _, r := range reqs.Requests {
		if r.Method == http.MethodPost && strings.HasPrefix(r.Path, "/verify/") {
			posts++
		}
	}
	if posts < 2 {
		t.Errorf("page posts journaled for the validation: %d of %d entries", posts, len(reqs.Requests))
	}
}

func TestHostedPageRejectsAndAbandons(t *testing.T) {
	e := newEnv(t)
	c := e.client(key, org)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tc := range []struct{ action, outcome, want string }{
		{"submit", "reject", "rejected"},
		{"submit", "scenario", "in_review"},
		{"abandon", "", "abandoned"},
	} {
		v := c.validate(c.person("20-30000007"), nil)
		u := v.str("providerSessionUrl")
		postPage(t, noRedirect, u, url.Values{"action": {"start"}}, nil).Body.Close()
		form := pageForm(tc.action)
		if tc.action == "abandon" {
			form = url.Values{"action": {"abandon"}} // leaving needs nothing filled in
		} else {
			form.Set("outcome", tc.outcome)
		}
		resp := postPage(t, noRedirect, u, form, pagePictures(true))
		resp.Body.Close()
		if got := c.do(http.MethodGet, "/api/kyc/validations/"+v.str("id"), nil).str("status"); resp.StatusCode != http.StatusSeeOther || got != tc.want {
			t.Errorf("%s/%s: %d, validation %s", tc.action, tc.outcome, resp.StatusCode, got)
		}
		c.do(http.MethodDelete, "/api/kyc/validations/"+v.str("id")+"/cancel", map[string]string{"reason": "next case please"})
	}
}
