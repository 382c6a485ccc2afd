package hosted

import (
	"unicode"
	"unicode/utf8"
)

// IsPersonName reports whether s is a name a hosted page accepts: a letter,
// then letters, spaces, apostrophes, dots and hyphens, minRunes to maxRunes
// characters in all. It is what the regular expression
// ^[\p{L}][\p{L}' .-]{minRunes-1,maxRunes-1}$ says, written out by hand:
// compiling that expression costs milliseconds and megabytes at start-up
// (the Unicode letter class, copied for every counted repetition), and a
// page needs it only when someone submits a form.
func IsPersonName(s string, minRunes, maxRunes int) bool {
	n := 0
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return false // invalid UTF-8: the expression matches none
			}
		}
		n++
		if n > maxRunes {
			return false
		}
		if unicode.IsLetter(r) {
			continue
		}
		if n == 1 {
			return false
		}
		switch r {
		case '\'', ' ', '.', '-':
		default:
			return false
		}
	}
	return n >= minRunes
}
