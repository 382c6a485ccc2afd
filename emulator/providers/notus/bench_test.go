package notus_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/kycemu/kycemu/emulator"
)

// benchServer is an emulator behind a real HTTP server, as clients see it.
func benchServer(b *testing.B, strict bool) (*httptest.Server, *http.Client) {
	b.Helper()
	emu, err := emulator.New(emulator.WithSeed(1), emulator.WithStrictResponses(strict))
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(emu)
	b.Cleanup(srv.Close)
	c := srv.Client()
	c.Transport.(*http.Transport).MaxIdleConnsPerHost = 64
	return srv, c
}

func post(b *testing.B, c *http.Client, url string, body []byte) []byte {
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", "bench")
	resp, err := c.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		b.Fatalf("status %d: %s", resp.StatusCode, out)
	}
	return out
}

// BenchmarkCreateSession measures POST .../standard through the whole
// stack: HTTP, routing, request validation, handler, presigning two forms,
// (strict) response validation, journal.
func BenchmarkCreateSession(b *testing.B) {
	body, _ := json.Marshal(person())
	for _, strict := range []bool{false, true} {
		name := "validate-requests"
		if strict {
			name = "validate-requests-and-responses"
		}
		b.Run(name, func(b *testing.B) {
			srv, c := benchServer(b, strict)
			url := srv.URL + "/notus/api/v1" + standard
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				post(b, c, url, body)
			}
		})
	}
}

// BenchmarkGetSession measures GET .../standard/{id}, in parallel.
func BenchmarkGetSession(b *testing.B) {
	body, _ := json.Marshal(person())
	for _, strict := range []bool{false, true} {
		name := "validate-requests"
		if strict {
			name = "validate-requests-and-responses"
		}
		b.Run(name, func(b *testing.B) {
			srv, c := benchServer(b, strict)
			var created struct {
				Session struct{ ID string } `json:"session"`
			}
			_ = json.Unmarshal(post(b, c, srv.URL+"/notus/api/v1"+standard, body), &created)
			url := srv.URL + "/notus/api/v1" + standard + "/" + created.Session.ID
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req, _ := http.NewRequest(http.MethodGet, url, nil)
					req.Header.Set("x-api-key", "bench")
					resp, err := c.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
				}
			})
		})
	}
}

// BenchmarkPipeline measures the emulator's own work per request, without
// a network or an HTTP client: requests go to ServeHTTP directly.
func BenchmarkPipeline(b *testing.B) {
	emu, err := emulator.New(emulator.WithSeed(1))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = emu.Close() })
	body, _ := json.Marshal(person())
	create := func() *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/notus/api/v1"+standard, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("x-api-key", "bench")
		w := httptest.NewRecorder()
		emu.ServeHTTP(w, req)
		if w.Code != http.StatusCreated {
			b.Fatalf("create: %d %s", w.Code, w.Body)
		}
		return w
	}
	b.Run("create", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			create()
		}
	})
	b.Run("get", func(b *testing.B) {
		var created struct {
			Session struct{ ID string } `json:"session"`
		}
		_ = json.Unmarshal(create().Body.Bytes(), &created)
		url := "/notus/api/v1" + standard + "/" + created.Session.ID
		b.ReportAllocs()
		for b.Loop() {
			req := httptest.NewRequest(http.MethodGet, url, nil)
			req.Header.Set("x-api-key", "bench")
			w := httptest.NewRecorder()
			emu.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Fatalf("get: %d", w.Code)
			}
		}
	})
}
