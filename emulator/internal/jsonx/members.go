package jsonx

import (
	"strings"
	"unicode/utf8"
)

// Kind is the kind of a Scalar.
type Kind uint8

// The kinds of scalars Members hands out.
const (
	String Kind = iota + 1
	Number
	True
	False
	Null
)

// Scalar is one member's value as Members found it. Text is a String's
// value (the bytes between its quotes, which hold no escape) or a Number's
// literal, and empty for the other kinds; it shares the document's bytes.
type Scalar struct {
	Kind Kind
	Text []byte
}

// Members calls f with the key and value of each member of the JSON object
// doc, in order, and reports whether doc was such an object through and
// through and f accepted every member.
//
// It reads flat objects only, and only where encoding/json's decoding is
// plain to see: keys and string values without escapes (their text is then
// their value, byte for byte), values that are strings, numbers, true,
// false or null. Anything else (a nested object or array, an escape,
// invalid UTF-8, a syntax error, trailing bytes) makes it report false, and
// the caller is expected to ask encoding/json instead, whose errors are the
// reference. f may also stop the walk by returning false. Keys and texts
// share doc's bytes; they are not to be kept or changed.
func Members(doc []byte, f func(key []byte, v Scalar) bool) bool {
	p := parser{s: doc}
	p.space()
	if !p.byte('{') {
		return false
	}
	p.space()
	if p.byte('}') {
		p.space()
		return p.i == len(p.s)
	}
	for {
		p.space()
		key, ok := p.str()
		if !ok {
			return false
		}
		p.space()
		if !p.byte(':') {
			return false
		}
		p.space()
		v, ok := p.scalar()
		if !ok || !f(key, v) {
			return false
		}
		p.space()
		if p.byte('}') {
			break
		}
		if !p.byte(',') {
			return false
		}
	}
	p.space()
	return p.i == len(p.s)
}

// parser reads a document from s[i:].
type parser struct {
	s []byte
	i int
}

func (p *parser) space() { p.i = SkipSpace(p.s, p.i) }

// SkipSpace returns the index of the first byte of b at or after i that
// is not JSON whitespace (len(b) when there is none).
func SkipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// byte moves past c when it comes next.
func (p *parser) byte(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// str reads a string without escapes or control characters, in valid
// UTF-8, and returns what is between its quotes.
func (p *parser) str() ([]byte, bool) {
	if !p.byte('"') {
		return nil, false
	}
	start := p.i
	// An ASCII string is passed over eight bytes at a time, up to its
	// closing quote.
	p.i += plainPrefix(p.s[p.i:], false)
	ascii := true
	for ; p.i < len(p.s); p.i++ {
		switch c := p.s[p.i]; {
		case c == '"':
			v := p.s[start:p.i]
			p.i++
			return v, ascii || utf8.Valid(v)
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, false
}

func (p *parser) scalar() (Scalar, bool) {
	if p.i >= len(p.s) {
		return Scalar{}, false
	}
	switch p.s[p.i] {
	case '"':
		v, ok := p.str()
		return Scalar{Kind: String, Text: v}, ok
	case 't':
		return Scalar{Kind: True}, p.word("true")
	case 'f':
		return Scalar{Kind: False}, p.word("false")
	case 'n':
		return Scalar{Kind: Null}, p.word("null")
	}
	start := p.i
	if !p.number() {
		return Scalar{}, false
	}
	return Scalar{Kind: Number, Text: p.s[start:p.i]}, true
}

// word moves past w when it comes next.
func (p *parser) word(w string) bool {
	if len(p.s)-p.i >= len(w) && string(p.s[p.i:p.i+len(w)]) == w {
		p.i += len(w)
		return true
	}
	return false
}

// number moves past a number as JSON writes one:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *parser) number() bool {
	p.byte('-')
	switch {
	case p.byte('0'):
	case p.i < len(p.s) && '1' <= p.s[p.i] && p.s[p.i] <= '9':
		p.digits()
	default:
		return false
	}
	if p.byte('.') && !p.digits() {
		return false
	}
	if p.byte('e') || p.byte('E') {
		if !p.byte('+') {
			p.byte('-')
		}
		if !p.digits() {
			return false
		}
	}
	return true
}

// digits moves past one digit or more, and reports whether there was one.
func (p *parser) digits() bool {
	start := p.i
	for p.i < len(p.s) && '0' <= p.s[p.i] && p.s[p.i] <= '9' {
		p.i++
	}
	return p.i > start
}

// Strings sets each dst[i] to string(src[i]), from one allocation for them
// all: a body's fields kept together cost the collector one object, not
// one each.
func Strings(dst []string, src [][]byte) {
	n := 0
	for _, b := range src {
		n += len(b)
	}
	var sb strings.Builder
	sb.Grow(n)
	for _, b := range src {
		sb.Write(b)
	}
	all := sb.String()
	at := 0
	for i, b := range src {
		dst[i] = all[at : at+len(b)]
		at += len(b)
	}
}
