// Package gu1 emulates the entity and KYC-validation API of gu1.ai: person
// and company entities, KYC validations whose status moves on its own
// (pending, in_progress, in_review, then approved or rejected, with
// abandoned, expired and cancelled on the side), cancel and reject calls,
// sandbox outcomes chosen by the entity's taxId, and kyc.validation_* webhooks
// signed with X-Webhook-Signature.
package gu1

import (
	"net/http"
	"strings"

	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
	"github.com/kycemu/kycemu/specs"
)

// Name is the mount name.
const Name = "gu1"

// Provider is the gu1.ai emulation.
type Provider struct {
	env     provider.Env
	openapi []byte
	state   *state.Space
}

// New builds the provider on its space of the store.
func New(env provider.Env, st *state.Store) *Provider {
	p := &Provider{env: env, openapi: specs.MustRead(Name)}
	p.state = st.Space(Name, p.spec())
	return p
}

// Tenant returns the tenant name of an API key and organisation id, as the
// control API and Emulator.WebhookSecret expect it: "<key>:<organisation>".
func Tenant(apiKey, organizationID string) string { return apiKey + ":" + organizationID }

// splitTenant undoes Tenant (organisation ids hold no colon).
func splitTenant(t string) (key, org string) {
	i := strings.LastIndexByte(t, ':')
	if i < 0 {
		return t, ""
	}
	return t[:i], t[i+1:]
}

// Name returns "gu1".
func (p *Provider) Name() string { return Name }

// Spec returns the OpenAPI document.
func (p *Provider) Spec() []byte { return p.openapi }

// Hosts returns the real API host.
func (p *Provider) Hosts() []string { return []string{"api.gu1.ai"} }

// Handlers maps operations to handlers.
func (p *Provider) Handlers() map[string]provider.Handler {
	return map[string]provider.Handler{
		"createEntity":          p.createEntity,
		"createEntityViaApi":    p.createEntity,
		"listEntities":          p.listEntities,
		"listEntitiesViaApi":    p.listEntities,
		"getEntity":             p.getEntity,
		"getEntityViaApi":       p.getEntity,
		"createValidation":      p.createValidation,
		"getValidation":         p.getValidation,
		"cancelValidation":      p.cancelValidation,
		"rejectValidation":      p.rejectValidation,
		"getCurrentValidation":  p.currentValidation,
		"getEntityKycStatus":    p.entityStatus,
		"listEntityValidations": p.listValidations,
	}
}

// Extras serves the hosted verification page behind providerSessionUrl.
func (p *Provider) Extras() []provider.Route {
	return []provider.Route{
		{Method: http.MethodGet, Path: "/verify/{sessionId}", Handler: http.HandlerFunc(p.page)},
		{Method: http.MethodPost, Path: "/verify/{sessionId}", Handler: http.HandlerFunc(p.pageAction)},
	}
}

// Authenticate takes the bearer API key and X-Organization-ID; the pair is
// the tenant.
func (p *Provider) Authenticate(r *http.Request) (string, *provider.Error) {
	scheme, key, _ := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	key = strings.TrimSpace(key)
	if !strings.EqualFold(scheme, "Bearer") || key == "" {
		return "", provider.Errorf(provider.KindUnauthorized,
			"missing or invalid API key: send it as Authorization: Bearer <API key>").WithCode("UNAUTHORIZED")
	}
	org := strings.TrimSpace(r.Header.Get("X-Organization-ID"))
	if org == "" || strings.ContainsRune(org, ':') {
		return "", provider.Errorf(provider.KindUnauthorized,
			"missing or invalid organization: send its id in the X-Organization-ID header").WithCode("UNAUTHORIZED")
	}
	return Tenant(key, org), nil
}

var kindCodes = map[provider.Kind]string{
	provider.KindInvalid:       "VALIDATION_ERROR",
	provider.KindUnauthorized:  "UNAUTHORIZED",
	provider.KindForbidden:     "FORBIDDEN",
	provider.KindNotFound:      "NOT_FOUND",
	provider.KindMethod:        "METHOD_NOT_ALLOWED",
	provider.KindConflict:      "CONFLICT",
	provider.KindTooLarge:      "PAYLOAD_TOO_LARGE",
	provider.KindUnprocessable: "UNPROCESSABLE_ENTITY",
	provider.KindRateLimited:   "RATE_LIMIT_EXCEEDED",
	provider.KindUnavailable:   "SERVICE_UNAVAILABLE",
	provider.KindInternal:      "INTERNAL_SERVER_ERROR",
}

type errorBody struct {
	Error   string `json:"error"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// WriteError writes {"error": CODE, "message", "field"?}.
func (p *Provider) WriteError(w http.ResponseWriter, _ *http.Request, e *provider.Error) {
	msg := e.Message
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	code := e.CodeOr(kindCodes[e.Kind])
	if code == "" {
		code = "INTERNAL_SERVER_ERROR"
	}
	provider.WriteJSON(w, e.Status, errorBody{Error: code, Message: msg, Field: e.Field})
}

// Errors of the API.
func entityNotFound() *provider.Error {
	return provider.NotFound("Entity not found").WithCode("ENTITY_NOT_FOUND")
}

func validationNotFound() *provider.Error {
	return provider.NotFound("KYC validation not found").WithCode("VALIDATION_NOT_FOUND")
}

func kycNotConfigured() *provider.Error {
	return provider.Errorf(provider.KindInvalid,
		"KYC integration is not configured for this organization. Please contact your administrator.").WithCode("KYC_NOT_CONFIGURED")
}
