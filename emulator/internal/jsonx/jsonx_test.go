package jsonx

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestAppendStringIsWhatJSONWrites compares with encoding/json every byte
// alone and in company, a few runes and broken UTF-8, HTML escaping on and
// off.
func TestAppendStringIsWhatJSONWrites(t *testing.T) {
	inputs := []string{"", "plain", "é 😀 \u2028 \u2029 \ufffd", "\xff", "a\xc3", "\xed\xa0\x80", "<a href=\"x\">&amp;</a>"}
	for c := range 256 {
		inputs = append(inputs, string([]byte{byte(c)}), "x"+string([]byte{byte(c)})+"y")
	}
	inputs = append(inputs, strings.Join(inputs, ""))
	for _, html := range []bool{true, false} {
		for _, s := range inputs {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(html)
			_ = enc.Encode(s)
			want := strings.TrimSuffix(buf.String(), "\n")
			if got := string(AppendString(nil, s, html)); got != want {
				t.Errorf("html %v, %q: %s, want %s", html, s, got, want)
			}
		}
	}
}

func TestAppendNullableAndBool(t *testing.T) {
	s := "v"
	if got := string(AppendBool(AppendNullable(AppendNullable(nil, nil), &s), true)); got != `null"v"true` {
		t.Fatal(got)
	}
}
