package drift_test

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kycemu/kycemu/emulator/drift"
)

// t0 is where every manual clock of these tests starts.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// startProxy serves a proxy for upstreams, recording into a fresh
// directory it returns.
func startProxy(t *testing.T, upstreams map[string]string, opts ...drift.Option) (*httptest.Server, string) {
	t.Helper()
	dir := t.TempDir()
	rec, err := drift.NewRecorder(dir, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	p, err := drift.New(upstreams, append([]drift.Option{drift.WithRecorder(rec)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return srv, dir
}

// reply is an HTTP answer.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) object(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("answer %d is not a JSON object: %s", r.status, r.body)
	}
	return m
}

// call sends a request as a client would; a map or slice body is sent as
// JSON, a string as it is.
func call(t *testing.T, method, url string, header map[string]string, body any) reply {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{resp.StatusCode, resp.Header, b}
}

// uploadForm posts a file to a browser-POST upload form ({url, fields})
// the way a browser does: every field, then the file, last, named "file".
func uploadForm(t *testing.T, form map[string]any, file []byte) reply {
	t.Helper()
	fields, _ := form["fields"].(map[string]any)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if err := mw.WriteField(k, fields[k].(string)); err != nil {
			t.Fatal(err)
		}
	}
	fw, err := mw.CreateFormFile("file", "ana-souza-passport.png")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write(file)
	_ = mw.Close()
	return call(t, http.MethodPost, form["url"].(string), map[string]string{"Content-Type": mw.FormDataContentType()}, buf.String())
}

// documentPNG is a small real picture standing in for a document photo.
func documentPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 48, 32))
	for y := range 32 {
		for x := range 48 {
			img.Set(x, y, color.RGBA{uint8(x * 5), uint8(y * 7), 90, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// report reads a recording and sums it.
func report(t *testing.T, dir string) (*drift.Report, []*drift.Exchange) {
	t.Helper()
	xs, err := drift.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return drift.Summarize(xs), xs
}

func reportText(t *testing.T, r *drift.Report) string {
	t.Helper()
	var b strings.Builder
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
