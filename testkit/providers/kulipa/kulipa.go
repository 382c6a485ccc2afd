// Package kulipa names what kycemu's Kulipa emulation knows, for tests: its
// KYC statuses and the webhook events it sends (ECDSA-signed).
package kulipa

import "strings"

// Tenant returns the tenant of a Kulipa API key (the x-api-key header): the
// key itself, trimmed as kycemu trims it.
func Tenant(apiKey string) string { return strings.TrimSpace(apiKey) }
