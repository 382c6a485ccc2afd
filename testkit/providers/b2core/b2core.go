// Package b2core names what kycemu's B2Core emulation knows, for tests: its
// verification statuses. B2Core sends no webhooks.
package b2core

import "strings"

// Tenant returns the tenant of a B2Core client: its e-mail address as it
// signs up or in, trimmed and lower-cased as kycemu (and B2Core) compare
// addresses. Tokens from its sign-in belong to that tenant.
func Tenant(email string) string { return strings.ToLower(strings.TrimSpace(email)) }
