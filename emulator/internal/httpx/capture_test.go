package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
)

func TestCaptureHeadersMasksCredentials(t *testing.T) {
	h := http.Header{
		"Authorization":       {"Bearer abc.def.ghi"},
		"X-Api-Key":           {"key-123"},
		"Cookie":              {"sid=1"},
		"X-Webhook-Signature": {"deadbeef"},
		"X-Organization-Id":   {"org-1"},
		"X-Contact":           {"jane.doe@example.com"},
		"X-Long":              {strings.Repeat("a", MaxHeaderValue+10)},
	}
	got := CaptureHeaders(h)
	for k, want := range map[string]string{
		"Authorization":       "Bearer [masked, 11 chars]",
		"X-Api-Key":           "[masked, 7 chars]",
		"Cookie":              "[masked, 5 chars]",
		"X-Webhook-Signature": "[masked, 8 chars]",
		"X-Organization-Id":   "org-1",
		"X-Contact":           "j***@example.com",
	} {
		if got.Get(k) != want {
			t.Errorf("%s = %q, want %q", k, got.Get(k), want)
		}
	}
	if v := got.Get("X-Long"); len(v) > MaxHeaderValue+len("…") || !strings.HasSuffix(v, "…") {
		t.Errorf("long header kept %d bytes", len(v))
	}
	if h.Get("Authorization") != "Bearer abc.def.ghi" {
		t.Error("the request's own headers were changed")
	}
	many := http.Header{}
	for i := range MaxHeaders + 5 {
		many.Set("X-H"+strings.Repeat("x", i), "v")
	}
	if n := len(CaptureHeaders(many)); n != MaxHeaders {
		t.Errorf("kept %d headers, want %d", n, MaxHeaders)
	}
}

func TestCaptureJSONMasksAndKeepsOrder(t *testing.T) {
	in := `{"zeta":1,"email":"ana@example.org","password":"hunter2","nested":{"access_token":"t0k","refresh_token":"r","ok":true,"pin":1234},` +
		`"list":[{"clientSecret":{"a":"b"}},"bob@example.net"],"id":"s-1","entityId":"e-2","note":null}`
	b, refs := CaptureBody("application/json; charset=utf-8", []byte(in), int64(len(in)))
	want := `{"zeta":1,"email":"a***@example.org","password":"[masked]","nested":{"access_token":"[masked]","refresh_token":"[masked]","ok":true,"pin":"[masked]"},` +
		`"list":[{"clientSecret":{"a":"[masked]"}},"b***@example.net"],"id":"s-1","entityId":"e-2","note":null}`
	if string(b.JSON) != want {
		t.Fatalf("masked JSON:\n got %s\nwant %s", b.JSON, want)
	}
	if b.Size != len(in) || b.Text != "" || b.Truncated {
		t.Errorf("body: %+v", b)
	}
	if string(bytes.Join(refs, []byte(","))) != "s-1,e-2" {
		t.Errorf("refs: %q", refs)
	}
}

func TestCaptureBoundsLongBodies(t *testing.T) {
	big := `{"items":[` + strings.Repeat(`{"name":"x"},`, MaxBodyText/10) + `{"name":"y"}]}`
	b, _ := CaptureBody("application/json", []byte(big), int64(len(big)))
	if b.JSON != nil || !b.Truncated || len(b.Text) > MaxBodyText || b.Size != len(big) {
		t.Fatalf("long JSON: json=%d text=%d truncated=%v size=%d", len(b.JSON), len(b.Text), b.Truncated, b.Size)
	}
	text := strings.Repeat("é", MaxBodyText)
	b, _ = CaptureBody("text/html", []byte(text), int64(len(text)))
	if !b.Truncated || len(b.Text) > MaxBodyText+len("…") || !strings.HasSuffix(b.Text, "…") {
		t.Fatalf("long text: %d bytes, truncated=%v", len(b.Text), b.Truncated)
	}
	if b, _ := CaptureBody("application/json", []byte(`{"a":`), 5); b.JSON != nil || b.Omitted == "" && b.Text == "" {
		t.Fatalf("broken JSON: %+v", b)
	}
	if b, _ := CaptureBody("application/json", nil, 0); b != nil {
		t.Fatalf("empty body: %+v", b)
	}
}

