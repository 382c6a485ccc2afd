package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/kycemu/kycemu/emulator/internal/jsonx"
)

// jsonMasker re-writes a JSON document token by token, keeping its key
// order and spacing out, masking the values of secret keys and e-mail
// addresses, collecting the ids it names, and stopping once limit bytes are
// written.
//
// Tokens kept as they are are not copied one by one: the output is out
// followed by the span in[from:to] of input still to copy, which grows
// while kept tokens follow each other (a compact document is one span
// until its first masked value).
type jsonMasker struct {
	in       []byte
	pos      int
	out      bytes.Buffer
	from, to int
	limit    int
	// spanEnd is how far in the input the span may run before the output
	// passes limit (limit - out.Len() + from), set by settle wherever out
	// or from changes; before the first settle it is 0, which only sends
	// the first token the slow way.
	spanEnd int
	full    bool
	refs    [][]byte
	depth   int
}

var (
	errFull    = errors.New("journal body limit reached")
	errBadJSON = errors.New("not valid JSON")
)

// maxDepth bounds the nesting the masker follows.
const maxDepth = 64

func (m *jsonMasker) document() error {
	if err := m.value(nil, false); err != nil {
		return err
	}
	m.space()
	if m.pos != len(m.in) {
		return errBadJSON
	}
	m.flush()
	return nil
}

// written is the length of the output so far, pending span included.
func (m *jsonMasker) written() int { return m.out.Len() + m.to - m.from }

// flush copies the pending span to out.
func (m *jsonMasker) flush() {
	m.out.Write(m.in[m.from:m.to])
	m.from, m.to = m.pos, m.pos
	m.settle()
}

func (m *jsonMasker) settle() { m.spanEnd = m.limit - m.out.Len() + m.from }

// keep outputs the token just read, in[start:m.pos], as it is. Most
// tokens follow the pending span and fit: that case is small enough to be
// inlined where keep is called, the rest is keepSlow.
func (m *jsonMasker) keep(start int) error {
	if start == m.to && m.pos <= m.spanEnd {
		m.to = m.pos
		return nil
	}
	return m.keepSlow(start)
}

func (m *jsonMasker) keepSlow(start int) error {
	if m.written()+m.pos-start > m.limit {
		m.flush()
		m.full = true
		return errFull
	}
	if start != m.to {
		// Something (spacing, a masked value) lies between the span and
		// this token.
		m.out.Write(m.in[m.from:m.to])
		m.from = start
	}
	m.to = m.pos
	m.settle()
	return nil
}

// emit outputs b in place of the token just read.
func (m *jsonMasker) emit(b []byte) error {
	full := m.written()+len(b) > m.limit
	m.flush()
	if full {
		m.full = true
		return errFull
	}
	m.out.Write(b)
	m.settle()
	return nil
}

func (m *jsonMasker) space() {
	for m.pos < len(m.in) {
		// Above the space nothing is spacing: one comparison rules out
		// almost every byte asked about.
		switch c := m.in[m.pos]; {
		case c > ' ':
			return
		case c == ' ', c == '\t', c == '\n', c == '\r':
			m.pos++
		default:
			return
		}
	}
}

func (m *jsonMasker) peek() byte {
	m.space()
	if m.pos >= len(m.in) {
		return 0
	}
	return m.in[m.pos]
}

func (m *jsonMasker) expect(c byte) error {
	if m.peek() != c {
		return errBadJSON
	}
	m.pos++
	return nil
}

// str reads a string token: its raw bytes (quotes included) and its value.
// The value is the raw bytes between the quotes, unless the string has
// escapes: only then is it decoded into bytes of its own.
func (m *jsonMasker) str() (raw, val []byte, err error) {
	if m.peek() != '"' {
		return nil, nil, errBadJSON
	}
	start := m.pos
	// Most strings have no escapes: the closing quote then comes before
	// any backslash.
	if end := jsonx.QuoteOrBackslash(m.in[start+1:]); end >= 0 && m.in[start+1+end] == '"' {
		m.pos = start + 1 + end + 1
		raw = m.in[start:m.pos]
		return raw, raw[1 : len(raw)-1], nil
	}
	escaped := false
	for i := start + 1; i < len(m.in); i++ {
		switch m.in[i] {
		case '\\':
			escaped = true
			i++
		case '"':
			m.pos = i + 1
			raw = m.in[start:m.pos]
			if !escaped {
				return raw, raw[1 : len(raw)-1], nil
			}
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return nil, nil, errBadJSON
			}
			return raw, []byte(s), nil
		}
	}
	return nil, nil, errBadJSON
}

