// Package jsonx appends JSON by hand for the few hot answers whose bytes
// are written without encoding/json's reflection, byte for byte as
// encoding/json would write them, and reads the flat objects of the hottest
// requests (Members) where encoding/json's answer is plain to see.
package jsonx

import (
	"math/bits"
	"unicode/utf8"
)

// AppendString appends s as a JSON string the way encoding/json
// writes one: U+2028 and U+2029 escaped, invalid UTF-8 replaced by U+FFFD,
// and with html <, > and & as \u escapes (json.Marshal's default; a
// MarshalJSON leaves that to the encoder, which escapes them or not).
func AppendString(b []byte, s string, html bool) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		// Most strings written (ids, names, base64 policies, signatures) are
		// plain through and through; plainPrefix passes over them eight
		// bytes at a time.
		if i += plainPrefix(s[i:], html); i == len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// plainPrefix returns the length of the longest prefix of s that is
// written as it is: ASCII from the space up, without " or \\ and, with
// html, without <, > or &.
//
// It reads eight bytes at a time as one word and asks, with the
// carry-free byte tests of "Bit Twiddling Hacks" (hasZero, hasLess), whether
// any of them is one to stop at; only the word that has one, and the last
// few bytes, are looked at byte by byte.
func plainPrefix[T string | []byte](s T, html bool) int {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		t := s[i : i+8]
		w := uint64(t[0]) | uint64(t[1])<<8 | uint64(t[2])<<16 | uint64(t[3])<<24 |
			uint64(t[4])<<32 | uint64(t[5])<<40 | uint64(t[6])<<48 | uint64(t[7])<<56
		stop := w&highBits | hasLess(w, 0x20) | hasByte(w, '"') | hasByte(w, '\\')
		if html {
			stop |= hasByte(w, '<') | hasByte(w, '>') | hasByte(w, '&')
		}
		if stop != 0 {
			break
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' || html && (c == '<' || c == '>' || c == '&') {
			break
		}
	}
	return i
}

// QuoteOrBackslash returns the index of the first " or \\ in b, or -1:
// where a JSON string whose text b is ends, or has its first escape. It
// reads eight bytes at a time, as plainPrefix does.
func QuoteOrBackslash(b []byte) int {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		t := b[i : i+8]
		w := uint64(t[0]) | uint64(t[1])<<8 | uint64(t[2])<<16 | uint64(t[3])<<24 |
			uint64(t[4])<<32 | uint64(t[5])<<40 | uint64(t[6])<<48 | uint64(t[7])<<56
		if stop := hasByte(w, '"') | hasByte(w, '\\'); stop != 0 {
			// The lowest byte flagged is the first match: a flag set in
			// error (by a borrow) is only ever above a true one.
			return i + bits.TrailingZeros64(stop)/8
		}
	}
	for ; i < len(b); i++ {
		if b[i] == '"' || b[i] == '\\' {
			return i
		}
	}
	return -1
}

const (
	lowBits  = 0x0101010101010101 // the lowest bit of each byte
	highBits = 0x8080808080808080 // the highest bit of each byte
)

// hasZero is non-zero when a byte of w is zero.
func hasZero(w uint64) uint64 { return (w - lowBits) & ^w & highBits }

// hasByte is non-zero when a byte of w is c.
func hasByte(w uint64, c byte) uint64 { return hasZero(w ^ lowBits*uint64(c)) }

// hasLess is non-zero when a byte of w is below n, for n up to 128.
func hasLess(w uint64, n byte) uint64 { return (w - lowBits*uint64(n)) & ^w & highBits }

// AppendNullable appends *s as a string, or null when s is nil.
func AppendNullable(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return AppendString(b, *s, false)
}

// AppendBool appends true or false.
func AppendBool(b []byte, v bool) []byte {
	if v {
		return append(b, "true"...)
	}
	return append(b, "false"...)
}
