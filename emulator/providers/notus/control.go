package notus

import (
	"net/http"
	"slices"

	"github.com/kycemu/kycemu/emulator/provider"
)

// actions maps control-API actions to the status they lead to.
var actions = map[string]string{
	"process": Verifying,
	"approve": Completed,
	"reject":  Failed,
	"fail":    Failed,
	"expire":  Expired,
}

// summary is the control-API view of a session; the caller holds the lock.
func (s *session) summary() provider.Session {
	out := provider.Session{Provider: Name, Tenant: s.tenant.name, ID: s.id, Kind: string(s.kind), Status: s.status,
		Scenario: s.plan.Scenario, CreatedAt: s.created, UpdatedAt: s.created, History: slices.Clone(s.history),
		Actions: []string{}}
	if s.updated != nil {
		out.UpdatedAt = *s.updated
	}
	for _, name := range []string{"process", "approve", "reject", "expire", "liveness"} {
		if s.allows(name) {
			out.Actions = append(out.Actions, name)
		}
	}
	return out
}

// allows reports whether an action can be forced now. approve and reject
// from PENDING pass through VERIFYING.
func (s *session) allows(action string) bool {
	switch action {
	case "liveness":
		return s.status == Pending && s.livenessRequired && s.face == nil
	case "approve", "reject", "fail":
		return s.status == Pending || s.status == Verifying
	}
	to, ok := actions[action]
	return ok && machine.Can(s.status, to)
}

// Sessions lists sessions in creation order.
func (p *Provider) Sessions(only string) []provider.Session {
	var out []provider.Session
	p.tenants.Each(func(name string, t *tenant) {
		if only != "" && name != only {
			return
		}
		t.mu.Lock()
		defer t.mu.Unlock()
		for _, s := range t.order {
			out = append(out, s.summary())
		}
	})
	return out
}

// Session returns one session.
func (p *Provider) Session(id string) (provider.Session, bool) {
	s, unlock, ok := p.anyones(id)
	if !ok {
		return provider.Session{}, false
	}
	defer unlock()
	return s.summary(), true
}

// Act forces an outcome: process, approve, reject (or fail), expire,
// liveness.
func (p *Provider) Act(id string, a provider.Action) (provider.Session, error) {
	s, unlock, ok := p.anyones(id)
	if !ok {
		return provider.Session{}, sessionNotFound()
	}
	defer unlock()
	if _, known := actions[a.Name]; !known && a.Name != "liveness" {
		return provider.Session{}, provider.Invalid("action", "unknown action; use process, approve, reject, expire or liveness").WithCode("unknown_action")
	}
	if !s.allows(a.Name) {
		return provider.Session{}, provider.Errorf(provider.KindConflict, "cannot %s a session that is %s", a.Name, s.status).WithCode("action_not_allowed")
	}
	if a.Name == "liveness" {
		s.face = faceObject(s, placeholderFace(), p.env.Clock.Now())
		return s.summary(), nil
	}
	to := actions[a.Name]
	if s.status == Pending && to != Verifying && to != Expired {
		p.move(s, Verifying, "control", "")
	}
	p.move(s, to, "control", a.Reason)
	return s.summary(), nil
}

// Reset forgets a tenant (or everyone) and stops their timers.
func (p *Provider) Reset(tenant string) {
	for _, t := range p.tenants.Remove(tenant) {
		t.mu.Lock()
		p.mu.Lock()
		for id, s := range t.sessions {
			s.gone = true
			s.timeline.Stop()
			delete(p.index, id)
		}
		p.mu.Unlock()
		t.mu.Unlock()
	}
}

// ScenarioOf returns the scenario of the session a call names.
func (p *Provider) ScenarioOf(c *provider.Call) string {
	id := c.Params["sessionId"]
	if id == "" {
		return ""
	}
	s, unlock, ok := p.anyones(id)
	if !ok {
		return ""
	}
	defer unlock()
	switch c.Tenant {
	case "":
		c.Tenant = s.tenant.name
	case s.tenant.name:
	default:
		return "" // another tenant's session: the handler answers 404
	}
	return s.plan.Scenario
}

// S3 is what an S3 client needs to reach the document bucket: kycemu's
// fake credentials, the region, the bucket and the endpoint (the emulator's
// root, addressed path-style).
type S3 struct {
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
	Region          string `json:"region"`
	Bucket          string `json:"bucket"`
	Endpoint        string `json:"endpoint"`
	ForcePathStyle  bool   `json:"forcePathStyle"`
}

// Controls serves GET /_emulator/providers/notus/s3.
func (p *Provider) Controls() []provider.Route {
	return []provider.Route{{Method: http.MethodGet, Path: "/s3", Handler: http.HandlerFunc(p.s3Credentials)}}
}

func (p *Provider) s3Credentials(w http.ResponseWriter, r *http.Request) {
	provider.WriteJSON(w, http.StatusOK, S3{AccessKeyID: p.signer.AccessKeyID, SecretAccessKey: p.signer.Secret,
		Region: p.signer.Region, Bucket: Bucket, Endpoint: provider.RootURL(r), ForcePathStyle: true})
}
