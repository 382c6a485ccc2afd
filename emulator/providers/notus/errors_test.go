package notus_test

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestBadRequestsGetNotusErrors sends what careless clients send. Each gets
// Notus's {message, id} envelope with a 4xx, and no message repeats the
// submitted value.
func TestBadRequestsGetNotusErrors(t *testing.T) {
	e := newEnv(t)
	keep := e.create(standard, "key-a", person())
	with := func(k string, v any) map[string]any {
		b := person()
		if v == nil {
			delete(b, k)
		} else {
			b[k] = v
		}
		return b
	}
	const unknown = "/00000000-0000-4000-8000-000000000000"
	cases := []struct {
		name, method, path, key string
		body                    any
		status                  int
		id, field               string
		secret                  string // must not appear in the answer
	}{
		{"missing API key", "POST", standard, "", person(), 401, "UNAUTHORIZED", "", ""},
		{"bad document category", "POST", standard, "key-a", with("documentCategory", "SELFIE_SECRET"), 400, "INVALID_REQUEST", "documentCategory", "SELFIE_SECRET"},
		{"bad country", "POST", standard, "key-a", with("documentCountry", "ATLANTIS_SECRET"), 400, "INVALID_REQUEST", "documentCountry", "ATLANTIS_SECRET"},
		{"bad nationality", "POST", standard, "key-a", with("nationality", "MARTIAN_SECRET"), 400, "INVALID_REQUEST", "nationality", "MARTIAN_SECRET"},
		{"letters in documentId", "POST", standard, "key-a", with("documentId", "AB123SECRET"), 400, "INVALID_REQUEST", "documentId", "AB123SECRET"},
		{"missing firstName", "POST", standard, "key-a", with("firstName", nil), 400, "INVALID_REQUEST", "firstName", ""},
		{"wrong type", "POST", standard, "key-a", with("livenessRequired", "yes-SECRET"), 400, "INVALID_REQUEST", "livenessRequired", "yes-SECRET"},
		{"impossible birth date", "POST", standard, "key-a", with("birthDate", "31/02/1990"), 400, "INVALID_REQUEST", "birthDate", "31/02/1990"},
		{"future birth date", "POST", standard, "key-a", with("birthDate", "2099-01-01"), 400, "INVALID_REQUEST", "birthDate", "2099-01-01"},
		{"not JSON", "POST", standard, "key-a", "{not json SECRET", 400, "INVALID_REQUEST", "", "SECRET"},
		{"empty body", "POST", standard, "key-a", "", 400, "INVALID_REQUEST", "", ""},
		{"unknown session", "GET", standard + unknown, "key-a", nil, 404, "SESSION_NOT_FOUND", "", ""},
		{"session id not a uuid", "GET", standard + "/not-a-uuid", "key-a", nil, 400, "INVALID_REQUEST", "path.sessionId", ""},
		{"process unknown session", "POST", standard + unknown + "/process", "", nil, 404, "SESSION_NOT_FOUND", "", ""},
		{"process before uploads", "POST", standard + "/" + keep.Session.ID + "/process", "", nil, 422, "DOCUMENTS_NOT_UPLOADED", "", ""},
		{"unknown route", "GET", "/kyc/nothing-here", "key-a", nil, 404, "NOT_FOUND", "", ""},
		{"wrong method", "DELETE", standard, "key-a", nil, 405, "METHOD_NOT_ALLOWED", "", ""},
		{"unknown identity", "GET", "/kyc/identities" + unknown + "/financial-limits", "key-a", nil, 404, "IDENTITY_NOT_FOUND", "", ""},
		{"document urls of a session of another type", "POST", "/admin/kyc/verification-sessions/document-urls", "key-a",
			map[string]any{"sessionId": keep.Session.ID, "sessionType": "ENHANCED_INDIVIDUAL"}, 404, "SESSION_NOT_FOUND", "", ""},
		{"document urls expiry out of range", "POST", "/admin/kyc/verification-sessions/document-urls", "key-a",
			map[string]any{"sessionId": keep.Session.ID, "sessionType": "STANDARD_INDIVIDUAL", "expiresInSeconds": 0}, 400, "INVALID_REQUEST", "expiresInSeconds", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(tc.method, e.api+tc.path, tc.key, tc.body)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			m := r.json(t)
			if m["id"] != tc.id {
				t.Errorf("id %v, want %s", m["id"], tc.id)
			}
			if msg, _ := m["message"].(string); msg == "" {
				t.Error("no message")
			}
			if tc.field != "" && m["field"] != tc.field {
				t.Errorf("field %v, want %s", m["field"], tc.field)
			}
			if tc.secret != "" && bytes.Contains(r.body, []byte(tc.secret)) {
				t.Errorf("the answer repeats the submitted value: %s", r.body)
			}
		})
	}
	// Nothing already stored was lost or changed.
	if s := e.status(standard, "key-a", keep.Session.ID); s["status"] != "PENDING" {
		t.Fatalf("stored session after bad requests: %v", s)
	}
	if n := e.do(http.MethodGet, e.srv.URL+"/_emulator/sessions", "", nil).json(t)["total"]; n != float64(1) {
		t.Fatalf("bad requests created sessions: %v", n)
	}
}