func TestCaptureNeverKeepsFileBytes(t *testing.T) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("key", "kyc/abc/front")
	_ = mw.WriteField("x-amz-signature", "abcdef")
	_ = mw.WriteField("email", "zoe@example.com")
	fw, _ := mw.CreateFormFile("file", "front.jpg")
	img := append([]byte("\xff\xd8\xff\xe0"), bytes.Repeat([]byte{0x42}, 5000)...)
	_, _ = fw.Write(img)
	_ = mw.Close()
	b, _ := CaptureBody(mw.FormDataContentType(), buf.Bytes(), int64(buf.Len()))
	if len(b.Parts) != 4 {
		t.Fatalf("parts: %+v", b.Parts)
	}
	if p := b.Parts[0]; p.Name != "key" || p.Value != "kyc/abc/front" {
		t.Errorf("field: %+v", p)
	}
	if p := b.Parts[1]; p.Value != "[masked]" {
		t.Errorf("signature field: %+v", p)
	}
	if p := b.Parts[2]; p.Value != "z***@example.com" {
		t.Errorf("e-mail field: %+v", p)
	}
	if p := b.Parts[3]; p.Filename != "front.jpg" || p.Size != len(img) || p.Value != "" {
		t.Errorf("file part: %+v", p)
	}
	if b.Text != "" || b.JSON != nil {
		t.Errorf("multipart body kept as text: %+v", b)
	}
	// Only the beginning of a big upload was seen.
	seen := buf.Bytes()[:buf.Len()/2]
	b, _ = CaptureBody(mw.FormDataContentType(), seen, int64(buf.Len()))
	if !b.Partial || b.Size != buf.Len() || len(b.Parts) != 4 || !b.Parts[3].Truncated {
		t.Errorf("partial upload: %+v", b)
	}
	page := `<p>Signed in as <b>lena.k@example.com</b></p>`
	if b, _ := CaptureBody("text/html; charset=utf-8", []byte(page), int64(len(page))); b.Text != `<p>Signed in as <b>l***@example.com</b></p>` {
		t.Errorf("e-mail in a page: %s", b.Text)
	}
	b, _ = CaptureBody("image/png", []byte("\x89PNG\r\n\x1a\n...."), 12)
	if b.Omitted != "binary" || b.Text != "" || b.Size != 12 {
		t.Errorf("image: %+v", b)
	}
}

func TestMaskFormAndQuery(t *testing.T) {
	if got := MaskQuery("email=ann%40example.com&limit=10&token=abc&x"); got != "email=a%2A%2A%2A%40example.com&limit=10&token=%5Bmasked%5D&x" {
		t.Errorf("query: %s", got)
	}
	b, _ := CaptureBody("application/x-www-form-urlencoded", []byte("action=submit&password=pw"), 25)
	if b.Text != "action=submit&password=%5Bmasked%5D" {
		t.Errorf("form: %s", b.Text)
	}
}

func TestCaptureKeepsTheFirstBytes(t *testing.T) {
	c := NewCapture(nopCloser{strings.NewReader(strings.Repeat("x", 100))}, 10)
	var sink bytes.Buffer
	if _, err := sink.ReadFrom(c); err != nil {
		t.Fatal(err)
	}
	if c.Buf.Len() != 10 || c.N != 100 || !c.Partial() || sink.Len() != 100 {
		t.Fatalf("kept %d of %d, passed %d", c.Buf.Len(), c.N, sink.Len())
	}
}

type nopCloser struct{ *strings.Reader }

func (nopCloser) Close() error { return nil }

