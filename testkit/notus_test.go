package testkit_test

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

// This file is a small Notus Labs client written from Notus's docs, the way
// a team's own code would call it: the tests below drive kycemu through it.

type notusForm struct {
	URL    string            `json:"url"`
	Fields map[string]string `json:"fields"`
}

type notusSession struct {
	ID           string  `json:"id"`
	IndividualID *string `json:"individualId"`
	Status       string  `json:"status"`
}

type notusCreated struct {
	Session notusSession `json:"session"`
	Front   *notusForm   `json:"frontDocumentUpload"`
	Back    *notusForm   `json:"backDocumentUpload"`
}

type notusClient struct {
	t    testing.TB
	hc   *http.Client
	base string // e.g. http://127.0.0.1:1234/notus/api/v1
	key  string
}

func (c *notusClient) call(method, path string, in any, key bool) (int, []byte) {
	c.t.Helper()
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			c.t.Fatal(err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(c.t.Context(), method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key {
		req.Header.Set("x-api-key", c.key)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, out
}

const sessionsPath = "/kyc/individual-verification-sessions/standard"

func (c *notusClient) create(documentID string) notusCreated {
	c.t.Helper()
	status, body := c.call(http.MethodPost, sessionsPath, map[string]any{
		"firstName": "Maria", "lastName": "Silva", "birthDate": "15/04/1990",
		"documentCategory": "DRIVERS_LICENSE", "documentCountry": "BRAZIL", "documentId": documentID,
	}, true)
	if status != http.StatusCreated {
		c.t.Fatalf("create session: %d %s", status, body)
	}
	var out notusCreated
	if err := json.Unmarshal(body, &out); err != nil {
		c.t.Fatal(err)
	}
	if out.Session.Status != "PENDING" || out.Front == nil || out.Back == nil {
		c.t.Fatalf("create session: unexpected answer %s", body)
	}
	return out
}

// upload posts a file the way a browser posts an S3 form: every field of
// the form, then the file last, in a part named "file".
func (c *notusClient) upload(f *notusForm, data []byte, contentType string) {
	c.t.Helper()
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
			c.t.Fatal(err)
		}
	}
	fw, err := mw.CreateFormFile("file", "document.png")
	if err != nil {
		c.t.Fatal(err)
	}
	_, _ = fw.Write(data)
	if err := mw.Close(); err != nil {
		c.t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(c.t.Context(), http.MethodPost, f.URL, &buf)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("upload: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		b, _ := io.ReadAll(resp.Body)
		c.t.Fatalf("upload: %d %s", resp.StatusCode, b)
	}
}

func (c *notusClient) process(id string) notusSession {
	c.t.Helper()
	status, body := c.call(http.MethodPost, sessionsPath+"/"+id+"/process", nil, false)
	if status != http.StatusOK {
		c.t.Fatalf("process: %d %s", status, body)
	}
	var out struct {
		Session notusSession `json:"session"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		c.t.Fatal(err)
	}
	return out.Session
}

func (c *notusClient) get(id string) (int, notusSession) {
	c.t.Helper()
	status, body := c.call(http.MethodGet, sessionsPath+"/"+id, nil, true)
	var out struct {
		Session notusSession `json:"session"`
	}
	if status == http.StatusOK {
		if err := json.Unmarshal(body, &out); err != nil {
			c.t.Fatal(err)
		}
	}
	return status, out.Session
}

// submit creates a session, uploads both sides of the document and asks
// Notus to process it.
func (c *notusClient) submit(documentID string) notusSession {
	c.t.Helper()
	created := c.create(documentID)
	img := documentPNG(c.t)
	c.upload(created.Front, img, "image/png")
	c.upload(created.Back, img, "image/png")
	return c.process(created.Session.ID)
}

// documentPNG draws a small picture standing in for a document photo.
func documentPNG(t testing.TB) []byte {
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
