package emulator_test

import (
	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kycemu/kycemu/emulator"
	"github.com/kycemu/kycemu/emulator/clock"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// harness is one emulator on a manual clock behind a real HTTP server.
type harness struct {
	t   testing.TB
	emu *emulator.Emulator
	srv *httptest.Server
}

func newHarness(t testing.TB, opts ...emulator.Option) *harness {
	t.Helper()
	base := []emulator.Option{emulator.WithStrictResponses(true), emulator.WithClock(clock.NewManual(t0)), emulator.WithSeed(1)}
	return serve(t, append(base, opts...)...)
}

// serve starts an emulator with exactly opts behind a real HTTP server.
func serve(t testing.TB, opts ...emulator.Option) *harness {
	t.Helper()
	emu, err := emulator.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(emu)
	t.Cleanup(func() {
		srv.Close()
		_ = emu.Close()
	})
	return &harness{t: t, emu: emu, srv: srv}
}

// reply is a response with its body read.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) json(t testing.TB) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("status %d, body is not a JSON object: %s", r.status, r.body)
	}
	return v
}

// do sends a request; body may be nil, []byte, a string or a value to
// encode as JSON. headers are name, value pairs.
func (h *harness) do(method, path string, body any, headers ...string) reply {
	h.t.Helper()
	r, err := h.try(method, path, body, headers...)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

func (h *harness) try(method, path string, body any, headers ...string) (reply, error) {
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd, ct = strings.NewReader(b), "application/yaml"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		rd, ct = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequest(method, h.srv.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return reply{}, err
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: b}, nil
}

// advance moves the manual clock through the control API.
func (h *harness) advance(d time.Duration) {
	h.t.Helper()
	if r := h.do("POST", "/_emulator/clock", map[string]string{"advance": d.String()}); r.status != 200 {
		h.t.Fatalf("advance: %d %s", r.status, r.body)
	}
}

func (h *harness) put(provider, name, yaml string) {
	h.t.Helper()
	if r := h.do("PUT", "/_emulator/scenarios/"+provider+"/"+name, yaml); r.status != 201 && r.status != 200 {
		h.t.Fatalf("put scenario %s: %d %s", name, r.status, r.body)
	}
}

// journal returns the journal entries of a tenant.
func (h *harness) journal(tenant string) []map[string]any {
	h.t.Helper()
	var out struct {
		Requests []map[string]any `json:"requests"`
	}
	r := h.do("GET", "/_emulator/requests?tenant="+tenant, nil)
	if err := json.Unmarshal(r.body, &out); err != nil {
		h.t.Fatal(err)
	}
	return out.Requests
}

// --- Notus, as a client that read Notus's docs ---

const notusAPI = "/notus/api/v1/kyc/individual-verification-sessions/standard"

type form struct {
	URL    string            `json:"url"`
	Fields map[string]string `json:"fields"`
}

type notusSession struct {
	ID           string  `json:"id"`
	Status       string  `json:"status"`
	IndividualID *string `json:"individualId"`
}

type notusCreated struct {
	Session notusSession `json:"session"`
	Front   *form        `json:"frontDocumentUpload"`
	Back    *form        `json:"backDocumentUpload"`
}

func notusPerson(overrides ...any) map[string]any {
	body := map[string]any{
		"firstName": "Ana", "lastName": "Souza", "birthDate": "15/03/1990",
		"documentCategory": "DRIVERS_LICENSE", "documentCountry": "BRAZIL", "documentId": "12345678901",
	}
	for i := 0; i+1 < len(overrides); i += 2 {
		body[overrides[i].(string)] = overrides[i+1]
	}
	return body
}

// notusCreate creates a standard individual session, naming a scenario
// when one is given.
func (h *harness) notusCreate(key, scenario string, body map[string]any) notusCreated {
	h.t.Helper()
	hdr := []string{"x-api-key", key}
	if scenario != "" {
		hdr = append(hdr, "X-Kycemu-Scenario", scenario)
	}
	r := h.do("POST", notusAPI, body, hdr...)
	if r.status != http.StatusCreated {
		h.t.Fatalf("create session: %d %s", r.status, r.body)
	}
	var c notusCreated
	if err := json.Unmarshal(r.body, &c); err != nil {
		h.t.Fatal(err)
	}
	if c.Session.Status != "PENDING" {
		h.t.Fatalf("new session is %s", c.Session.Status)
	}
	return c
}

// pngBytes is a real PNG picture (verification reads the image bytes).
func pngBytes() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	var b bytes.Buffer
	_ = png.Encode(&b, img)
	return b.Bytes()
}

// upload posts a file with an S3 browser-POST form built from the returned
// fields, the file last, as S3 requires.
func (h *harness) upload(f *form, data []byte) reply {
	h.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	names := make([]string, 0, len(f.Fields))
	for k := range f.Fields {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		_ = mw.WriteField(k, f.Fields[k])
	}
	fw, _ := mw.CreateFormFile("file", "document.png")
	_, _ = fw.Write(data)
	_ = mw.Close()
	req, _ := http.NewRequest("POST", f.URL, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatalf("upload: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}

// uploadAll uploads every document the session asks for and expects 204s.
func (h *harness) uploadAll(c notusCreated) {
	h.t.Helper()
	for _, f := range []*form{c.Front, c.Back} {
		if f == nil {
			continue
		}
		if r := h.upload(f, pngBytes()); r.status != http.StatusNoContent {
			h.t.Fatalf("upload: %d %s", r.status, r.body)
		}
	}
}

func (h *harness) process(id string) reply {
	h.t.Helper()
	return h.do("POST", notusAPI+"/"+id+"/process", nil)
}

// status polls the session as the client does.
func (h *harness) status(key, id string) string {
	h.t.Helper()
	r := h.do("GET", notusAPI+"/"+id, nil, "x-api-key", key)
	if r.status != http.StatusOK {
		h.t.Fatalf("get session: %d %s", r.status, r.body)
	}
	var v struct {
		Session notusSession `json:"session"`
	}
	_ = json.Unmarshal(r.body, &v)
	return v.Session.Status
}

func (h *harness) wantStatus(key, id, want string) {
	h.t.Helper()
	if got := h.status(key, id); got != want {
		h.t.Fatalf("session is %s; want %s", got, want)
	}
}
