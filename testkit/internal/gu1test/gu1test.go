// Package gu1test creates gu1.ai validations the way gu1's docs tell an
// integrator to (a person entity, then a KYC validation for it), for the
// testkit and container tests.
package gu1test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// Validation creates a person entity and a validation for it with an API
// key and organization, against gu1's base URL in kycemu (such as
// http://127.0.0.1:1234/gu1), and returns the validation id.
func Validation(t testing.TB, hc *http.Client, base, key, org string) string {
	t.Helper()
	post := func(path, body string) map[string]any {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("X-Organization-ID", org)
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusCreated {
			t.Fatalf("gu1 POST %s: %d %v %v", path, resp.StatusCode, out, err)
		}
		return out
	}
	entity, _ := post("/entities", `{"type":"person","name":"Ana Souza","countryCode":"BR"}`)["entity"].(map[string]any)
	v := post("/api/kyc/validations", fmt.Sprintf(`{"entityId":%q}`, entity["id"]))
	id, _ := v["id"].(string)
	if id == "" {
		t.Fatalf("no validation id in %v", v)
	}
	return id
}
