package testkit_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kycemu/kycemu/testkit"
	"github.com/kycemu/kycemu/testkit/receiver"
)

// sdkVerifier is a Go port of the community .NET SDK's WebhookVerifier
// (Beans-BV/kulipa-dotnet-sdk, Kulipa.Sdk/Webhooks/WebhookVerifier.cs): the
// three headers must be there; the millisecond timestamp may be at most one
// minute ahead of and five minutes behind the receiver's wall clock; the
// key named by x-kulipa-key-id comes from GET <base>/webhooks/keys/{id}
// (the SDK's key cache) and must be ECDSA_SHA_256; the DER signature is
// checked over SHA-256 of "<timestamp>.<raw body>". Errors carry the SDK's
// failure reason names.
type sdkVerifier struct {
	base, apiKey string
	hc           *http.Client
	tolerance    time.Duration // the SDK's WebhookTimestampTolerance, 5 min by default
}

func (v sdkVerifier) Verify(h http.Header, body []byte) error {
	sig, ts, keyID := h.Get("x-kulipa-signature"), h.Get("x-kulipa-signature-ts"), h.Get("x-kulipa-key-id")
	if strings.TrimSpace(sig) == "" || strings.TrimSpace(ts) == "" || strings.TrimSpace(keyID) == "" {
		return errors.New("MissingHeaders")
	}
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errors.New("InvalidTimestampFormat")
	}
	at, now := time.UnixMilli(ms), time.Now() // the receiver's wall clock, as DateTime.UtcNow
	if at.After(now.Add(time.Minute)) {
		return fmt.Errorf("TimestampInFuture: %v", at)
	}
	if at.Before(now.Add(-v.tolerance)) {
		return fmt.Errorf("TimestampTooOld: %v", at)
	}
	key, err := v.key(keyID)
	if err != nil {
		return fmt.Errorf("KeyFetchFailed: %w", err)
	}
	if !strings.EqualFold(key.Algorithm, "ECDSA_SHA_256") {
		return errors.New("UnsupportedAlgorithm")
	}
	block, _ := pem.Decode([]byte(key.PublicKey))
	if block == nil {
		return errors.New("SignatureVerificationFailed: no PEM")
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	ec, ok := pub.(*ecdsa.PublicKey)
	if err != nil || !ok {
		return errors.New("SignatureVerificationFailed: not an EC key")
	}
	der, err := hex.DecodeString(sig)
	if err != nil {
		return errors.New("SignatureVerificationFailed: not hex")
	}
	digest := sha256.Sum256([]byte(ts + "." + string(body)))
	if !ecdsa.VerifyASN1(ec, digest[:], der) {
		return errors.New("SignatureVerificationFailed")
	}
	return nil
}

type sdkWebhookKey struct {
	ID        string `json:"id"`
	Algorithm string `json:"algorithm"`
	PublicKey string `json:"publicKey"`
}

func (v sdkVerifier) key(id string) (sdkWebhookKey, error) {
	var k sdkWebhookKey
	req, err := http.NewRequest(http.MethodGet, v.base+"/webhooks/keys/"+url.PathEscape(id), nil)
	if err != nil {
		return k, err
	}
	req.Header.Set("x-api-key", v.apiKey)
	resp, err := v.hc.Do(req)
	if err != nil {
		return k, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return k, fmt.Errorf("status %d", resp.StatusCode)
	}
	return k, json.NewDecoder(resp.Body).Decode(&k)
}

