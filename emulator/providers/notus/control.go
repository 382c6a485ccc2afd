package notus

import (
	"net/http"

	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
)

// actions maps control-API actions to the status they lead to.
var actions = map[string]string{
	"process": Verifying,
	"approve": Completed,
	"reject":  Failed,
	"fail":    Failed,
	"expire":  Expired,
}

// actionOrder is the order actions are listed in.
var actionOrder = []string{"process", "approve", "reject", "expire", "liveness"}

// actionsOf lists the control actions a session allows now.
func actionsOf(r *state.Record) []string {
	var out []string
	for _, name := range actionOrder {
		if allows(r, name) {
			out = append(out, name)
		}
	}
	return out
}

// allows reports whether an action can be forced now. approve and reject
// from PENDING pass through VERIFYING.
func allows(r *state.Record, action string) bool {
	switch action {
	case "liveness":
		s := state.Data[session](r)
		return r.Status == Pending && s.LivenessRequired && s.Face == nil
	case "approve", "reject", "fail":
		return r.Status == Pending || r.Status == Verifying
	}
	to, ok := actions[action]
	return ok && machine.Can(r.Status, to)
}

// act forces an outcome: process, approve, reject (or fail), expire,
// liveness.
func (p *Provider) act(tx *state.Tx, r *state.Record, a provider.Action) error {
	if _, known := actions[a.Name]; !known && a.Name != "liveness" {
		return provider.Invalid("action", "unknown action; use process, approve, reject, expire or liveness").WithCode("unknown_action")
	}
	if !allows(r, a.Name) {
		return provider.Errorf(provider.KindConflict, "cannot %s a session that is %s", a.Name, r.Status).WithCode("action_not_allowed")
	}
	if a.Name == "liveness" {
		return p.storeFace(tx, r, placeholderFace())
	}
	to := actions[a.Name]
	if r.Status == Pending && to != Verifying && to != Expired {
		p.move(tx, r, Verifying, "control", "")
	}
	p.move(tx, r, to, "control", a.Reason)
	return nil
}

// ScenarioOf returns the scenario of the session a call names.
func (p *Provider) ScenarioOf(c *provider.Call) string {
	id := c.Params["sessionId"]
	if id == "" {
		return ""
	}
	var name string
	_ = p.onSession(id, false, func(_ *state.Tx, r *state.Record) error {
		switch c.Tenant {
		case "":
			c.Tenant = r.Tenant
		case r.Tenant:
		default:
			return nil // another tenant's session: the handler answers 404
		}
		name = r.Scenario()
		return nil
	})
	return name
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