func TestProcessTwiceIsRefused(t *testing.T) {
	e := newEnv(t)
	c := e.create(standard, "key-a", person())
	e.mustUpload(c.Front, pngBytes)
	e.mustUpload(c.Back, pngBytes)
	path := e.api + standard + "/" + c.Session.ID + "/process"
	if r := e.do(http.MethodPost, path, "", nil); r.status != http.StatusOK {
		t.Fatalf("first process: %d", r.status)
	}
	r := e.do(http.MethodPost, path, "", nil)
	if r.status != http.StatusConflict || r.json(t)["id"] != "SESSION_ALREADY_PROCESSED" {
		t.Fatalf("second process: %d %s", r.status, r.body)
	}
	e.advance(2 * time.Second)
	if s := e.status(standard, "key-a", c.Session.ID); s["status"] != "COMPLETED" {
		t.Fatalf("the refused call disturbed the session: %v", s["status"])
	}
}

// TestBadUploadsGetS3Errors tampers with the presigned form the ways a
// buggy or malicious client would; S3's XML error comes back and the
// session still waits for a good upload.
func TestBadUploadsGetS3Errors(t *testing.T) {
	e := newEnv(t)
	c := e.create(standard, "key-a", person())
	policy := func(f map[string]string, edit func(string) string) {
		raw, _ := base64.StdEncoding.DecodeString(f["Policy"])
		f["Policy"] = base64.StdEncoding.EncodeToString([]byte(edit(string(raw))))
	}
	cases := []struct {
		name    string
		data    []byte
		tamper  func(map[string]string)
		status  int
		code    string
		message string // substring
	}{
		{"tampered policy", pngBytes, func(f map[string]string) {
			policy(f, func(p string) string { return strings.Replace(p, "10485760", "99999999999", 1) })
		}, 403, "SignatureDoesNotMatch", "signature we calculated"},
		{"tampered signature", pngBytes, func(f map[string]string) {
			f["X-Amz-Signature"] = strings.Repeat("0", 64)
		}, 403, "SignatureDoesNotMatch", ""},
		{"other key", pngBytes, func(f map[string]string) {
			f["key"] = strings.Replace(f["key"], "/front", "/back", 1)
		}, 403, "AccessDenied", "Policy Condition failed"},
		{"content type the policy does not list", pngBytes, func(f map[string]string) {
			f["Content-Type"] = "image/png"
		}, 403, "AccessDenied", "Extra input fields: content-type"},
		{"extra field", pngBytes, func(f map[string]string) {
			f["acl"] = "public-read"
		}, 403, "AccessDenied", "Extra input fields: acl"},
		{"unknown access key", pngBytes, func(f map[string]string) {
			f["X-Amz-Credential"] = "AKIAOTHER/" + strings.SplitN(f["X-Amz-Credential"], "/", 2)[1]
		}, 403, "InvalidAccessKeyId", ""},
		{"missing key field", pngBytes, func(f map[string]string) { delete(f, "key") }, 400, "InvalidArgument", "field named 'key'"},
		{"no file", nil, nil, 400, "InvalidArgument", "exactly one file"},
		{"empty file", []byte{}, nil, 400, "EntityTooSmall", ""},
		{"file over the size limit", bytes.Repeat([]byte{0xff}, 10<<20+1), nil, 400, "EntityTooLarge", "exceeds the maximum"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.upload(c.Front, tc.data, tc.tamper)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			got := parseS3Error(t, r)
			if got.Code != tc.code || !strings.Contains(got.Message, tc.message) {
				t.Fatalf("got %s %q, want %s containing %q", got.Code, got.Message, tc.code, tc.message)
			}
		})
	}
	t.Run("not multipart", func(t *testing.T) {
		r := e.do(http.MethodPost, c.Front.URL, "", map[string]string{"file": "x"})
		if r.status != http.StatusPreconditionFailed || parseS3Error(t, r).Code != "PreconditionFailed" {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})
	t.Run("unknown bucket", func(t *testing.T) {
		f := *c.Front
		f.URL = e.srv.URL + "/notus/_s3/someone-elses-bucket"
		if got := parseS3Error(t, e.upload(&f, pngBytes, nil)); got.Code != "NoSuchBucket" {
			t.Fatalf("%s", got.Code)
		}
	})
	// Nothing was stored: processing still lacks both sides.
	r := e.do(http.MethodPost, e.api+standard+"/"+c.Session.ID+"/process", "", nil)
	if r.status != 422 || !strings.Contains(r.json(t)["message"].(string), "front, back") {
		t.Fatalf("after rejected uploads: %d %s", r.status, r.body)
	}
	// An honest client can still upload.
	if r := e.upload(c.Front, pngBytes, nil); r.status != 204 {
		t.Fatalf("good upload: %d %s", r.status, r.body)
	}
}

