package onboarding

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"sort"
	"strings"
)

// NotusClient calls the Notus Labs KYC API. It is written from Notus's
// public docs and knows nothing of kycemu: point BaseURL at
// https://api.notus.team/api/v1 in production and at kycemu's
// <url>/notus/api/v1 in tests.
type NotusClient struct {
	BaseURL string
	APIKey  string
	HTTP    *http.Client
}

// UploadForm is a presigned S3 browser-POST form: POST every field, then
// the file in a part named "file", to URL.
type UploadForm struct {
	URL    string            `json:"url"`
	Fields map[string]string `json:"fields"`
}

// Applicant is what Notus needs to know about a person.
type Applicant struct {
	FirstName        string `json:"firstName"`
	LastName         string `json:"lastName"`
	BirthDate        string `json:"birthDate"`        // DD/MM/YYYY or YYYY-MM-DD
	DocumentCategory string `json:"documentCategory"` // PASSPORT, DRIVERS_LICENSE, IDENTITY_CARD
	DocumentCountry  string `json:"documentCountry"`  // e.g. BRAZIL
	DocumentID       string `json:"documentId"`       // digits only
}

// NotusSession is a verification session as Notus returns it.
type NotusSession struct {
	ID           string  `json:"id"`
	IndividualID *string `json:"individualId"`
	Status       string  `json:"status"` // PENDING, VERIFYING, COMPLETED, FAILED, EXPIRED
}

// CreatedSession is Notus's answer to a new session: the session and the
// upload forms of the document's sides (Back is nil for a passport).
type CreatedSession struct {
	Session NotusSession `json:"session"`
	Front   *UploadForm  `json:"frontDocumentUpload"`
	Back    *UploadForm  `json:"backDocumentUpload"`
}

// NotusError is an error answered by the Notus API.
type NotusError struct {
	Status  int
	ID      string `json:"id"`
	Message string `json:"message"`
}

func (e *NotusError) Error() string {
	return fmt.Sprintf("notus: %d %s: %s", e.Status, e.ID, e.Message)
}

const sessions = "/kyc/individual-verification-sessions/standard"

func (c *NotusClient) do(ctx context.Context, method, path string, in, out any, auth bool) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(c.BaseURL, "/")+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth {
		req.Header.Set("x-api-key", c.APIKey)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("notus %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("notus %s %s: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		e := &NotusError{Status: resp.StatusCode}
		_ = json.Unmarshal(raw, e)
		return e
	}
	return json.Unmarshal(raw, out)
}

// CreateSession starts a standard individual verification session.
func (c *NotusClient) CreateSession(ctx context.Context, a Applicant) (CreatedSession, error) {
	var out CreatedSession
	err := c.do(ctx, http.MethodPost, sessions, a, &out, true)
	return out, err
}

// GetSession reads a session.
func (c *NotusClient) GetSession(ctx context.Context, id string) (NotusSession, error) {
	var out struct {
		Session NotusSession `json:"session"`
	}
	err := c.do(ctx, http.MethodGet, sessions+"/"+id, nil, &out, true)
	return out.Session, err
}

// Process asks Notus to verify the uploaded documents (no API key, as
// documented).
func (c *NotusClient) Process(ctx context.Context, id string) (NotusSession, error) {
	var out struct {
		Session NotusSession `json:"session"`
	}
	err := c.do(ctx, http.MethodPost, sessions+"/"+id+"/process", nil, &out, false)
	return out.Session, err
}

// Upload posts a file through a presigned form the way a browser does: the
// form's fields (Content-Type set to the file's type, which the policy
// allows within image/), then the file.
func (c *NotusClient) Upload(ctx context.Context, f *UploadForm, contentType string, data []byte) error {
	if f == nil {
		return errors.New("notus upload: this document has no such side")
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	names := make([]string, 0, len(f.Fields))
	for k := range f.Fields {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v := f.Fields[k]
		if strings.EqualFold(k, "Content-Type") {
			v = contentType
		}
		if err := mw.WriteField(k, v); err != nil {
			return err
		}
	}
	fw, err := mw.CreateFormFile("file", "document")
	if err != nil {
		return err
	}
	if _, err := fw.Write(data); err != nil {
		return err
	}
	if err := mw.Close(); err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.URL, &buf)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("notus upload: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		// S3 answers failures in XML: <Error><Code>...</Code>...</Error>.
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("notus upload: %d %s", resp.StatusCode, strings.TrimSpace(string(b)))
	}
	return nil
}