// quoted outputs s as a JSON string, as json.Marshal writes it.
func (m *jsonMasker) quoted(s []byte) error {
	var buf [160]byte
	return m.emit(appendQuoted(buf[:0], s))
}

// maskedJSON is masked as a JSON string, in place of a secret value.
var maskedJSON = []byte(`"` + masked + `"`)

// appendMaskedEmail appends maskEmail(string(s)) to b, which spares the
// masker two strings for every address in a body.
func appendMaskedEmail(b, s []byte) []byte {
	local, domain, _ := bytes.Cut(s, []byte("@"))
	r, _ := utf8.DecodeRune(local)
	b = utf8.AppendRune(b, r)
	b = append(b, "***@"...)
	return append(b, domain...)
}

// appendQuoted appends s to b as json.Marshal quotes it. A string of
// printable ASCII with nothing Marshal escapes (quote, backslash, and the
// <, >, & it escapes for HTML) is quoted as it is; anything else is left
// to Marshal, whose escaping of control characters, invalid UTF-8 and
// U+2028/U+2029 is not worth repeating here.
func appendQuoted[T text](b []byte, s T) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(string(s))
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// value copies one value, found under key; secret says whether key, or
// the key of an enclosing object, holds a secret (secretKey).
func (m *jsonMasker) value(key []byte, secret bool) error {
	switch m.peek() {
	case '{':
		return m.object(secret)
	case '[':
		return m.array(key, secret)
	case '"':
		raw, val, err := m.str()
		if err != nil {
			return err
		}
		if !secret && refKey(key) && len(m.refs) < MaxRefs && len(val) > 0 && len(val) <= 128 {
			if m.refs == nil {
				m.refs = make([][]byte, 0, MaxRefs)
			}
			m.refs = append(m.refs, val)
		}
		// As maskString, without making strings of what is kept as it is;
		// secret already says whether key is a secret one (object).
		if secret {
			if string(val) != masked {
				return m.emit(maskedJSON)
			}
		} else if isEmailBytes(val) {
			var buf [128]byte
			if mv := appendMaskedEmail(buf[:0], val); !bytes.Equal(mv, val) {
				return m.quoted(mv)
			}
		}
		return m.keep(m.pos - len(raw))
	}
	start := m.pos
	for m.pos < len(m.in) && strings.IndexByte(",]} \t\n\r", m.in[m.pos]) < 0 {
		m.pos++
	}
	lit := m.in[start:m.pos]
	switch {
	case len(lit) == 0:
		return errBadJSON
	case string(lit) == "true" || string(lit) == "false" || string(lit) == "null":
		return m.keep(start)
	case !json.Valid(lit):
		return errBadJSON
	case secret:
		return m.emit(maskedJSON)
	}
	return m.keep(start)
}

func (m *jsonMasker) object(secret bool) error {
	if m.depth++; m.depth > maxDepth {
		return errBadJSON
	}
	defer func() { m.depth-- }()
	m.pos++
	if err := m.keep(m.pos - 1); err != nil {
		return err
	}
	for first := true; ; first = false {
		if m.peek() == '}' {
			m.pos++
			return m.keep(m.pos - 1)
		}
		if !first {
			if err := m.expect(','); err != nil {
				return err
			}
			if err := m.keep(m.pos - 1); err != nil {
				return err
			}
		}
		raw, k, err := m.str()
		if err != nil {
			return err
		}
		if err := m.keep(m.pos - len(raw)); err != nil {
			return err
		}
		if err := m.expect(':'); err != nil {
			return err
		}
		if err := m.keep(m.pos - 1); err != nil {
			return err
		}
		if err := m.value(k, secret || secretJSONKey(k)); err != nil {
			return err
		}
	}
}

func (m *jsonMasker) array(key []byte, secret bool) error {
	if m.depth++; m.depth > maxDepth {
		return errBadJSON
	}
	defer func() { m.depth-- }()
	m.pos++
	if err := m.keep(m.pos - 1); err != nil {
		return err
	}
	for first := true; ; first = false {
		if m.peek() == ']' {
			m.pos++
			return m.keep(m.pos - 1)
		}
		if !first {
			if err := m.expect(','); err != nil {
				return err
			}
			if err := m.keep(m.pos - 1); err != nil {
				return err
			}
		}
		if err := m.value(key, secret); err != nil {
			return err
		}
	}
}

// refKey reports whether a key's string value may name a session.
func refKey(k []byte) bool {
	return string(k) == "id" || string(k) == "uuid" || bytes.HasSuffix(k, []byte("Id")) || bytes.HasSuffix(k, []byte("_id"))
}
