package notus_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kycemu/kycemu/testkit"
)

func TestCapturePageRefusals(t *testing.T) {
	kyc := testkit.Start(t, testkit.WithManualClock(time.Time{}))
	base := kyc.URL + "/notus"
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/kyc/individual-verification-sessions/standard", strings.NewReader(
		`{"firstName":"Ana","lastName":"Souza","birthDate":"15/03/1990","documentCategory":"PASSPORT","documentCountry":"BRAZIL","documentId":"12345678909"}`))
	req.Header.Set("x-api-key", "page-key")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	id := strings.Split(strings.Split(string(raw), `"id":"`)[1], `"`)[0]

	get := func(u string) (int, string) {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	status, page := get(base + "/_sdk/" + id + "?redirect=javascript:alert(1)")
	if status != 200 || !strings.Contains(page, `data-testid="upload-front"`) || strings.Contains(page, `data-testid="upload-back"`) {
		t.Fatalf("a passport session's page: %d", status)
	}
	if strings.Contains(page, "javascript:") || strings.Contains(page, `data-testid="selfie-camera"`) {
		t.Fatal("the page kept a script redirect, or asks for liveness that is not required")
	}
	if status, _ := get(base + "/_sdk/00000000-0000-4000-8000-000000000000"); status != 404 {
		t.Fatalf("unknown session: %d", status)
	}
	for form, want := range map[string]int{
		"action=outcome&outcome=approve":  http.StatusConflict, // not processed yet
		"action=outcome&outcome=scenario": http.StatusBadRequest,
		"action=outcome&outcome=maybe":    http.StatusBadRequest,
		"action=process":                  http.StatusBadRequest,
	} {
		resp, err := http.Post(base+"/_sdk/"+id, "application/x-www-form-urlencoded", strings.NewReader(form))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s: %d, want %d", form, resp.StatusCode, want)
		}
	}
	resp, _ = http.Post(base+"/_sdk/00000000-0000-4000-8000-000000000000", "application/x-www-form-urlencoded",
		strings.NewReader(url.Values{"action": {"outcome"}, "outcome": {"reject"}}.Encode()))
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("outcome of an unknown session: %d", resp.StatusCode)
	}
}
