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

// TestAppendStringEveryByteAtEveryPlace puts each byte at each place of
// the first words AppendString reads eight bytes at a time, and in the
// bytes after them it reads one by one.
func TestAppendStringEveryByteAtEveryPlace(t *testing.T) {
	for c := range 256 {
		for at := range 20 {
			b := []byte(strings.Repeat("a", 20))
			b[at] = byte(c)
			for _, s := range []string{string(b), string(b[:at+1]), string(b[at:])} {
				for _, html := range []bool{true, false} {
					if got, want := string(AppendString(nil, s, html)), encoded(s, html); got != want {
						t.Fatalf("html %v, %q: %s, want %s", html, s, got, want)
					}
				}
			}
		}
	}
}

// FuzzAppendString holds AppendString to encoding/json's output.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", "<a href=\"x\">&amp;</a>", "é 😀 \u2028 \xff", strings.Repeat("0123456789", 5) + "\n"} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, html bool) {
		if got, want := string(AppendString(nil, s, html)), encoded(s, html); got != want {
			t.Fatalf("html %v, %q: %s, want %s", html, s, got, want)
		}
	})
}

// encoded is s as an encoding/json Encoder writes it.
func encoded(s string, html bool) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(html)
	_ = enc.Encode(s)
	return strings.TrimSuffix(buf.String(), "\n")
}

func TestAppendNullableAndBool(t *testing.T) {
	s := "v"
	if got := string(AppendBool(AppendNullable(AppendNullable(nil, nil), &s), true)); got != `null"v"true` {
		t.Fatal(got)
	}
}

// BenchmarkAppendString appends what a created Notus session's answer is
// mostly made of: a long base64 policy, a hex signature, URLs and names.
func BenchmarkAppendString(b *testing.B) {
	policy := strings.Repeat("eyJjb25kaXRpb25zIjpbeyJidWNrZXQiOiJub3R1cy1reWMtZG9jdW1lbnRzIn0s", 7) + "fQ=="
	inputs := []string{policy, "08653f709c9e033d66eeca343b0f223de5efa196b42d89b60049267620c90cb4",
		"http://127.0.0.1:18080/notus-kyc-documents", "kyc/f4ea215a-81bb-45e3-b8ce-90f18568e53b/front", "Ana", "X-Amz-Signature"}
	n := 0
	for _, s := range inputs {
		n += len(s)
	}
	for _, html := range []bool{false, true} {
		b.Run(map[bool]string{false: "plain", true: "html"}[html], func(b *testing.B) {
			b.SetBytes(int64(n))
			buf := make([]byte, 0, 2*n)
			for b.Loop() {
				buf = buf[:0]
				for _, s := range inputs {
					buf = AppendString(buf, s, html)
				}
			}
		})
	}
}

// TestQuoteOrBackslash puts a quote, a backslash or both at every place of
// a few words, among bytes close to them and bytes with the high bit set.
func TestQuoteOrBackslash(t *testing.T) {
	for _, filler := range []byte{'a', '"' - 1, '"' + 1, '\\' - 1, '\\' + 1, 0, 0xa2, 0xdc, 0xff} {
		for n := range 20 {
			for at := range n + 1 {
				for _, c := range []byte{'"', '\\'} {
					b := bytes.Repeat([]byte{filler}, n)
					want := -1
					if at < n {
						b[at], want = c, at
						if at+1 < n {
							b[at+1] = '"' // a second match after the first
						}
					}
					if got := QuoteOrBackslash(b); got != want {
						t.Fatalf("%q: %d, want %d", b, got, want)
					}
				}
			}
		}
	}
}

func FuzzQuoteOrBackslash(f *testing.F) {
	f.Add([]byte(`0123456789abcdef"`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := QuoteOrBackslash(b), bytes.IndexAny(b, `"\`); got != want {
			t.Fatalf("%q: %d, want %d", b, got, want)
		}
	})
}
