package kulipa_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kycemu/kycemu/emulator"
	"github.com/kycemu/kycemu/emulator/clock"
)

// BenchmarkCreateKyc measures PUT /v1/kycs through the whole stack: a real
// HTTP connection, routing, authentication and the rate-limit count,
// request validation against the spec, the handler (plan, timeline,
// webhook journal) and, with strict on, response validation. idem=true
// sends a fresh x-idempotency-key with each request (stored, not
// replayed).
func BenchmarkCreateKyc(b *testing.B) {
	for _, strict := range []bool{false, true} {
		for _, idem := range []bool{false, true} {
			b.Run(fmt.Sprintf("strict=%v/idem=%v", strict, idem), func(b *testing.B) {
				emu, err := emulator.New(emulator.WithStrictResponses(strict), emulator.WithClock(clock.NewManual(t0)), emulator.WithSeed(1))
				if err != nil {
					b.Fatal(err)
				}
				srv := httptest.NewServer(emu)
				defer func() { srv.Close(); _ = emu.Close() }()
				send := func(method, path string, body any, want int, headers ...string) map[string]any {
					j, _ := json.Marshal(body)
					req, _ := http.NewRequest(method, srv.URL+path, bytes.NewReader(j))
					req.Header.Set("x-api-key", apiKey)
					req.Header.Set("Content-Type", "application/json")
					for i := 0; i+1 < len(headers); i += 2 {
						req.Header.Set(headers[i], headers[i+1])
					}
					resp, err := srv.Client().Do(req)
					if err != nil {
						b.Fatal(err)
					}
					raw, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != want {
						b.Fatalf("%s: %d %s", path, resp.StatusCode, raw)
					}
					var out map[string]any
					_ = json.Unmarshal(raw, &out)
					return out
				}
				send(http.MethodPut, "/_emulator/providers/kulipa/settings", map[string]any{"rateLimit": 0}, 200)
				ids := make([]string, b.N)
				for i := range ids {
					ids[i] = send(http.MethodPost, "/kulipa/v1/users", map[string]any{"firstName": "Ada", "lastName": "Lovelace"}, 201)["id"].(string)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					var h []string
					if idem {
						h = []string{"x-idempotency-key", "bench-" + strings.Repeat("0", 8) + fmt.Sprint(i)}
					}
					send(http.MethodPut, "/kulipa/v1/kycs", map[string]any{"userId": ids[i], "type": "full",
						"redirectUri": "https://partner.example/kyc/done"}, 201, h...)
				}
			})
		}
	}
}
