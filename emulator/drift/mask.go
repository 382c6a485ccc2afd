package drift

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strings"
	"unicode"
)

// Masker replaces secrets with placeholders in everything the package
// writes: API keys, bearer tokens, passwords, signatures, e-mail addresses
// and document images. A placeholder is derived from the secret under a key
// that is never written, so the same secret gets the same placeholder
// within one Masker's life (a replay can follow a token from the answer
// that issued it to the requests that use it) and cannot be turned back.
type Masker struct {
	key []byte
}

// NewMasker returns a masker keyed with key, or with a random key when key
// is empty.
func NewMasker(key []byte) *Masker {
	if len(key) == 0 {
		key = make([]byte, 32)
		_, _ = rand.Read(key)
	}
	return &Masker{key: key}
}

// maskPrefix starts every placeholder of a secret.
const maskPrefix = "[masked:"

var (
	emailRE = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}`)
	jwtRE   = regexp.MustCompile(`eyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*`)
	blobRE  = regexp.MustCompile(`^[A-Za-z0-9+/_\-\r\n]+=*$`)
)

// blobMin is the length from which a base64-looking string is taken for
// file content (a document image sent inline).
const blobMin = 200

// mask is the placeholder of one secret.
func (m *Masker) mask(s string) string {
	return maskPrefix + m.sum(s) + "]"
}

// email is the placeholder of one e-mail address; it is still an address,
// so formats and flows that key on it (B2Core's tenant) keep working.
func (m *Masker) email(addr string) string {
	return "masked-" + m.sum(strings.ToLower(addr)) + "@example.invalid"
}

func (m *Masker) sum(s string) string {
	h := hmac.New(sha256.New, m.key)
	h.Write([]byte(s))
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// secretName reports whether a field, header or parameter of this name
// holds a secret.
func secretName(name string) bool {
	n := strings.Map(func(r rune) rune {
		switch r {
		case '-', '_', ' ':
			return -1
		}
		return unicode.ToLower(r)
	}, name)
	for _, s := range []string{"password", "passwd", "secret", "token", "signature", "credential",
		"apikey", "authorization", "cookie", "policy", "privatekey", "accesskey"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

// String masks what a free string may hold: e-mail addresses and JWTs
// anywhere in it, and the whole string when it is inline file content
// (long base64, or a data: URI).
func (m *Masker) String(s string) string {
	if s == "" || strings.HasPrefix(s, maskPrefix) {
		return s
	}
	if (len(s) >= blobMin && blobRE.MatchString(s)) || (strings.HasPrefix(s, "data:") && strings.Contains(s, ";base64,")) {
		return m.mask(s)
	}
	if (strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")) && !strings.ContainsAny(s, " \t\n") {
		return m.URL(s)
	}
	return m.text(s)
}

// text masks e-mail addresses and JWTs in s.
func (m *Masker) text(s string) string {
	s = jwtRE.ReplaceAllStringFunc(s, m.mask)
	return emailRE.ReplaceAllStringFunc(s, m.email)
}

// Field masks the value of a named field: all of it when the name says it
// is a secret, else as a free string.
func (m *Masker) Field(name, value string) string {
	if value != "" && secretName(name) && !strings.HasPrefix(value, maskPrefix) {
		return m.mask(value)
	}
	return m.String(value)
}

// Header returns a masked copy of h. The scheme of an Authorization header
// stays readable ("Bearer [masked:…]").
func (m *Masker) Header(h http.Header) http.Header {
	out := make(http.Header, len(h))
	for k, vs := range h {
		mv := make([]string, len(vs))
		for i, v := range vs {
			ck := http.CanonicalHeaderKey(k)
			if scheme, cred, ok := strings.Cut(v, " "); ok && (ck == "Authorization" || ck == "Proxy-Authorization") {
				mv[i] = scheme + " " + m.Field(k, cred)
			} else {
				mv[i] = m.Field(k, v)
			}
		}
		out[k] = mv
	}
	return out
}

// Query masks a raw query string, keeping its order.
func (m *Masker) Query(raw string) string {
	if raw == "" {
		return ""
	}
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		k, v, _ := strings.Cut(p, "=")
		dk, err1 := url.QueryUnescape(k)
		dv, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			parts[i] = m.String(p)
			continue
		}
		parts[i] = url.QueryEscape(m.String(dk))
		if strings.Contains(p, "=") {
			parts[i] += "=" + url.QueryEscape(m.Field(dk, dv))
		}
	}
	return strings.Join(parts, "&")
}

// Path masks e-mail addresses in a URL path.
func (m *Masker) Path(p string) string { return m.text(p) }

// URL masks the query (a presigned URL's signature) and the path of an
// absolute URL.
func (m *Masker) URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return m.text(raw)
	}
	u.User = nil
	u.RawQuery = m.Query(u.RawQuery)
	u.Path = m.Path(u.Path)
	u.RawPath = m.Path(u.RawPath)
	return u.String()
}

// Value masks a JSON-decoded value: the strings and numbers of
// secret-named fields entirely (a number becomes 0), every other string as
// a free string, keys too. Types stay as they were.
func (m *Masker) Value(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, val := range x {
			if s, ok := val.(string); ok {
				out[m.String(k)] = m.Field(k, s)
			} else if _, isNumber := val.(float64); isNumber && secretName(k) {
				// A numeric secret (a one-time code) stays a number.
				out[m.String(k)] = 0.0
			} else {
				out[m.String(k)] = m.Value(val)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = m.Value(val)
		}
		return out
	case string:
		return m.String(x)
	}
	return v
}

// Body describes and masks a message body for the record. limit caps the
// bytes of a kept JSON or text body; a bigger one is described only.
func (m *Masker) Body(contentType string, b []byte, limit int) *Body {
	if len(b) == 0 {
		return nil
	}
	out := &Body{ContentType: contentType, Size: len(b)}
	mt, params, _ := mime.ParseMediaType(contentType)
	switch {
	case mt == "multipart/form-data":
		parts, err := m.parts(b, params["boundary"], limit)
		if err != nil {
			out.Omitted = "multipart body that could not be parsed"
			return out
		}
		out.Parts = parts
		return out
	case len(b) > limit:
		out.Omitted = fmt.Sprintf("larger than %d bytes", limit)
		return out
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		var v any
		if err := json.Unmarshal(b, &v); err == nil {
			out.JSON, _ = json.Marshal(m.Value(v))
			return out
		}
		out.Omitted = "invalid JSON"
		return out
	case mt == "application/x-www-form-urlencoded":
		out.Text = m.Query(string(b))
		return out
	case strings.HasPrefix(mt, "text/") || mt == "application/xml":
		out.Text = m.String(string(b))
		return out
	}
	out.Omitted = "binary content"
	return out
}

// parts describes a multipart body: text fields masked, files described.
func (m *Masker) parts(b []byte, boundary string, limit int) ([]Part, error) {
	if boundary == "" {
		return nil, fmt.Errorf("read multipart body: no boundary")
	}
	r := multipart.NewReader(bytes.NewReader(b), boundary)
	var out []Part
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read multipart body: %w", err)
		}
		data, err := io.ReadAll(p)
		if err != nil {
			return nil, fmt.Errorf("read multipart part: %w", err)
		}
		part := Part{Name: m.String(p.FormName()), ContentType: p.Header.Get("Content-Type"), Size: len(data)}
		if fn := p.FileName(); fn != "" || (part.ContentType != "" && !strings.HasPrefix(part.ContentType, "text/")) {
			// A file name can carry a person's name: keep its extension only.
			part.FileName = "file" + path.Ext(fn)
		} else if len(data) <= limit {
			part.Value = m.Field(p.FormName(), string(data))
		}
		out = append(out, part)
	}
}
