// Package gu1 names what kycemu's gu1.ai emulation knows, for tests: its
// validations, their statuses and the webhook events it sends (signed with
// X-Webhook-Signature).
package gu1

import "strings"

// Tenant returns the tenant of a gu1 API key (Authorization: Bearer <key>)
// and organization id (X-Organization-ID): "<key>:<organization id>", each
// part trimmed as kycemu trims them. Every pair is its own tenant.
func Tenant(apiKey, organizationID string) string {
	return strings.TrimSpace(apiKey) + ":" + strings.TrimSpace(organizationID)
}
