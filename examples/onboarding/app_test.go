package onboarding_test

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/kycemu/kycemu/examples/onboarding"
)

// This file holds what both test files share: the service started the way
// its main starts it, and a client acting as the team's mobile app.

// serve starts the service on ln (opened beforehand, so its URL can be given
// to kycemu before the service exists) and stops it with the test.
func serve(t *testing.T, ln net.Listener, cfg onboarding.Config) *app {
	t.Helper()
	svc := onboarding.New(cfg)
	hs := &http.Server{Handler: svc.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })
	return &app{t: t, url: "http://" + ln.Addr().String()}
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// app calls the service's API as its mobile app does.
type app struct {
	t   *testing.T
	url string
}

func (a *app) call(method, path, contentType string, body []byte, out any) int {
	a.t.Helper()
	req, err := http.NewRequestWithContext(a.t.Context(), method, a.url+path, bytes.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			a.t.Fatalf("%s %s: %v in %s", method, path, err, raw)
		}
	}
	return resp.StatusCode
}

var maria = onboarding.Applicant{FirstName: "Maria", LastName: "Silva", BirthDate: "15/04/1990",
	DocumentCategory: "DRIVERS_LICENSE", DocumentCountry: "BRAZIL", DocumentID: "12345678900"}

func (a *app) signUp(ap onboarding.Applicant) onboarding.Customer {
	a.t.Helper()
	body, _ := json.Marshal(ap)
	var c onboarding.Customer
	if status := a.call(http.MethodPost, "/customers", "application/json", body, &c); status != http.StatusCreated {
		a.t.Fatalf("sign up: %d", status)
	}
	return c
}

func (a *app) upload(id, side string) {
	a.t.Helper()
	if status := a.call(http.MethodPut, "/customers/"+id+"/documents/"+side, "image/png", photo(a.t), nil); status != http.StatusNoContent {
		a.t.Fatalf("upload %s: %d", side, status)
	}
}

func (a *app) submit(id string) onboarding.Customer {
	a.t.Helper()
	var c onboarding.Customer
	if status := a.call(http.MethodPost, "/customers/"+id+"/submit", "", nil, &c); status != http.StatusOK {
		a.t.Fatalf("submit: %d", status)
	}
	return c
}

// onboard signs up, uploads both sides and submits.
func (a *app) onboard(ap onboarding.Applicant) onboarding.Customer {
	a.t.Helper()
	c := a.signUp(ap)
	a.upload(c.ID, "front")
	a.upload(c.ID, "back")
	return a.submit(c.ID)
}

func (a *app) customer(id string) onboarding.Customer {
	a.t.Helper()
	var c onboarding.Customer
	if status := a.call(http.MethodGet, "/customers/"+id, "", nil, &c); status != http.StatusOK {
		a.t.Fatalf("get customer: %d", status)
	}
	return c
}

// waitStatus polls the service until the customer has status: webhooks
// arrive asynchronously, even on kycemu's manual clock.
func (a *app) waitStatus(id, status string) onboarding.Customer {
	a.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		c := a.customer(id)
		if c.Status == status {
			return c
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("customer %s is %s, want %s", id, c.Status, status)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// photo is a small PNG standing in for a photo of a document.
func photo(t *testing.T) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 48, 30))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	img.Set(1, 1, color.White)
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