func TestMaskedJSONStaysJSON(t *testing.T) {
	for _, in := range []string{
		` { "a" : [ 1 , 2.5e3 , -0 , true , false , null ] , "b\"q" : "x\u00e9\n" , "token":"a\"b" } `,
		`[{"email":"sam@example.com"},{"nested":[[[{"password":[1,{"x":2}]}]]]}]`,
		`"just a string"`, `42`, `{}`, `[]`,
	} {
		b, _ := CaptureBody("application/json", []byte(in), int64(len(in)))
		if b.JSON == nil || !json.Valid(b.JSON) {
			t.Errorf("%s: masked to %q (%+v)", in, b.JSON, b)
		}
		if strings.Contains(string(b.JSON), "sam@") || strings.Contains(string(b.JSON), `a\"b`) {
			t.Errorf("%s: secret kept: %s", in, b.JSON)
		}
	}
	for _, in := range []string{`{"a":}`, `{"a":1,}`, `[1 2]`, `{"a":1} x`, `{"a`, strings.Repeat("[", 100) + strings.Repeat("]", 100)} {
		if b, _ := CaptureBody("application/json", []byte(in), int64(len(in))); b.JSON != nil || b.Omitted == "" {
			t.Errorf("%s: accepted as %s", in, b.JSON)
		}
	}
}

// captureBench is shaped like a Notus create answer: a session with two
// presigned upload forms.
var captureBench = []byte(`{"session":{"id":"6f1c9a52-3f0e-4b8e-9d6a-0c1d2e3f4a5b","individualId":null,"status":"PENDING",` +
	`"livenessRequired":false,"firstName":"Maria","lastName":"Silva","birthDate":"1990-04-12",` +
	`"document":{"id":"12345678900","category":"RG"},"createdAt":"2026-05-04T10:00:00.000Z","updatedAt":null},` +
	`"email":"maria.silva@example.com","documents":{"front":{"url":"http://localhost:8080/notus-kyc-documents","fields":{` +
	`"bucket":"notus-kyc-documents","key":"kyc/6f1c9a52-3f0e-4b8e-9d6a-0c1d2e3f4a5b/front","X-Amz-Algorithm":"AWS4-HMAC-SHA256",` +
	`"X-Amz-Credential":"AKIAFAKE/20260504/sa-east-1/s3/aws4_request","X-Amz-Date":"20260504T100000Z",` +
	`"Policy":"eyJjb25kaXRpb25zIjpbeyJidWNrZXQiOiJub3R1cy1reWMtZG9jdW1lbnRzIn0seyJrZXkiOiJreWMvNmYxYyJ9XX0=",` +
	`"X-Amz-Signature":"3f2a9c0d1e4b5a6978877665544332211ffeeddccbbaa99887766554433221100"}},` +
	`"back":{"url":"http://localhost:8080/notus-kyc-documents","fields":{"bucket":"notus-kyc-documents",` +
	`"key":"kyc/6f1c9a52-3f0e-4b8e-9d6a-0c1d2e3f4a5b/back","X-Amz-Algorithm":"AWS4-HMAC-SHA256",` +
	`"X-Amz-Credential":"AKIAFAKE/20260504/sa-east-1/s3/aws4_request","X-Amz-Date":"20260504T100000Z",` +
	`"Policy":"eyJjb25kaXRpb25zIjpbeyJidWNrZXQiOiJub3R1cy1reWMtZG9jdW1lbnRzIn0seyJrZXkiOiJreWMvNmYxYyJ9XX0=",` +
	`"X-Amz-Signature":"3f2a9c0d1e4b5a6978877665544332211ffeeddccbbaa99887766554433221100"}}}}`)

func BenchmarkCaptureBody(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		CaptureBody("application/json", captureBench, int64(len(captureBench)))
	}
}

