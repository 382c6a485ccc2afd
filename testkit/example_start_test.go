package testkit_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/kycemu/kycemu/testkit"
)

// testApprovedCustomer is what a test in your own package looks like: name
// it TestApprovedCustomer and `go test` runs it. (TestStartExample below
// runs it here.)
func testApprovedCustomer(t *testing.T) {
	srv := testkit.Start(t, testkit.WithManualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))

	// Point your Notus client at srv.BaseURL("notus") instead of
	// https://api.notus.team/api/v1 and let it run; here, one raw call.
	body, _ := json.Marshal(map[string]any{
		"firstName": "Ana", "lastName": "Souza", "birthDate": "1990-04-15",
		"documentCategory": "PASSPORT", "documentCountry": "BRAZIL", "documentId": "123456",
	})
	req, _ := http.NewRequest(http.MethodPost,
		srv.BaseURL("notus")+"/kyc/individual-verification-sessions/standard", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", "my-test-key")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var created struct {
		Session struct{ ID string } `json:"session"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&created); err != nil {
		t.Fatal(err)
	}

	// Force the outcome your code must handle, then check what it did.
	if s := srv.Approve(created.Session.ID); s.Status != "COMPLETED" {
		t.Fatalf("status %s", s.Status)
	}
}

// Start belongs in a test function: see testApprovedCustomer in this file.
// It serves a fresh emulator on a loopback port and closes it when the test
// ends.
func ExampleStart() {}
