package control

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Status is a session status in the provider's own spelling ("VERIFYING"
// for Notus, "in_review" for gu1). The packages under testkit/providers
// name each provider's statuses.
type Status string

// Event is a webhook event name in the provider's own spelling
// ("kyc.validation_approved"). The packages under testkit/providers name
// each provider's events.
type Event string

// CheckTenant reports whether tenant is shaped like a tenant of the named
// provider, so that a mistake is refused at once instead of configuring a
// tenant no request will ever belong to. A tenant is the credential a
// provider's client sends (see the Tenant function of each package under
// testkit/providers):
//
//   - notus, kulipa: the API key
//   - gatenox: the bearer token
//   - gu1: "<API key>:<organization id>" (gu1.Tenant(key, org))
//   - b2core: the client's e-mail address, lower-cased (b2core.Tenant(email))
//
// Providers kycemu does not know by name need only a non-empty tenant.
func CheckTenant(provider, tenant string) error {
	if tenant == "" {
		return fmt.Errorf("kycemu control: empty %s tenant: a tenant is the credential the provider's client sends", provider)
	}
	if strings.TrimSpace(tenant) != tenant {
		return fmt.Errorf("kycemu control: the %s tenant has leading or trailing spaces, which kycemu trims from credentials", provider)
	}
	switch provider {
	case "gu1":
		const form = `kycemu control: a gu1 tenant is "<API key>:<organization id>" (gu1.Tenant(key, org) in testkit/providers/gu1)`
		switch i := strings.LastIndexByte(tenant, ':'); {
		case i < 0 || i == len(tenant)-1:
			return fmt.Errorf("%s: this one has no organization id", form)
		case i == 0:
			return fmt.Errorf("%s: this one has no API key", form)
		}
	case "b2core":
		if !strings.Contains(tenant, "@") {
			return fmt.Errorf("kycemu control: a b2core tenant is the client's e-mail address (b2core.Tenant(email) in testkit/providers/b2core): this one has no @")
		}
		if strings.ToLower(tenant) != tenant {
			return fmt.Errorf("kycemu control: a b2core tenant is the client's e-mail address in lower case, as B2Core signs clients in (b2core.Tenant(email) lower-cases it)")
		}
	}
	return nil
}

// checkStatuses refuses, before any waiting, statuses s's kind does not
// have, listing the ones it has. It returns the kind's final statuses, for
// the wait to stop at (see stuck); against a kycemu whose catalogue lists
// no kinds it checks nothing and returns none.
func (c *Client) checkStatuses(ctx context.Context, s Session, want []Status) (final []Status, err error) {
	if len(want) == 0 {
		return nil, fmt.Errorf("kycemu control: wait for session %s: name at least one status", s.ID)
	}
	p, err := c.provider(ctx, s.Provider)
	if err != nil {
		return nil, err
	}
	k, ok := p.Kind(s.Kind)
	if !ok {
		return nil, nil
	}
	for _, w := range want {
		if slices.Contains(k.Statuses, w) {
			continue
		}
		hint := ""
		for _, st := range k.Statuses {
			if strings.EqualFold(string(st), string(w)) {
				hint = fmt.Sprintf(" (statuses are case-sensitive: %q)", st)
			}
		}
		return nil, fmt.Errorf("kycemu control: wait for session %s: %q is not a status of a %s %s%s; its statuses are %s",
			s.ID, w, s.Provider, s.Kind, hint, joinQuoted(k.Statuses))
	}
	return k.Terminal, nil
}

// stuck reports a session resting in a final status none of want.
func stuck(s Session, want, final []Status) error {
	if slices.Contains(final, s.Status) && !slices.Contains(want, s.Status) {
		return fmt.Errorf("kycemu control: wait for session %s to be %s: it is %s, a final status it will not leave",
			s.ID, joinQuoted(want), s.Status)
	}
	return nil
}

// checkSendsWebhooks refuses a provider that sends no webhooks.
func (c *Client) checkSendsWebhooks(ctx context.Context, provider string) error {
	p, err := c.provider(ctx, provider)
	if err != nil {
		return err
	}
	// A kycemu too old to list events decodes to nil: no check.
	if p.Events != nil && len(p.Events) == 0 {
		return fmt.Errorf("kycemu control: %s sends no webhooks", provider)
	}
	return nil
}

func joinQuoted[T ~string](xs []T) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = fmt.Sprintf("%q", x)
	}
	return strings.Join(q, ", ")
}
