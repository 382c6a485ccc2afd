package kulipa

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kycemu/kycemu/emulator/clock"
	"github.com/kycemu/kycemu/emulator/internal/fake"
	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/webhook"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func verifies(k *signingKey, h http.Header, body []byte) bool {
	blk, _ := pem.Decode([]byte(k.pem))
	if blk == nil {
		return false
	}
	pub, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		return false
	}
	sig, err := hex.DecodeString(h.Get(SignatureHeader))
	if err != nil {
		return false
	}
	d := sha256.Sum256([]byte(h.Get(SignatureTSHeader) + "." + string(body)))
	return ecdsa.VerifyASN1(pub.(*ecdsa.PublicKey), d[:], sig)
}

func TestSigningKeyIsSeededAndVerifies(t *testing.T) {
	a := newSigningKey(fake.New(1).Derive(Name, "k", "webhook-key"))
	b := newSigningKey(fake.New(1).Derive(Name, "k", "webhook-key"))
	c := newSigningKey(fake.New(2).Derive(Name, "k", "webhook-key"))
	if a.id != b.id || a.pem != b.pem || !a.priv.Equal(b.priv) {
		t.Fatal("same seed, different keys")
	}
	if a.id == c.id || a.pem == c.pem || a.priv.Equal(c.priv) || a.priv.Equal(a.wrong) {
		t.Fatal("keys collide")
	}
	if len(a.id) != 40 || !strings.HasPrefix(a.id, "dwk-") || !strings.HasPrefix(a.pem, "-----BEGIN PUBLIC KEY-----") {
		t.Fatalf("key %s %q", a.id, a.pem)
	}
	body := []byte(`{"eventName":"kyc.verified"}`)
	h := a.sign("whsec_x", body, t0)
	if h.Get(SignatureTSHeader) != "1772442000000" || h.Get(KeyIDHeader) != a.id {
		t.Fatalf("headers %v", h)
	}
	if der, _ := hex.DecodeString(h.Get(SignatureHeader)); len(der) < 68 || len(der) > 72 || der[0] != 0x30 {
		t.Errorf("signature is not a DER sequence: %s", h.Get(SignatureHeader))
	}
	if !verifies(a, h, body) {
		t.Fatal("signature does not verify")
	}
	if verifies(a, h, append(body, ' ')) || verifies(c, h, body) {
		t.Fatal("signature verifies what it should not")
	}
	h.Set(SignatureTSHeader, "1772442000001")
	if verifies(a, h, body) {
		t.Fatal("the timestamp is not covered")
	}
}

// TestBadSignatureFault drives the real webhook engine with a
// bad_signature fault: the hit attempt must not verify against the
// published key, the others must.
func TestBadSignatureFault(t *testing.T) {
	k := newSigningKey(fake.New(1).Derive(Name, "k", "webhook-key"))
	var mu sync.Mutex
	got := map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got[string(body)] = verifies(k, r.Header, body)
		mu.Unlock()
	}))
	defer srv.Close()
	e := webhook.New(webhook.Config{Clock: clock.NewManual(t0), Rand: fake.New(1)})
	defer e.Close()
	for _, name := range []string{"kyc.created", "kyc.verified"} {
		e.Send(provider.Event{Provider: Name, Tenant: "k", URL: srv.URL, Name: name, Body: []byte(name), Sign: k.sign,
			Faults: []provider.WebhookFault{{Event: "kyc.verified", Kind: "bad_signature"}}})
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("deliveries did not arrive")
		}
		time.Sleep(time.Millisecond)
	}
	if !got["kyc.created"] || got["kyc.verified"] {
		t.Errorf("verifies: %v", got)
	}
}
