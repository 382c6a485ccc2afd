package kulipa_test

import (
	"bytes"
	"html"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kycemu/kycemu/emulator/internal/testutil"
)

// photo is a real JPEG picture (the webview reads the bytes).
func photo(c color.Gray) []byte {
	img := image.NewGray(image.Rect(0, 0, 24, 16))
	for i := range img.Pix {
		img.Pix[i] = c.Y
	}
	var b bytes.Buffer
	_ = jpeg.Encode(&b, img, nil)
	return b.Bytes()
}

// fullWebview is a full KYC's webview form as a person fills it in, with
// the document's sides and a selfie.
func fullWebview() (url.Values, map[string][]byte) {
	return url.Values{"action": {"complete"}, "firstName": {"Ada"}, "lastName": {"Lovelace"}, "dateOfBirth": {"1990-12-10"},
			"docCountry": {"gb"}, "docType": {"id_card"}, "docNumber": {"x1234567"}},
		map[string][]byte{"front": photo(color.Gray{180}), "back": photo(color.Gray{90}), "selfie": photo(color.Gray{140})}
}

// submit posts a webview form as a browser does (multipart, one file per
// picture) without following the redirect.
func (e *env) submit(u string, values url.Values, files map[string][]byte) response {
	e.t.Helper()
	ct, body := testutil.Multipart(values, files, ".jpg")
	resp, err := noRedirects.Post(u, ct, body)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 500 {
		e.t.Fatalf("POST %s answered %d: %s", u, resp.StatusCode, raw)
	}
	return response{status: resp.StatusCode, header: resp.Header, raw: raw}
}

// completeFull completes a full KYC's webview as the person does: what the
// page pre-fills from the user's data stays, the rest is typed in.
func (e *env) completeFull(u string) response {
	e.t.Helper()
	v, f := fullWebview()
	resp, err := http.Get(u)
	if err != nil {
		e.t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, name := range []string{"firstName", "lastName", "dateOfBirth", "docCountry"} {
		if m := regexp.MustCompile(`name="` + name + `"[^>]*value="([^"]+)"`).FindSubmatch(page); m != nil {
			v.Set(name, html.UnescapeString(string(m[1])))
		}
	}
	return e.submit(u, v, f)
}

func TestFullWebviewReadsWhatThePersonGives(t *testing.T) {
	e := newEnv(t)
	c := e.client(apiKey)
	k := c.kyc(c.user(nil), "full", nil)
	u := k.str("url")
	page := e.form(u, nil)
	if page.status != http.StatusMethodNotAllowed && page.status != http.StatusBadRequest {
		t.Logf("an empty post: %d", page.status)
	}
	for name, tc := range map[string]func(url.Values, map[string][]byte){
		"no selfie":       func(_ url.Values, f map[string][]byte) { delete(f, "selfie") },
		"no back":         func(_ url.Values, f map[string][]byte) { delete(f, "back") },
		"a text as photo": func(_ url.Values, f map[string][]byte) { f["front"] = []byte("not a picture at all") },
		"no first name":   func(v url.Values, _ map[string][]byte) { v.Del("firstName") },
		"born later":      func(v url.Values, _ map[string][]byte) { v.Set("dateOfBirth", "2990-01-01") },
		"odd document":    func(v url.Values, _ map[string][]byte) { v.Set("docType", "library_card") },
		"odd country":     func(v url.Values, _ map[string][]byte) { v.Set("docCountry", "GBR") },
		"odd outcome":     func(v url.Values, _ map[string][]byte) { v.Set("outcome", "maybe") },
	} {
		v, f := fullWebview()
		tc(v, f)
		r := e.submit(u, v, f)
		if r.status != http.StatusBadRequest || !strings.Contains(string(r.raw), `data-testid="error"`) {
			t.Errorf("%s: %d", name, r.status)
		}
		if strings.Contains(string(r.raw), "x1234567") || strings.Contains(string(r.raw), "X1234567") {
			t.Errorf("%s: the page repeats the document number", name)
		}
	}
	if got := c.get("/kycs/" + k.str("id")).str("status"); got != "pending" {
		t.Fatalf("after refused forms the KYC is %s", got)
	}
	// A passport needs no back; the test outcome approves at once.
	v, f := fullWebview()
	v.Set("docType", "passport")
	v.Set("outcome", "approve")
	delete(f, "back")
	if r := e.submit(u, v, f); r.status != http.StatusSeeOther {
		t.Fatalf("complete: %d %s", r.status, r.raw)
	}
	if got := c.get("/kycs/" + k.str("id")).str("status"); got != "verified" {
		t.Fatalf("after complete with approve: %s", got)
	}
	ex := c.get("/kycs/export?userId=" + k.str("userId"))
	if ex.str("name", "first") != "Ada" || ex.str("dateOfBirth") != "1990-12-10" || ex.str("identityDocument", "type") != "passport" ||
		ex.str("identityDocument", "number") != "X1234567" || ex.str("identityDocument", "countryCode") != "GB" {
		t.Fatalf("export: %s", ex.raw)
	}
}

func TestRFIWebviewAndLeaving(t *testing.T) {
	e := newEnv(t)
	c := e.client(apiKey)
	userID := c.user(nil)
	rfi := c.kyc(userID, "rfi", nil)
	u := rfi.str("url")
	if r := e.form(u, url.Values{"action": {"complete"}, "sourceOfFunds": {"salary"}, "explanation": {"short"}}); r.status != http.StatusBadRequest {
		t.Errorf("short explanation: %d", r.status)
	}
	if r := e.form(u, url.Values{"action": {"complete"}, "sourceOfFunds": {"lottery"}, "explanation": {"I won it all at once"}}); r.status != http.StatusBadRequest {
		t.Errorf("unknown source: %d", r.status)
	}
	// Leaving changes nothing.
	if r := e.form(u, url.Values{"action": {"abandon"}}); r.status != http.StatusSeeOther {
		t.Errorf("leave: %d", r.status)
	}
	if got := c.get("/kycs/" + rfi.str("id")).str("status"); got != "pending" {
		t.Fatalf("after leaving: %s", got)
	}
	r := e.submit(u, url.Values{"action": {"complete"}, "sourceOfFunds": {"salary"}, "explanation": {"My monthly salary from the bakery"},
		"outcome": {"reject"}}, map[string][]byte{"evidence": []byte("%PDF-1.4\n%%EOF\n")})
	if r.status != http.StatusSeeOther {
		t.Fatalf("complete: %d %s", r.status, r.raw)
	}
	got := c.get("/kycs/" + rfi.str("id"))
	if got.str("status") != "rejected" || !strings.Contains(got.str("rejectionReason"), "test outcome") {
		t.Fatalf("after complete with reject: %s", got.raw)
	}
}
