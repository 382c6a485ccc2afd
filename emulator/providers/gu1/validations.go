package gu1

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/kycemu/kycemu/emulator/provider"
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
	now := p.env.Clock.Now()
	t := p.tenants.Get(c.Tenant)
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.kycConfigured || (in.IntegrationCode != nil && !t.integrations[*in.IntegrationCode]) {
		return kycNotConfigured()
	}
	en, ok := t.entities[in.EntityID]
	if !ok {
		return entityNotFound()
	}
	if en.typ != "person" {
		return provider.Errorf(provider.KindInvalid, "KYC validation is only available for person entities").WithCode("INVALID_ENTITY_TYPE")
	}
	if cur := en.current; cur != nil && (cur.status == Pending || cur.status == InProgress || cur.status == InReview) {
		return provider.Errorf(provider.KindConflict,
			"The entity already has a KYC validation in progress; cancel it before creating a new one").WithCode("VALIDATION_IN_PROGRESS")
	}
	if plan == nil && en.taxID != nil {
		plan = mockPlan(*en.taxID)
	} else if plan != nil && plan.DefaultSteps && en.taxID != nil {
		// A scenario without a timeline keeps what the taxId would choose.
		if mp := mockPlan(*en.taxID); mp != nil {
			plan.Steps = mp.Steps
		}
	}
	if plan == nil {
		plan = defaultPlan()
	}
	v := &validation{
		id: t.rand.UUID(), sessionID: t.rand.UUID(), tenant: t, entity: en, status: Pending,
		integrationCode: in.IntegrationCode, workflowID: in.WorkflowID, metadata: in.Metadata,
		isCurrent: true, expiresAt: now.Add(sessionTTL), created: now, updated: now, plan: plan,
	}
	if in.WebhookURL != nil {
		v.webhookURL = *in.WebhookURL
	}
	v.sessionURL = c.BaseURL + "/verify/" + v.sessionID
	if prev := en.current; prev != nil {
		prev.isCurrent = false
	}
	en.current = v
	en.validations = append(en.validations, v)
	v.timeline = provider.NewTimeline(p.env.Clock, plan.Steps, p.fire(v))
	v.history = []provider.Transition{{To: Pending, At: now, By: "client"}}
	t.validations[v.id] = v
	t.order = append(t.order, v)
	p.mu.Lock()
	p.index[v.id] = t
	p.bySession[v.sessionID] = t
	p.mu.Unlock()
	v.timeline.Created()
	v.timeline.Entered(Pending)
	p.notify(v, now)
	return c.JSON(http.StatusCreated, v.createdView())
}

// validationOf finds the calling tenant's validation and locks the tenant;
// the caller must call unlock.
func (p *Provider) validationOf(tenantName, id string) (*validation, func(), *provider.Error) {
	t, ok := p.tenants.Lookup(tenantName)
	if !ok {
		return nil, nil, validationNotFound()
	}
	t.mu.Lock()
	v, ok := t.validations[id]
	if !ok {
		t.mu.Unlock()
		return nil, nil, validationNotFound()
	}
	return v, t.mu.Unlock, nil
}

func (p *Provider) getValidation(c *provider.Call) error {
	v, unlock, err := p.validationOf(c.Tenant, c.Params["validationId"])
	if err != nil {
		return err
	}
	defer unlock()
	return c.JSON(http.StatusOK, v.view())
}

type reasonIn struct {
	Reason string `json:"reason"`
}

func (p *Provider) cancelValidation(c *provider.Call) error {
	var in reasonIn
	if err := c.Bind(&in); err != nil {
		return err
	}
	v, unlock, err := p.validationOf(c.Tenant, c.Params["validationId"])
	if err != nil {
		return err
	}
	defer unlock()
	if !p.move(v, Cancelled, "client", in.Reason) {
		return invalidStatus("Only pending, in_progress or in_review validations can be cancelled; this one is " + v.status)
	}
	return c.JSON(http.StatusOK, v.view())
}

func (p *Provider) rejectValidation(c *provider.Call) error {
	var in reasonIn
	if err := c.Bind(&in); err != nil {
		return err
	}
	v, unlock, err := p.validationOf(c.Tenant, c.Params["validationId"])
	if err != nil {
		return err
	}
	defer unlock()
	if v.status != InReview || !p.move(v, Rejected, "client", in.Reason) {
		return invalidStatus("Only validations in_review can be rejected; this one is " + v.status)
	}
	return c.JSON(http.StatusOK, v.view())
}

func invalidStatus(msg string) *provider.Error {
	return provider.Errorf(provider.KindInvalid, "%s", msg).WithCode("INVALID_STATUS")
}

func (p *Provider) currentValidation(c *provider.Call) error {
	_, e, unlock, err := p.entityOf(c.Tenant, c.Params["entityId"])
	if err != nil {
		return err
	}
	defer unlock()
	if e.current == nil {
		return provider.NotFound("No current KYC validation for this entity").WithCode("VALIDATION_NOT_FOUND")
	}
	return c.JSON(http.StatusOK, e.current.view())
}

func (p *Provider) entityStatus(c *provider.Call) error {
	_, e, unlock, err := p.entityOf(c.Tenant, c.Params["entityId"])
	if err != nil {
		return err
	}
	defer unlock()
	return c.JSON(http.StatusOK, e.statusView())
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
	_, e, unlock, err := p.entityOf(c.Tenant, c.Params["entityId"])
	if err != nil {
		return err
	}
	defer unlock()
	var match []*validation
	for i := len(e.validations) - 1; i >= 0; i-- {
		if v := e.validations[i]; status == "" || v.status == status {
			match = append(match, v)
		}
	}
	out := []validationView{}
	if page-1 < (len(match)+limit-1)/limit { // no overflow for huge pages
		for i := (page - 1) * limit; i < len(match) && i < page*limit; i++ {
			out = append(out, match[i].view())
		}
	}
	return c.JSON(http.StatusOK, map[string]any{"validations": out, "total": len(match), "page": page, "limit": limit})
}
