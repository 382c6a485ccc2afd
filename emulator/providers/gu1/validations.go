package gu1

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
)

type createValidationIn struct {
	EntityID        string          `json:"entityId"`
	IntegrationCode *string         `json:"integrationCode"`
	WorkflowID      *string         `json:"workflowId"`
	WebhookURL      *string         `json:"webhookUrl"`
	Metadata        json.RawMessage `json:"metadata"`
}

// maxMetadata is the documented metadata limit.
const maxMetadata = 10 << 10

func (p *Provider) createValidation(c *provider.Call) error {
	var in createValidationIn
	if err := c.Bind(&in); err != nil {
		return err
	}
	if len(in.Metadata) > maxMetadata {
		return provider.Invalid("metadata", "must be at most 10 KB")
	}
	plan, perr := p.env.Scenarios.Plan(Name, kindValidation, c.Tenant, c.Scenario, c.Body)
	if perr != nil {
		return perr
	}
	_, org := splitTenant(c.Tenant)
	return p.state.Update(c.Tenant, func(tx *state.Tx) error {
		cfg := tx.Data().(*tenantData)
		if !cfg.KycConfigured || (in.IntegrationCode != nil && !cfg.integrated(*in.IntegrationCode)) {
			return kycNotConfigured()
		}
		er := tx.Get(kindEntity, in.EntityID)
		if er == nil {
			return entityNotFound()
		}
		en := state.Data[entity](er)
		if en.Type != "person" {
			return provider.Errorf(provider.KindInvalid, "KYC validation is only available for person entities").WithCode("INVALID_ENTITY_TYPE")
		}
		prev := tx.Get(kindValidation, en.Current)
		if prev != nil && (prev.Status == Pending || prev.Status == InProgress || prev.Status == InReview) {
			return provider.Errorf(provider.KindConflict,
				"The entity already has a KYC validation in progress; cancel it before creating a new one").WithCode("VALIDATION_IN_PROGRESS")
		}
		plan := plan
		if plan == nil && en.TaxID != nil {
			plan = mockPlan(*en.TaxID)
		} else if plan != nil && plan.DefaultSteps && en.TaxID != nil {
			// A scenario without a timeline keeps what the taxId would choose.
			if mp := mockPlan(*en.TaxID); mp != nil {
				plan.Steps = mp.Steps
			}
		}
		if plan == nil {
			plan = defaultPlan()
		}
		rnd := tx.Rand()
		id, sessionID := rnd.UUID(), rnd.UUID()
		v := &validation{SessionID: sessionID, EntityID: er.ID, IntegrationCode: in.IntegrationCode,
			WorkflowID: in.WorkflowID, Metadata: in.Metadata, IsCurrent: true,
			ExpiresAt: tx.Now().Add(sessionTTL), SessionURL: c.BaseURL + "/verify/" + sessionID}
		if in.WebhookURL != nil {
			v.WebhookURL = *in.WebhookURL
		}
		r, err := tx.Create(state.NewRecord{Kind: kindValidation, ID: id, Data: v, Status: Pending, By: "client",
			Plan: plan, Index: map[string]string{bySessionID: sessionID}})
		if err != nil {
			return err
		}
		if prev != nil {
			state.Data[validation](prev).IsCurrent = false
		}
		en.Current = id
		en.Validations = append(en.Validations, id)
		p.notify(tx, r, r.Created)
		return c.JSON(http.StatusCreated, createdViewOf(r, org))
	})
}

// onValidation runs fn on the calling tenant's validation (404 when it has
// none with that id).
func (p *Provider) onValidation(c *provider.Call, fn func(tx *state.Tx, r *state.Record) error) error {
	return p.state.Update(c.Tenant, func(tx *state.Tx) error {
		r := tx.Get(kindValidation, c.Params["validationId"])
		if r == nil {
			return validationNotFound()
		}
		return fn(tx, r)
	})
}

