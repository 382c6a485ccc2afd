package receiver

import (
	"net/http"

	"github.com/kycemu/kycemu/testkit/verify"
)

// Kulipa's webhook signature headers.
const (
	KulipaSignatureHeader = verify.KulipaSignatureHeader
	KulipaTimestampHeader = verify.KulipaTimestampHeader
	KulipaKeyIDHeader     = verify.KulipaKeyIDHeader
)

// KeySource returns the public key a key id names.
type KeySource = verify.KeySource

// Kulipa verifies Kulipa's webhooks: x-kulipa-signature is the hex of a
// DER ECDSA P-256 signature over SHA-256 of "<x-kulipa-signature-ts>.<raw
// body>", made with the key x-kulipa-key-id names, which keys returns.
func Kulipa(keys KeySource) Verifier { return verify.Kulipa(keys) }

// KulipaKeys fetches signing keys the way Kulipa's SDK does, from GET
// <baseURL>/webhooks/keys/{keyId} with the tenant's API key (baseURL is
// Kulipa's API base, such as kycemu's <url>/kulipa/v1), and caches them.
func KulipaKeys(baseURL, apiKey string, hc *http.Client) KeySource {
	return verify.KulipaKeys(baseURL, apiKey, hc)
}

// ForTenant returns the verifier of a provider's webhooks to one tenant,
// however the provider signs them: with the tenant's secret (gu1, Notus),
// or with a published key fetched from the provider's API at
// providerBaseURL with the tenant's API key (Kulipa). It returns a nil
// Verifier for a provider whose webhooks are unsigned (Gatenox).
func ForTenant(provider, tenant, secret, providerBaseURL string, hc *http.Client) (Verifier, error) {
	return verify.ForTenant(provider, tenant, secret, providerBaseURL, hc)
}
