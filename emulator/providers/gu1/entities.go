package gu1

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/kycemu/kycemu/emulator/provider"
)

type createEntityIn struct {
	Type               string          `json:"type"`
	Name               string          `json:"name"`
	CountryCode        string          `json:"countryCode"`
	ExternalID         *string         `json:"externalId"`
	TaxID              *string         `json:"taxId"`
	Attributes         json.RawMessage `json:"attributes"`
	EntityData         json.RawMessage `json:"entityData"`
	IsClient           *bool           `json:"isClient"`
	Status             *string         `json:"status"`
	SkipRulesExecution bool            `json:"skipRulesExecution"`
}

// maxEntities is how many entities a list answers.
const maxEntities = 100

func (p *Provider) createEntity(c *provider.Call) error {
	var in createEntityIn
	if err := c.Bind(&in); err != nil {
		return err
	}
	now := p.env.Clock.Now()
	t := p.tenants.Get(c.Tenant)
	t.mu.Lock()
	defer t.mu.Unlock()
	if in.ExternalID != nil {
		for _, e := range t.entityOrder {
			if e.externalID != nil && *e.externalID == *in.ExternalID {
				return provider.Errorf(provider.KindConflict, "An entity with this externalId already exists").WithCode("ENTITY_ALREADY_EXISTS")
			}
		}
	}
	e := &entity{
		id: t.rand.UUID(), externalID: in.ExternalID, typ: in.Type, name: in.Name, taxID: in.TaxID,
		countryCode: strings.ToUpper(in.CountryCode), status: "active", isClient: in.IsClient,
		entityData: in.EntityData, attributes: in.Attributes, created: now, updated: now,
	}
	if in.Status != nil {
		e.status = *in.Status
	}
	t.entities[e.id] = e
	t.entityOrder = append(t.entityOrder, e)
	return c.JSON(http.StatusCreated, map[string]any{
		"success": true,
		"entity":  e.view(t),
		"rulesResult": map[string]any{
			"executed": !in.SkipRulesExecution, "rulesTriggered": []any{}, "riskScore": 0, "alerts": []any{},
		},
		"rulesExecutionSummary": map[string]any{
			"executed": !in.SkipRulesExecution, "totalRules": 0, "rulesTriggered": 0, "skipped": in.SkipRulesExecution,
		},
	})
}

func (p *Provider) listEntities(c *provider.Call) error {
	typ, country := c.Query("type"), strings.ToUpper(c.Query("country"))
	taxID, externalID := NormalizeTaxID(c.Query("taxId")), c.Query("externalId")
	hasTax, hasExt := c.R.URL.Query().Has("taxId"), c.R.URL.Query().Has("externalId")
	out := []entityView{}
	t, ok := p.tenants.Lookup(c.Tenant)
	if !ok {
		return c.JSON(http.StatusOK, map[string]any{"entities": out})
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := len(t.entityOrder) - 1; i >= 0 && len(out) < maxEntities; i-- {
		e := t.entityOrder[i]
		switch {
		case typ != "" && e.typ != typ,
			country != "" && e.countryCode != country,
			hasTax && (e.taxID == nil || NormalizeTaxID(*e.taxID) != taxID),
			hasExt && (e.externalID == nil || *e.externalID != externalID):
			continue
		}
		out = append(out, e.view(t))
	}
	return c.JSON(http.StatusOK, map[string]any{"entities": out})
}

func (p *Provider) getEntity(c *provider.Call) error {
	t, e, unlock, err := p.entityOf(c.Tenant, c.Params["entityId"])
	if err != nil {
		return err
	}
	defer unlock()
	return c.JSON(http.StatusOK, map[string]any{"entity": e.view(t)})
}

// entityOf finds the calling tenant's entity and locks the tenant; the
// caller must call unlock.
func (p *Provider) entityOf(tenantName, id string) (*tenant, *entity, func(), *provider.Error) {
	t, ok := p.tenants.Lookup(tenantName)
	if !ok {
		return nil, nil, nil, entityNotFound()
	}
	t.mu.Lock()
	e, ok := t.entities[id]
	if !ok {
		t.mu.Unlock()
		return nil, nil, nil, entityNotFound()
	}
	return t, e, t.mu.Unlock, nil
}
