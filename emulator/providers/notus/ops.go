package notus

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
)

func sessionNotFound() *provider.Error {
	return provider.NotFound("verification session not found").WithCode("SESSION_NOT_FOUND")
}

// sessionKinds are the record kinds of sessions.
var sessionKinds = []kind{kindStandard, kindEnhanced, kindBusiness}

// onSession runs fn on a session by id whoever owns it (for calls without
// an API key), in a write or read transaction of its tenant; it returns
// state.ErrNoRecord when there is none.
func (p *Provider) onSession(id string, write bool, fn func(tx *state.Tx, r *state.Record) error) error {
	for _, k := range sessionKinds {
		run := p.state.ViewRecord
		if write {
			run = p.state.UpdateRecord
		}
		if err := run(string(k), id, fn); !errors.Is(err, state.ErrNoRecord) {
			return err
		}
	}
	return state.ErrNoRecord
}

func (p *Provider) get(k kind) provider.Handler {
	return func(c *provider.Call) error {
		return p.state.View(c.Tenant, func(tx *state.Tx) error {
			r := tx.Get(string(k), c.Params["sessionId"])
			if r == nil {
				return sessionNotFound()
			}
			return c.JSON(http.StatusOK, sessionAnswer{r})
		})
	}
}

func (p *Provider) process(k kind) provider.Handler {
	return func(c *provider.Call) error {
		err := p.state.UpdateRecord(string(k), c.Params["sessionId"], func(tx *state.Tx, r *state.Record) error {
			c.Tenant = r.Tenant
			switch r.Status {
			case Pending:
			case Expired:
				return provider.Errorf(provider.KindConflict, "the session expired; create a new one").WithCode("SESSION_EXPIRED")
			default:
				return provider.Errorf(provider.KindConflict, "the session was already processed and is %s", r.Status).WithCode("SESSION_ALREADY_PROCESSED")
			}
			s := state.Data[session](r)
			if miss := s.missing(); len(miss) > 0 {
				return provider.Errorf(provider.KindUnprocessable, "documents not uploaded yet: %s", strings.Join(miss, ", ")).WithCode("DOCUMENTS_NOT_UPLOADED")
			}
			if s.LivenessRequired && s.Face == nil {
				return provider.Errorf(provider.KindUnprocessable, "liveness is required and has not been completed").WithCode("LIVENESS_NOT_COMPLETED")
			}
			p.move(tx, r, Verifying, "client", "")
			return c.JSON(http.StatusOK, sessionAnswer{r})
		})
		if errors.Is(err, state.ErrNoRecord) {
			return sessionNotFound()
		}
		return err
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
	return p.state.View(c.Tenant, func(tx *state.Tx) error {
		r := tx.Get(in.SessionType, in.SessionID)
		if r == nil {
			return sessionNotFound()
		}
		s := state.Data[session](r)
		now := p.env.Clock.Now()
		root := provider.RootURL(c.R)
		link := func(name string) *string {
			obj := s.object(name)
			if obj == nil {
				return nil
			}
			if _, kept := r.Blobs()[name]; !kept {
				return nil // dropped to keep the upload budget
			}
			u := p.signer.PresignGet(root+"/"+Bucket+"/"+obj.Key, now, ttl)
			return &u
		}
		return c.JSON(http.StatusOK, map[string]*string{
			"frontDocumentUrl": link("front"),
			"backDocumentUrl":  link("back"),
			"faceImageUrl":     link("face"),
		})
	})
}

type window struct {
	Limit     float64 `json:"limit"`
	Used      float64 `json:"used"`
	Remaining float64 `json:"remaining"`
}

func (p *Provider) financialLimits(c *provider.Call) error {
	return p.state.View(c.Tenant, func(tx *state.Tx) error {
		ir := tx.Get(kindIdentity, c.Params["identityId"])
		if ir == nil {
			return identityNotFound()
		}
		id := state.Data[identity](ir)
		monthly := 50000.0
		if id.FinancialLimit != nil {
			monthly = *id.FinancialLimit
		}
		w := func(l float64) window { return window{Limit: l, Remaining: l} }
		limits := func(typ string) map[string]any {
			return map[string]any{"type": typ, "currency": "BRL", "limits": map[string]any{
				"daily": w(min(10000, monthly)), "monthly": w(monthly), "quarterly": w(max(150000, 3*monthly)),
				"perTransaction": map[string]float64{"limit": min(5000, monthly)},
			}}
		}
		return c.JSON(http.StatusOK, map[string]any{
			"identityId": ir.ID, "identityType": id.Type, "projectId": tx.Data().(*tenantData).ProjectID,
			"limits": []any{limits("PIX_DEPOSIT"), limits("PIX_WITHDRAWAL")},
		})
	})
}

func identityNotFound() *provider.Error {
	return provider.NotFound("identity not found").WithCode("IDENTITY_NOT_FOUND")
}
