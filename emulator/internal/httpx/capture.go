package httpx

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"unicode/utf8"
)

// What the journal keeps of one request and its response is bounded and
// masked: credentials, signatures, tokens, passwords and e-mail addresses
// never reach it in the clear, and the bytes of uploaded files never reach
// it at all (only their names, types and sizes).
const (
	// MaxBodyText is how much of a body's (masked) text is kept.
	MaxBodyText = 8 << 10
	// MaxHeaderValue is how much of one header value is kept.
	MaxHeaderValue = 512
	// MaxHeaders is how many header fields are kept.
	MaxHeaders = 48
	// maxParts is how many multipart parts are described.
	maxParts = 32
	// MaxRefs is how many ids a body may offer as the session it touched.
	MaxRefs = 8
)

// Body is what the journal keeps of a request or response body.
type Body struct {
	ContentType string `json:"contentType,omitempty"`
	// Size is the body's length in bytes (of what was seen, when Partial).
	Size int `json:"size"`
	// JSON is a JSON body, masked, when it fits in MaxBodyText.
	JSON json.RawMessage `json:"json,omitempty"`
	// Text is a text body (form, plain text, HTML, or JSON too long to
	// keep whole), masked and cut at MaxBodyText.
	Text      string `json:"text,omitempty"`
	Truncated bool   `json:"truncated,omitempty"`
	// Parts describes a multipart body: fields with their (masked) values,
	// files by name, type and size only.
	Parts []Part `json:"parts,omitempty"`
	// Omitted says why the bytes are not shown ("binary").
	Omitted string `json:"omitted,omitempty"`
	// Partial: only the first bytes of the body were seen.
	Partial bool `json:"partial,omitempty"`
}

// Part is one part of a multipart body.
type Part struct {
	Name        string `json:"name"`
	Filename    string `json:"filename,omitempty"`
	ContentType string `json:"contentType,omitempty"`
	Size        int    `json:"size"`
	Value       string `json:"value,omitempty"`
	// Truncated: the part runs past what was seen.
	Truncated bool `json:"truncated,omitempty"`
}

const masked = "[masked]"

// commonHeaders holds secretHeader's answer for the header names most
// exchanges carry, so journaling them costs a map read each.
var commonHeaders = func() map[string]bool {
	m := map[string]bool{}
	for _, h := range []string{"Accept", "Accept-Encoding", "Accept-Language", "Authorization", "Connection",
		"Content-Length", "Content-Type", "Date", "Etag", "Host", "Location", "Origin", "Referer", "User-Agent",
		"X-Api-Key", "X-Forwarded-For", "X-Forwarded-Proto", "X-Request-Id", "X-Kycemu-Scenario", "X-Kycemu-Session"} {
		m[h] = isSecretHeader(h)
	}
	return m
}()

// secretHeader reports whether a header carries a credential or a
// signature.
func secretHeader(name string) bool {
	if secret, ok := commonHeaders[name]; ok {
		return secret
	}
	return isSecretHeader(name)
}

