package b2core

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kycemu/kycemu/emulator/internal/fake"
	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
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

// authWizard is a sign-up or sign-in wizard (record kind "wizard"); it
// belongs to no client yet, so it lives in anonTenant.
type authWizard struct {
	Kind    string    `json:"kind"` // signup, signin
	Expires time.Time `json:"expires"`
	Used    bool      `json:"used,omitempty"`
}

// newAuthWizard opens a wizard of the kind and answers it. It is forgotten
// wizardTTL after it expires: a due step, so nothing ever scans the open
// wizards (and the per-tenant record bound caps how many stay open).
func (p *Provider) newAuthWizard(c *provider.Call, kind string, answer func(uuid string) any) error {
	return p.state.Update(anonTenant, func(tx *state.Tx) error {
		exp := tx.Now().Add(wizardTTL)
		r, err := newRecord(tx, state.NewRecord{Kind: kindWizard, Data: &authWizard{Kind: kind, Expires: exp}},
			func() string { return tx.Rand().UUID() })
		if err != nil {
			return err
		}
		tx.Schedule(r, exp.Add(wizardTTL), provider.Step{})
		return c.JSON(http.StatusOK, answer(r.ID))
	})
}

// claimWizard marks a live wizard of the kind used, or answers why it
// cannot be: a request that then fails gives it back with releaseWizard, so
// a failed sign-in may reuse its uuid while two requests never share one.
func (p *Provider) claimWizard(uuid, kind string) error {
	return p.state.Update(anonTenant, func(tx *state.Tx) error {
		r := tx.Get(kindWizard, uuid)
		if r == nil || state.Data[authWizard](r).Kind != kind {
			return provider.Invalid("uuid", "does not match a %s wizard: initialize one with GET /my/%s/wizard", kind, kind)
		}
		w := state.Data[authWizard](r)
		if w.Used || !tx.Now().Before(w.Expires) {
			e := provider.Errorf(provider.KindConflict, "this %s wizard is finished or expired: initialize a new one", kind)
			e.Field = "uuid"
			return e
		}
		w.Used = true
		return nil
	})
}

// releaseWizard gives back a wizard claimed by a request that failed.
func (p *Provider) releaseWizard(uuid string) {
	_ = p.state.Update(anonTenant, func(tx *state.Tx) error {
		if r := tx.Get(kindWizard, uuid); r != nil {
			state.Data[authWizard](r).Used = false
		}
		return nil
	})
}

func (p *Provider) signUpWizard(c *provider.Call) error {
	return p.newAuthWizard(c, "signup", func(uuid string) any {
		return wizard[map[string]any]{Code: codeFinal, Done: true, UUID: uuid,
			Workflow: workflowRegister, Data: map[string]any{"fields": map[string]any{}}}
	})
}

type signInWizardData struct {
	Recaptcha struct {
		Enabled bool `json:"enabled"`
	} `json:"recaptcha"`
	QR       bool `json:"is_qr_available"`
	Recovery bool `json:"is_password_recovery_available"`
}

