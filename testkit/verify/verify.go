// Package verify checks kycemu's webhook signatures the way each provider
// tells an integrator to: gu1's HMAC header, Kulipa's ECDSA signatures with
// keys fetched from its key endpoint, and the HMAC of kycemu's invented
// Notus webhooks. testkit/receiver uses it; so does kycemu's drift proxy,
// which is why it imports nothing of the testing packages.
package verify

import (
	"context"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Verifier checks the signature of one delivery.
type Verifier interface {
	Verify(h http.Header, body []byte) error
}

// VerifierFunc adapts a function to Verifier.
type VerifierFunc func(h http.Header, body []byte) error

// Verify calls f.
func (f VerifierFunc) Verify(h http.Header, body []byte) error { return f(h, body) }

// ErrSignature is wrapped by every signature failure.
var ErrSignature = errors.New("webhook signature does not verify")

// HMACSHA256 verifies a header holding the hex HMAC-SHA256 of the raw body
// under secret (an optional "sha256=" prefix is accepted). This is gu1's
// X-Webhook-Signature scheme.
func HMACSHA256(header, secret string) Verifier {
	return VerifierFunc(func(h http.Header, body []byte) error {
		got := strings.TrimPrefix(strings.TrimSpace(h.Get(header)), "sha256=")
		if got == "" {
			return fmt.Errorf("%w: no %s header", ErrSignature, header)
		}
		sig, err := hex.DecodeString(got)
		if err != nil {
			return fmt.Errorf("%w: %s is not hex", ErrSignature, header)
		}
		m := hmac.New(sha256.New, []byte(secret))
		m.Write(body)
		if !hmac.Equal(sig, m.Sum(nil)) {
			return fmt.Errorf("%w: %s does not match the body", ErrSignature, header)
		}
		return nil
	})
}

// Signature headers of the providers whose webhooks kycemu signs with an
// HMAC-SHA256 of the raw body.
const (
	// GU1Header is gu1's documented signature header.
	GU1Header = "X-Webhook-Signature"
	// NotusHeader is the header of kycemu's invented Notus webhooks (Notus
	// documents none).
	NotusHeader = "X-Notus-Signature"
)

// ForProvider returns the verifier of a provider's webhook signatures under
// a tenant's secret (read it from the control API: Harness.WebhookSecret).
func ForProvider(provider, secret string) (Verifier, error) {
	switch provider {
	case "gu1":
		return HMACSHA256(GU1Header, secret), nil
	case "notus":
		return HMACSHA256(NotusHeader, secret), nil
	case "kulipa":
		return nil, fmt.Errorf("verify: kulipa signs with published keys, not a secret: use Kulipa or ForTenant")
	}
	return nil, fmt.Errorf("verify: no signature scheme known for provider %q", provider)
}

// Kulipa's webhook signature headers.
const (
	KulipaSignatureHeader = "x-kulipa-signature"
	KulipaTimestampHeader = "x-kulipa-signature-ts"
	KulipaKeyIDHeader     = "x-kulipa-key-id"
)

// KeySource returns the public key a key id names.
type KeySource func(ctx context.Context, keyID string) (*ecdsa.PublicKey, error)

// Kulipa verifies Kulipa's webhooks: x-kulipa-signature is the hex of a
// DER ECDSA P-256 signature over SHA-256 of "<x-kulipa-signature-ts>.<raw
// body>", made with the key x-kulipa-key-id names, which keys returns.
func Kulipa(keys KeySource) Verifier {
	return VerifierFunc(func(h http.Header, body []byte) error {
		sigHex, ts, id := h.Get(KulipaSignatureHeader), h.Get(KulipaTimestampHeader), h.Get(KulipaKeyIDHeader)
		if sigHex == "" || ts == "" || id == "" {
			return fmt.Errorf("%w: missing %s, %s or %s", ErrSignature, KulipaSignatureHeader, KulipaTimestampHeader, KulipaKeyIDHeader)
		}
		sig, err := hex.DecodeString(sigHex)
		if err != nil {
			return fmt.Errorf("%w: %s is not hex", ErrSignature, KulipaSignatureHeader)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		pub, err := keys(ctx, id)
		if err != nil {
			return fmt.Errorf("%w: key %s: %v", ErrSignature, id, err)
		}
		digest := sha256.Sum256([]byte(ts + "." + string(body)))
		if !ecdsa.VerifyASN1(pub, digest[:], sig) {
			return fmt.Errorf("%w: %s does not match the body", ErrSignature, KulipaSignatureHeader)
		}
		return nil
	})
}

// KulipaKeys fetches signing keys the way Kulipa's SDK does, from GET
// <baseURL>/webhooks/keys/{keyId} with the tenant's API key (baseURL is
// Kulipa's API base, such as kycemu's <url>/kulipa/v1), and caches them.
func KulipaKeys(baseURL, apiKey string, hc *http.Client) KeySource {
	if hc == nil {
		hc = http.DefaultClient
	}
	var mu sync.Mutex
	cache := map[string]*ecdsa.PublicKey{}
	return func(ctx context.Context, keyID string) (*ecdsa.PublicKey, error) {
		mu.Lock()
		defer mu.Unlock()
		if k, ok := cache[keyID]; ok {
			return k, nil
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet,
			strings.TrimSuffix(baseURL, "/")+"/webhooks/keys/"+url.PathEscape(keyID), nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("x-api-key", apiKey)
		resp, err := hc.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("key endpoint answered %d", resp.StatusCode)
		}
		var v struct {
			Algorithm string `json:"algorithm"`
			PublicKey string `json:"publicKey"`
		}
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, fmt.Errorf("key endpoint: %w", err)
		}
		block, _ := pem.Decode([]byte(v.PublicKey))
		if block == nil {
			return nil, fmt.Errorf("key %s is not PEM", keyID)
		}
		pub, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("key %s: %w", keyID, err)
		}
		k, ok := pub.(*ecdsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("key %s is not an ECDSA key", keyID)
		}
		cache[keyID] = k
		return k, nil
	}
}

// ForTenant returns the verifier of a provider's webhooks to one tenant,
// however the provider signs them: with the tenant's secret (gu1, Notus),
// or with a published key fetched from the provider's API at
// providerBaseURL with the tenant's API key (Kulipa). It returns a nil
// Verifier for a provider whose webhooks are unsigned (Gatenox, as
// documented), and an error for one that sends none.
func ForTenant(provider, tenant, secret, providerBaseURL string, hc *http.Client) (Verifier, error) {
	switch provider {
	case "kulipa":
		return Kulipa(KulipaKeys(providerBaseURL, tenant, hc)), nil
	case "gatenox":
		return nil, nil
	}
	return ForProvider(provider, secret)
}
