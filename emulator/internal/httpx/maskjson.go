package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
)

// jsonMasker re-writes a JSON document byte by byte, keeping its key order
// and spacing out, masking the values of secret keys and e-mail addresses,
// collecting the ids it names, and stopping once limit bytes are written.
type jsonMasker struct {
	in    []byte
	pos   int
	out   bytes.Buffer
	limit int
	full  bool
	refs  []string
	depth int
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
	return nil
}

func (m *jsonMasker) write(b []byte) error {
	if m.out.Len()+len(b) > m.limit {
		m.full = true
		return errFull
	}
	m.out.Write(b)
	return nil
}

func (m *jsonMasker) space() {
	for m.pos < len(m.in) {
		switch m.in[m.pos] {
		case ' ', '\t', '\n', '\r':
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

func (m *jsonMasker) quoted(s string) error {
	b, _ := json.Marshal(s)
	return m.write(b)
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
		if !secret && refKey(key) && len(m.refs) < maxRefs && len(val) > 0 && len(val) <= 128 {
			m.refs = append(m.refs, string(val))
		}
		// As maskString, without making strings of what is kept as it is;
		// secret already says whether key is a secret one (object).
		if secret {
			if string(val) != masked {
				return m.quoted(masked)
			}
		} else if isEmailBytes(val) {
			if mv := maskEmail(string(val)); mv != string(val) {
				return m.quoted(mv)
			}
		}
		return m.write(raw)
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
		return m.write(lit)
	case !json.Valid(lit):
		return errBadJSON
	case secret:
		return m.quoted(masked)
	}
	return m.write(lit)
}

func (m *jsonMasker) object(secret bool) error {
	if m.depth++; m.depth > maxDepth {
		return errBadJSON
	}
	defer func() { m.depth-- }()
	m.pos++
	if err := m.write([]byte{'{'}); err != nil {
		return err
	}
	for first := true; ; first = false {
		if m.peek() == '}' {
			m.pos++
			return m.write([]byte{'}'})
		}
		if !first {
			if err := m.expect(','); err != nil {
				return err
			}
			if err := m.write([]byte{','}); err != nil {
				return err
			}
		}
		raw, k, err := m.str()
		if err != nil {
			return err
		}
		if err := m.write(raw); err != nil {
			return err
		}
		if err := m.expect(':'); err != nil {
			return err
		}
		if err := m.write([]byte{':'}); err != nil {
			return err
		}
		if err := m.value(k, secret || secretKey(k)); err != nil {
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
	if err := m.write([]byte{'['}); err != nil {
		return err
	}
	for first := true; ; first = false {
		if m.peek() == ']' {
			m.pos++
			return m.write([]byte{']'})
		}
		if !first {
			if err := m.expect(','); err != nil {
				return err
			}
			if err := m.write([]byte{','}); err != nil {
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
