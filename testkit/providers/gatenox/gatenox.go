// Package gatenox names what kycemu's Gatenox emulation knows, for tests:
// its invitations and cases (individual and corporate) and screening
// checks, their statuses and the (unsigned) webhook events it sends.
package gatenox

import "strings"

// Tenant returns the tenant of a Gatenox API token (Authorization: Bearer
// <token>): the token itself, trimmed as kycemu trims it.
func Tenant(token string) string { return strings.TrimSpace(token) }