func isSecretHeader(name string) bool {
	// Lower-cased on the stack: header names come canonical (mixed-case),
	// and this runs for every header of every journaled exchange.
	var buf [128]byte
	n := buf[:0]
	if len(name) > len(buf) {
		n = make([]byte, 0, len(name))
	}
	for i := range len(name) {
		c := name[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		n = append(n, c)
	}
	switch string(n) {
	case "authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key":
		return true
	}
	for _, part := range [...]string{"signature", "token", "secret", "api-key", "apikey", "password"} {
		if bytes.Contains(n, []byte(part)) {
			return true
		}
	}
	return false
}

// maskSecret hides a secret value but keeps its shape: the scheme of an
// Authorization value and the length.
func maskSecret(name, v string) string {
	if strings.EqualFold(name, "authorization") || strings.EqualFold(name, "proxy-authorization") {
		if scheme, rest, ok := strings.Cut(v, " "); ok {
			return scheme + " " + maskedLength(len(rest))
		}
	}
	return maskedLength(len(v))
}

// maskedLengths are maskedLength's answers for the lengths API keys and
// tokens mostly have, made once: every request with a credential journals
// one.
var maskedLengths = func() (m [129]string) {
	for n := range m {
		m[n] = "[masked, " + strconv.Itoa(n) + " chars]"
	}
	return m
}()

// maskedLength is what a secret of n bytes is journaled as.
func maskedLength(n int) string {
	if n < len(maskedLengths) {
		return maskedLengths[n]
	}
	return "[masked, " + strconv.Itoa(n) + " chars]"
}

// CaptureHeaders returns a bounded copy of h with secrets masked.
func CaptureHeaders(h http.Header) http.Header {
	out, _ := captureHeaders(nil, nil, h)
	return out
}

// captureHeaders is CaptureHeaders into storage of an earlier capture: out,
// an empty map (nil for a new one), and all, the array its values lived in.
// It returns the map and the array, kept for the next capture.
func captureHeaders(out http.Header, all []string, h http.Header) (http.Header, []string) {
	if len(h) == 0 {
		return nil, all
	}
	var nameBuf [MaxHeaders]string
	names := nameBuf[:0]
	values := 0
	for k, vs := range h {
		names = append(names, k)
		values += len(vs)
	}
	if len(names) > MaxHeaders {
		// The first MaxHeaders names in order are kept, whatever order the
		// map gave; below the bound, order does not matter to a map.
		slices.Sort(names)
		names = names[:MaxHeaders]
	}
	if out == nil {
		out = make(http.Header, len(names))
	}
	// One array holds every kept value; each field's slice is a window of
	// it, capped so an append to one cannot run into the next. It is sized
	// for them all first, so no window is left in an array given up.
	all = slices.Grow(all[:0], values)
	for _, k := range names {
		start := len(all)
		secret := secretHeader(k)
		for _, v := range h[k] {
			switch {
			case secret:
				v = maskSecret(k, v)
			case isEmail(v):
				v = maskEmail(v)
			}
			all = append(all, cut(v, MaxHeaderValue))
		}
		out[k] = all[start:len(all):len(all)]
	}
	return out, all
}

// cut shortens s to at most n bytes on a rune boundary, marking the cut.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

// text is a string or its bytes: the JSON masker reads keys and values in
// place, as bytes, and the form and header code has strings.
type text interface{ ~string | ~[]byte }

// secretKey reports whether a JSON key or form field holds a secret.
func secretKey[T text](k T) bool {
	var buf [64]byte
	n := 0
	for i := range min(len(k), len(buf)) {
		// Written always, counted only when kept: no branch on the byte
		// (and n&63, always n, spares a bounds check).
		c := k[i]
		buf[n&63] = keyFold[c]
		n += int(keyKeep[c])
	}
	b := buf[:n]
	switch string(b) {
	case "apikey", "xapikey", "authorization", "privatekey", "pin", "otp", "cvv", "cvc", "passcode":
		return true
	}
	if bytes.HasSuffix(b, []byte("token")) {
		return true
	}
	// Contains password, secret or signature: one pass, as this runs for
	// every key of every journaled body. Each is compared only where its
	// first two letters are, as a constant (which the compiler does a
	// word at a time), and none starts in the last five bytes.
	for i := 0; i+len("secret") <= len(b); i++ {
		switch rest := b[i:]; rest[0] {
		case 'p':
			if rest[1] == 'a' && len(rest) >= len("password") && string(rest[:len("password")]) == "password" {
				return true
			}
		case 's':
			if rest[1] == 'e' && string(rest[:len("secret")]) == "secret" ||
				rest[1] == 'i' && len(rest) >= len("signature") && string(rest[:len("signature")]) == "signature" {
				return true
			}
		}
	}
	return false
}

// knownKeys holds secretKey's answers for the JSON keys bodies have used:
// an API's bodies use a few dozen keys over and over, and looking one up
// costs a fraction of working it out. A key's slot is taken by the first key
// to hash to it and kept for good: a key that finds it taken is worked out
// each time, so nothing is thrown out and at most len(knownKeys) answers are
// ever made.
var knownKeys [4096]atomic.Pointer[keyAnswer]

type keyAnswer struct {
	key    string
	secret bool
}

// secretJSONKey is secretKey of a key the JSON masker reads, through
// knownKeys.
func secretJSONKey(k []byte) bool {
	if len(k) > 64 {
		return secretKey(k)
	}
	// FNV-1a: a hash cheap enough for keys of a few bytes.
	h := uint32(2166136261)
	for _, c := range k {
		h = (h ^ uint32(c)) * 16777619
	}
	slot := &knownKeys[h%uint32(len(knownKeys))]
	a := slot.Load()
	if a != nil && a.key == string(k) {
		return a.secret
	}
	secret := secretKey(k)
	if a == nil {
		slot.CompareAndSwap(nil, &keyAnswer{key: string(k), secret: secret})
	}
	return secret
}

// keyFold lower-cases a key's byte for secretKey; keyKeep is 0 for the
// separators it drops (_, -, .) and 1 for the rest.
var keyFold, keyKeep = func() (fold, keep [256]byte) {
	for c := range 256 {
		fold[c], keep[c] = byte(c), 1
		if 'A' <= c && c <= 'Z' {
			fold[c] = byte(c) + 'a' - 'A'
		}
	}
	keep['_'], keep['-'], keep['.'] = 0, 0, 0
	return fold, keep
}()

// emailRE is what isEmail matches; it is kept for the tests, which hold
// the hand-written matcher to it.
var emailRE = regexp.MustCompile(`^[^@\s"<>]+@[^@\s"<>]+\.[A-Za-z]{2,}$`)

// isEmail and isEmailBytes look for the "@" first: most values have none,
// and IndexByte rules them out many bytes at a time, where emailShape goes
// byte by byte (a masked create answer is mostly long base64 values and
// URLs, none of them addresses).
func isEmail(s string) bool { return strings.IndexByte(s, '@') > 0 && emailShape(s) }

func isEmailBytes(b []byte) bool { return bytes.IndexByte(b, '@') > 0 && emailShape(b) }

// emailShape reports whether s is at most 320 bytes matching emailRE,
// without running a regular expression over every value journaled: one
// "@" with something before it, no space or `"<>` anywhere, and a domain
// that ends in a dot, two letters or more, with something before the dot.
func emailShape[T text](s T) bool {
	if len(s) > 320 {
		return false
	}
	at := -1
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '@':
			if at >= 0 {
				return false
			}
			at = i
		case ' ', '\t', '\n', '\f', '\r', '"', '<', '>':
			return false
		}
	}
	if at <= 0 {
		return false
	}
	// The letters at the end, then the dot before them.
	end := len(s)
	i := end
	for i > at+1 && ('a' <= s[i-1] && s[i-1] <= 'z' || 'A' <= s[i-1] && s[i-1] <= 'Z') {
		i--
	}
	return end-i >= 2 && i-1 > at+1 && s[i-1] == '.'
}