func BenchmarkCaptureHeaders(b *testing.B) {
	h := http.Header{"Content-Type": {"application/json"}, "X-Api-Key": {"bench"}, "Accept-Encoding": {"gzip"},
		"User-Agent": {"Go-http-client/1.1"}, "Content-Length": {"187"}, "X-Request-Id": {"6f1c9a52-3f0e-4b8e-9d6a-0c1d2e3f4a5b"}}
	b.ReportAllocs()
	for b.Loop() {
		CaptureHeaders(h)
	}
}

func TestSecretHeaderNames(t *testing.T) {
	long := strings.Repeat("X-Very-Long-", 20)
	for name, want := range map[string]bool{
		"Authorization": true, "X-Api-Key": true, "X-Amz-Security-Token": true, "X-Hub-Signature-256": true,
		"Content-Type": false, "X-Request-Id": false, long + "Token": true, long + "Name": false, "": false,
	} {
		if got := secretHeader(name); got != want {
			t.Errorf("secretHeader(%q) = %v", name, got)
		}
	}
}

// TestMaskerOutputIsCompactAndCutAtTokens: a document with nothing to mask
// comes out as json.Compact writes it, and a bounded one as a prefix of
// that ending on a token, never past the bound.
func TestMaskerOutputIsCompactAndCutAtTokens(t *testing.T) {
	for _, doc := range []string{
		`{"a":1,"b":[1,2,{"c":"d"}],"e":"f\"g"}`,
		" { \"a\" : 1 ,\n\t\"b\" : [ true , null , -1.5e3 ] } \n",
		`[{"name":"x"},{"name":"y"},"z",12]`,
		captureBenchPlain,
	} {
		var want bytes.Buffer
		if err := json.Compact(&want, []byte(doc)); err != nil {
			t.Fatal(err)
		}
		for limit := 0; limit <= want.Len(); limit++ {
			m := &jsonMasker{in: []byte(doc), limit: limit}
			err := m.document()
			got := m.out.String()
			if limit == want.Len() {
				if err != nil || got != want.String() {
					t.Fatalf("%q: %q, %v", doc, got, err)
				}
				continue
			}
			if !m.full || len(got) > limit || !strings.HasPrefix(want.String(), got) {
				t.Fatalf("%q limit %d: %q (full %v)", doc, limit, got, m.full)
			}
		}
	}
}

// captureBenchPlain is captureBench without anything the masker changes.
var captureBenchPlain = strings.NewReplacer("maria.silva@example.com", "maria", "Signature", "Sig").Replace(string(captureBench))

func TestMediaTypeIsParseMediaTypes(t *testing.T) {
	for _, v := range []string{"", "application/json", "Application/JSON", " text/html ", "text", "text/", "/json",
		"a/b/c", "a b/c", "image/svg+xml", "application/json; charset=utf-8", "multipart/form-data; boundary=x",
		"text/plain;", "bad/type; x", "a/é", "application/x-www-form-urlencoded"} {
		mt, params := mediaType(v)
		wantMT, wantParams, err := mime.ParseMediaType(v)
		if err != nil && !errors.Is(err, mime.ErrInvalidMediaParameter) {
			wantMT, wantParams = "", nil
		}
		if mt != wantMT || len(params) != len(wantParams) || params["boundary"] != wantParams["boundary"] {
			t.Errorf("%q: %q %v, want %q %v", v, mt, params, wantMT, wantParams)
		}
	}
}

// The hand-written e-mail matcher answers as emailRE does, for every
// string made of a small alphabet of the characters that matter, and for
// some whole addresses.
func TestEmailShapeIsTheExpression(t *testing.T) {
	check := func(s string) {
		want := len(s) <= 320 && emailRE.MatchString(s)
		if isEmail(s) != want || isEmailBytes([]byte(s)) != want {
			t.Errorf("%q: got %v, want %v", s, isEmail(s), want)
		}
	}
	alphabet := []string{"a", "Z", "1", "@", ".", " ", "\t", "\"", "<", "-", "é", "\xff"}
	var gen func(prefix string, n int)
	gen = func(prefix string, n int) {
		check(prefix)
		if n == 0 {
			return
		}
		for _, c := range alphabet {
			gen(prefix+c, n-1)
		}
	}
	gen("", 5)
	for _, s := range []string{"ana@example.com", "a.b+c@sub.example.co.uk", "ana@example.c", "ana@example.c0m", "@example.com",
		"ana@@example.com", "ana@.com", "ana@x..com", "ana@example.com ", "<ana@example.com>", "ana@exämple.com", "ana@example.cöm",
		strings.Repeat("a", 310) + "@example.com", "x\v@example.com", "x\u00a0@example.com"} {
		check(s)
	}
}

