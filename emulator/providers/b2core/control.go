package b2core

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"

	"github.com/kycemu/kycemu/emulator/provider"
)

// Machines returns the status machine of verification procedures.
func (p *Provider) Machines() map[string]*provider.Machine {
	return map[string]*provider.Machine{Kind: p.machine}
}

// summary is the control-API view of a procedure; the caller holds the
// tenant lock.
func (p *Provider) summary(pr *procedure) provider.Session {
	out := provider.Session{Provider: Name, Tenant: pr.tenant.name, ID: pr.id, Kind: Kind, Status: pr.status,
		Scenario: pr.plan.Scenario, CreatedAt: pr.created, UpdatedAt: pr.updated,
		History: slices.Clone(pr.history), Actions: []string{}}
	for _, a := range []string{"approve", "reject", "expire"} {
		if allows(pr, a) {
			out.Actions = append(out.Actions, a)
		}
	}
	return out
}

// allows reports whether an action can be forced now. approve and reject
// of a procedure still in progress pass through submitted.
func allows(pr *procedure, action string) bool {
	switch action {
	case "approve", "reject":
		return pr.status == InProgress || pr.status == Submitted
	case "expire":
		return pr.status == InProgress
	}
	return false
}

// Sessions lists procedures in creation order.
func (p *Provider) Sessions(only string) []provider.Session {
	var out []provider.Session
	p.tenants.Each(func(name string, t *tenant) {
		if only != "" && name != only {
			return
		}
		t.mu.Lock()
		defer t.mu.Unlock()
		for _, pr := range t.order {
			out = append(out, p.summary(pr))
		}
	})
	return out
}

// anyones finds a procedure by uuid whoever owns it and locks its tenant.
func (p *Provider) anyones(id string) (*procedure, func(), bool) {
	p.mu.RLock()
	t, ok := p.procs[id]
	p.mu.RUnlock()
	if !ok {
		return nil, nil, false
	}
	t.mu.Lock()
	pr, ok := t.procs[id]
	if !ok || pr.gone {
		t.mu.Unlock()
		return nil, nil, false
	}
	return pr, t.mu.Unlock, true
}

// Session returns one procedure.
func (p *Provider) Session(id string) (provider.Session, bool) {
	pr, unlock, ok := p.anyones(id)
	if !ok {
		return provider.Session{}, false
	}
	defer unlock()
	return p.summary(pr), true
}

// actionStatus maps a control-API action to the status it leads to.
func actionStatus(action string) (string, bool) {
	switch action {
	case "approve":
		return Approved, true
	case "reject":
		return Rejected, true
	case "expire":
		return Expired, true
	}
	return "", false
}

// Act forces an outcome: approve (grants the level), reject (keeps the
// level and records the reason in the history) or expire (the wizard uuid
// becomes stale).
func (p *Provider) Act(id string, a provider.Action) (provider.Session, error) {
	pr, unlock, ok := p.anyones(id)
	if !ok {
		return provider.Session{}, provider.NotFound("no verification procedure with that id").WithCode("session_not_found")
	}
	defer unlock()
	to, known := actionStatus(a.Name)
	if !known {
		return provider.Session{}, provider.Invalid("action", "unknown action: use approve, reject or expire").WithCode("unknown_action")
	}
	if !allows(pr, a.Name) {
		return provider.Session{}, provider.Errorf(provider.KindConflict, "cannot %s a procedure that is %s", a.Name, pr.status).WithCode("action_not_allowed")
	}
	if to != Expired && pr.status == InProgress {
		pr.timeline.Stop()
		p.transition(pr, Submitted, "control", "")
	}
	p.move(pr, to, "control", a.Reason)
	return p.summary(pr), nil
}

// Reset forgets a client (or everyone) with its tokens, files and
// procedures, and stops their timers.
func (p *Provider) Reset(tenant string) {
	removed := p.tenants.Remove(tenant)
	for _, t := range removed {
		t.mu.Lock()
		p.mu.Lock()
		for id, pr := range t.procs {
			pr.gone = true
			pr.timeline.Stop()
			delete(p.procs, id)
		}
		for v, tk := range p.tokens {
			if tk.tenant == t.name {
				delete(p.tokens, v)
			}
		}
		if t.account != nil {
			delete(p.clientIDs, t.account.clientID)
		}
		p.mu.Unlock()
		t.mu.Unlock()
	}
	if tenant == "" {
		p.mu.Lock()
		clear(p.wizards)
		clear(p.tokens)
		p.mu.Unlock()
	}
}

