package testkit_test

import (
	"net/http"
	"testing"

	"github.com/kycemu/kycemu/testkit"
	"github.com/kycemu/kycemu/testkit/internal/notustest"
)

// BenchmarkStart measures what one test pays for its own emulator:
// testkit.Start (build every provider, load and index their specs, listen on
// a loopback port) up to the first served request, a Notus session created
// through the full pipeline with strict response validation.
func BenchmarkStart(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		srv := testkit.Start(b)
		c := notustest.New(b, srv.Client(), srv.BaseURL("notus"), "bench")
		if status, _ := c.Call(http.MethodPost, notustest.SessionsPath, map[string]any{
			"firstName": "Ana", "lastName": "Souza", "birthDate": "1990-04-15",
			"documentCategory": "PASSPORT", "documentCountry": "BRAZIL", "documentId": "1",
		}, true); status != http.StatusCreated {
			b.Fatalf("create session: %d", status)
		}
		srv.Close() // now, not at the end of the benchmark
	}
}

// BenchmarkStartHealth is Start up to the first control API answer.
func BenchmarkStartHealth(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		srv := testkit.Start(b)
		if _, err := srv.Control().Health(b.Context()); err != nil {
			b.Fatal(err)
		}
		srv.Close()
	}
}

// BenchmarkServedRequest is the cost of one request on a running server,
// for comparison with the start-up cost above.
func BenchmarkServedRequest(b *testing.B) {
	srv := testkit.Start(b)
	c := notustest.New(b, srv.Client(), srv.BaseURL("notus"), "bench")
	body := map[string]any{"firstName": "Ana", "lastName": "Souza", "birthDate": "1990-04-15",
		"documentCategory": "PASSPORT", "documentCountry": "BRAZIL", "documentId": "1"}
	b.ReportAllocs()
	for b.Loop() {
		if status, _ := c.Call(http.MethodPost, notustest.SessionsPath, body, true); status != http.StatusCreated {
			b.Fatalf("create session: %d", status)
		}
	}
}
