package receiver_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kycemu/kycemu/testkit/control"
	"github.com/kycemu/kycemu/testkit/receiver"
)

func sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

func post(t *testing.T, url string, body []byte, sig string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if sig != "" {
		req.Header.Set("X-Webhook-Signature", sig)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestHMACVerification(t *testing.T) {
	const secret = "whsec_test"
	r := receiver.New(t, receiver.WithVerifier(receiver.HMACSHA256("X-Webhook-Signature", secret)))
	good := []byte(`{"event":"kyc.validation_approved","payload":{"validationId":"v1"}}`)

	tests := []struct {
		name   string
		body   []byte
		sig    string
		status int
	}{
		{"valid", good, sign(secret, good), http.StatusNoContent},
		{"valid with sha256= prefix", good, "sha256=" + sign(secret, good), http.StatusNoContent},
		{"missing", good, "", http.StatusUnauthorized},
		{"not hex", good, "zz", http.StatusUnauthorized},
		{"wrong secret", good, sign("other", good), http.StatusUnauthorized},
		{"tampered body", []byte(`{"event":"kyc.validation_rejected"}`), sign(secret, good), http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := post(t, r.URL+"/hooks/gu1", tt.body, tt.sig); got != tt.status {
				t.Fatalf("status %d, want %d", got, tt.status)
			}
		})
	}
	if got := len(r.Events()); got != 2 {
		t.Fatalf("%d accepted, want 2", got)
	}
	rej := r.Rejected()
	if len(rej) != 4 {
		t.Fatalf("%d refused, want 4", len(rej))
	}
	for _, x := range rej {
		if !errors.Is(x.Err, receiver.ErrSignature) {
			t.Fatalf("refusal error %v does not wrap ErrSignature", x.Err)
		}
	}
	ev := r.WaitEvent(time.Second, "kyc.validation_approved")
	if !ev.Verified || ev.Path != "/hooks/gu1" || ev.Method != http.MethodPost {
		t.Fatalf("event %+v", ev)
	}
	var body struct {
		Payload struct {
			ValidationID string `json:"validationId"`
		} `json:"payload"`
	}
	if err := ev.Decode(&body); err != nil || body.Payload.ValidationID != "v1" {
		t.Fatalf("decode: %v %+v", err, body)
	}
	if got := r.Attempts(); got != 6 {
		t.Fatalf("Attempts() = %d, want 6", got)
	}
}

func TestWaitTakesEventsInOrderAndOnce(t *testing.T) {
	r := receiver.New(t)
	go func() { // a sender in the background, as kycemu's webhook engine is
		for _, name := range []string{"a", "b", "a"} {
			resp, err := http.Post(r.URL, "application/json", strings.NewReader(`{"event":"`+name+`"}`))
			if err == nil {
				resp.Body.Close()
			}
		}
	}()
	if ev := r.WaitEvent(5*time.Second, "b"); ev.Name != "b" || ev.Verified {
		t.Fatalf("got %+v", ev)
	}
	first := r.WaitEvent(5*time.Second, "a")
	second := r.WaitEvent(5*time.Second, "a")
	if second.ReceivedAt.Before(first.ReceivedAt) {
		t.Fatal("Wait returned the later a first")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := r.Receive(ctx, receiver.Named("a"))
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "3 accepted") {
		t.Fatalf("a third a: %v, want a deadline error counting 3 accepted", err)
	}
}

func TestFailFirst(t *testing.T) {
	r := receiver.New(t, receiver.FailFirst(2))
	body := []byte(`{"type":"x"}`)
	for i, want := range []int{500, 500, 204} {
		if got := post(t, r.URL, body, ""); got != want {
			t.Fatalf("attempt %d: %d, want %d", i+1, got, want)
		}
	}
	if ev := r.Wait(time.Second, nil); ev.Name != "x" {
		t.Fatalf("got %+v", ev)
	}
}

func TestListenAndClose(t *testing.T) {
	r := receiver.Listen()
	if r.Port() == 0 || !strings.HasPrefix(r.URL, "http://127.0.0.1:") {
		t.Fatalf("URL %s port %d", r.URL, r.Port())
	}
	r.SetVerifier(receiver.HMACSHA256("X-Sig", "s"))
	if got := post(t, r.URL, []byte("{}"), ""); got != http.StatusUnauthorized {
		t.Fatalf("unsigned: %d", got)
	}
	r.Close()
	r.Close()
	req, _ := http.NewRequest(http.MethodPost, r.URL, nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("receiver still answers after Close")
	}
}

func TestForProvider(t *testing.T) {
	body := []byte(`{"event":"x"}`)
	for provider, header := range map[string]string{"gu1": receiver.GU1Header, "notus": receiver.NotusHeader} {
		v, err := receiver.ForProvider(provider, "s3cret")
		if err != nil {
			t.Fatal(err)
		}
		h := http.Header{}
		h.Set(header, sign("s3cret", body))
		if err := v.Verify(h, body); err != nil {
			t.Fatalf("%s: %v", provider, err)
		}
		other := http.Header{}
		other.Set("X-Something-Else", sign("s3cret", body))
		if err := v.Verify(other, body); !errors.Is(err, receiver.ErrSignature) {
			t.Fatalf("%s accepted a signature in the wrong header: %v", provider, err)
		}
	}
	if _, err := receiver.ForProvider("b2core", "x"); err == nil {
		t.Fatal("b2core has no signed webhooks")
	}
}

func TestForTenant(t *testing.T) {
	if v, err := receiver.ForTenant("gatenox", "token", "", "", nil); v != nil || err != nil {
		t.Fatalf("gatenox (unsigned webhooks): %v %v, want no verifier and no error", v, err)
	}
	if v, err := receiver.ForTenant("gu1", "k:o", "s", "", nil); v == nil || err != nil {
		t.Fatalf("gu1: %v %v", v, err)
	}
	if _, err := receiver.ForTenant("b2core", "t", "", "", nil); err == nil {
		t.Fatal("b2core sends no webhooks")
	}
	if _, err := receiver.ForProvider("kulipa", "s"); err == nil || !strings.Contains(err.Error(), "ForTenant") {
		t.Fatalf("ForProvider(kulipa): %v, want a pointer to ForTenant", err)
	}
}

func TestWaitEventChecksNamesAgainstTheProvidersEvents(t *testing.T) {
	rcv := receiver.New(t, receiver.WithEvents("notus", "kyc.session.verifying", "kyc.session.completed"))
	for name, want := range map[string]string{
		"kyc.session.complete":  `"kyc.session.complete" is not a notus webhook event; notus sends "kyc.session.verifying", "kyc.session.completed"`,
		"KYC.SESSION.COMPLETED": `(names are case-sensitive: "kyc.session.completed")`,
	} {
		err := rcv.CheckEvent(control.Event(name))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckEvent(%q) = %v, want it to say %s", name, err, want)
		}
	}
	if err := rcv.CheckEvent("kyc.session.completed"); err != nil {
		t.Fatal(err)
	}
	rcv.SetEvents("b2core")
	if err := rcv.CheckEvent("anything"); err == nil || err.Error() != "b2core sends no webhooks" {
		t.Fatalf("b2core: %v", err)
	}
	// Without WithEvents any name is waited for.
	if err := receiver.New(t).CheckEvent("whatever"); err != nil {
		t.Fatal(err)
	}
}

func TestATimedOutWaitNamesWhatArrived(t *testing.T) {
	rcv := receiver.New(t)
	post(t, rcv.URL, []byte(`{"event":"kyc.session.verifying"}`), "")
	post(t, rcv.URL, []byte(`{"event":"kyc.session.verifying"}`), "")
	post(t, rcv.URL, []byte(`{"eventName":"kyc.created"}`), "")
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := rcv.Receive(ctx, receiver.Named("kyc.session.completed"))
	if err == nil || !strings.Contains(err.Error(), "3 accepted (kyc.session.verifying, kyc.created), 0 refused for their signature") {
		t.Fatalf("Receive: %v", err)
	}
}
