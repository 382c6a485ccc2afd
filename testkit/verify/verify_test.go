package verify_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/kycemu/kycemu/testkit/verify"
)

func hmacHex(secret, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(body))
	return hex.EncodeToString(m.Sum(nil))
}

func TestHMACSHA256(t *testing.T) {
	v := verify.HMACSHA256(verify.GU1Header, "s3cret")
	body := `{"event":"kyc.validation_approved"}`
	good := hmacHex("s3cret", body)
	for _, tc := range []struct {
		name, header string
		ok           bool
	}{
		{"the signature", good, true},
		{"with a sha256= prefix", "sha256=" + good, true},
		{"missing", "", false},
		{"not hex", "zz" + good[2:], false},
		{"another secret", hmacHex("other", body), false},
		{"another body", hmacHex("s3cret", body+" "), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.header != "" {
				h.Set(verify.GU1Header, tc.header)
			}
			err := v.Verify(h, []byte(body))
			if tc.ok != (err == nil) || (err != nil && !errors.Is(err, verify.ErrSignature)) {
				t.Fatalf("verify: %v (want ok=%v)", err, tc.ok)
			}
		})
	}
}

func TestForProviderAndTenant(t *testing.T) {
	for prov, header := range map[string]string{"gu1": verify.GU1Header, "notus": verify.NotusHeader} {
		v, err := verify.ForProvider(prov, "k")
		if err != nil {
			t.Fatal(err)
		}
		h := http.Header{header: {hmacHex("k", "x")}}
		if err := v.Verify(h, []byte("x")); err != nil {
			t.Errorf("%s: %v", prov, err)
		}
	}
	if _, err := verify.ForProvider("kulipa", "k"); err == nil || !strings.Contains(err.Error(), "ForTenant") {
		t.Errorf("kulipa by secret: %v", err)
	}
	if _, err := verify.ForProvider("b2core", "k"); err == nil {
		t.Error("b2core sends no webhooks, yet has a verifier")
	}
	if v, err := verify.ForTenant("gatenox", "token", "", "", nil); v != nil || err != nil {
		t.Errorf("gatenox is unsigned: %v %v", v, err)
	}
}

// kulipaKeys serves one P-256 key the way Kulipa's key endpoint does and
// counts the requests.
func kulipaKeys(t *testing.T, key *ecdsa.PrivateKey) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if r.Header.Get("x-api-key") != "api-key" || r.URL.Path != "/v1/webhooks/keys/dwk-1" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"id": "dwk-1", "algorithm": "ECDSA_SHA_256", "publicKey": pemKey})
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestKulipa(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	srv, fetched := kulipaKeys(t, key)
	v, err := verify.ForTenant("kulipa", "api-key", "", srv.URL+"/v1", srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"eventName":"kyc.verified"}`)
	sign := func(ts string, b []byte) string {
		d := sha256.Sum256([]byte(ts + "." + string(b)))
		sig, err := ecdsa.SignASN1(rand.Reader, key, d[:])
		if err != nil {
			t.Fatal(err)
		}
		return hex.EncodeToString(sig)
	}
	headers := func(sig, ts, id string) http.Header {
		h := http.Header{}
		for k, v := range map[string]string{verify.KulipaSignatureHeader: sig, verify.KulipaTimestampHeader: ts, verify.KulipaKeyIDHeader: id} {
			if v != "" {
				h.Set(k, v)
			}
		}
		return h
	}
	good := sign("1767225600000", body)
	for _, tc := range []struct {
		name string
		h    http.Header
		ok   bool
	}{
		{"signed", headers(good, "1767225600000", "dwk-1"), true},
		{"another timestamp", headers(good, "1767225600001", "dwk-1"), false},
		{"not hex", headers("xyz", "1767225600000", "dwk-1"), false},
		{"no key id", headers(good, "1767225600000", ""), false},
		{"unknown key", headers(good, "1767225600000", "dwk-2"), false},
		{"signed over another body", headers(sign("1767225600000", []byte("{}")), "1767225600000", "dwk-1"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := v.Verify(tc.h, body)
			if tc.ok != (err == nil) || (err != nil && !errors.Is(err, verify.ErrSignature)) {
				t.Fatalf("verify: %v (want ok=%v)", err, tc.ok)
			}
		})
	}
	// The key was fetched once and then cached; the unknown one asked once.
	if n := fetched.Load(); n != 2 {
		t.Fatalf("the key endpoint was asked %d times, want 2", n)
	}
}
