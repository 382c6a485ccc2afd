package kulipa_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/kycemu/kycemu/emulator"
	"github.com/kycemu/kycemu/emulator/clock"
)

// benchEnv is one emulator behind a real HTTP server; store "bolt" keeps
// its state in a data directory, "mem" in memory.
type benchEnv struct {
	b   *testing.B
	srv *httptest.Server
}

func newBenchEnv(b *testing.B, strict bool, store string, rateLimit int) *benchEnv {
	b.Helper()
	opts := []emulator.Option{emulator.WithStrictResponses(strict), emulator.WithClock(clock.NewManual(t0)), emulator.WithSeed(1)}
	if store == "bolt" {
		opts = append(opts, emulator.WithDataDir(b.TempDir()))
	}
	emu, err := emulator.New(opts...)
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(emu)
	b.Cleanup(func() { srv.Close(); _ = emu.Close() })
	be := &benchEnv{b: b, srv: srv}
	be.send(http.MethodPut, "/_emulator/providers/kulipa/settings", map[string]any{"rateLimit": rateLimit}, 200)
	return be
}

func (be *benchEnv) send(method, path string, body any, want int, headers ...string) map[string]any {
	var rd io.Reader
	if body != nil {
		j, _ := json.Marshal(body)
		rd = bytes.NewReader(j)
	}
	req, _ := http.NewRequest(method, be.srv.URL+path, rd)
	req.Header.Set("x-api-key", apiKey)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := be.srv.Client().Do(req)
	if err != nil {
		be.b.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		be.b.Fatalf("%s: %d %s", path, resp.StatusCode, raw)
	}
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return out
}

func (be *benchEnv) users(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = be.send(http.MethodPost, "/kulipa/v1/users", map[string]any{"firstName": "Ada", "lastName": "Lovelace"}, 201)["id"].(string)
	}
	return ids
}

// BenchmarkCreateKyc measures PUT /v1/kycs through the whole stack: a real
// HTTP connection, routing, authentication and the rate-limit count,
// request validation against the spec, the handler (plan, timeline,
// webhook journal), the state store (store=bolt: written to a data
// directory before the answer) and, with strict on, response validation.
// idem=true sends a fresh x-idempotency-key with each request (stored, not
// replayed).
func BenchmarkCreateKyc(b *testing.B) {
	for _, store := range []string{"mem", "bolt"} {
		for _, strict := range []bool{false, true} {
			for _, idem := range []bool{false, true} {
				if store == "bolt" && strict {
					continue
				}
				b.Run(fmt.Sprintf("store=%s/strict=%v/idem=%v", store, strict, idem), func(b *testing.B) {
					be := newBenchEnv(b, strict, store, 0)
					ids := be.users(b.N)
					b.ReportAllocs()
					b.ResetTimer()
					for i := 0; i < b.N; i++ {
						var h []string
						if idem {
							h = []string{"x-idempotency-key", fmt.Sprintf("bench-%08d", i)}
						}
						be.send(http.MethodPut, "/kulipa/v1/kycs", map[string]any{"userId": ids[i], "type": "full",
							"redirectUri": "https://partner.example/kyc/done"}, 201, h...)
					}
				})
			}
		}
	}
}

// BenchmarkGetUser measures GET /v1/users/{id} on a tenant with 200
// users, each with a KYC; limit=on counts each request in the API key's
// rate-limit window (a write of the window before the answer).
func BenchmarkGetUser(b *testing.B) {
	for _, store := range []string{"mem", "bolt"} {
		for _, limit := range []bool{false, true} {
			b.Run(fmt.Sprintf("store=%s/limit=%v", store, limit), func(b *testing.B) {
				rate := 0
				if limit {
					rate = 1 << 30 // counted, never reached
				}
				be := newBenchEnv(b, false, store, rate)
				ids := be.users(200)
				for _, id := range ids {
					be.send(http.MethodPut, "/kulipa/v1/kycs", map[string]any{"userId": id, "type": "full"}, 201)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					be.send(http.MethodGet, "/kulipa/v1/users/"+ids[i%len(ids)], nil, 200)
				}
			})
		}
	}
}
