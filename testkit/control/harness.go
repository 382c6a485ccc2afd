package control

import (
	"context"
	"fmt"
	"time"
)

// TB is the part of testing.TB a Harness uses; *testing.T, *testing.B and
// *testing.F satisfy it.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
	Context() context.Context
}

// Panicker is a TB for code that runs outside a test (TestMain, examples,
// programs): Fatalf panics with the message.
type Panicker struct{}

// Helper does nothing.
func (Panicker) Helper() {}

// Fatalf panics.
func (Panicker) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }

// Context returns context.Background().
func (Panicker) Context() context.Context { return context.Background() }

// Harness is a Client bound to a test: every method fails the test (with
// t.Fatalf) instead of returning an error, and uses the test's context. It
// is what testkit.Server embeds and what container.Container.Harness
// returns, so a test reads the same against either. Like t.Fatalf, its
// methods must be called from the test's goroutine.
type Harness struct {
	t TB
	c *Client
}

// NewHarness binds c to t.
func NewHarness(t TB, c *Client) *Harness { return &Harness{t: t, c: c} }

// callTimeout bounds each control call made through a Harness.
const callTimeout = 30 * time.Second

func (h *Harness) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(h.t.Context(), callTimeout)
}

// Control returns the underlying Client, for calls that should return an
// error rather than fail the test.
func (h *Harness) Control() *Client { return h.c }

// BaseURL returns the URL that replaces the named provider's real base URL,
// e.g. <URL>/notus/api/v1 for "notus".
func (h *Harness) BaseURL(provider string) string {
	h.t.Helper()
	ctx, cancel := h.ctx()
	defer cancel()
	u, err := h.c.BaseURL(ctx, provider)
	if err != nil {
		h.t.Fatalf("kycemu: base URL of %s: %v", provider, err)
	}
	return u
}

// Session returns one session by id.
func (h *Harness) Session(id string) Session {
	h.t.Helper()
	ctx, cancel := h.ctx()
	defer cancel()
	s, err := h.c.Session(ctx, id)
	if err != nil {
		h.t.Fatalf("kycemu: get session %s: %v", id, err)
	}
	return s
}

// Sessions lists sessions, oldest first.
func (h *Harness) Sessions(f SessionFilter) []Session {
	h.t.Helper()
	ctx, cancel := h.ctx()
	defer cancel()
	s, err := h.c.Sessions(ctx, f)
	if err != nil {
		h.t.Fatalf("kycemu: list sessions: %v", err)
	}
	return s
}

// Act forces an action on a session and returns the session after it.
func (h *Harness) Act(id, action string) Session {
	h.t.Helper()
	ctx, cancel := h.ctx()
	defer cancel()
	s, err := h.c.Act(ctx, id, action, "")
	if err != nil {
		h.t.Fatalf("kycemu: %s session %s: %v", action, id, err)
	}
	return s
}

// Approve forces a session to its approved outcome.
func (h *Harness) Approve(id string) Session {
	h.t.Helper()
	return h.Act(id, "approve")
}

// Reject forces a session to its rejected outcome, with a reason (may be
// empty).
func (h *Harness) Reject(id, reason string) Session {
	h.t.Helper()
	ctx, cancel := h.ctx()
	defer cancel()
	s, err := h.c.Reject(ctx, id, reason)
	if err != nil {
		h.t.Fatalf("kycemu: reject session %s: %v", id, err)
	}
	return s
}

// Expire forces a session to expire.
func (h *Harness) Expire(id string) Session {
	h.t.Helper()
	return h.Act(id, "expire")
}

// WaitStatus polls a session until its status is one of statuses, failing
// the test after timeout. Meant for a real clock: on a manual clock, call
// Advance. A status the session's kind does not have, or a session already
// in another final status, fails the test at once, naming the valid
// statuses (see Client.WaitStatus).
func (h *Harness) WaitStatus(id string, timeout time.Duration, statuses ...Status) Session {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(h.t.Context(), timeout)
	defer cancel()
	s, err := h.c.WaitStatus(ctx, id, 20*time.Millisecond, statuses...)
	if err != nil {
		h.t.Fatalf("%v", err)
	}
	return s
}

// Advance moves a manual clock forward by d, firing everything that falls
// due, and returns the new time.
func (h *Harness) Advance(d time.Duration) time.Time {
	h.t.Helper()
	ctx, cancel := h.ctx()
	defer cancel()
	k, err := h.c.Advance(ctx, d)
	if err != nil {
		h.t.Fatalf("kycemu: advance clock by %s: %v", d, err)
	}
	return k.Now
}

// Now reads the emulator clock.
func (h *Harness) Now() time.Time {
	h.t.Helper()
	ctx, cancel := h.ctx()
	defer cancel()
	k, err := h.c.Clock(ctx)
	if err != nil {
		h.t.Fatalf("kycemu: read clock: %v", err)
	}
	return k.Now
}