// kulipaRun drives one user through a full KYC (verified on the default
// plan) and another through a rejected one, and returns the receiver that
// got their webhooks, verified with the SDK's verifier.
func kulipaRun(t *testing.T, kyc *testkit.Server, advance bool) *receiver.Receiver {
	t.Helper()
	const key = "sk_sandbox_sdk"
	base := kyc.BaseURL("kulipa") // .../kulipa/v1
	rcv := receiver.New(t, receiver.WithVerifier(sdkVerifier{base: base, apiKey: key, hc: kyc.Client(), tolerance: 5 * time.Minute}))
	kyc.SetWebhookURL("kulipa", key, rcv.URL)
	call := func(method, path, body string) map[string]any {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("x-api-key", key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := kyc.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode >= 300 {
			t.Fatalf("%s %s: %d %v", method, path, resp.StatusCode, out)
		}
		return out
	}
	var kycs []string
	for _, name := range []string{"Ada", "Grace"} {
		u := call(http.MethodPost, "/users", `{"firstName":"`+name+`","lastName":"Test"}`)
		k := call(http.MethodPut, "/kycs", `{"userId":"`+u["id"].(string)+`","type":"full"}`)
		kycs = append(kycs, k["id"].(string))
		// The person completes the webview: details, both sides of a card, a selfie.
		var form bytes.Buffer
		mw := multipart.NewWriter(&form)
		for k, v := range map[string]string{"action": "complete", "firstName": name, "lastName": "Test", "dateOfBirth": "1990-01-02",
			"docCountry": "GB", "docType": "id_card", "docNumber": "X1234567"} {
			_ = mw.WriteField(k, v)
		}
		for _, f := range []string{"front", "back", "selfie"} {
			fw, _ := mw.CreateFormFile(f, f+".jpg")
			_, _ = fw.Write(append([]byte("\xff\xd8\xff\xe0"), make([]byte, 64)...))
		}
		_ = mw.Close()
		resp, err := kyc.Client().Post(k["url"].(string), mw.FormDataContentType(), &form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 400 {
			t.Fatalf("complete the webview: %d", resp.StatusCode)
		}
	}
	kyc.Reject(kycs[1], "document photo is blurry")
	if advance {
		kyc.Advance(2 * time.Second) // the review delay
	}
	kyc.WaitStatus(kycs[0], 10*time.Second, "verified")
	return rcv
}

// Every webhook of a testkit.Start test with default options passes an
// unchanged wall-clock verifier (the Kulipa SDK's, ported), and so does
// every webhook of a manual clock started at the wall-clock time (a zero
// start). A fixed start far from now is what such a verifier refuses.
func TestKulipaSDKVerifierAcceptsWebhooks(t *testing.T) {
	want := []string{"kyc.created", "kyc.submitted", "kyc.verified", "user.activated", "kyc.rejected"}
	for _, tc := range []struct {
		name    string
		opts    []testkit.Option
		advance bool
	}{
		{"default options", nil, false},
		{"manual clock from now", []testkit.Option{testkit.WithManualClock(time.Time{}), testkit.WithSeed(1)}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kyc := testkit.Start(t, tc.opts...)
			rcv := kulipaRun(t, kyc, tc.advance)
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			for {
				var got []string
				for _, e := range rcv.Events() {
					got = append(got, string(e.Name))
				}
				if len(got) >= 7 { // two created and submitted, one each of the rest
					for _, w := range want {
						if !slices.Contains(got, w) {
							t.Errorf("no %s among %v", w, got)
						}
					}
					break
				}
				if len(rcv.Rejected()) > 0 || ctx.Err() != nil {
					t.Fatalf("accepted %v, rejected %v", got, rcv.Rejected())
				}
				time.Sleep(10 * time.Millisecond)
			}
			if r := rcv.Rejected(); len(r) > 0 {
				t.Fatalf("the SDK's verifier refused %v", r)
			}
		})
	}

	// A fixed start far from now keeps bodies deterministic, and the
	// signatures still carry the wall-clock time the receiver checks.
	t.Run("fixed start in the past", func(t *testing.T) {
		kyc := testkit.Start(t, testkit.WithManualClock(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)))
		rcv := kulipaRun(t, kyc, true)
		deadline := time.Now().Add(10 * time.Second)
		for len(rcv.Events()) < 7 && len(rcv.Rejected()) == 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if r := rcv.Rejected(); len(r) > 0 || len(rcv.Events()) < 7 {
			t.Fatalf("a 2020 clock: accepted %d, rejected %v", len(rcv.Events()), r)
		}
		var body struct{ CreatedAt string }
		_ = rcv.Events()[0].Decode(&body)
		if !strings.HasPrefix(body.CreatedAt, "2020-01-01") {
			t.Fatalf("the body does not carry the emulator's time: %+v", body)
		}
	})
}
