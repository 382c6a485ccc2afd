package testkit_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
)

// createNotusSession starts a Notus standard individual verification
// session the way Notus's docs show, and returns its id. Examples use it to
// have something to act on.
func createNotusSession(hc *http.Client, baseURL, apiKey string) string {
	body, _ := json.Marshal(map[string]any{
		"firstName": "Ana", "lastName": "Souza", "birthDate": "1990-04-15",
		"documentCategory": "PASSPORT", "documentCountry": "BRAZIL", "documentId": "123456",
	})
	req, _ := http.NewRequest(http.MethodPost, baseURL+"/kyc/individual-verification-sessions/standard", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", apiKey)
	resp, err := hc.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var out struct {
		Session struct{ ID string } `json:"session"`
	}
	if resp.StatusCode != http.StatusCreated || json.NewDecoder(resp.Body).Decode(&out) != nil {
		panic(fmt.Sprintf("create session: %d", resp.StatusCode))
	}
	return out.Session.ID
}