func (p *Provider) signInWizard(c *provider.Call) error {
	return p.newAuthWizard(c, "signin", func(uuid string) any {
		return wizard[signInWizardData]{Code: codeFinal, Done: true, UUID: uuid,
			Workflow: workflowLogin, Data: signInWizardData{Recovery: true}}
	})
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
	return subtle.ConstantTimeCompare(a.Password, h[:]) == 1
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
	if err := p.claimWizard(in.UUID, "signup"); err != nil {
		return err
	}
	c.Tenant = email
	err := p.state.Update(email, func(tx *state.Tx) error {
		d := tenantOf(tx)
		if tx.Count(kindClient) > 0 {
			return provider.Invalid("email", "is already registered: sign in instead")
		}
		first := p.config().Levels[0]
		level := LevelRef{ID: first.ID, Name: first.Name}
		hash := passwordHash(email, in.Password)
		a := &account{Password: hash[:], Level: level}
		r, err := p.register(tx, a)
		if err != nil {
			return err
		}
		addGrant(d, a, r.Created, nil, level, "created")
		return c.JSON(http.StatusOK, wizard[map[string]int]{Code: codeFinal, Done: true, UUID: in.UUID,
			Workflow: workflowRegister, Data: map[string]int{"clientId": a.ClientID}})
	})
	if err != nil {
		p.releaseWizard(in.UUID)
	}
	return err
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
	c.Tenant = email
	cfg := p.config()
	var blocked time.Time
	_ = p.state.View(email, func(tx *state.Tx) error {
		blocked = tx.Data().(*tenantData).BlockedUntil
		return nil
	})
	if now := p.env.Clock.Now(); now.Before(blocked) {
		return throttled(blocked.Sub(now))
	}
	if err := p.claimWizard(in.UUID, "signin"); err != nil {
		return err
	}
	err := p.state.Update(email, func(tx *state.Tx) error {
		d := tenantOf(tx)
		now := tx.Now()
		if now.Before(d.BlockedUntil) {
			return throttled(d.BlockedUntil.Sub(now))
		}
		window := now.Add(-time.Duration(cfg.SignIn.Window))
		d.Failures = slices.DeleteFunc(d.Failures, func(f time.Time) bool { return !f.After(window) })
		if len(d.Failures) >= cfg.SignIn.Attempts {
			d.Failures = nil
			d.BlockedUntil = now.Add(time.Duration(cfg.SignIn.Block))
			return throttled(time.Duration(cfg.SignIn.Block))
		}
		_, a := clientOf(tx)
		if !a.matches(email, in.Password) {
			d.Failures = append(d.Failures, now)
			return provider.Invalid("", "the email or password is incorrect")
		}
		d.Failures = nil
		pair, err := p.issue(tx, d, a.ClientID, cfg)
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, wizard[signInData]{Code: codeFinal, Done: true, UUID: in.UUID, Workflow: workflowLogin,
			Data: signInData{AccessToken: pair.AccessToken, RefreshToken: pair.RefreshToken}})
	})
	if err != nil {
		p.releaseWizard(in.UUID)
	}
	return err
}

func throttled(wait time.Duration) *provider.Error {
	secs := int((wait + time.Second - 1) / time.Second)
	e := provider.Errorf(provider.KindRateLimited, "too many failed sign-in attempts: try again in %d seconds", secs)
	e.Header = http.Header{"Retry-After": {strconv.Itoa(secs)}}
	return e
}

// token is an issued access or refresh token (record kind "token", id =
// the JWT's jti); it was created with the record.
type token struct {
	Value   string    `json:"value"`
	Refresh bool      `json:"refresh,omitempty"`
	Expires time.Time `json:"expires"`
	Partner string    `json:"partner"` // the id of the other token of the pair
}

type tokenView struct {
	Token     string `json:"token"`
	CreatedAt string `json:"createdAt"`
	ExpiresAt string `json:"expiresAt"`
}

func viewOf(r *state.Record) tokenView {
	t := state.Data[token](r)
	return tokenView{Token: t.Value, CreatedAt: stamp(r.Created), ExpiresAt: stamp(t.Expires)}
}

type tokenPair struct {
	AccessToken  tokenView `json:"accessToken"`
	RefreshToken tokenView `json:"refreshToken"`
}

// issue creates a token pair for the tenant's client, each token expiring
// on the clock, and signs the oldest session out when there are more than
// maxSessions.
func (p *Provider) issue(tx *state.Tx, d *tenantData, clientID int, cfg *Config) (tokenPair, error) {
	now := tx.Now()
	mk := func(kind string, ttl time.Duration) (*state.Record, error) {
		t := &token{Refresh: kind == "refresh", Expires: now.Add(ttl)}
		r, err := newRecord(tx, state.NewRecord{Kind: kindToken, Data: t, Status: tokenActive, By: "client"},
			func() string { return tx.Rand().String(fake.Alnum, 20) })
		if err != nil {
			return nil, err
		}
		t.Value = p.jwt(clientID, kind, now, t.Expires, r.ID)
		tx.Schedule(r, t.Expires, provider.Step{Status: tokenExpired})
		return r, nil
	}
	access, err := mk("access", time.Duration(cfg.Tokens.AccessTTL))
	if err != nil {
		return tokenPair{}, err
	}
	refresh, err := mk("refresh", time.Duration(cfg.Tokens.RefreshTTL))
	if err != nil {
		return tokenPair{}, err
	}
	state.Data[token](access).Partner, state.Data[token](refresh).Partner = refresh.ID, access.ID
	d.Sessions = append(d.Sessions, refresh.ID)
	if len(d.Sessions) > maxSessions {
		if oldest := tx.Get(kindToken, d.Sessions[0]); oldest != nil {
			revokePair(tx, d, oldest)
		}
		d.Sessions = slices.Delete(d.Sessions, 0, 1)
	}
	return tokenPair{AccessToken: viewOf(access), RefreshToken: viewOf(refresh)}, nil
}