// Requests reads the request journal, oldest first.
func (h *Harness) Requests(f RequestFilter) []Request {
	h.t.Helper()
	ctx, cancel := h.ctx()
	defer cancel()
	r, err := h.c.Requests(ctx, f)
	if err != nil {
		h.t.Fatalf("kycemu: read journal: %v", err)
	}
	return r
}

// Reset forgets all state.
func (h *Harness) Reset() {
	h.t.Helper()
	ctx, cancel := h.ctx()
	defer cancel()
	if err := h.c.Reset(ctx); err != nil {
		h.t.Fatalf("kycemu: reset: %v", err)
	}
}

// ResetTenant forgets one tenant's state.
func (h *Harness) ResetTenant(tenant string) {
	h.t.Helper()
	ctx, cancel := h.ctx()
	defer cancel()
	if err := h.c.ResetTenant(ctx, tenant); err != nil {
		h.t.Fatalf("kycemu: reset tenant: %v", err)
	}
}

// Deliveries reads the webhook delivery journal, oldest first.
func (h *Harness) Deliveries(f DeliveryFilter) []Delivery {
	h.t.Helper()
	ctx, cancel := h.ctx()
	defer cancel()
	d, err := h.c.Deliveries(ctx, f)
	if err != nil {
		h.t.Fatalf("kycemu: read webhook deliveries: %v", err)
	}
	return d
}

// Redeliver sends a finished delivery's event again.
func (h *Harness) Redeliver(id string) Delivery {
	h.t.Helper()
	ctx, cancel := h.ctx()
	defer cancel()
	d, err := h.c.Redeliver(ctx, id)
	if err != nil {
		h.t.Fatalf("kycemu: redeliver %s: %v", id, err)
	}
	return d
}

// WebhookSecret returns the secret that signs a tenant's webhooks.
func (h *Harness) WebhookSecret(provider, tenant string) string {
	h.t.Helper()
	ctx, cancel := h.ctx()
	defer cancel()
	w, err := h.c.WebhookConfig(ctx, provider, tenant)
	if err != nil {
		h.t.Fatalf("kycemu: webhook secret of %s: %v", provider, err)
	}
	return w.Secret
}

// SetWebhookURL sends a provider's webhooks for one tenant (every tenant
// when tenant is "") to target.
func (h *Harness) SetWebhookURL(provider, tenant, target string) {
	h.t.Helper()
	ctx, cancel := h.ctx()
	defer cancel()
	if err := h.c.SetWebhookURL(ctx, provider, tenant, target); err != nil {
		h.t.Fatalf("kycemu: set webhook url of %s: %v", provider, err)
	}
}

// RouteWebhooks sends a tenant's webhooks of a provider to target and
// returns the secret that signs them.
func (h *Harness) RouteWebhooks(provider, tenant, target string) string {
	h.t.Helper()
	ctx, cancel := h.ctx()
	defer cancel()
	secret, err := h.c.RouteWebhooks(ctx, provider, tenant, target)
	if err != nil {
		h.t.Fatalf("kycemu: route webhooks of %s: %v", provider, err)
	}
	return secret
}

// UseScenario makes a scenario the tenant's default for its new sessions.
func (h *Harness) UseScenario(provider, tenant, name string) {
	h.t.Helper()
	ctx, cancel := h.ctx()
	defer cancel()
	if err := h.c.UseScenario(ctx, provider, tenant, name); err != nil {
		h.t.Fatalf("kycemu: use scenario %s/%s: %v", provider, name, err)
	}
}

// PutScenario adds (or replaces) a scenario from its YAML.
func (h *Harness) PutScenario(provider, name string, yaml string) Scenario {
	h.t.Helper()
	ctx, cancel := h.ctx()
	defer cancel()
	sc, err := h.c.PutScenario(ctx, provider, name, []byte(yaml))
	if err != nil {
		h.t.Fatalf("kycemu: put scenario %s/%s: %v", provider, name, err)
	}
	return sc
}

// Scenarios lists the scenarios in force for a provider ("" for all).
func (h *Harness) Scenarios(provider string) []Scenario {
	h.t.Helper()
	ctx, cancel := h.ctx()
	defer cancel()
	scs, err := h.c.Scenarios(ctx, provider)
	if err != nil {
		h.t.Fatalf("kycemu: list scenarios: %v", err)
	}
	return scs
}

// S3 returns a provider's bucket credentials and endpoint (only notus has
// a bucket), for presigning and uploading with an S3 client.
func (h *Harness) S3(provider string) S3 {
	h.t.Helper()
	ctx, cancel := h.ctx()
	defer cancel()
	s, err := h.c.S3(ctx, provider)
	if err != nil {
		h.t.Fatalf("kycemu: S3 credentials of %s: %v", provider, err)
	}
	return s
}
