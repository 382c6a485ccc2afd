package b2core

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
)

// Machines returns the status machine of verification procedures.
func (p *Provider) Machines() map[string]*provider.Machine {
	return map[string]*provider.Machine{Kind: p.machine}
}

// actionsOf lists the control actions a procedure allows now.
func actionsOf(r *state.Record) []string {
	var out []string
	for _, a := range []string{"approve", "reject", "expire"} {
		if allows(r.Status, a) {
			out = append(out, a)
		}
	}
	return out
}

// allows reports whether an action can be forced from a status. approve
// and reject of a procedure still in progress pass through submitted.
func allows(status, action string) bool {
	switch action {
	case "approve", "reject":
		return status == InProgress || status == Submitted
	case "expire":
		return status == InProgress
	}
	return false
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

// act forces an outcome: approve (grants the level), reject (keeps the
// level and records the reason in the history) or expire (the wizard uuid
// becomes stale).
func (p *Provider) act(tx *state.Tx, r *state.Record, a provider.Action) error {
	to, known := actionStatus(a.Name)
	if !known {
		return provider.Invalid("action", "unknown action: use approve, reject or expire").WithCode("unknown_action")
	}
	if !allows(r.Status, a.Name) {
		return provider.Errorf(provider.KindConflict, "cannot %s a procedure that is %s", a.Name, r.Status).WithCode("action_not_allowed")
	}
	if to != Expired && r.Status == InProgress {
		// Straight to submitted: no review step of the plan applies.
		tx.Unschedule(r)
		tx.Move(r, Submitted, "control", "")
	}
	p.move(tx, r, to, "control", a.Reason)
	return nil
}

// ScenarioOf returns the scenario of the procedure a call touches.
func (p *Provider) ScenarioOf(c *provider.Call) string {
	name := c.Tenant
	if name == "" {
		if tok, ok := bearer(c.R); ok {
			name, _, _ = p.findToken(tok)
		}
	}
	if name == "" {
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
	var scenario string
	_ = p.state.View(name, func(tx *state.Tx) error {
		r := openProcedure(tx)
		if id != "" {
			r = tx.Get(Kind, id)
		}
		if r != nil {
			scenario = r.Scenario()
		}
		return nil
	})
	return scenario
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
	defer p.cfgMu.Unlock()
	next := p.cfg.apply(patch)
	if err := next.check(); err != nil {
		controlError(w, http.StatusBadRequest, "invalid_config", err.Error())
		return
	}
	if err := p.storeConfig(&next); err != nil {
		controlError(w, http.StatusServiceUnavailable, "storage_unavailable", "the configuration could not be stored")
		return
	}
	p.cfg = next
	provider.WriteJSON(w, http.StatusOK, next)
}

func (p *Provider) resetConfig(w http.ResponseWriter, _ *http.Request) {
	p.cfgMu.Lock()
	defer p.cfgMu.Unlock()
	if err := p.storeConfig(nil); err != nil {
		controlError(w, http.StatusServiceUnavailable, "storage_unavailable", "the configuration could not be stored")
		return
	}
	p.cfg = DefaultConfig()
	provider.WriteJSON(w, http.StatusOK, p.cfg)
}

// The configuration belongs to the installation, not to a client: it
// outlives POST /_emulator/reset, as documented, so it is kept under a key
// of its own in the store rather than as the space's shared data (which a
// reset of everything puts back to its defaults).
const (
	configNS  = "settings"
	configKey = Name + "/config"
)

// loadConfig reads the stored configuration; DefaultConfig when there is
// none (or it cannot be read, which is logged).
func (p *Provider) loadConfig() Config {
	val, ok, err := p.store.Get(configNS, configKey)
	if err != nil || !ok {
		if err != nil {
			p.env.Log.Error("b2core: the stored configuration could not be read; using the defaults", "error", err)
		}
		return DefaultConfig()
	}
	var c Config
	if err := json.Unmarshal(val, &c); err != nil {
		p.env.Log.Error("b2core: the stored configuration could not be decoded; using the defaults", "error", err)
		return DefaultConfig()
	}
	return c
}

// storeConfig makes a configuration durable (nil: the defaults); the
// caller holds cfgMu, so stored and served configurations change in order.
func (p *Provider) storeConfig(c *Config) error {
	if c == nil {
		p.store.Delete(configNS, configKey)
		return p.store.Flush()
	}
	val, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("encode the b2core configuration: %w", err)
	}
	return p.store.PutSync(configNS, configKey, val)
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
	for _, name := range p.state.Tenants() {
		_ = p.state.View(name, func(tx *state.Tx) error {
			if _, a := clientOf(tx); a != nil {
				out = append(out, clientView{Tenant: name, ClientID: a.ClientID, Level: a.Level,
					Blocked: now.Before(tx.Data().(*tenantData).BlockedUntil)})
			}
			return nil
		})
	}
	provider.WriteJSON(w, http.StatusOK, map[string]any{"clients": out, "total": len(out)})
}
