package httpx

import (
	"bytes"
	"fmt"
	"hash/maphash"
	"net/http"
	"strings"
	"testing"
)

func TestJournalKeepsTheNewest(t *testing.T) {
	j := NewJournal(3)
	for i := range 5 {
		j.Add(Entry{Path: fmt.Sprint(i), Tenant: []string{"a", "b"}[i%2]})
	}
	got := j.List(Filter{})
	if len(got) != 3 || got[0].Path != "2" || got[2].Path != "4" || got[2].Seq != 5 {
		t.Fatalf("ring: %+v", got)
	}
	if got := j.List(Filter{Tenant: "a"}); len(got) != 2 || got[0].Path != "2" || got[1].Path != "4" {
		t.Fatalf("tenant a: %+v", got)
	}
	if got := j.List(Filter{Limit: 1}); len(got) != 1 || got[0].Path != "4" {
		t.Fatalf("limit: %+v", got)
	}
	j.Clear("a")
	if got := j.List(Filter{}); len(got) != 1 || got[0].Path != "3" {
		t.Fatalf("after clearing a: %+v", got)
	}
	j.Add(Entry{Path: "5"})
	if got := j.List(Filter{}); len(got) != 2 || got[1].Path != "5" || got[1].Seq != 6 {
		t.Fatalf("after add: %+v", got)
	}
	j.Clear("")
	if got := j.List(Filter{}); len(got) != 0 {
		t.Fatalf("after clear: %+v", got)
	}
}

// An entry handed out by List or Get is the journal's copy as it was: the
// storage the ring recycles once it evicts the entry is not shared with it.
func TestJournalHandsOutCopies(t *testing.T) {
	j := NewJournal(1)
	add := func(id, email string) {
		var e Entry
		e.CaptureRequest(http.Header{"Content-Type": {"application/json"}, "X-Id": {id}},
			[]byte(`{"id":"`+id+`","email":"`+email+`"}`), 40, nil)
		e.CaptureResponse(http.Header{"Content-Type": {"application/json"}, "X-Id": {id}}, []byte(`{"id":"`+id+`"}`), nil)
		j.Add(e)
	}
	add("first", "ana@example.com")
	listed := j.List(Filter{})[0]
	got, _ := j.Get(listed.Seq)
	for range 3 { // evicts the first entry; its storage goes to the later ones
		add("later", "bob@example.org")
	}
	for _, e := range []Entry{listed, got} {
		if string(e.RequestBody) != `{"id":"first","email":"a***@example.com"}` || string(e.Request.JSON) != string(e.RequestBody) ||
			string(e.Response.JSON) != `{"id":"first"}` || e.RequestHeaders.Get("X-Id") != "first" || e.ResponseHeaders.Get("X-Id") != "first" {
			t.Errorf("handed-out entry changed: %s %s %v %v", e.RequestBody, e.Response.JSON, e.RequestHeaders, e.ResponseHeaders)
		}
	}
	if e := j.List(Filter{})[0]; string(e.RequestBody) != `{"id":"later","email":"b***@example.org"}` || e.RequestHeaders.Get("X-Id") != "later" {
		t.Errorf("newest entry: %s %v", e.RequestBody, e.RequestHeaders)
	}
}

// A capture into recycled storage is the capture into fresh storage.
func TestCaptureIntoRecycledStorage(t *testing.T) {
	j := NewJournal(1)
	bodies := []string{`{"password":"pw","id":"s1","nested":{"email":"x@example.com"}}`, `{"a":1}`, `not json`, ``, `{"long":"` + strings.Repeat("x", 300) + `"}`}
	for i, b := range bodies {
		h := http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer abc"}}
		if i%2 == 1 {
			h = http.Header{"Content-Type": {"application/json"}}
		}
		var e Entry
		refs := e.CaptureRequest(h, []byte(b), int64(len(b)), nil)
		want, wantRefs := CaptureBody("application/json", []byte(b), int64(len(b)))
		if fmt.Sprint(e.Request) != fmt.Sprint(want) || fmt.Sprint(refs) != fmt.Sprint(wantRefs) ||
			fmt.Sprint(e.RequestHeaders) != fmt.Sprint(CaptureHeaders(h)) {
			t.Errorf("%q: got %+v %q %v, want %+v %q %v", b, e.Request, refs, e.RequestHeaders, want, wantRefs, CaptureHeaders(h))
		}
		if wantJSON := want != nil && want.JSON != nil; wantJSON != (e.RequestBody != nil) || wantJSON && string(want.JSON) != string(e.RequestBody) {
			t.Errorf("%q: request body %s", b, e.RequestBody)
		}
		j.Add(e)
	}
}