// maskEmail keeps the first character and the domain: j***@example.com.
func maskEmail(s string) string {
	local, domain, _ := strings.Cut(s, "@")
	r, _ := utf8.DecodeRuneInString(local)
	return string(r) + "***@" + domain
}

var emailInTextRE = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}`)

// maskEmails shortens every e-mail address in a text (an HTML page, say).
func maskEmails(s string) string {
	if !strings.Contains(s, "@") {
		return s
	}
	return emailInTextRE.ReplaceAllStringFunc(s, maskEmail)
}

func maskString(key string, secret bool, v string) string {
	switch {
	case secret || secretKey(key):
		return masked
	case isEmail(v):
		return maskEmail(v)
	}
	return v
}

// MaskQuery masks the values of secret parameters and e-mail addresses in a
// raw query string, keeping its order.
func MaskQuery(raw string) string {
	if raw == "" {
		return ""
	}
	return cut(maskForm(raw), MaxHeaderValue*2)
}

func maskForm(raw string) string {
	pairs := strings.Split(raw, "&")
	for i, p := range pairs {
		k, v, has := strings.Cut(p, "=")
		if !has {
			continue
		}
		dk, err1 := url.QueryUnescape(k)
		dv, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			continue
		}
		if m := maskString(dk, false, dv); m != dv {
			pairs[i] = k + "=" + url.QueryEscape(m)
		}
	}
	return strings.Join(pairs, "&")
}

// CaptureBody describes a body of size bytes for the journal, of which b
// holds the first (all of them, usually). It also returns the ids the body
// names (values of "id" and "…Id" keys of a JSON body), for linking the
// request to the session it touched; they may share b's bytes, so they are
// to be read before b is reused, and made strings only when kept.
func CaptureBody(contentType string, b []byte, size int64) (*Body, [][]byte) {
	if size <= 0 {
		return nil, nil
	}
	out := new(Body)
	_, refs := out.capture(contentType, b, size, nil, nil)
	return out, refs
}

// capture is CaptureBody into out, with buf as the storage a masked JSON
// body is written to (grown when short) and refs (empty, of capacity
// MaxRefs or nil) for the ids found. It returns the storage, out.JSON's
// when that is set, for a later capture to reuse once out is dropped.
func (out *Body) capture(contentType string, b []byte, size int64, buf []byte, refs [][]byte) ([]byte, [][]byte) {
	partial := size > int64(len(b))
	*out = Body{ContentType: cut(contentType, MaxHeaderValue), Size: int(size), Partial: partial}
	mt, params := mediaType(contentType)
	switch {
	case mt == "application/json" || strings.HasSuffix(mt, "+json") || (mt == "" && json.Valid(b)):
		m := jsonMasker{in: b, limit: MaxBodyText, refs: refs}
		m.out = *bytes.NewBuffer(buf[:0])
		m.out.Grow(min(len(b), MaxBodyText))
		err := m.document()
		refs, buf = m.refs, m.out.Bytes()
		switch {
		case err == nil:
			out.JSON = buf
		case m.full:
			out.Text, out.Truncated = m.out.String(), true
		default:
			out.Omitted = "not valid JSON"
		}
	case mt == "application/x-www-form-urlencoded":
		out.Text = cut(maskForm(string(b)), MaxBodyText)
		out.Truncated = partial || len(out.Text) < len(b)
	case strings.HasPrefix(mt, "multipart/"):
		out.Parts = parts(b, params["boundary"], partial)
	case textual(mt) && utf8Prefix(b[:min(len(b), MaxBodyText)]):
		out.Text = maskEmails(cut(string(b), MaxBodyText))
		out.Truncated = partial || len(b) > MaxBodyText
	default:
		out.Omitted = "binary"
	}
	return buf, refs
}

// mediaType is mime.ParseMediaType's media type and parameters ("" on an
// error), without its parameter map for the usual type without any
// (application/json).
func mediaType(v string) (string, map[string]string) {
	if !strings.Contains(v, ";") {
		mt := strings.TrimSpace(strings.ToLower(v))
		typ, rest, _ := strings.Cut(mt, "/")
		if isToken(typ) && (!strings.Contains(mt, "/") || isToken(rest)) {
			return mt, nil
		}
		return "", nil
	}
	mt, params, err := mime.ParseMediaType(v)
	if err != nil && mt == "" {
		return "", nil
	}
	return mt, params
}

// isToken reports whether s is a non-empty RFC 2045 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?=`, c) >= 0 {
			return false
		}
	}
	return true
}