// revokePair signs a session out: the token and its partner.
func revokePair(tx *state.Tx, d *tenantData, r *state.Record) {
	t := state.Data[token](r)
	tx.Move(r, tokenRevoked, "client", "signed out")
	if partner := tx.Get(kindToken, t.Partner); partner != nil {
		tx.Move(partner, tokenRevoked, "client", "signed out")
	}
	refresh := r.ID
	if !t.Refresh {
		refresh = t.Partner
	}
	dropSession(d, refresh)
}

func dropSession(d *tenantData, refresh string) {
	d.Sessions = slices.DeleteFunc(d.Sessions, func(id string) bool { return id == refresh })
}

// expireToken applies a token's expiry, which is due when it stops working.
func expireToken(tx *state.Tx, r *state.Record, _ provider.Step) {
	if tx.Move(r, tokenExpired, "clock", "") && state.Data[token](r).Refresh {
		dropSession(tx.Data().(*tenantData), r.ID)
	}
}

// jtiOf reads the jti claim of a token without checking anything else: the
// token is then compared with the stored one.
func jtiOf(value string) string {
	_, rest, ok := strings.Cut(value, ".")
	claims, _, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(claims)
	if err != nil {
		return ""
	}
	var c struct {
		JTI string `json:"jti"`
	}
	if json.Unmarshal(b, &c) != nil {
		return ""
	}
	return c.JTI
}

// findToken returns the tenant and record id of a token value, as far as
// its jti tells.
func (p *Provider) findToken(value string) (tenant, id string, ok bool) {
	if id = jtiOf(value); id == "" {
		return "", "", false
	}
	tenant, ok = p.state.Locate(kindToken, id)
	return tenant, id, ok
}

// tokenIn returns the token record with the id in the transaction's tenant
// if it holds exactly value, or nil.
func tokenIn(tx *state.Tx, id, value string) (*state.Record, *token) {
	r := tx.Get(kindToken, id)
	if r == nil {
		return nil, nil
	}
	t := state.Data[token](r)
	if subtle.ConstantTimeCompare([]byte(t.Value), []byte(value)) != 1 {
		return nil, nil
	}
	return r, t
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
	tenant, id, ok := p.findToken(value)
	if !ok {
		return unauthorized("the refresh token is not valid")
	}
	return p.state.Update(tenant, func(tx *state.Tx) error {
		r, t := tokenIn(tx, id, value)
		switch {
		case r == nil || !t.Refresh:
			return unauthorized("the refresh token is not valid")
		case r.Status == tokenRevoked:
			return unauthorized("the refresh token was already used or revoked")
		case r.Status == tokenExpired || !tx.Now().Before(t.Expires):
			return unauthorized("the refresh token expired: sign in again")
		}
		d := tenantOf(tx)
		tx.Move(r, tokenRevoked, "client", "refreshed")
		dropSession(d, r.ID)
		_, a := clientOf(tx)
		if a == nil {
			return unauthorized("the refresh token is not valid")
		}
		c.Tenant = tenant
		pair, err := p.issue(tx, d, a.ClientID, p.config())
		if err != nil {
			return err
		}
		return c.JSON(http.StatusOK, pair)
	})
}

func (p *Provider) signOut(c *provider.Call) error {
	tok, _ := bearer(c.R)
	id := jtiOf(tok)
	if err := p.state.Update(c.Tenant, func(tx *state.Tx) error {
		if r, _ := tokenIn(tx, id, tok); r != nil {
			revokePair(tx, tenantOf(tx), r)
		}
		return nil
	}); err != nil {
		return err
	}
	c.W.WriteHeader(http.StatusNoContent)
	return nil
}
