package drift_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kycemu/kycemu/emulator/drift"
)

func TestMaskerMasksSecretsAndKeepsShapes(t *testing.T) {
	m := drift.NewMasker([]byte("test key"))
	other := drift.NewMasker([]byte("another key"))

	h := m.Header(http.Header{
		"Authorization": {"Bearer gk_live_123456"}, "X-Api-Key": {"sk_live_abcdef"}, "Cookie": {"sid=s3cr3t"},
		"X-Webhook-Signature": {"deadbeef"}, "X-Organization-Id": {"org-1"}, "X-Contact": {"ana@example.com"},
	})
	if a := h.Get("Authorization"); !strings.HasPrefix(a, "Bearer [masked:") || strings.Contains(a, "gk_live") {
		t.Errorf("authorization: %q", a)
	}
	for _, k := range []string{"X-Api-Key", "Cookie", "X-Webhook-Signature"} {
		if v := h.Get(k); !strings.HasPrefix(v, "[masked:") {
			t.Errorf("%s: %q", k, v)
		}
	}
	if h.Get("X-Organization-Id") != "org-1" || strings.Contains(h.Get("X-Contact"), "ana@") {
		t.Errorf("non-secret header changed or e-mail kept: %v", h)
	}
	if m.String("sk_live_abcdef") == other.String("sk_live_abcdef") && m.Field("token", "x1") == other.Field("token", "x1") {
		t.Error("placeholders do not depend on the masker's key")
	}
	if m.Field("token", "abc") != m.Field("accessToken", "abc") || m.Field("token", "abc") == m.Field("token", "abd") {
		t.Error("the same secret must get the same placeholder, another secret another one")
	}

	q := m.Query("email=ana%40example.com&X-Amz-Signature=ffee&limit=10&token=t0k")
	for _, leak := range []string{"ana", "ffee", "t0k"} {
		if strings.Contains(q, leak) {
			t.Errorf("query keeps %q: %s", leak, q)
		}
	}
	if !strings.Contains(q, "limit=10") {
		t.Errorf("query lost a plain parameter: %s", q)
	}

	jwt := "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"
	blob := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xff, 0xd8, 0xff, 0xe0}, 80))
	in := map[string]any{
		"password": "hunter22", "nested": map[string]any{"refreshToken": "r-1", "note": "bearer " + jwt},
		"email": "Ana.Souza@Example.com", "image": blob, "photo": "data:image/png;base64,iVBORw0KGgo=",
		"link": "https://bucket.test/doc?X-Amz-Signature=abcdef0123&X-Amz-Expires=60", "count": 3.0,
		"apiKey": 12345.0, "is_password_set": true, "items": []any{"plain", "bob@example.org"},
	}
	out, _ := json.Marshal(m.Value(in))
	for _, leak := range []string{"hunter22", "r-1", jwt, "Ana.Souza", "Example.com", blob, "iVBORw0KGgo", "abcdef0123", "12345", "bob@"} {
		if strings.Contains(string(out), leak) {
			t.Errorf("masked JSON keeps %q: %s", leak, out)
		}
	}
	var back map[string]any
	_ = json.Unmarshal(out, &back)
	if back["count"] != 3.0 || back["apiKey"] != 0.0 || back["is_password_set"] != true || back["items"].([]any)[0] != "plain" || !strings.HasSuffix(back["email"].(string), "@example.invalid") ||
		!strings.Contains(back["link"].(string), "X-Amz-Expires=60") {
		t.Errorf("masking changed what it should keep: %s", out)
	}
	if m.String("Ana.Souza@example.com") != m.String("ana.souza@example.com") {
		t.Error("one address, two placeholders")
	}

	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("Policy", "cG9saWN5")
	_ = mw.WriteField("key", "kyc/1/front")
	fw, _ := mw.CreateFormFile("file", "ana-souza-passport.jpg")
	_, _ = fw.Write([]byte("\xff\xd8\xffJPEGDATA-OF-A-PASSPORT"))
	_ = mw.Close()
	body := m.Body(mw.FormDataContentType(), buf.Bytes(), 1<<20)
	enc, _ := json.Marshal(body)
	for _, leak := range []string{"cG9saWN5", "JPEGDATA", "ana-souza"} {
		if strings.Contains(string(enc), leak) {
			t.Errorf("multipart record keeps %q: %s", leak, enc)
		}
	}
	if len(body.Parts) != 3 || body.Parts[1].Value != "kyc/1/front" || body.Parts[2].FileName != "file.jpg" || body.Parts[2].Size != 25 {
		t.Errorf("multipart parts: %+v", body.Parts)
	}
	if b := m.Body("image/png", []byte("\x89PNG-PIXELS"), 1<<20); b.Omitted == "" || b.Size != 11 {
		t.Errorf("binary body: %+v", b)
	}
}

// Through the proxy, nothing secret reaches the record or the log: not
// the client's credentials, not what the upstream hands back (tokens,
// cookies, presigned URLs), not e-mails, not document images.
func TestProxyWritesNoSecret(t *testing.T) {
	image := bytes.Repeat([]byte("PASSPORT-PIXELS-"), 64)
	b64 := base64.StdEncoding.EncodeToString(image)
	secrets := []string{"sk_live_client_key", "gk_bearer_value", "s3ssion-cookie", "upstream-issued-token",
		"refresh-token-value", "ana.souza@example.com", "Ana.Souza", "fedcba9876543210", "set-cookie-value",
		"PASSPORT-PIXELS", b64[:40], hex.EncodeToString(image[:24]), "user-password-1"}
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Set-Cookie", "session=set-cookie-value; HttpOnly")
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"accessToken": map[string]any{"token": "upstream-issued-token"},
			"refresh_token": "refresh-token-value", "email": "ana.souza@example.com", "selfie": b64,
			"download": "https://bucket.example/doc.jpg?X-Amz-Signature=fedcba9876543210"})
	}))
	t.Cleanup(upstream.Close)
	var logs bytes.Buffer
	proxy, dir := startProxy(t, map[string]string{"b2core": upstream.URL},
		drift.WithLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))

	h := map[string]string{"x-api-key": "sk_live_client_key", "Authorization": "Bearer gk_bearer_value", "Cookie": "sid=s3ssion-cookie"}
	call(t, http.MethodPost, proxy.URL+"/b2core/api/v2/my/signin?email=ana.souza%40example.com", h, map[string]any{
		"email": "Ana.Souza@example.com", "password": "user-password-1", "document": b64})
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", "Ana.Souza-id.png")
	_, _ = fw.Write(image)
	_ = mw.Close()
	call(t, http.MethodPost, proxy.URL+"/b2core/api/v2/my/files", map[string]string{"Content-Type": mw.FormDataContentType(),
		"Authorization": "Bearer gk_bearer_value"}, buf.String())
	call(t, http.MethodPost, proxy.URL+"/b2core/api/v2/my/files", map[string]string{"Content-Type": "image/png"}, string(image))

	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) != 3 {
		t.Fatalf("recorded %d exchanges, want 3", len(files))
	}
	written := map[string][]byte{"log": logs.Bytes()}
	for _, f := range files {
		written[f], _ = os.ReadFile(f)
	}
	for name, b := range written {
		for _, s := range secrets {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s holds the secret %q", name, s)
			}
		}
	}
	if !bytes.Contains(written[files[0]], []byte("[masked:")) || !bytes.Contains(written[files[0]], []byte("@example.invalid")) {
		t.Errorf("record has no placeholders: %s", written[files[0]])
	}
}
