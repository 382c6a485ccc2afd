package receiver_test

import (
	"bytes"
	"fmt"
	"net/http"
	"time"

	"github.com/kycemu/kycemu/testkit/receiver"
)

func ExampleReceiver_Wait() {
	// In a test: receiver.New(t, ...), which closes with the test and fails
	// it when Wait times out.
	rcv := receiver.Listen(receiver.WithVerifier(receiver.HMACSHA256("X-Webhook-Signature", "whsec_demo")))
	defer rcv.Close()

	// kycemu would send this; here it is sent by hand.
	body := []byte(`{"event":"kyc.validation_approved","payload":{"status":"approved"}}`)
	req, _ := http.NewRequest(http.MethodPost, rcv.URL+"/webhooks/kyc", bytes.NewReader(body))
	req.Header.Set("X-Webhook-Signature", sign("whsec_demo", body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	resp.Body.Close()

	ev := rcv.WaitEvent(5*time.Second, "kyc.validation_approved")
	fmt.Println(ev.Name, ev.Verified, ev.Path)
	// Output: kyc.validation_approved true /webhooks/kyc
}

func ExampleHMACSHA256() {
	v := receiver.HMACSHA256("X-Webhook-Signature", "whsec_demo")
	body := []byte(`{"event":"kyc.validation_rejected"}`)

	h := http.Header{}
	h.Set("X-Webhook-Signature", sign("whsec_demo", body))
	fmt.Println(v.Verify(h, body))
	h.Set("X-Webhook-Signature", sign("a-guess", body))
	fmt.Println(v.Verify(h, body))
	// Output:
	// <nil>
	// webhook signature does not verify: X-Webhook-Signature does not match the body
}

func ExampleFailFirst() {
	rcv := receiver.Listen(receiver.FailFirst(1))
	defer rcv.Close()
	for range 2 {
		resp, _ := http.Post(rcv.URL, "application/json", bytes.NewReader([]byte(`{"event":"ping"}`)))
		fmt.Println(resp.StatusCode)
		resp.Body.Close()
	}
	fmt.Println(len(rcv.Events()), "accepted of", rcv.Attempts())
	// Output:
	// 500
	// 204
	// 1 accepted of 2
}

func ExampleForProvider() {
	// The secret comes from kycemu's control API (Harness.WebhookSecret).
	v, _ := receiver.ForProvider("gu1", "whsec_demo")
	body := []byte(`{"event":"kyc.validation_approved"}`)
	h := http.Header{}
	h.Set(receiver.GU1Header, sign("whsec_demo", body))
	fmt.Println(v.Verify(h, body))
	// Output: <nil>
}
