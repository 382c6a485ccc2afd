package emulator

import (
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kycemu/kycemu/emulator/clock"
)

// TestHostileInputNeverServerErrors sends every operation of every provider
// a spread of malformed requests — bad bodies, bad path values, wrong
// content types, missing or foreign credentials — in strict mode, where an
// answer that breaks the provider's spec would itself become a 500. None
// may answer 5xx.
func TestHostileInputNeverServerErrors(t *testing.T) {
	e, err := New(WithStrictResponses(true), WithClock(clock.NewManual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))), WithSeed(3))
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	bodies := []struct{ ctype, body string }{
		{"", ""},
		{"application/json", ""},
		{"application/json", "{}"},
		{"application/json", "[]"},
		{"application/json", "null"},
		{"application/json", `"text"`},
		{"application/json", "{"},
		{"application/json", `{"a":{"b":{"c":[1,2,{"d":null}]}}}`},
		{"application/json", `{"email":1e309,"userId":-1,"id":true,"type":[],"recipients":[{}],"data":{"documents":{}}}`},
		{"application/json", `{"entityId":"00000000-0000-4000-8000-000000000000","name":"` + strings.Repeat("x", 5000) + `"}`},
		{"text/plain", "hello"},
		{"", `{"email":1e309,"uuid":[],"data":{"documents":{"files":{}}}}`},
		{"application/x-www-form-urlencoded", "{}"},
		{"text/plain; charset=UTF-8", `{"data":null}`},
		{"multipart/form-data; boundary=zz", "--zz\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nx\r\n--zz--\r\n"},
		{"multipart/form-data", "no boundary"},
		{"application/x-www-form-urlencoded", "a=%zz&b"},
	}
	pathValues := []string{"x", "00000000-0000-4000-8000-000000000000", "usr-00000000-0000-4000-8000-000000000000", strings.Repeat("9", 300), "%2e%2e", "-1"}
	creds := []map[string]string{
		{},
		{"x-api-key": "hostile", "Authorization": "Bearer hostile", "X-Organization-ID": "org"},
		{"Authorization": "Basic Zm9vOmJhcg=="},
	}
	param := regexp.MustCompile(`\{[^}]+\}`)
	n := 0
	for _, m := range e.mounts {
		for _, op := range m.doc.Operations() {
			for _, base := range m.doc.BasePaths() {
				for _, pv := range pathValues {
					path := "/" + m.p.Name() + base + param.ReplaceAllString(op.Path, pv)
					for _, b := range bodies {
						for _, c := range creds {
							req := httptest.NewRequest(op.Method, path+"?limit=-5&page=x&per_page=1e9&sort_order=sideways", strings.NewReader(b.body))
							if b.ctype != "" {
								req.Header.Set("Content-Type", b.ctype)
							}
							for k, v := range c {
								req.Header.Set(k, v)
							}
							rec := httptest.NewRecorder()
							e.ServeHTTP(rec, req)
							n++
							if rec.Code >= 500 {
								t.Errorf("%s %s (%s, %q…) -> %d: %.300s", op.Method, path, b.ctype, trunc(b.body), rec.Code, rec.Body.String())
							}
						}
					}
				}
			}
		}
	}
	if n < 1000 {
		t.Fatalf("only %d requests sent", n)
	}
	t.Logf("%d hostile requests, none answered 5xx", n)
}

func trunc(s string) string {
	if len(s) > 40 {
		return s[:40]
	}
	return s
}
