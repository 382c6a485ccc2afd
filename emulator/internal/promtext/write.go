package promtext

import (
	"bytes"
	"math"
	"strconv"
	"unicode/utf8"
)

// Format is an exposition format.
type Format uint8

// The formats a registry writes.
const (
	// FormatText is Prometheus' text format, version 0.0.4.
	FormatText Format = iota
	// FormatOpenMetrics is OpenMetrics 1.0.0: a counter's family is named
	// without _total (its samples keep it), units are announced, floats
	// always look like floats, and "# EOF" ends the exposition.
	FormatOpenMetrics
)

// Append gathers the registry's series and appends them to b in format f.
func (r *Registry) Append(b []byte, f Format) ([]byte, error) {
	fams, err := r.gather().sorted()
	if err != nil {
		return b, err
	}
	om := f == FormatOpenMetrics
	for _, fam := range fams {
		b = appendFamily(b, fam, om)
	}
	if om {
		b = append(b, "# EOF\n"...)
	}
	return b, nil
}

func appendFamily(b []byte, f *family, om bool) []byte {
	d := f.desc
	name := d.familyName(om)
	if d.help != "" {
		b = append(b, "# HELP "...)
		b = append(b, name...)
		b = append(b, ' ')
		b = appendEscaped(b, d.help, om) // the text format leaves quotes in HELP alone
		b = append(b, '\n')
	}
	b = append(b, "# TYPE "...)
	b = append(b, name...)
	b = append(b, ' ')
	b = append(b, d.typ.String()...)
	b = append(b, '\n')
	if om && d.unit != "" {
		b = append(b, "# UNIT "...)
		b = append(b, name...)
		b = append(b, ' ')
		b = append(b, d.unit...)
		b = append(b, '\n')
	}
	for _, s := range f.series {
		if d.typ != TypeSummary {
			b = appendSample(b, d.name, "", d, s.values, "", 0, om)
			b = appendValue(b, s.value, om)
			continue
		}
		for _, q := range s.quantiles {
			b = appendSample(b, d.name, "", d, s.values, "quantile", q.Quantile, om)
			b = appendValue(b, q.Value, om)
		}
		b = appendSample(b, d.name, "_sum", d, s.values, "", 0, om)
		b = appendValue(b, s.value, om)
		b = appendSample(b, d.name, "_count", d, s.values, "", 0, om)
		b = strconv.AppendUint(b, s.count, 10)
		b = append(b, '\n')
	}
	return b
}

// appendSample appends a sample's name, labels and the space before its
// value.
func appendSample(b []byte, name, suffix string, d *Desc, values []string, extra string, extraValue float64, om bool) []byte {
	b = append(b, name...)
	b = append(b, suffix...)
	b = appendLabels(b, d, values, extra, extraValue, om)
	return append(b, ' ')
}

// appendLabels appends {name="value",...} in label name order, with a
// last float-valued label (a summary's quantile) when extra is set.
func appendLabels(b []byte, d *Desc, values []string, extra string, extraValue float64, om bool) []byte {
	if len(values) == 0 && extra == "" {
		return b
	}
	sep := byte('{')
	for i, v := range values {
		b = append(b, sep)
		b = append(b, d.labels[d.order[i]]...)
		b = append(b, `="`...)
		b = appendEscaped(b, v, true)
		b = append(b, '"')
		sep = ','
	}
	if extra != "" {
		b = append(b, sep)
		b = append(b, extra...)
		b = append(b, `="`...)
		b = appendFloat(b, extraValue, om)
		b = append(b, '"')
	}
	return append(b, '}')
}

func appendValue(b []byte, v float64, om bool) []byte {
	return append(appendFloat(b, v, om), '\n')
}

// appendFloat writes v as Prometheus' own encoders do: the shortest form
// that reads back as v ('g', so 1e+06 and up take an exponent), +Inf,
// -Inf and NaN; OpenMetrics adds ".0" to a value that would read as an
// integer.
func appendFloat(b []byte, v float64, om bool) []byte {
	switch {
	case math.IsNaN(v):
		return append(b, "NaN"...)
	case math.IsInf(v, 1):
		return append(b, "+Inf"...)
	case math.IsInf(v, -1):
		return append(b, "-Inf"...)
	case v == 0:
		v = 0 // -0 is written as 0
	}
	start := len(b)
	b = strconv.AppendFloat(b, v, 'g', -1, 64)
	if om && !bytes.ContainsAny(b[start:], ".e") {
		b = append(b, ".0"...)
	}
	return b
}

// appendEscaped escapes backslashes and line feeds, and double quotes
// when quote is set (label values, OpenMetrics HELP); bytes that are not
// UTF-8 become U+FFFD, as a scrape must be valid UTF-8.
func appendEscaped(b []byte, s string, quote bool) []byte {
	plain := 0 // s[plain:i] is still to be copied as it is
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				b = append(append(b, s[plain:i]...), "\uFFFD"...)
				plain = i + 1
			}
			i += n
			continue
		}
		var esc string
		switch {
		case c == '\\':
			esc = `\\`
		case c == '\n':
			esc = `\n`
		case c == '"' && quote:
			esc = `\"`
		default:
			i++
			continue
		}
		b = append(append(b, s[plain:i]...), esc...)
		i++
		plain = i
	}
	return append(b, s[plain:]...)
}
