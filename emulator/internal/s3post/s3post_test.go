package s3post

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

var (
	t0     = time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	signer = &Signer{AccessKeyID: "AKIATEST", Secret: "secret/key+value", Region: "sa-east-1"}
)

// post builds a multipart POST from fields (in order) and an optional file.
func post(t *testing.T, fields [][2]string, file []byte) *http.Request {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, f := range fields {
		_ = mw.WriteField(f[0], f[1])
	}
	if file != nil {
		w, _ := mw.CreateFormFile("file", "x.png")
		_, _ = w.Write(file)
	}
	_ = mw.Close()
	r := httptest.NewRequest(http.MethodPost, "/bucket", &b)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	return r
}

func formFields(f Form) [][2]string {
	var out [][2]string
	for k, v := range f.Fields() {
		out = append(out, [2]string{k, v})
	}
	return out
}

func TestPresignedFormRoundTrip(t *testing.T) {
	f := signer.Presign("http://x/bucket", Policy{Bucket: "b", Key: "k/1", Now: t0, Expires: t0.Add(time.Minute),
		MinSize: 1, MaxSize: 10, ContentType: "image/jpeg", ContentTypePrefix: "image/"})
	var pol struct {
		Expiration string `json:"expiration"`
		Conditions []any  `json:"conditions"`
	}
	raw, _ := base64.StdEncoding.DecodeString(f.Policy)
	if err := json.Unmarshal(raw, &pol); err != nil || pol.Expiration != "2026-05-04T10:01:00.000Z" {
		t.Fatalf("policy %s: %v", raw, err)
	}
	if f.Credential != "AKIATEST/20260504/sa-east-1/s3/aws4_request" || f.Date != "20260504T100000Z" {
		t.Fatalf("fields: %v", f.Fields())
	}
	up, err := signer.Receive(post(t, formFields(f), []byte("0123456789")), "b", t0.Add(59*time.Second), 1<<20)
	if err != nil {
		t.Fatalf("Receive: %v", err)
	}
	if up.Object.Key != "k/1" || up.Object.ContentType != "image/jpeg" || up.Object.ETag != `"781e5e245d69b566979b86e28d23f2c7"` {
		t.Fatalf("object: %+v", up.Object)
	}
	w := httptest.NewRecorder()
	up.Respond(w, "req-1", "http://x/bucket/k/1")
	if w.Code != http.StatusNoContent || w.Header().Get("ETag") == "" || w.Header().Get("Location") != "http://x/bucket/k/1" {
		t.Fatalf("response: %d %v", w.Code, w.Header())
	}
}

// signed returns form fields for a hand-written policy.
func signed(t *testing.T, conds []any, extra ...[2]string) [][2]string {
	t.Helper()
	cred := signer.credential(t0)
	conds = append(conds, map[string]string{"x-amz-algorithm": Algorithm}, map[string]string{"x-amz-credential": cred},
		map[string]string{"x-amz-date": "20260504T100000Z"})
	doc, _ := json.Marshal(map[string]any{"expiration": "2026-05-04T11:00:00.000Z", "conditions": conds})
	pol := base64.StdEncoding.EncodeToString(doc)
	fields := [][2]string{{"key", "a/b"}, {"X-Amz-Algorithm", Algorithm}, {"X-Amz-Credential", cred},
		{"X-Amz-Date", "20260504T100000Z"}, {"Policy", pol}, {"X-Amz-Signature", signer.sign("20260504", "sa-east-1", pol)}}
	return append(fields, extra...)
}

func TestSuccessActionStatusAndRedirect(t *testing.T) {
	conds := []any{map[string]string{"bucket": "b"}, []any{"starts-with", "$key", "a/"},
		[]any{"starts-with", "$success_action_status", ""}, []any{"starts-with", "$success_action_redirect", ""}}
	t.Run("201 has a PostResponse", func(t *testing.T) {
		up, err := signer.Receive(post(t, signed(t, conds, [2]string{"success_action_status", "201"}), []byte("x")), "b", t0, 100)
		if err != nil {
			t.Fatal(err)
		}
		w := httptest.NewRecorder()
		up.Respond(w, "r", "http://x/b/a/b")
		var doc struct {
			Bucket, Key, ETag string
		}
		if w.Code != 201 || xml.Unmarshal(w.Body.Bytes(), &doc) != nil || doc.Key != "a/b" || doc.Bucket != "b" {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
	})
	t.Run("redirect carries bucket key etag", func(t *testing.T) {
		up, err := signer.Receive(post(t, signed(t, conds, [2]string{"success_action_redirect", "https://app.example/done?x=1"}), []byte("x")), "b", t0, 100)
		if err != nil {
			t.Fatal(err)
		}
		w := httptest.NewRecorder()
		up.Respond(w, "r", "http://x/b/a/b")
		loc, _ := url.Parse(w.Header().Get("Location"))
		if w.Code != http.StatusSeeOther || loc.Query().Get("key") != "a/b" || loc.Query().Get("x") != "1" || loc.Query().Get("etag") == "" {
			t.Fatalf("%d %s", w.Code, loc)
		}
	})
	t.Run("fields after the file are ignored", func(t *testing.T) {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		for _, f := range signed(t, conds) {
			_ = mw.WriteField(f[0], f[1])
		}
		fw, _ := mw.CreateFormFile("file", "x")
		_, _ = fw.Write([]byte("data"))
		_ = mw.WriteField("sneaky", "after the file")
		_ = mw.Close()
		r := httptest.NewRequest(http.MethodPost, "/b", &b)
		r.Header.Set("Content-Type", mw.FormDataContentType())
		if _, err := signer.Receive(r, "b", t0, 100); err != nil {
			t.Fatal(err)
		}
	})
}

func TestConditionFailures(t *testing.T) {
	cases := []struct {
		name  string
		conds []any
		extra [][2]string
		code  string
		msg   string
	}{
		{"bucket mismatch", []any{map[string]string{"bucket": "other"}, map[string]string{"key": "a/b"}}, nil, "AccessDenied", `{"bucket":"other"}`},
		{"eq array form", []any{map[string]string{"bucket": "b"}, []any{"eq", "$key", "a/c"}}, nil, "AccessDenied", `["eq","$key","a/c"]`},
		{"uncovered field", []any{map[string]string{"bucket": "b"}, map[string]string{"key": "a/b"}}, [][2]string{{"x-amz-meta-a", "1"}}, "AccessDenied", "Extra input fields: x-amz-meta-a"},
		{"x-ignore fields are fine but content-type list must match", []any{map[string]string{"bucket": "b"}, map[string]string{"key": "a/b"},
			[]any{"starts-with", "$Content-Type", "image/"}}, [][2]string{{"x-ignore-me", "1"}, {"Content-Type", "image/png, text/html"}}, "AccessDenied", "Content-Type"},
		{"bad condition", []any{[]any{"matches", "$key", ".*"}}, nil, "InvalidPolicyDocument", "Invalid Condition"},
		{"bad range", []any{[]any{"content-length-range", 10, 1}}, nil, "InvalidPolicyDocument", "Invalid Condition"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := signer.Receive(post(t, signed(t, tc.conds, tc.extra...), []byte("x")), "b", t0, 100)
			if err == nil || err.Code != tc.code || !strings.Contains(err.Message, tc.msg) {
				t.Fatalf("got %v, want %s containing %q", err, tc.code, tc.msg)
			}
		})
	}
}

