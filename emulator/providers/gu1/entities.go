package gu1

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
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
	_, org := splitTenant(c.Tenant)
	return p.state.Update(c.Tenant, func(tx *state.Tx) error {
		e := &entity{
			ExternalID: in.ExternalID, Type: in.Type, Name: in.Name, TaxID: in.TaxID,
			CountryCode: strings.ToUpper(in.CountryCode), Status: "active", IsClient: in.IsClient,
			EntityData: in.EntityData, Attributes: in.Attributes,
		}
		if in.Status != nil {
			e.Status = *in.Status
		}
		nr := state.NewRecord{Kind: kindEntity, ID: tx.Rand().UUID(), Data: e}
		if in.ExternalID != nil {
			nr.Index = map[string]string{byExternalID: *in.ExternalID}
		}
		r, err := tx.Create(nr)
		if errors.Is(err, state.ErrExists) {
			return provider.Errorf(provider.KindConflict, "An entity with this externalId already exists").WithCode("ENTITY_ALREADY_EXISTS")
		} else if err != nil {
			return err
		}
		return c.JSON(http.StatusCreated, map[string]any{
			"success": true,
			"entity":  entityViewOf(r, org),
			"rulesResult": map[string]any{
				"executed": !in.SkipRulesExecution, "rulesTriggered": []any{}, "riskScore": 0, "alerts": []any{},
			},
			"rulesExecutionSummary": map[string]any{
				"executed": !in.SkipRulesExecution, "totalRules": 0, "rulesTriggered": 0, "skipped": in.SkipRulesExecution,
			},
		})
	})
}

func (p *Provider) listEntities(c *provider.Call) error {
	typ, country := c.Query("type"), strings.ToUpper(c.Query("country"))
	taxID, externalID := NormalizeTaxID(c.Query("taxId")), c.Query("externalId")
	hasTax, hasExt := c.R.URL.Query().Has("taxId"), c.R.URL.Query().Has("externalId")
	_, org := splitTenant(c.Tenant)
	out := []entityView{}
	return p.state.View(c.Tenant, func(tx *state.Tx) error {
		all := tx.List(kindEntity)
		for i := len(all) - 1; i >= 0 && len(out) < maxEntities; i-- {
			e := state.Data[entity](all[i])
			switch {
			case typ != "" && e.Type != typ,
				country != "" && e.CountryCode != country,
				hasTax && (e.TaxID == nil || NormalizeTaxID(*e.TaxID) != taxID),
				hasExt && (e.ExternalID == nil || *e.ExternalID != externalID):
				continue
			}
			out = append(out, entityViewOf(all[i], org))
		}
		return c.JSON(http.StatusOK, map[string]any{"entities": out})
	})
}

func (p *Provider) getEntity(c *provider.Call) error {
	_, org := splitTenant(c.Tenant)
	return p.state.View(c.Tenant, func(tx *state.Tx) error {
		er := tx.Get(kindEntity, c.Params["entityId"])
		if er == nil {
			return entityNotFound()
		}
		return c.JSON(http.StatusOK, map[string]any{"entity": entityViewOf(er, org)})
	})
}
