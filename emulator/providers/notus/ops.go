package notus

import (
	"net/http"
	"strings"
	"time"

	"github.com/kycemu/kycemu/emulator/provider"
)

func sessionNotFound() *provider.Error {
	return provider.NotFound("verification session not found").WithCode("SESSION_NOT_FOUND")
}

// owned finds a session of kind k belonging to the calling tenant and locks
// its tenant. The caller must call the returned unlock.
func (p *Provider) owned(tenant, id string, k kind) (*session, func(), *provider.Error) {
	t, ok := p.tenants.Lookup(tenant)
	if !ok {
		return nil, nil, sessionNotFound()
	}
	t.mu.Lock()
	s, ok := t.sessions[id]
	if !ok || s.kind != k {
		t.mu.Unlock()
		return nil, nil, sessionNotFound()
	}
	return s, t.mu.Unlock, nil
}

// anyones finds a session by id whoever owns it (for calls without an API
// key) and locks its tenant.
func (p *Provider) anyones(id string) (*session, func(), bool) {
	p.mu.RLock()
	t, ok := p.index[id]
	p.mu.RUnlock()
	if !ok {
		return nil, nil, false
	}
	t.mu.Lock()
	s, ok := t.sessions[id]
	if !ok {
		t.mu.Unlock()
		return nil, nil, false
	}
	return s, t.mu.Unlock, true
}

func (p *Provider) get(k kind) provider.Handler {
	return func(c *provider.Call) error {
		s, unlock, err := p.owned(c.Tenant, c.Params["sessionId"], k)
		if err != nil {
			return err
		}
		defer unlock()
		return c.JSON(http.StatusOK, envelope{s.view()})
	}
}

func (p *Provider) process(k kind) provider.Handler {
	return func(c *provider.Call) error {
		s, unlock, ok := p.anyones(c.Params["sessionId"])
		if !ok || s.kind != k {
			if ok {
				unlock()
			}
			return sessionNotFound()
		}
		defer unlock()
		c.Tenant = s.tenant.name
		switch s.status {
		case Pending:
		case Expired:
			return provider.Errorf(provider.KindConflict, "the session expired; create a new one").WithCode("SESSION_EXPIRED")
		default:
			return provider.Errorf(provider.KindConflict, "the session was already processed and is %s", s.status).WithCode("SESSION_ALREADY_PROCESSED")
		}
		if miss := s.missing(); len(miss) > 0 {
			return provider.Errorf(provider.KindUnprocessable, "documents not uploaded yet: %s", strings.Join(miss, ", ")).WithCode("DOCUMENTS_NOT_UPLOADED")
		}
		if s.livenessRequired && s.face == nil {
			return provider.Errorf(provider.KindUnprocessable, "liveness is required and has not been completed").WithCode("LIVENESS_NOT_COMPLETED")
		}
		p.move(s, Verifying, "client", "")
		return c.JSON(http.StatusOK, envelope{s.view()})
	}
}

func (p *Provider) documentURLs(c *provider.Call) error {
	var in struct {
		SessionID        string `json:"sessionId"`
		SessionType      string `json:"sessionType"`
		ExpiresInSeconds *int   `json:"expiresInSeconds"`
	}
	if err := c.Bind(&in); err != nil {
		return err
	}
	ttl := time.Hour
	if in.ExpiresInSeconds != nil {
		ttl = time.Duration(*in.ExpiresInSeconds) * time.Second
	}
	s, unlock, err := p.owned(c.Tenant, in.SessionID, kind(in.SessionType))
	if err != nil {
		return err
	}
	defer unlock()
	now := p.env.Clock.Now()
	root := provider.RootURL(c.R)
	link := func(key string) *string {
		obj := s.object(key)
		if obj == nil {
			return nil
		}
		u := p.signer.PresignGet(root+"/"+Bucket+"/"+obj.Key, now, ttl)
		return &u
	}
	return c.JSON(http.StatusOK, map[string]*string{
		"frontDocumentUrl": link("front"),
		"backDocumentUrl":  link("back"),
		"faceImageUrl":     link("face"),
	})
}

type window struct {
	Limit     float64 `json:"limit"`
	Used      float64 `json:"used"`
	Remaining float64 `json:"remaining"`
}

func (p *Provider) financialLimits(c *provider.Call) error {
	t, ok := p.tenants.Lookup(c.Tenant)
	if !ok {
		return identityNotFound()
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	id, ok := t.identities[c.Params["identityId"]]
	if !ok {
		return identityNotFound()
	}
	monthly := 50000.0
	if id.financialLimit != nil {
		monthly = *id.financialLimit
	}
	w := func(l float64) window { return window{Limit: l, Remaining: l} }
	limits := func(typ string) map[string]any {
		return map[string]any{"type": typ, "currency": "BRL", "limits": map[string]any{
			"daily": w(min(10000, monthly)), "monthly": w(monthly), "quarterly": w(max(150000, 3*monthly)),
			"perTransaction": map[string]float64{"limit": min(5000, monthly)},
		}}
	}
	return c.JSON(http.StatusOK, map[string]any{
		"identityId": id.id, "identityType": id.typ, "projectId": t.projectID,
		"limits": []any{limits("PIX_DEPOSIT"), limits("PIX_WITHDRAWAL")},
	})
}

func identityNotFound() *provider.Error {
	return provider.NotFound("identity not found").WithCode("IDENTITY_NOT_FOUND")
}
