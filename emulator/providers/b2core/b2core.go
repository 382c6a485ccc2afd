// Package b2core emulates the client ("my") part of the B2Core (B2Broker)
// front-office API v2 that a KYC integration uses: the sign-up and sign-in
// wizards with access and refresh tokens, file uploads, the verification
// wizard whose steps answer a body code of 200 until the last one answers
// 202, and the history of verification levels granted to the client.
//
// Tenancy: B2Core sign-up carries no credential of the integrator, so the
// tenant is the client account, named by its email in lower case. Sign-up
// and sign-in act on the tenant of the submitted email; every bearer token
// maps back to the client it was issued to. Tests that use different
// emails never see each other's data, and a tenant can be reset or given a
// default scenario before the client even signs up.
package b2core

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/kycemu/kycemu/emulator/internal/fake"
	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
	"github.com/kycemu/kycemu/specs"
)

// Name is the mount name.
const Name = "b2core"

// Kind is the session kind of a verification procedure (one application
// for the next level), as passed to Scenarios.Plan and listed by the
// control API.
const Kind = "verification"

// Provider is the B2Core emulation.
type Provider struct {
	env       provider.Env
	openapi   []byte
	machine   *provider.Machine
	jwtKey    []byte
	clientIDs idSpace
	store     *state.Store
	state     *state.Space

	cfgMu sync.RWMutex
	cfg   Config
}

// New builds the provider on its space of the store, with the configuration
// the store kept (DefaultConfig the first time).
func New(env provider.Env, st *state.Store) *Provider {
	p := &Provider{
		env:     env,
		openapi: specs.MustRead(Name),
		machine: provider.NewMachine(InProgress, map[string][]string{
			InProgress: {Submitted, Expired},
			Submitted:  {Approved, Rejected},
		}),
		jwtKey:    []byte(env.Rand.Derive(Name, "jwt-key").String(fake.Alnum, 32)),
		clientIDs: idSpace{first: 100_000, size: 900_000},
		store:     st,
	}
	p.cfg = p.loadConfig()
	p.state = st.Space(Name, p.spec())
	return p
}

// Name returns "b2core".
func (p *Provider) Name() string { return Name }

// Spec returns the OpenAPI document.
func (p *Provider) Spec() []byte { return p.openapi }

// Hosts returns nothing: every B2Core installation has its own host, so
// clients reach the emulation through the /b2core mount.
func (p *Provider) Hosts() []string { return nil }

// UntypedJSON reports true: B2Core's own curl examples post JSON with
// --data-raw and no Content-Type header (curl then labels it
// application/x-www-form-urlencoded), so kycemu reads such bodies as JSON.
func (p *Provider) UntypedJSON() bool { return true }

// Handlers maps operations to handlers.
func (p *Provider) Handlers() map[string]provider.Handler {
	return map[string]provider.Handler{
		"initSignUpWizard":              p.signUpWizard,
		"initSignUpWizardPost":          p.signUpWizard,
		"signUp":                        p.signUp,
		"initSignInWizard":              p.signInWizard,
		"initSignInWizardPost":          p.signInWizard,
		"signIn":                        p.signIn,
		"refreshToken":                  p.refresh,
		"signOut":                       p.signOut,
		"uploadFile":                    p.upload,
		"listVerifications":             p.listVerifications,
		"getVerification":               p.getVerification,
		"initVerificationWizard":        p.verificationWizard,
		"runVerificationProcedure":      p.runProcedure,
		"runVerificationProcedureSlash": p.runProcedure,
	}
}

// Authenticate maps the bearer access token to its client's tenant.
func (p *Provider) Authenticate(r *http.Request) (string, *provider.Error) {
	tok, ok := bearer(r)
	if !ok {
		return "", unauthorized("missing bearer token: send Authorization: Bearer <access token>")
	}
	tenant, id, found := p.findToken(tok)
	bad := unauthorized("the access token is not valid")
	if found {
		_ = p.state.View(tenant, func(tx *state.Tx) error {
			r, t := tokenIn(tx, id, tok)
			switch {
			case r == nil || t.Refresh:
			case r.Status == tokenRevoked:
				bad = unauthorized("the access token was revoked by sign-out")
			case r.Status == tokenExpired || !tx.Now().Before(t.Expires):
				bad = unauthorized("the access token expired: refresh it or sign in again")
			default:
				bad = nil
			}
			return nil
		})
	}
	if bad != nil {
		return "", bad
	}
	return tenant, nil
}

func bearer(r *http.Request) (string, bool) {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	tok = strings.TrimSpace(tok)
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return "", false
	}
	return tok, true
}

func unauthorized(msg string) *provider.Error {
	e := provider.Errorf(provider.KindUnauthorized, "%s", msg)
	e.Header = http.Header{"Www-Authenticate": {"Bearer"}}
	return e
}

type errorBody struct {
	Code    int                 `json:"code"`
	Message string              `json:"message"`
	Errors  map[string][]string `json:"errors"`
}

// WriteError writes {"code", "message", "errors"}: code repeats the HTTP
// status and errors lists the messages per offending field.
func (p *Provider) WriteError(w http.ResponseWriter, _ *http.Request, e *provider.Error) {
	body := errorBody{Code: e.Status, Message: e.Message, Errors: map[string][]string{}}
	if e.Field != "" {
		body.Errors[e.Field] = []string{e.Message}
		body.Message = e.Field + ": " + e.Message
	}
	provider.WriteJSON(w, e.Status, body)
}

// config returns the current configuration; callers must not modify it.
func (p *Provider) config() *Config {
	p.cfgMu.RLock()
	defer p.cfgMu.RUnlock()
	c := p.cfg
	return &c
}

// stamp formats times as B2Core does: 2022-01-01T00:00:00+00:00.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05-07:00") }
