package promtext

import (
	"math"
	"testing"
)

func TestFloatFormatting(t *testing.T) {
	for _, c := range []struct {
		v        float64
		text, om string
	}{
		{0, "0", "0.0"},
		{math.Copysign(0, -1), "0", "0.0"},
		{1, "1", "1.0"},
		{-1, "-1", "-1.0"},
		{42, "42", "42.0"},
		{999999, "999999", "999999.0"},
		{1e6, "1e+06", "1e+06"},
		{4287488, "4.287488e+06", "4.287488e+06"},
		{0.25, "0.25", "0.25"},
		{0.000201982, "0.000201982", "0.000201982"},
		{1.5e-7, "1.5e-07", "1.5e-07"},
		{math.MaxInt64, "9.223372036854776e+18", "9.223372036854776e+18"},
		{float64(math.MaxUint64), "1.8446744073709552e+19", "1.8446744073709552e+19"},
		{math.Inf(1), "+Inf", "+Inf"},
		{math.Inf(-1), "-Inf", "-Inf"},
		{math.NaN(), "NaN", "NaN"},
	} {
		if got := string(appendFloat(nil, c.v, false)); got != c.text {
			t.Errorf("text %v = %q; want %q", c.v, got, c.text)
		}
		if got := string(appendFloat(nil, c.v, true)); got != c.om {
			t.Errorf("OpenMetrics %v = %q; want %q", c.v, got, c.om)
		}
	}
}

func TestEscaping(t *testing.T) {
	for _, c := range []struct {
		in, quoted, help string
	}{
		{"plain", "plain", "plain"},
		{`a\b`, `a\\b`, `a\\b`},
		{"line\nbreak", `line\nbreak`, `line\nbreak`},
		{`say "hi"`, `say \"hi\"`, `say "hi"`},
		{`\"` + "\n", `\\\"\n`, `\\"\n`},
		{"tab\tand ünïcödé ✓", "tab\tand ünïcödé ✓", "tab\tand ünïcödé ✓"},
		{"bad \xff utf-8", "bad \uFFFD utf-8", "bad \uFFFD utf-8"},
		{"", "", ""},
	} {
		if got := string(appendEscaped(nil, c.in, true)); got != c.quoted {
			t.Errorf("label value %q = %q; want %q", c.in, got, c.quoted)
		}
		if got := string(appendEscaped(nil, c.in, false)); got != c.help {
			t.Errorf("HELP %q = %q; want %q", c.in, got, c.help)
		}
	}
}
