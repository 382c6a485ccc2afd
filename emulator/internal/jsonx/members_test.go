package jsonx

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// member is one member as Members hands it out, for comparing.
type member struct {
	key string
	v   Scalar
}

func (m member) String() string { return fmt.Sprintf("%s=%d:%s", m.key, m.v.Kind, m.v.Text) }

func members(doc string) ([]member, bool) {
	var out []member
	ok := Members([]byte(doc), func(k []byte, v Scalar) bool {
		out = append(out, member{string(k), v})
		return true
	})
	return out, ok
}

func TestMembersReadsFlatObjects(t *testing.T) {
	got, ok := members(" {\"a\" : \"x y\",\"n\":-1.5e+3,\n\"t\":true,\"f\":false,\"z\":null,\"e\":\"\",\"u\":\"é\",\"i\":0}\t")
	want := []member{{"a", Scalar{String, []byte("x y")}}, {"n", Scalar{Number, []byte("-1.5e+3")}}, {"t", Scalar{Kind: True}},
		{"f", Scalar{Kind: False}}, {"z", Scalar{Kind: Null}}, {"e", Scalar{String, nil}}, {"u", Scalar{String, []byte("é")}},
		{"i", Scalar{Number, []byte("0")}}}
	if !ok || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %v %v, want %v", got, ok, want)
	}
	if got, ok := members("{}"); !ok || len(got) != 0 {
		t.Fatalf("{}: %v %v", got, ok)
	}
}

// TestMembersRefusesWhatItDoesNotRead lists documents Members leaves to
// encoding/json: broken ones, and valid ones it does not model.
func TestMembersRefusesWhatItDoesNotRead(t *testing.T) {
	for _, doc := range []string{
		"", " ", "[]", `"a"`, "1", "null", "{", "}", `{"a"}`, `{"a":}`, `{"a":1,}`, `{,"a":1}`, `{"a":1 "b":2}`,
		`{"a":1}x`, `{"a":1}{}`, `{a:1}`, `{"a":tru}`, `{"a":nul}`, `{"a":falsey}`, `{"a":"x}`, `{"a":"x` + "\n" + `"}`,
		`{"a":01}`, `{"a":1.}`, `{"a":.5}`, `{"a":+1}`, `{"a":1e}`, `{"a":1e+}`, `{"a":-}`, `{"a":0x1}`, `{"a":NaN}`,
		`{"a":Infinity}`, `{"a":1_0}`, "{\"a\":\"\xff\"}", "{\"\xff\":1}", `{"a\"b":1}`, `{"a":"\u0041"}`,
		`{"a":{}}`, `{"a":[]}`, `{"a":[1]}`, "{\"a\":1}\x00", "\ufeff{}",
	} {
		if got, ok := members(doc); ok {
			t.Errorf("%q: read as %v", doc, got)
		}
	}
}

func TestMembersStopsWhenToldTo(t *testing.T) {
	n := 0
	if Members([]byte(`{"a":1,"b":2}`), func([]byte, Scalar) bool { n++; return false }) || n != 1 {
		t.Fatalf("called %d times", n)
	}
}

// FuzzMembers holds Members to encoding/json: whatever it reads, json
// decodes without an error into the same keys and values (the last of a
// repeated key winning).
func FuzzMembers(f *testing.F) {
	for _, s := range []string{`{"firstName":"Ana","birthDate":"15/03/1990","livenessRequired":true,"financialLimit":1e3}`,
		`{"a":null,"a":-0.5E-2}`, ` { } `, `{"é":"😀"}`, `{"a":[1]}`, `{"a":"\n"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		got, ok := members(doc)
		if !ok {
			return
		}
		if err := json.Unmarshal([]byte(doc), new(any)); err != nil {
			t.Fatalf("%q: read by Members, refused by encoding/json: %v", doc, err)
		}
		dec := json.NewDecoder(strings.NewReader(doc))
		dec.UseNumber()
		var want map[string]any
		if err := dec.Decode(&want); err != nil {
			t.Fatalf("%q: %v", doc, err)
		}
		last := map[string]Scalar{}
		for _, m := range got {
			last[m.key] = m.v
		}
		if len(last) != len(want) {
			t.Fatalf("%q: keys %v, want %v", doc, last, want)
		}
		for k, v := range last {
			var same bool
			switch w := want[k]; v.Kind {
			case String:
				same = w == string(v.Text)
			case Number:
				same = w == json.Number(v.Text)
			case True, False:
				same = w == (v.Kind == True)
			case Null:
				_, present := want[k]
				same = present && w == nil
			}
			if !same {
				t.Fatalf("%q: %q is %v, encoding/json says %#v", doc, k, v, want[k])
			}
		}
	})
}

func BenchmarkMembers(b *testing.B) {
	doc := []byte(`{"firstName":"Ana","lastName":"Souza","birthDate":"15/03/1990",` +
		`"documentCategory":"DRIVERS_LICENSE","documentCountry":"BRAZIL","documentId":"12345678901"}`)
	for b.Loop() {
		Members(doc, func([]byte, Scalar) bool { return true })
	}
}

func TestStrings(t *testing.T) {
	var dst [4]string
	Strings(dst[:], [][]byte{[]byte("Ana"), nil, []byte(""), []byte("Souza")})
	if dst != [4]string{"Ana", "", "", "Souza"} {
		t.Fatalf("%q", dst)
	}
	src := [][]byte{[]byte("a"), []byte("bc")}
	if n := testing.AllocsPerRun(100, func() { Strings(dst[:2], src) }); n != 1 {
		t.Fatalf("%v allocations, want 1", n)
	}
}

func TestSkipSpace(t *testing.T) {
	for _, tc := range []struct {
		in   string
		from int
		want int
	}{
		{"", 0, 0}, {"x", 0, 0}, {" \t\r\nx", 0, 4}, {"  ", 0, 2}, {"a  b", 1, 3}, {"\v x", 0, 0}, {"x ", 2, 2},
	} {
		if got := SkipSpace([]byte(tc.in), tc.from); got != tc.want {
			t.Errorf("SkipSpace(%q, %d) = %d, want %d", tc.in, tc.from, got, tc.want)
		}
	}
}
