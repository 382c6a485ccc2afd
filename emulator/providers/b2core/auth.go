package b2core

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kycemu/kycemu/emulator/internal/fake"
	"github.com/kycemu/kycemu/emulator/provider"
)

// Workflows and wizard markers.
const (
	codeStep  = 200 // another page of the form follows
	codeFinal = 202 // the final step: the procedure is complete

	workflowRegister  = "basic_register_form"
	workflowLogin     = "login"
	workflowDocuments = `B2B\TCA\Wizards\Workflow\DocumentsWorkflow`
	workflowTerminate = `B2B\TCA\Wizards\Workflow\TerminateWorkflow`

	wizardTTL = time.Hour
	// systemUser is the admin id recorded with every level grant.
	systemUser = 1
)

// wizard is B2Core's wizard envelope.
type wizard[T any] struct {
	Code     int    `json:"code"`
	Data     T      `json:"data"`
	Done     bool   `json:"done"`
	UUID     string `json:"uuid"`
	Workflow string `json:"workflow"`
}

// authWizard is a sign-up or sign-in wizard; it belongs to no tenant yet.
type authWizard struct {
	kind    string // signup, signin
	expires time.Time
	used    bool
}

func (p *Provider) newAuthWizard(kind string) string {
	id := p.anon.UUID()
	now := p.env.Clock.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.wizards) >= 4096 {
		for k, w := range p.wizards {
			if w.used || !now.Before(w.expires) {
				delete(p.wizards, k)
			}
		}
	}
	p.wizards[id] = &authWizard{kind: kind, expires: now.Add(wizardTTL)}
	return id
}

// checkWizard reports whether uuid names a live wizard of the kind. The
// caller holds p.mu.
func (p *Provider) checkWizard(uuid, kind string, now time.Time) *provider.Error {
	w := p.wizards[uuid]
	if w == nil || w.kind != kind {
		return provider.Invalid("uuid", "does not match a %s wizard: initialize one with GET /my/%s/wizard", kind, kind)
	}
	if w.used || !now.Before(w.expires) {
		e := provider.Errorf(provider.KindConflict, "this %s wizard is finished or expired: initialize a new one", kind)
		e.Field = "uuid"
		return e
	}
	return nil
}

func (p *Provider) signUpWizard(c *provider.Call) error {
	return c.JSON(http.StatusOK, wizard[map[string]any]{Code: codeFinal, Done: true, UUID: p.newAuthWizard("signup"),
		Workflow: workflowRegister, Data: map[string]any{"fields": map[string]any{}}})
}

type signInWizardData struct {
	Recaptcha struct {
		Enabled bool `json:"enabled"`
	} `json:"recaptcha"`
	QR       bool `json:"is_qr_available"`
	Recovery bool `json:"is_password_recovery_available"`
}

func (p *Provider) signInWizard(c *provider.Call) error {
	return c.JSON(http.StatusOK, wizard[signInWizardData]{Code: codeFinal, Done: true, UUID: p.newAuthWizard("signin"),
		Workflow: workflowLogin, Data: signInWizardData{Recovery: true}})
}

func normalEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// checkFingerprint accepts Base64 (standard or URL alphabet, padded or
// not) of a JSON object with a non-empty user_agent string.
func checkFingerprint(s string) *provider.Error {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		b, err := enc.DecodeString(s)
		if err != nil {
			continue
		}
		var v struct {
			UserAgent any `json:"user_agent"`
		}
		if json.Unmarshal(b, &v) == nil {
			if ua, ok := v.UserAgent.(string); ok && ua != "" {
				return nil
			}
		}
		break
	}
	return provider.Invalid("device_fingerprint", "must be Base64 of a JSON object with a user_agent string")
}

func passwordHash(email, password string) [32]byte {
	return sha256.Sum256([]byte(email + "\x00" + password))
}

// matches reports whether password is the account's; a nil account matches
// nothing.
func (a *account) matches(email, password string) bool {
	if a == nil {
		return false
	}
	h := passwordHash(email, password)
	return subtle.ConstantTimeCompare(a.password[:], h[:]) == 1
}

type signUpRequest struct {
	UUID                 string `json:"uuid"`
	Email                string `json:"email"`
	Password             string `json:"password"`
	PasswordConfirmation string `json:"password_confirmation"`
	DeviceFingerprint    string `json:"device_fingerprint"`
}