// utf8Prefix reports whether b is valid UTF-8 but for a rune cut at its end.
func utf8Prefix(b []byte) bool {
	for i := 0; i < utf8.UTFMax && len(b) > 0; i++ {
		if utf8.Valid(b) {
			return true
		}
		b = b[:len(b)-1]
	}
	return utf8.Valid(b)
}

func textual(mt string) bool {
	return strings.HasPrefix(mt, "text/") || mt == "application/xml" || mt == "application/yaml" ||
		mt == "application/x-yaml" || strings.HasSuffix(mt, "+xml")
}

// parts lists a multipart body's parts: files by name, type and size,
// small text fields with their masked values.
func parts(b []byte, boundary string, partial bool) []Part {
	if boundary == "" {
		return nil
	}
	mr := multipart.NewReader(bytes.NewReader(b), boundary)
	var out []Part
	for len(out) < maxParts {
		p, err := mr.NextPart()
		if err != nil {
			break
		}
		pt := Part{Name: cut(p.FormName(), 128), Filename: cut(p.FileName(), 128), ContentType: cut(p.Header.Get("Content-Type"), 128)}
		var buf bytes.Buffer
		n, err := io.Copy(&buf, io.LimitReader(p, 1<<30))
		pt.Size = int(n)
		pt.Truncated = err != nil && partial
		if pt.Filename == "" && (pt.ContentType == "" || textual(pt.ContentType)) && n <= 1024 && utf8.Valid(buf.Bytes()) {
			pt.Value = maskString(pt.Name, false, buf.String())
		}
		out = append(out, pt)
		if err != nil {
			break
		}
	}
	return out
}

// Capture keeps the first limit bytes read through it and counts the
// rest, for bodies a handler reads itself.
type Capture struct {
	R     io.ReadCloser
	limit int
	Buf   bytes.Buffer
	N     int64
}

// NewCapture wraps a body, keeping at most limit bytes of it.
func NewCapture(r io.ReadCloser, limit int) *Capture { return &Capture{R: r, limit: limit} }

func (c *Capture) Read(p []byte) (int, error) {
	n, err := c.R.Read(p)
	if room := c.limit - c.Buf.Len(); room > 0 {
		c.Buf.Write(p[:min(n, room)])
	}
	c.N += int64(n)
	return n, err
}

// Close closes the wrapped body.
func (c *Capture) Close() error { return c.R.Close() }

// Partial reports whether more was read than kept.
func (c *Capture) Partial() bool { return c.N > int64(c.Buf.Len()) }
