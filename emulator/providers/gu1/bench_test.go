package gu1_test

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

// BenchmarkCreateValidation measures POST /api/kyc/validations through the
// whole stack: a real HTTP connection, routing, authentication, request
// validation against the spec, the handler (plan, timeline, webhook
// journal) and, with strict on, response validation.
func BenchmarkCreateValidation(b *testing.B) {
	for _, strict := range []bool{false, true} {
		b.Run(fmt.Sprintf("strict=%v", strict), func(b *testing.B) {
			emu, err := emulator.New(emulator.WithStrictResponses(strict), emulator.WithClock(clock.NewManual(t0)), emulator.WithSeed(1))
			if err != nil {
				b.Fatal(err)
			}
			srv := httptest.NewServer(emu)
			defer func() { srv.Close(); _ = emu.Close() }()
			post := func(path string, body any) map[string]any {
				j, _ := json.Marshal(body)
				req, _ := http.NewRequest(http.MethodPost, srv.URL+"/gu1"+path, bytes.NewReader(j))
				req.Header.Set("Authorization", "Bearer "+key)
				req.Header.Set("X-Organization-ID", org)
				req.Header.Set("Content-Type", "application/json")
				resp, err := srv.Client().Do(req)
				if err != nil {
					b.Fatal(err)
				}
				raw, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated {
					b.Fatalf("%s: %d %s", path, resp.StatusCode, raw)
				}
				var out map[string]any
				_ = json.Unmarshal(raw, &out)
				return out
			}
			ids := make([]string, b.N)
			for i := range ids {
				ids[i] = post("/entities", map[string]any{"type": "person", "name": "Ana Souza", "countryCode": "BR"})["entity"].(map[string]any)["id"].(string)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				post("/api/kyc/validations", map[string]any{"entityId": ids[i], "metadata": map[string]any{"userId": "user_12345"}})
			}
		})
	}
}
