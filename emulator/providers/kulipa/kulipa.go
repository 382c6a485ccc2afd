// Package kulipa emulates the user and KYC API of Kulipa, the
// stablecoin card-issuing platform: users that become active once a full KYC
// is verified, KYCs started with PUT /v1/kycs (full, shipping, rfi, import)
// and completed in a Persona-like webview that kycemu serves, the export of
// verified identity data, idempotency keys, per-key rate limits, paged lists,
// and webhooks signed with a per-tenant ECDSA P-256 key whose public half is
// served by GET /v1/webhooks/keys/{keyId}.
package kulipa

import (
	"errors"
	"net/http"
	"strings"

	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
	"github.com/kycemu/kycemu/specs"
)

// Name is the mount name.
const Name = "kulipa"

// Provider is the Kulipa emulation.
type Provider struct {
	env     provider.Env
	openapi []byte
	state   *state.Space
	keys    keyCache
}

// New builds the provider on its space of the store.
func New(env provider.Env, st *state.Store) *Provider {
	p := &Provider{env: env, openapi: specs.MustRead(Name)}
	p.state = st.Space(Name, p.spec())
	return p
}

// Name returns "kulipa".
func (p *Provider) Name() string { return Name }

// Spec returns the OpenAPI document.
func (p *Provider) Spec() []byte { return p.openapi }

// Hosts returns the real API host.
func (p *Provider) Hosts() []string { return []string{"api.kulipa.xyz"} }

// Handlers maps operations to handlers. Each runs in one transaction of
// the caller's tenant behind the rate-limit headers; the writes also
// behind the idempotency keys.
func (p *Provider) Handlers() map[string]provider.Handler {
	return map[string]provider.Handler{
		"createUser":    p.write(p.createUser),
		"getUser":       p.read(p.getUser),
		"listUsers":     p.read(p.listUsers),
		"createKyc":     p.write(p.createKyc),
		"getKyc":        p.read(p.getKyc),
		"listKycs":      p.read(p.listKycs),
		"exportKyc":     p.read(p.exportKyc),
		"getWebhookKey": p.read(p.getWebhookKey),

		"setUserPhoneNumber":     p.write(p.setUserPhoneNumber),
		"setUserEmail":           p.write(p.setUserEmail),
		"setUserAddress":         p.write(p.setUserAddress),
		"setUserShippingAddress": p.write(p.setUserShippingAddress),
		"listCards":              p.read(p.listCards),
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
	// With the limit off and the key dated there is nothing to write (a
	// write transaction would store the tenant's data even unchanged).
	idle := false
	_ = p.state.View(key, func(tx *state.Tx) error {
		d := tx.Data().(*tenantData)
		idle = !d.KeyCreated.IsZero() && p.settingsOf(d).RateLimit <= 0
		return nil
	})
	if idle {
		return key, nil
	}
	var refused *provider.Error
	err := p.state.Update(key, func(tx *state.Tx) error {
		refused = p.take(tx, tenantOf(tx))
		return nil
	})
	if refused != nil {
		return "", refused
	}
	if err != nil {
		return "", asError(err)
	}
	return key, nil
}

// asError returns err as an *provider.Error (a 503 when the store failed).
func asError(err error) *provider.Error {
	var pe *provider.Error
	if errors.As(err, &pe) {
		return pe
	}
	return provider.Errorf(provider.KindUnavailable, "the emulator could not store the change")
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
// offending input's name when there is one. Responses to an API key carry
// its rate-limit headers.
func (p *Provider) WriteError(w http.ResponseWriter, r *http.Request, e *provider.Error) {
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
			_ = p.state.View(key, func(tx *state.Tx) error {
				p.stampLimit(w, tx)
				return nil
			})
		}
	}
	writeError(w, e)
}

// writeError writes the envelope alone (inside a transaction, where the
// rate-limit headers are already set).
func writeError(w http.ResponseWriter, e *provider.Error) {
	msg := e.Message
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	code := e.CodeOr(kindCodes[e.Kind])
	if code == "" {
		code = "internal_error"
	}
	provider.WriteJSON(w, e.Status, errorBody{Code: code, Message: msg})
}

// Errors of the API.
func userNotFound() *provider.Error { return provider.NotFound("user not found") }

func kycNotFound() *provider.Error { return provider.NotFound("KYC not found") }
