package notus_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"mime/multipart"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kycemu/kycemu/emulator"
	"github.com/kycemu/kycemu/testkit"
)

// t0 is where every test's manual clock starts.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// pngBytes is a tiny real PNG: verification reads uploads as photos.
var pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")

// pdfBytes is the start of a PDF, for proofs of address.
var pdfBytes = []byte("%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n")

type env struct {
	t   *testing.T
	emu *emulator.Emulator
	srv *testkit.Server
	api string // base URL of the Notus API
}

func newEnv(t *testing.T, opts ...emulator.Option) *env {
	t.Helper()
	srv := testkit.Start(t, testkit.WithManualClock(t0), testkit.WithSeed(7), testkit.WithEmulatorOptions(opts...))
	return &env{t: t, emu: srv.Emulator(), srv: srv, api: srv.URL + "/notus/api/v1"}
}

func (e *env) advance(d time.Duration) {
	e.t.Helper()
	if err := e.emu.Advance(d); err != nil {
		e.t.Fatal(err)
	}
}

// response is a decoded HTTP answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object (status %d): %s", r.status, r.body)
	}
	return m
}

func (e *env) do(method, url, apiKey string, body any) response {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		switch b := body.(type) {
		case string:
			rd = strings.NewReader(b)
		default:
			j, err := json.Marshal(b)
			if err != nil {
				e.t.Fatal(err)
			}
			rd = bytes.NewReader(j)
		}
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if apiKey != "" {
		req.Header.Set("x-api-key", apiKey)
	}
	return e.send(req)
}

func (e *env) send(req *http.Request) response {
	e.t.Helper()
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// person is a valid create-session body; change fields per test.
func person() map[string]any {
	return map[string]any{
		"firstName":        "Ana",
		"lastName":         "Souza",
		"birthDate":        "15/03/1990",
		"documentCategory": "DRIVERS_LICENSE",
		"documentCountry":  "BRAZIL",
		"documentId":       "12345678909",
	}
}

// form is an upload form as the API returns it.
type form struct {
	URL    string            `json:"url"`
	Fields map[string]string `json:"fields"`
}

type created struct {
	Session struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	} `json:"session"`
	Front *form `json:"frontDocumentUpload"`
	Back  *form `json:"backDocumentUpload"`
	Proof *form `json:"proofOfAddressUpload"`
}

func (e *env) create(path, key string, body map[string]any) created {
	e.t.Helper()
	return e.createWith(path, key, body, "")
}

// createWith creates a session under a scenario (X-Kycemu-Scenario).
func (e *env) createWith(path, key string, body map[string]any, scenario string) created {
	e.t.Helper()
	j, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, e.api+path, bytes.NewReader(j))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", key)
	if scenario != "" {
		req.Header.Set("X-Kycemu-Scenario", scenario)
	}
	r := e.send(req)
	if r.status != http.StatusCreated {
		e.t.Fatalf("create: status %d: %s", r.status, r.body)
	}
	var c created
	if err := json.Unmarshal(r.body, &c); err != nil {
		e.t.Fatal(err)
	}
	return c
}

// upload posts a file the way a browser or an S3 POST client does: every
// returned field (in a stable order), then the file as "file". tamper may
// change the fields before they are sent.
func (e *env) upload(f *form, data []byte, tamper func(map[string]string)) response {
	e.t.Helper()
	fields := make(map[string]string, len(f.Fields))
	for k, v := range f.Fields {
		fields[k] = v
	}
	if tamper != nil {
		tamper(fields)
	}
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, k := range names {
		if err := mw.WriteField(k, fields[k]); err != nil {
			e.t.Fatal(err)
		}
	}
	if data != nil {
		fw, err := mw.CreateFormFile("file", "document.png")
		if err != nil {
			e.t.Fatal(err)
		}
		_, _ = fw.Write(data)
	}
	_ = mw.Close()
	req, err := http.NewRequest(http.MethodPost, f.URL, &buf)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return e.send(req)
}

func (e *env) mustUpload(f *form, data []byte) {
	e.t.Helper()
	if r := e.upload(f, data, nil); r.status != http.StatusNoContent {
		e.t.Fatalf("upload: status %d: %s", r.status, r.body)
	}
}

// status polls the session once, as a client would.
func (e *env) status(kindPath, key, id string) map[string]any {
	e.t.Helper()
	r := e.do(http.MethodGet, e.api+kindPath+"/"+id, key, nil)
	if r.status != http.StatusOK {
		e.t.Fatalf("get session: status %d: %s", r.status, r.body)
	}
	return r.json(e.t)["session"].(map[string]any)
}

// s3Error decodes S3's XML error document.
type s3Error struct {
	Code    string
	Message string
}

func parseS3Error(t *testing.T, r response) s3Error {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/xml" {
		t.Fatalf("S3 error content type %q, want application/xml; body %s", ct, r.body)
	}
	var e s3Error
	if err := xml.Unmarshal(r.body, &e); err != nil {
		t.Fatalf("S3 error body: %v: %s", err, r.body)
	}
	return e
}
