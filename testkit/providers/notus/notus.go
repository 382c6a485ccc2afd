// Package notus names what kycemu's Notus Labs emulation knows, for tests:
// its kinds of session, their statuses and the webhook events kycemu sends
// (Notus documents none; kycemu's are signed with X-Notus-Signature).
package notus

import "strings"

// Tenant returns the tenant of a Notus API key (the x-api-key header): the
// key itself, trimmed as kycemu trims it.
func Tenant(apiKey string) string { return strings.TrimSpace(apiKey) }
