// Package kulipa emulates the user and KYC API of Kulipa, the
// stablecoin card-issuing platform: users that become active once a full KYC
// is verified, KYCs started with PUT /v1/kycs (full, shipping, rfi, import)
// and completed in a Persona-like webview that kycemu serves, the export of
// verified identity data, idempotency keys, per-key rate limits, paged lists,
// and webhooks signed with a per-tenant ECDSA P-256 key whose public half is
// served by GET /v1/webhooks/keys/{keyId}.
package kulipa

import (
	"net/http"
	"strings"
	"sync"

	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/specs"
)

// Name is the mount name.
const Name = "kulipa"

// Provider is the Kulipa emulation.
type Provider struct {
	env     provider.Env
	spec    []byte
	tenants *provider.Tenants[tenant]

	mu        sync.RWMutex
	defaults  Settings        // provider-wide settings; survive Reset
	kycs      map[string]*kyc // kyc id -> KYC, for the control API
	inquiries map[string]*kyc // webview inquiry id -> KYC, for the webview
}

// New builds the provider.
func New(env provider.Env) *Provider {
	p := &Provider{
		env:       env,
		spec:      specs.MustRead(Name),
		defaults:  DefaultSettings(),
		kycs:      map[string]*kyc{},
		inquiries: map[string]*kyc{},
	}
	p.tenants = provider.NewTenants(p.newTenant)
	return p
}

// Name returns "kulipa".
func (p *Provider) Name() string { return Name }

// Spec returns the OpenAPI document.
func (p *Provider) Spec() []byte { return p.spec }

// Hosts returns the real API host.
func (p *Provider) Hosts() []string { return []string{"api.kulipa.xyz"} }

// Handlers maps operations to handlers. Every handler runs behind the
// rate-limit headers; the two writes also behind the idempotency store.
func (p *Provider) Handlers() map[string]provider.Handler {
	return map[string]provider.Handler{
		"createUser":    p.op(p.createUser, true),
		"getUser":       p.op(p.getUser, false),
		"listUsers":     p.op(p.listUsers, false),
		"createKyc":     p.op(p.createKyc, true),
		"getKyc":        p.op(p.getKyc, false),
		"listKycs":      p.op(p.listKycs, false),
		"exportKyc":     p.op(p.exportKyc, false),
		"getWebhookKey": p.op(p.getWebhookKey, false),

		"setUserPhoneNumber":     p.op(p.setUserPhoneNumber, true),
		"setUserEmail":           p.op(p.setUserEmail, true),
		"setUserAddress":         p.op(p.setUserAddress, true),
		"setUserShippingAddress": p.op(p.setUserShippingAddress, true),
		"listCards":              p.op(p.listCards, false),
	}
}

// Extras serves the KYC webview behind a KYC's url.
func (p *Provider) Extras() []provider.Route {
	return []provider.Route{
		{Method: http.MethodGet, Path: "/_webview/{inquiryId}", Handler: http.HandlerFunc(p.webview)},
		{Method: http.MethodPost, Path: "/_webview/{inquiryId}", Handler: http.HandlerFunc(p.webviewAction)},
	}
}

// APIKeyHeader carries the API key.
const APIKeyHeader = "x-api-key"

// Authenticate takes the x-api-key header as the tenant and counts the
// request against the tenant's rate limit: a request over the limit is
// refused here with 429, before validation and before any handler.
func (p *Provider) Authenticate(r *http.Request) (string, *provider.Error) {
	key := strings.TrimSpace(r.Header.Get(APIKeyHeader))
	if key == "" {
		return "", provider.Errorf(provider.KindUnauthorized,
			"missing API key: send it in the x-api-key header").WithCode("authentication_error")
	}
	if e := p.take(p.tenants.Get(key)); e != nil {
		return "", e
	}
	return key, nil
}

// kindCodes maps error kinds to Kulipa-style codes (only
// duplicate_user_error is documented; the rest follow its pattern).
var kindCodes = map[provider.Kind]string{
	provider.KindInvalid:       "validation_error",
	provider.KindUnauthorized:  "authentication_error",
	provider.KindForbidden:     "permission_error",
	provider.KindNotFound:      "not_found_error",
	provider.KindMethod:        "method_not_allowed_error",
	provider.KindConflict:      "conflict_error",
	provider.KindTooLarge:      "payload_too_large_error",
	provider.KindUnprocessable: "validation_error",
	provider.KindRateLimited:   "rate_limit_error",
	provider.KindUnavailable:   "service_unavailable_error",
	provider.KindInternal:      "internal_error",
}

type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// WriteError writes {"code","message"}; the message starts with the
// offending input's name when there is one. Responses to a known tenant
// carry its rate-limit headers.
func (p *Provider) WriteError(w http.ResponseWriter, r *http.Request, e *provider.Error) {
	msg := e.Message
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	code := e.CodeOr(kindCodes[e.Kind])
	if code == "" {
		code = "internal_error"
	}
	h := w.Header()
	switch {
	case h.Get(headerRemaining) != "":
	case e.Kind == provider.KindRateLimited:
		// A 429 from elsewhere (a scenario's rate_limit fault) reports its
		// own window.
		h.Set(headerRemaining, "0")
		if ra := h.Get("Retry-After"); ra != "" {
			h.Set(headerReset, ra)
		}
	default:
		if key := strings.TrimSpace(r.Header.Get(APIKeyHeader)); key != "" {
			if t, ok := p.tenants.Lookup(key); ok {
				p.stampLimit(w, t)
			}
		}
	}
	provider.WriteJSON(w, e.Status, errorBody{Code: code, Message: msg})
}

// Errors of the API.
func userNotFound() *provider.Error { return provider.NotFound("user not found") }

func kycNotFound() *provider.Error { return provider.NotFound("KYC not found") }
