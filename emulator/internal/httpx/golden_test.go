package httpx

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestMaskedBodiesAsBefore holds what capture makes of varied bodies
// (addresses with characters JSON escapes, secrets of every kind of value,
// ids under secret keys, bodies past the bound, broken ones) to what it made
// before the masker was tuned: testdata/masked.golden was written by the
// masker of commit 6cb24ed.
func TestMaskedBodiesAsBefore(t *testing.T) {
	bodies := []string{string(captureBench), captureBenchPlain,
		`{"email":"a&b@x<y>.com","pin":1234,"token":{"a":[1,"x",null,{"b":"c"}]},"u":"é@x.com","v":"\u00e9\u2028@ex.com","w":"[masked]"}`,
		`{"Password":"p\"w","X-Api-Key":"k","list":["a@b.co","\u0061@b.co","z***@b.co"],"n":{"apiKey":[true,false,1.5e3]}}`,
		`{"a":` + strings.Repeat(`{"pin":1,"e":"x@y.io","k":"`+strings.Repeat("Q", 500)+`"},`, 40) + `1}`,
		`[{"id":"s1","sessionId":"s2"},{"secret":{"id":"no"}},"\xff@x.com"]`,
		`{"bad": [1,2,`, ` {"a" : "b@c.de" , "otp" : "1" } `,
	}
	var f bytes.Buffer
	for _, b := range bodies {
		for _, ct := range []string{"application/json", "", "text/plain"} {
			body, refs := CaptureBody(ct, []byte(b), int64(len(b)))
			j, _ := json.Marshal(body)
			fmt.Fprintf(&f, "%s %q\n", j, refs)
		}
	}
	want, err := os.ReadFile("testdata/masked.golden")
	if err != nil {
		t.Fatal(err)
	}
	got, wantLines := strings.Split(f.String(), "\n"), strings.Split(string(want), "\n")
	if len(got) != len(wantLines) {
		t.Fatalf("%d captures, want %d", len(got), len(wantLines))
	}
	for i := range got {
		if got[i] != wantLines[i] {
			t.Errorf("capture %d:\n got %s\nwant %s", i, got[i], wantLines[i])
		}
	}
}