func (p *Provider) signUp(c *provider.Call) error {
	var in signUpRequest
	if err := c.Bind(&in); err != nil {
		return err
	}
	if in.Password != in.PasswordConfirmation {
		return provider.Invalid("password_confirmation", "does not match password")
	}
	if err := checkFingerprint(in.DeviceFingerprint); err != nil {
		return err
	}
	email := normalEmail(in.Email)
	now := p.env.Clock.Now()
	p.mu.RLock()
	werr := p.checkWizard(in.UUID, "signup", now)
	p.mu.RUnlock()
	if werr != nil {
		return werr
	}

	t := p.tenants.Get(email)
	t.mu.Lock()
	defer t.mu.Unlock()
	c.Tenant = t.name
	if t.account != nil {
		return provider.Invalid("email", "is already registered: sign in instead")
	}
	p.mu.Lock()
	if werr := p.checkWizard(in.UUID, "signup", now); werr != nil {
		p.mu.Unlock()
		return werr
	}
	p.wizards[in.UUID].used = true
	id := 0
	for id == 0 || p.clientIDs[id] {
		id = 100000 + t.rand.Intn(900000)
	}
	p.clientIDs[id] = true
	p.mu.Unlock()

	first := p.config().Levels[0]
	level := LevelRef{ID: first.ID, Name: first.Name}
	t.account = &account{clientID: id, email: email, password: passwordHash(email, in.Password), level: level, created: now}
	t.addRecord(now, nil, level, "created")
	return c.JSON(http.StatusOK, wizard[map[string]int]{Code: codeFinal, Done: true, UUID: in.UUID,
		Workflow: workflowRegister, Data: map[string]int{"clientId": id}})
}

type signInRequest struct {
	UUID              string `json:"uuid"`
	Email             string `json:"email"`
	Password          string `json:"password"`
	DeviceFingerprint string `json:"device_fingerprint"`
}

type signInData struct {
	AccessToken  tokenView `json:"accessToken"`
	RefreshToken tokenView `json:"refreshToken"`
	TwoFactor    bool      `json:"2faRequired"`
}

func (p *Provider) signIn(c *provider.Call) error {
	var in signInRequest
	if err := c.Bind(&in); err != nil {
		return err
	}
	if err := checkFingerprint(in.DeviceFingerprint); err != nil {
		return err
	}
	email := normalEmail(in.Email)
	now := p.env.Clock.Now()
	cfg := p.config()

	t := p.tenants.Get(email)
	t.mu.Lock()
	defer t.mu.Unlock()
	c.Tenant = t.name
	if now.Before(t.blockedUntil) {
		return throttled(t.blockedUntil.Sub(now))
	}
	p.mu.RLock()
	werr := p.checkWizard(in.UUID, "signin", now)
	p.mu.RUnlock()
	if werr != nil {
		return werr
	}
	window := now.Add(-time.Duration(cfg.SignIn.Window))
	kept := t.failures[:0]
	for _, f := range t.failures {
		if f.After(window) {
			kept = append(kept, f)
		}
	}
	t.failures = kept
	if len(t.failures) >= cfg.SignIn.Attempts {
		t.failures = nil
		t.blockedUntil = now.Add(time.Duration(cfg.SignIn.Block))
		return throttled(time.Duration(cfg.SignIn.Block))
	}
	if !t.account.matches(email, in.Password) {
		t.failures = append(t.failures, now)
		return provider.Invalid("", "the email or password is incorrect")
	}
	p.mu.Lock()
	p.wizards[in.UUID].used = true
	p.mu.Unlock()
	t.failures = nil
	access, refresh := p.issue(t, cfg, now)
	return c.JSON(http.StatusOK, wizard[signInData]{Code: codeFinal, Done: true, UUID: in.UUID, Workflow: workflowLogin,
		Data: signInData{AccessToken: access.view(), RefreshToken: refresh.view()}})
}

func throttled(wait time.Duration) *provider.Error {
	secs := int((wait + time.Second - 1) / time.Second)
	e := provider.Errorf(provider.KindRateLimited, "too many failed sign-in attempts: try again in %d seconds", secs)
	e.Header = http.Header{"Retry-After": {strconv.Itoa(secs)}}
	return e
}

