// Package gatenox emulates the individual-verification (KYC) API of Gatenox:
// batches of invitations whose invitation_url kycemu serves as a hosted
// page, the KYC case (verification_individual) an invited person's
// submission creates, with its person, addresses, documents and
// attachments, revisions by timestamp and an audit log; the compliance
// officer's state endpoints (start, qa, back_to_compliance, complete,
// reopen, rejected); externally calculated risk scores; and unsigned
// state_change webhooks.
package gatenox

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/specs"
)

// Name is the mount name.
const Name = "gatenox"

// Provider is the Gatenox emulation.
type Provider struct {
	env     provider.Env
	spec    []byte
	tenants *provider.Tenants[tenant]

	mu      sync.RWMutex
	index   map[string]*tenant // invitation and case ids -> owner, for the control API
	byToken map[string]*tenant // invitation token -> owner, for the hosted page
}

// New builds the provider.
func New(env provider.Env) *Provider {
	p := &Provider{
		env:     env,
		spec:    specs.MustRead(Name),
		index:   map[string]*tenant{},
		byToken: map[string]*tenant{},
	}
	p.tenants = provider.NewTenants(p.newTenant)
	return p
}

// Name returns "gatenox".
func (p *Provider) Name() string { return Name }

// Spec returns the OpenAPI document.
func (p *Provider) Spec() []byte { return p.spec }

// Hosts returns the production and sandbox API hosts.
func (p *Provider) Hosts() []string {
	return []string{"api.app.gatenox.com", "api.sandbox.gatenox.com"}
}

// Handlers maps operations to handlers. Each handler reports the time it
// took on the emulator clock in X-Runtime.
func (p *Provider) Handlers() map[string]provider.Handler {
	hs := map[string]provider.Handler{
		"createIndividualInvites":                p.createInvites,
		"listIndividualInvites":                  p.listInvites,
		"listVerificationIndividuals":            p.listCases,
		"getVerificationIndividual":              p.getCase,
		"getVerificationIndividualPerson":        p.getPerson,
		"listVerificationIndividualAddresses":    p.listAddresses,
		"getVerificationIndividualAddress":       p.getAddress,
		"getVerificationIndividualAuditLog":      p.getAuditLog,
		"startVerificationIndividual":            p.stateCall(evStart),
		"qaVerificationIndividual":               p.stateCall(evQA),
		"backToComplianceVerificationIndividual": p.stateCall(evBackToCompliance),
		"completeVerificationIndividual":         p.stateCall(evComplete),
		"reopenVerificationIndividual":           p.stateCall(evReopen),
		"rejectVerificationIndividual":           p.stateCall(evReject),
		"downloadAttachment":                     p.download,
		"uploadExternalRiskScore":                p.uploadRiskScore,
	}
	for op, h := range hs {
		hs[op] = p.timed(h)
	}
	return hs
}

// timed sets X-Runtime once the handler is done. The core buffers the
// response until the pipeline ends, so the header still goes out with it.
func (p *Provider) timed(h provider.Handler) provider.Handler {
	return func(c *provider.Call) error {
		start := p.env.Clock.Now()
		err := h(c)
		c.W.Header().Set("X-Runtime", runtimeOf(p.env.Clock.Now().Sub(start)))
		return err
	}
}

func runtimeOf(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	return fmt.Sprintf("%.6f", d.Seconds())
}

// Extras serves the hosted invitation page behind invitation_url.
func (p *Provider) Extras() []provider.Route {
	return []provider.Route{
		{Method: http.MethodGet, Path: "/invitations/kyc/{token}", Handler: http.HandlerFunc(p.page)},
		{Method: http.MethodPost, Path: "/invitations/kyc/{token}", Handler: http.HandlerFunc(p.pageAction)},
	}
}

// Authenticate takes the company access token from Authorization: Bearer;
// the token is the tenant. A token blocked through the control API is
// refused like a missing one.
func (p *Provider) Authenticate(r *http.Request) (string, *provider.Error) {
	scheme, token, _ := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	token = strings.TrimSpace(token)
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", provider.Errorf(provider.KindUnauthorized, "missing token")
	}
	if t, ok := p.tenants.Lookup(token); ok {
		t.mu.Lock()
		blocked := t.settings.Blocked
		t.mu.Unlock()
		if blocked {
			return "", provider.Errorf(provider.KindUnauthorized, "the token is blocked")
		}
	}
	return token, nil
}

// contentType is what Gatenox, a Rails application, answers JSON with.
const contentType = "application/json; charset=utf-8"

// reply writes a JSON answer with Gatenox's headers.
func reply(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Cache-Control", "no-store, must-revalidate, private, max-age=0")
	if h.Get("X-Runtime") == "" {
		h.Set("X-Runtime", runtimeOf(0))
	}
	provider.WriteJSONType(w, status, contentType, v)
}

// ok answers a call with 200 (or status) and v.
func ok(c *provider.Call, status int, v any) error {
	reply(c.W, status, v)
	return nil
}

// stamp formats times as Rails does in Gatenox's answers.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func stampPtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := stamp(*t)
	return &s
}

func strPtr(s string) *string { return &s }

// optional turns "" into nil.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