// ScenarioOf returns the scenario of the procedure a call touches.
func (p *Provider) ScenarioOf(c *provider.Call) string {
	name := c.Tenant
	if name == "" {
		if tok, ok := bearer(c.R); ok {
			p.mu.RLock()
			if tk := p.tokens[tok]; tk != nil {
				name = tk.tenant
			}
			p.mu.RUnlock()
		}
	}
	t, ok := p.tenants.Lookup(name)
	if name == "" || !ok {
		return ""
	}
	var id string
	switch c.Op {
	case "runVerificationProcedure", "runVerificationProcedureSlash":
		var in struct {
			Data *runBody `json:"data"`
			runBody
		}
		if json.Unmarshal(c.Body, &in) != nil {
			return ""
		}
		id = in.UUID
		if in.Data != nil {
			id = in.Data.UUID
		}
	case "initVerificationWizard":
	default:
		return ""
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	pr := t.procs[id]
	if id == "" {
		pr = t.open()
	}
	if pr == nil {
		return ""
	}
	return pr.plan.Scenario
}

// Controls serves the provider's settings under /_emulator/providers/b2core:
// GET, PUT and DELETE /config (the level ladder, document types, review,
// token lifetimes and sign-in limit) and GET /clients.
func (p *Provider) Controls() []provider.Route {
	return []provider.Route{
		{Method: http.MethodGet, Path: "/config", Handler: http.HandlerFunc(p.getConfig)},
		{Method: http.MethodPut, Path: "/config", Handler: http.HandlerFunc(p.putConfig)},
		{Method: http.MethodDelete, Path: "/config", Handler: http.HandlerFunc(p.resetConfig)},
		{Method: http.MethodGet, Path: "/clients", Handler: http.HandlerFunc(p.listClients)},
	}
}

func controlError(w http.ResponseWriter, status int, code, msg string) {
	provider.WriteJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

func (p *Provider) getConfig(w http.ResponseWriter, _ *http.Request) {
	provider.WriteJSON(w, http.StatusOK, p.config())
}

// putConfig replaces the fields present in the body; the result must be
// consistent as a whole. Procedures already started keep their steps.
func (p *Provider) putConfig(w http.ResponseWriter, r *http.Request) {
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, 1<<20)); err != nil {
		controlError(w, http.StatusBadRequest, "invalid_body", "body could not be read")
		return
	}
	dec := json.NewDecoder(&buf)
	dec.DisallowUnknownFields()
	var patch configPatch
	if err := dec.Decode(&patch); err != nil {
		controlError(w, http.StatusBadRequest, "invalid_body",
			"body must be a JSON object with any of levels, documentTypes, review, tokens, signIn: "+err.Error())
		return
	}
	p.cfgMu.Lock()
	next := p.cfg.apply(patch)
	if err := next.check(); err != nil {
		p.cfgMu.Unlock()
		controlError(w, http.StatusBadRequest, "invalid_config", err.Error())
		return
	}
	p.cfg = next
	p.cfgMu.Unlock()
	provider.WriteJSON(w, http.StatusOK, next)
}

func (p *Provider) resetConfig(w http.ResponseWriter, _ *http.Request) {
	p.cfgMu.Lock()
	p.cfg = DefaultConfig()
	p.cfgMu.Unlock()
	p.getConfig(w, nil)
}

type clientView struct {
	Tenant   string   `json:"tenant"`
	ClientID int      `json:"clientId"`
	Level    LevelRef `json:"level"`
	Blocked  bool     `json:"signInBlocked"`
}

func (p *Provider) listClients(w http.ResponseWriter, _ *http.Request) {
	now := p.env.Clock.Now()
	out := []clientView{}
	p.tenants.Each(func(name string, t *tenant) {
		t.mu.Lock()
		defer t.mu.Unlock()
		if t.account != nil {
			out = append(out, clientView{Tenant: name, ClientID: t.account.clientID, Level: t.account.level,
				Blocked: now.Before(t.blockedUntil)})
		}
	})
	provider.WriteJSON(w, http.StatusOK, map[string]any{"clients": out, "total": len(out)})
}