// The scenario option contentTypeField puts the Content-Type rule into the
// forms: a field the client may change within image/, nothing else.
func TestContentTypeFieldScenario(t *testing.T) {
	e := newEnv(t)
	c := e.createWith(standard, "key-a", person(), "content-type-field")
	if got := c.Front.Fields["Content-Type"]; got != "image/jpeg" || len(c.Front.Fields) != 8 {
		t.Fatalf("form fields %v", c.Front.Fields)
	}
	r := e.upload(c.Front, pngBytes, func(f map[string]string) { f["Content-Type"] = "application/x-msdownload" })
	if got := parseS3Error(t, r); r.status != 403 || got.Code != "AccessDenied" || !strings.Contains(got.Message, `"starts-with","$Content-Type","image/"`) {
		t.Fatalf("wrong content type: %d %+v", r.status, got)
	}
	if r := e.upload(c.Front, pngBytes, func(f map[string]string) { f["Content-Type"] = "image/png" }); r.status != 204 {
		t.Fatalf("image/png: %d %s", r.status, r.body)
	}
	// The option is checked when a scenario is loaded.
	for _, bad := range []string{"options: {colour: blue}", "options: {contentTypeField: maybe}"} {
		req, _ := http.NewRequest(http.MethodPut, e.srv.URL+"/_emulator/scenarios/notus/bad", strings.NewReader("name: bad\nprovider: notus\n"+bad+"\n"))
		if r := e.send(req); r.status != 400 || !strings.Contains(string(r.body), "contentTypeField") {
			t.Errorf("%s: %d %s", bad, r.status, r.body)
		}
	}
}

func TestUploadAfterThePolicyExpired(t *testing.T) {
	e := newEnv(t)
	c := e.create(standard, "key-a", person())
	e.advance(14*time.Minute + 59*time.Second)
	e.mustUpload(c.Front, pngBytes)
	e.advance(time.Second)
	r := e.upload(c.Back, pngBytes, nil)
	got := parseS3Error(t, r)
	if r.status != http.StatusForbidden || got.Code != "AccessDenied" || got.Message != "Invalid according to Policy: Policy expired." {
		t.Fatalf("%d %+v", r.status, got)
	}
	// The front stays stored; only the back is missing.
	pr := e.do(http.MethodPost, e.api+standard+"/"+c.Session.ID+"/process", "", nil)
	if msg := pr.json(t)["message"].(string); !strings.HasSuffix(msg, ": back") {
		t.Fatalf("process after expired upload: %s", msg)
	}
}