// A body masked from the memo is the body masked afresh, and so are the
// ids it names; a different content type or body is masked for itself.
func TestMaskMemo(t *testing.T) {
	bodies := []struct{ ct, body string }{
		{"application/json", `{"id":"s1","token":"abc","email":"ana@example.com","esc":"a\"b","otherId":"a\u0041"}`},
		{"application/json; charset=utf-8", `{"id":"s1","token":"abc","email":"ana@example.com","esc":"a\"b","otherId":"a\u0041"}`},
		{"text/plain", `{"id":"s1","token":"abc","email":"ana@example.com","esc":"a\"b","otherId":"a\u0041"}`},
		{"application/json", `{"id":"s2"}`},
		{"application/x-www-form-urlencoded", `password=pw&id=1`},
	}
	for round := range 4 { // remembered on the second round, answered from the memo after
		for _, tc := range bodies {
			var e Entry
			refs := e.CaptureResponse(http.Header{"Content-Type": {tc.ct}}, []byte(tc.body), make([][]byte, 0, MaxRefs))
			want, wantRefs := CaptureBody(tc.ct, []byte(tc.body), int64(len(tc.body)))
			if fmt.Sprintf("%+v %q", *e.Response, refs) != fmt.Sprintf("%+v %q", *want, wantRefs) {
				t.Errorf("round %d, %s %s: %+v %q, want %+v %q", round, tc.ct, tc.body, *e.Response, refs, *want, wantRefs)
			}
			e.kept.release()
		}
	}
	// The memo's seed is random, so the bodies above may share a slot, one
	// taking it from another in each round: the last body is seen twice
	// more on its own, which it is remembered after whatever came before.
	b := []byte(bodies[3].body)
	for range 2 {
		var e Entry
		e.CaptureResponse(http.Header{"Content-Type": {bodies[3].ct}}, b, nil)
		e.kept.release()
	}
	h := maphash.Bytes(memo.seed, b)
	if e := memo.slots[h%memoSlots].Load(); e == nil || !bytes.Equal(e.in, b) {
		t.Error("a body seen four times is not remembered")
	}
}

// BenchmarkJournalCapture measures journaling one exchange as the pipeline
// does, into storage the ring recycles: a GET's (the same answer each
// time) and a create's (a new answer each time).
func BenchmarkJournalCapture(b *testing.B) {
	reqH := http.Header{"X-Api-Key": {"bench"}, "Accept-Encoding": {"gzip"}, "User-Agent": {"Go-http-client/1.1"}}
	respH := http.Header{"Content-Type": {"application/json"}, "Content-Length": {"1024"}, "X-Request-Id": {"6f1c9a52-3f0e-4b8e-9d6a-0c1d2e3f4a5b"}}
	for _, name := range []string{"same-answer", "new-answers"} {
		b.Run(name, func(b *testing.B) {
			j := NewJournal(1000)
			body := bytes.Clone(captureBench)
			var refs [2 * MaxRefs][]byte
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if name == "new-answers" { // a different session id each time
					for k := range 8 {
						body[20+k] = "0123456789abcdef"[i>>(4*k)&15]
					}
				}
				var e Entry
				e.CaptureRequest(reqH, nil, 0, refs[:0:MaxRefs])
				e.CaptureResponse(respH, body, refs[MaxRefs:MaxRefs])
				j.Add(e)
			}
		})
	}
}
