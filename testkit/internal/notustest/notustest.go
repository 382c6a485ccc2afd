// Package notustest is a small Notus Labs client written from Notus's
// docs, the way a team's own code calls it; the testkit and container tests
// drive kycemu through it.
package notustest

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"sort"
	"testing"
)

type Form struct {
	URL    string            `json:"url"`
	Fields map[string]string `json:"fields"`
}

type Session struct {
	ID           string  `json:"id"`
	IndividualID *string `json:"individualId"`
	Status       string  `json:"status"`
}

type Created struct {
	Session Session `json:"session"`
	Front   *Form   `json:"frontDocumentUpload"`
	Back    *Form   `json:"backDocumentUpload"`
}

type Client struct {
	T    testing.TB
	HC   *http.Client
	Base string // e.g. http://127.0.0.1:1234/notus/api/v1
	Key  string // the x-api-key, which is also the tenant
	// Header is added to every API call (e.g. X-Kycemu-Scenario).
	Header http.Header
}

// New returns a client for the Notus API at base.
func New(t testing.TB, hc *http.Client, base, key string) *Client {
	return &Client{T: t, HC: hc, Base: base, Key: key}
}

func (c *Client) Call(method, path string, in any, key bool) (int, []byte) {
	c.T.Helper()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			c.T.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(c.T.Context(), method, c.Base+path, body)
	if err != nil {
		c.T.Fatal(err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key {
		req.Header.Set("x-api-key", c.Key)
	}
	for k, vs := range c.Header {
		req.Header[k] = vs
	}
	resp, err := c.HC.Do(req)
	if err != nil {
		c.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		c.T.Fatal(err)
	}
	return resp.StatusCode, out
}

// SessionsPath is the standard individual sessions collection.
const SessionsPath = "/kyc/individual-verification-sessions/standard"

func (c *Client) Create(documentID string) Created {
	c.T.Helper()
	status, body := c.Call(http.MethodPost, SessionsPath, map[string]any{
		"firstName": "Maria", "lastName": "Silva", "birthDate": "15/04/1990",
		"documentCategory": "DRIVERS_LICENSE", "documentCountry": "BRAZIL", "documentId": documentID,
	}, true)
	if status != http.StatusCreated {
		c.T.Fatalf("create session: %d %s", status, body)
	}
	var out Created
	if err := json.Unmarshal(body, &out); err != nil {
		c.T.Fatal(err)
	}
	if out.Session.Status != "PENDING" || out.Front == nil || out.Back == nil {
		c.T.Fatalf("create session: unexpected answer %s", body)
	}
	return out
}

// Upload posts a file the way a browser posts an S3 form: every field of
// the form, then the file last, in a part named "file".
func (c *Client) Upload(f *Form, data []byte, contentType string) {
	c.T.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	names := make([]string, 0, len(f.Fields))
	for k := range f.Fields {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v := f.Fields[k]
		if k == "Content-Type" {
			v = contentType
		}
		if err := mw.WriteField(k, v); err != nil {
			c.T.Fatal(err)
		}
	}
	fw, err := mw.CreateFormFile("file", "document.png")
	if err != nil {
		c.T.Fatal(err)
	}
	_, _ = fw.Write(data)
	if err := mw.Close(); err != nil {
		c.T.Fatal(err)
	}
	req, err := http.NewRequestWithContext(c.T.Context(), http.MethodPost, f.URL, &buf)
	if err != nil {
		c.T.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := c.HC.Do(req)
	if err != nil {
		c.T.Fatalf("upload: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		b, _ := io.ReadAll(resp.Body)
		c.T.Fatalf("upload: %d %s", resp.StatusCode, b)
	}
}

func (c *Client) Process(id string) Session {
	c.T.Helper()
	status, body := c.Call(http.MethodPost, SessionsPath+"/"+id+"/process", nil, false)
	if status != http.StatusOK {
		c.T.Fatalf("process: %d %s", status, body)
	}
	var out struct {
		Session Session `json:"session"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		c.T.Fatal(err)
	}
	return out.Session
}

func (c *Client) Get(id string) (int, Session) {
	c.T.Helper()
	status, body := c.Call(http.MethodGet, SessionsPath+"/"+id, nil, true)
	var out struct {
		Session Session `json:"session"`
	}
	if status == http.StatusOK {
		if err := json.Unmarshal(body, &out); err != nil {
			c.T.Fatal(err)
		}
	}
	return status, out.Session
}

// Submit creates a session, uploads both sides of the document and asks
// Notus to process it.
func (c *Client) Submit(documentID string) Session {
	c.T.Helper()
	created := c.Create(documentID)
	img := DocumentPNG(c.T)
	c.Upload(created.Front, img, "image/png")
	c.Upload(created.Back, img, "image/png")
	return c.Process(created.Session.ID)
}

// DocumentPNG draws a small picture standing in for a document photo.
func DocumentPNG(t testing.TB) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 64, 40))
	for y := range 40 {
		for x := range 64 {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 6), 120, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