// appendQuoted quotes as json.Marshal does, for every string of a small
// alphabet of what it escapes and what it does not.
func TestAppendQuotedIsMarshal(t *testing.T) {
	alphabet := []string{"a", "Z", "@", ".", "~", "\"", "\\", "<", ">", "&", "\n", "\x7f", "é", "\u2028", "\xff"}
	var gen func(prefix string, n int)
	gen = func(prefix string, n int) {
		want, _ := json.Marshal(prefix)
		if got := appendQuoted([]byte("x"), prefix); string(got) != "x"+string(want) {
			t.Errorf("%q: got %s, want x%s", prefix, got, want)
		}
		if got := appendQuoted(nil, []byte(prefix)); string(got) != string(want) {
			t.Errorf("[]byte %q: got %s, want %s", prefix, got, want)
		}
		if got, want := appendMaskedEmail([]byte("x"), []byte(prefix)), "x"+maskEmail(prefix); string(got) != want {
			t.Errorf("appendMaskedEmail(%q) = %q, want %q", prefix, got, want)
		}
		if n == 0 {
			return
		}
		for _, c := range alphabet {
			gen(prefix+c, n-1)
		}
	}
	gen("", 4)
	gen(strings.Repeat("m", 200), 1) // past quoted's stack buffer
	gen("ana", 2)
}

// secretKeyBefore is secretKey as it was written before its lower-casing
// went by table: the reference the table is held to.
func secretKeyBefore(k string) bool {
	var b []byte
	for i := 0; i < len(k) && i < 64; i++ {
		switch c := k[i]; {
		case c == '_' || c == '-' || c == '.':
		case 'A' <= c && c <= 'Z':
			b = append(b, c+'a'-'A')
		default:
			b = append(b, c)
		}
	}
	switch string(b) {
	case "apikey", "xapikey", "authorization", "privatekey", "pin", "otp", "cvv", "cvc", "passcode":
		return true
	}
	s := string(b)
	return strings.HasSuffix(s, "token") || strings.Contains(s, "password") || strings.Contains(s, "secret") ||
		strings.Contains(s, "signature")
}

func TestSecretKeys(t *testing.T) {
	long := strings.Repeat("Field_", 12)
	for _, k := range []string{"apiKey", "X-Api-Key", "x_api_key", "Authorization", "private.key", "PIN", "pins", "otp",
		"CVV", "cvc", "passCode", "accessToken", "refresh_token", "tokens", "userPassword", "client-secret",
		"X-Amz-Signature", "signatureVersion", "Policy", "id", "sessionId", "email", "", "_-.", "SÉCRET", "sécret",
		long + "Token", long[:60] + "Pass_word", "Ärzte", "\xff\xfe", long + "Name"} {
		if got, want := secretKey(k), secretKeyBefore(k); got != want {
			t.Errorf("secretKey(%q) = %v, want %v", k, got, want)
		}
		if got, want := secretKey([]byte(k)), secretKeyBefore(k); got != want {
			t.Errorf("secretKey([]byte(%q)) = %v, want %v", k, got, want)
		}
	}
}

