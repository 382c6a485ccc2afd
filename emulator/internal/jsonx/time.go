package jsonx

import "time"

// MillisLayout is the time layout of the hot answers' timestamps: UTC, to
// the millisecond, e.g. 2026-05-04T10:00:00.000Z.
const MillisLayout = "2006-01-02T15:04:05.000Z"

// AppendMillis appends t in UTC as MillisLayout writes it, digit by digit
// rather than through a layout parsed on every call: a created session
// writes three such times.
func AppendMillis(b []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		// Not four digits: as AppendFormat writes them.
		return t.AppendFormat(b, MillisLayout)
	}
	hour, minute, sec := t.Clock()
	b = appendDigits(b, year, 4)
	b = append(b, '-')
	b = appendDigits(b, int(month), 2)
	b = append(b, '-')
	b = appendDigits(b, day, 2)
	b = append(b, 'T')
	b = appendDigits(b, hour, 2)
	b = append(b, ':')
	b = appendDigits(b, minute, 2)
	b = append(b, ':')
	b = appendDigits(b, sec, 2)
	b = append(b, '.')
	b = appendDigits(b, t.Nanosecond()/int(time.Millisecond), 3)
	return append(b, 'Z')
}

// appendDigits appends the n lowest decimal digits of v (v >= 0), zero
// padded.
func appendDigits(b []byte, v, n int) []byte {
	var d [4]byte
	for i := n - 1; i >= 0; i-- {
		d[i] = byte('0' + v%10)
		v /= 10
	}
	return append(b, d[:n]...)
}