func TestErrorDocument(t *testing.T) {
	w := httptest.NewRecorder()
	errorf(400, "EntityTooLarge", "too big", [2]string{"MaxSizeAllowed", "10"}).Write(w, "req-9")
	body := w.Body.String()
	for _, want := range []string{`<?xml version="1.0" encoding="UTF-8"?>`, "<Code>EntityTooLarge</Code>", "<MaxSizeAllowed>10</MaxSizeAllowed>", "<RequestId>req-9</RequestId>"} {
		if !strings.Contains(body, want) {
			t.Errorf("missing %s in %s", want, body)
		}
	}
}

func TestPresignedGet(t *testing.T) {
	link := signer.PresignGet("http://h:1/b/kyc/a b/front", t0, time.Minute)
	u, _ := url.Parse(link)
	if u.Path != "/b/kyc/a b/front" || u.EscapedPath() != "/b/kyc/a%20b/front" {
		t.Fatalf("link %s", link)
	}
	get := func(u *url.URL, at time.Time) *Error {
		r := httptest.NewRequest(http.MethodGet, u.String(), nil)
		_, err := signer.Authenticate(r, "h:1", u.Path, at)
		return err
	}
	if err := get(u, t0.Add(time.Minute)); err != nil {
		t.Fatalf("valid link refused: %v", err)
	}
	if err := get(u, t0.Add(time.Minute+time.Second)); err == nil || err.Message != "Request has expired" {
		t.Fatalf("expired link: %v", err)
	}
	q := u.Query()
	q.Set("X-Amz-Expires", "120")
	longer := *u
	longer.RawQuery = q.Encode()
	err := get(&longer, t0)
	if err == nil || err.Code != "SignatureDoesNotMatch" {
		t.Fatalf("extended link: %v", err)
	}
	names := map[string]string{}
	for _, x := range err.Extra {
		names[x[0]] = x[1]
	}
	if names["AWSAccessKeyId"] != "AKIATEST" || names["SignatureProvided"] != q.Get("X-Amz-Signature") ||
		!strings.HasPrefix(names["StringToSign"], "AWS4-HMAC-SHA256\n20260504T100000Z\n20260504/sa-east-1/s3/aws4_request\n") ||
		!strings.HasPrefix(names["StringToSignBytes"], "41 57 53 34") || !strings.HasPrefix(names["CanonicalRequest"], "GET\n/b/kyc/a%20b/front\n") ||
		names["CanonicalRequestBytes"] == "" {
		t.Errorf("SignatureDoesNotMatch elements: %v", err.Extra)
	}
	q.Del("X-Amz-Signature")
	unsigned := *u
	unsigned.RawQuery = q.Encode()
	if err := get(&unsigned, t0); err == nil || err.Status != 400 || err.Code != "AuthorizationQueryParametersError" {
		t.Fatalf("link without a signature: %v", err)
	}
	bare := *u
	bare.RawQuery = ""
	if err := get(&bare, t0); err == nil || err.Status != 403 || err.Code != "AccessDenied" {
		t.Fatalf("anonymous GET: %v", err)
	}
	other := &Signer{AccessKeyID: "AKIATEST", Secret: "secret/key+value", Region: "us-east-1"}
	wrong, _ := url.Parse(other.PresignGet("http://h:1/b/kyc/a b/front", t0, time.Minute))
	if err := get(wrong, t0); err == nil || err.Code != "AuthorizationQueryParametersError" || !strings.Contains(err.Message, "'us-east-1' is wrong") {
		t.Fatalf("wrong region: %v", err)
	}
}