// FuzzMaskedJSONKeepsItsShape holds the masker to what it may change: a
// valid JSON body short enough to keep whole comes out valid, with the same
// tokens in the same order (keys included), but for values turned into
// "[masked]" or into a masked e-mail address.
func FuzzMaskedJSONKeepsItsShape(f *testing.F) {
	for _, s := range []string{string(captureBench), captureBenchPlain, ` {"a" : [1, "x@y.io", {"pin": 12}], "b":"\u00e9"} `,
		`{"token":{"a":[1,"x",null]},"id":"s1","e":"a&b@x<y>.com"}`, `[]`, `"s"`, `{"a":"b\"c","\u0070in":"1"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		body, _ := CaptureBody("application/json", in, int64(len(in)))
		if !json.Valid(in) || len(in) > MaxBodyText/2 {
			return
		}
		if body.JSON == nil {
			if body.Omitted == "" { // too deep for the masker, as it may be
				t.Fatalf("%s: neither kept nor omitted: %+v", in, body)
			}
			return
		}
		if !json.Valid(body.JSON) {
			t.Fatalf("%s: masked to invalid %s", in, body.JSON)
		}
		a, b := json.NewDecoder(bytes.NewReader(in)), json.NewDecoder(bytes.NewReader(body.JSON))
		a.UseNumber()
		b.UseNumber()
		for {
			x, errA := a.Token()
			y, errB := b.Token()
			if errA != nil || errB != nil {
				if errA != errB {
					t.Fatalf("%s -> %s: %v, %v", in, body.JSON, errA, errB)
				}
				return
			}
			if x == y {
				continue
			}
			s, isStr := x.(string)
			switch {
			case y == masked:
			case isStr && y == maskEmail(s) && isEmail(s):
			default:
				t.Fatalf("%s -> %s: %#v became %#v", in, body.JSON, x, y)
			}
		}
	})
}

// TestMaskSecretKeepsTheShape: a secret is journaled as its length, below
// and above the lengths whose answers are made once, with an Authorization
// value's scheme before it.
func TestMaskSecretKeepsTheShape(t *testing.T) {
	for n := range 300 {
		v := strings.Repeat("k", n)
		if got, want := maskSecret("X-Api-Key", v), "[masked, "+strconv.Itoa(n)+" chars]"; got != want {
			t.Fatalf("%d bytes: %q, want %q", n, got, want)
		}
		if got, want := maskSecret("Authorization", "Bearer "+v), "Bearer [masked, "+strconv.Itoa(n)+" chars]"; got != want {
			t.Fatalf("Bearer and %d bytes: %q, want %q", n, got, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { maskSecret("X-Api-Key", "load-create") }); n != 0 {
		t.Fatalf("an API key's mask allocates %v times", n)
	}
}

// TestKnownKeysAnswerAsSecretKey: the remembered answers are secretKey's,
// for keys seen once and again (more keys than there are slots, so some
// find theirs taken), from many goroutines at once; a remembered key costs
// no allocation.
func TestKnownKeysAnswerAsSecretKey(t *testing.T) {
	// First, while the slots hold only what earlier tests' bodies left.
	k := []byte("X-Amz-Signature")
	if n := testing.AllocsPerRun(100, func() { secretJSONKey(k) }); n != 0 {
		t.Fatalf("a remembered key costs %v allocations", n)
	}
	keys := []string{"apiKey", "X-Api-Key", "x_api_key", "Authorization", "private.key", "PIN", "pins", "otp",
		"CVV", "passCode", "accessToken", "refresh_token", "tokens", "userPassword", "client-secret",
		"X-Amz-Signature", "signatureVersion", "Policy", "id", "sessionId", "email", "", "_-.", "SÉCRET",
		strings.Repeat("Field_", 12) + "Token", "\xff\xfe"}
	for i := range len(knownKeys) {
		keys = append(keys, "field"+strconv.Itoa(i), "secret"+strconv.Itoa(i))
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 2 {
				for i := g; i < len(keys); i += 2 {
					if got, want := secretJSONKey([]byte(keys[i])), secretKey(keys[i]); got != want {
						t.Errorf("%q: %v, want %v", keys[i], got, want)
					}
				}
			}
		}()
	}
	wg.Wait()
}