func (p *Provider) getValidation(c *provider.Call) error {
	_, org := splitTenant(c.Tenant)
	return p.state.View(c.Tenant, func(tx *state.Tx) error {
		r := tx.Get(kindValidation, c.Params["validationId"])
		if r == nil {
			return validationNotFound()
		}
		return c.JSON(http.StatusOK, validationViewOf(r, org))
	})
}

type reasonIn struct {
	Reason string `json:"reason"`
}

func (p *Provider) cancelValidation(c *provider.Call) error {
	var in reasonIn
	if err := c.Bind(&in); err != nil {
		return err
	}
	_, org := splitTenant(c.Tenant)
	return p.onValidation(c, func(tx *state.Tx, r *state.Record) error {
		if !p.move(tx, r, Cancelled, "client", in.Reason) {
			return invalidStatus("Only pending, in_progress or in_review validations can be cancelled; this one is " + r.Status)
		}
		return c.JSON(http.StatusOK, validationViewOf(r, org))
	})
}

func (p *Provider) rejectValidation(c *provider.Call) error {
	var in reasonIn
	if err := c.Bind(&in); err != nil {
		return err
	}
	_, org := splitTenant(c.Tenant)
	return p.onValidation(c, func(tx *state.Tx, r *state.Record) error {
		if r.Status != InReview || !p.move(tx, r, Rejected, "client", in.Reason) {
			return invalidStatus("Only validations in_review can be rejected; this one is " + r.Status)
		}
		return c.JSON(http.StatusOK, validationViewOf(r, org))
	})
}

func invalidStatus(msg string) *provider.Error {
	return provider.Errorf(provider.KindInvalid, "%s", msg).WithCode("INVALID_STATUS")
}

// onEntity runs fn on the calling tenant's entity (404 when it has none
// with that id).
func (p *Provider) onEntity(c *provider.Call, fn func(tx *state.Tx, er *state.Record) error) error {
	return p.state.View(c.Tenant, func(tx *state.Tx) error {
		er := tx.Get(kindEntity, c.Params["entityId"])
		if er == nil {
			return entityNotFound()
		}
		return fn(tx, er)
	})
}

func (p *Provider) currentValidation(c *provider.Call) error {
	_, org := splitTenant(c.Tenant)
	return p.onEntity(c, func(tx *state.Tx, er *state.Record) error {
		cur := state.Data[entity](er).Current
		r := tx.Get(kindValidation, cur)
		if cur == "" || r == nil {
			return provider.NotFound("No current KYC validation for this entity").WithCode("VALIDATION_NOT_FOUND")
		}
		return c.JSON(http.StatusOK, validationViewOf(r, org))
	})
}

func (p *Provider) entityStatus(c *provider.Call) error {
	return p.onEntity(c, func(tx *state.Tx, er *state.Record) error {
		return c.JSON(http.StatusOK, statusViewOf(tx, er))
	})
}

func (p *Provider) listValidations(c *provider.Call) error {
	page, limit := 1, 100
	if n, err := strconv.Atoi(c.Query("page")); err == nil && n > 1 {
		page = n
	}
	if n, err := strconv.Atoi(c.Query("limit")); err == nil && n >= 1 && n <= 100 {
		limit = n
	}
	status := c.Query("status")
	_, org := splitTenant(c.Tenant)
	return p.onEntity(c, func(tx *state.Tx, er *state.Record) error {
		ids := state.Data[entity](er).Validations
		var match []*state.Record
		for i := len(ids) - 1; i >= 0; i-- {
			if r := tx.Get(kindValidation, ids[i]); r != nil && (status == "" || r.Status == status) {
				match = append(match, r)
			}
		}
		out := []validationView{}
		if page-1 < (len(match)+limit-1)/limit { // no overflow for huge pages
			for i := (page - 1) * limit; i < len(match) && i < page*limit; i++ {
				out = append(out, validationViewOf(match[i], org))
			}
		}
		return c.JSON(http.StatusOK, map[string]any{"validations": out, "total": len(match), "page": page, "limit": limit})
	})
}
