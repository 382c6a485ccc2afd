package drift_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/kycemu/kycemu/emulator/drift"
	"github.com/kycemu/kycemu/testkit"
)

// BenchmarkExchange measures one Notus session creation (a 2 KiB answer
// with two upload forms) sent to kycemu directly, through the proxy, and
// through the proxy while it records.
func BenchmarkExchange(b *testing.B) {
	up := testkit.Start(b, testkit.WithSeed(1), testkit.WithStrictResponses(false))
	body := []byte(`{"firstName":"Ana","lastName":"Souza","birthDate":"15/03/1990","documentCategory":"DRIVERS_LICENSE","documentCountry":"BRAZIL","documentId":"12345678909"}`)
	run := func(b *testing.B, base string) {
		client := &http.Client{}
		b.ReportAllocs()
		for b.Loop() {
			req, _ := http.NewRequest(http.MethodPost, base+"/notus/api/v1/kyc/individual-verification-sessions/standard", bytes.NewReader(body))
			req.Header.Set("x-api-key", "bench-key")
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
	}
	b.Run("direct", func(b *testing.B) { run(b, up.URL) })
	b.Run("proxy", func(b *testing.B) {
		p, err := drift.New(map[string]string{"notus": up.URL + "/notus"})
		if err != nil {
			b.Fatal(err)
		}
		srv := httptestServer(b, p)
		run(b, srv)
	})
	b.Run("proxy+record", func(b *testing.B) {
		rec, err := drift.NewRecorder(b.TempDir(), 1<<30, 0)
		if err != nil {
			b.Fatal(err)
		}
		p, err := drift.New(map[string]string{"notus": up.URL + "/notus"}, drift.WithRecorder(rec))
		if err != nil {
			b.Fatal(err)
		}
		run(b, httptestServer(b, p))
	})
}

func httptestServer(b *testing.B, h http.Handler) string {
	srv := httptest.NewServer(h)
	b.Cleanup(srv.Close)
	return srv.URL
}