// token is an issued access or refresh token.
type token struct {
	value   string
	tenant  string
	refresh bool
	created time.Time
	expires time.Time
	partner *token // the other token of the pair
	revoked bool
}

type tokenView struct {
	Token     string `json:"token"`
	CreatedAt string `json:"createdAt"`
	ExpiresAt string `json:"expiresAt"`
}

func (t *token) view() tokenView {
	return tokenView{Token: t.value, CreatedAt: stamp(t.created), ExpiresAt: stamp(t.expires)}
}

type tokenPair struct {
	AccessToken  tokenView `json:"accessToken"`
	RefreshToken tokenView `json:"refreshToken"`
}

// issue creates a token pair for the tenant's client. The caller holds the
// tenant lock (for the tenant's random source).
func (p *Provider) issue(t *tenant, cfg *Config, now time.Time) (access, refresh *token) {
	mk := func(kind string, ttl time.Duration) *token {
		exp := now.Add(ttl)
		return &token{tenant: t.name, refresh: kind == "refresh", created: now, expires: exp,
			value: p.jwt(t.account.clientID, kind, now, exp, t.rand.String(fake.Alnum, 20))}
	}
	access = mk("access", time.Duration(cfg.Tokens.AccessTTL))
	refresh = mk("refresh", time.Duration(cfg.Tokens.RefreshTTL))
	access.partner, refresh.partner = refresh, access
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.tokens) >= 16384 {
		for k, tk := range p.tokens {
			if tk.revoked || !now.Before(tk.expires) {
				delete(p.tokens, k)
			}
		}
	}
	p.tokens[access.value] = access
	p.tokens[refresh.value] = refresh
	return access, refresh
}

// jwt builds a JWT signed with HS256 under the emulator's own key, so that
// clients which read the expiry from the token find it.
func (p *Provider) jwt(clientID int, kind string, iat, exp time.Time, jti string) string {
	enc := base64.RawURLEncoding
	head := enc.EncodeToString([]byte(`{"typ":"JWT","alg":"HS256"}`))
	claims, _ := json.Marshal(map[string]any{"iss": "kycemu-b2core", "sub": strconv.Itoa(clientID), "typ": kind,
		"iat": iat.Unix(), "exp": exp.Unix(), "jti": jti})
	body := head + "." + enc.EncodeToString(claims)
	m := hmac.New(sha256.New, p.jwtKey)
	m.Write([]byte(body))
	return body + "." + enc.EncodeToString(m.Sum(nil))
}

func (p *Provider) refresh(c *provider.Call) error {
	var in struct {
		RefreshToken string `json:"refreshToken"`
		Alt          string `json:"refresh_token"`
	}
	if err := c.Bind(&in); err != nil {
		return err
	}
	value := in.RefreshToken
	if value == "" {
		value = in.Alt
	}
	if value == "" {
		return provider.Invalid("refreshToken", "is required")
	}
	now := p.env.Clock.Now()
	p.mu.Lock()
	old := p.tokens[value]
	var bad string
	switch {
	case old == nil || !old.refresh:
		bad = "the refresh token is not valid"
	case old.revoked:
		bad = "the refresh token was already used or revoked"
	case !now.Before(old.expires):
		bad = "the refresh token expired: sign in again"
	default:
		old.revoked = true
	}
	p.mu.Unlock()
	if bad != "" {
		return unauthorized(bad)
	}
	t, ok := p.tenants.Lookup(old.tenant)
	if !ok {
		return unauthorized("the refresh token is not valid")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.account == nil {
		return unauthorized("the refresh token is not valid")
	}
	c.Tenant = t.name
	access, refresh := p.issue(t, p.config(), now)
	return c.JSON(http.StatusOK, tokenPair{AccessToken: access.view(), RefreshToken: refresh.view()})
}

func (p *Provider) signOut(c *provider.Call) error {
	tok, _ := bearer(c.R)
	p.mu.Lock()
	if t := p.tokens[tok]; t != nil {
		t.revoked = true
		if t.partner != nil {
			t.partner.revoked = true
		}
	}
	p.mu.Unlock()
	c.W.WriteHeader(http.StatusNoContent)
	return nil
}
