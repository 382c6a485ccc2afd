package hosted

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func formRequest(t *testing.T, fields map[string]string, files map[string][]byte) *http.Request {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	for k, v := range files {
		fw, _ := mw.CreateFormFile(k, k+".bin")
		_, _ = fw.Write(v)
	}
	_ = mw.Close()
	r := httptest.NewRequest(http.MethodPost, "/page", &body)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	if err := ParseForm(httptest.NewRecorder(), r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestImageChecksTheBytes(t *testing.T) {
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	pdf := []byte("%PDF-1.4\n%%EOF\n")
	r := formRequest(t, nil, map[string][]byte{"photo": png, "proof": pdf, "text": []byte("hello there"), "empty": {}})
	if f, err := Image(r, "photo", false); err != nil || f == nil || f.ContentType != "image/png" || f.Name != "photo.bin" {
		t.Fatalf("png: %+v %v", f, err)
	}
	if _, err := Image(r, "proof", false); err == nil {
		t.Error("a PDF taken where a picture is asked")
	}
	if f, err := Image(r, "proof", true); err != nil || f.ContentType != "application/pdf" {
		t.Errorf("pdf where one is allowed: %+v %v", f, err)
	}
	if _, err := Image(r, "text", true); err == nil || !strings.Contains(err.Error(), "picture") {
		t.Errorf("text: %v", err)
	}
	for _, field := range []string{"empty", "missing"} {
		if f, err := Image(r, field, false); f != nil || err != nil {
			t.Errorf("%s: %+v %v", field, f, err)
		}
	}
	big := formRequest(t, nil, map[string][]byte{"photo": append(png, make([]byte, MaxFile)...)})
	if _, err := Image(big, "photo", false); err == nil || !strings.Contains(err.Error(), "10 MB") {
		t.Errorf("an 10 MB+ picture: %v", err)
	}
}

func TestOutcomeOf(t *testing.T) {
	for in, want := range map[string]string{"": OutcomeScenario, "scenario": OutcomeScenario, "approve": OutcomeApprove, "reject": OutcomeReject} {
		if got, err := OutcomeOf(formRequest(t, map[string]string{"outcome": in}, nil)); err != nil || got != want {
			t.Errorf("%q: %q %v", in, got, err)
		}
	}
	if _, err := OutcomeOf(formRequest(t, map[string]string{"outcome": "maybe"}, nil)); err == nil {
		t.Error("an unknown outcome taken")
	}
}

func TestRenderNeverCaches(t *testing.T) {
	tm := Parse("t", `{{define "content"}}<p data-testid="x">{{.Title}}</p>{{template "outcome" .}}{{end}}`)
	w := httptest.NewRecorder()
	Render(w, http.StatusConflict, tm, Frame{Title: "<b>Hi</b>", Brand: "Acme"})
	body := w.Body.String()
	if w.Code != http.StatusConflict || w.Header().Get("Cache-Control") != "no-store" ||
		!strings.Contains(body, "&lt;b&gt;Hi&lt;/b&gt;") || !strings.Contains(body, `data-testid="outcome-approve"`) {
		t.Fatalf("%d %v %s", w.Code, w.Header(), body[:200])
	}
}
