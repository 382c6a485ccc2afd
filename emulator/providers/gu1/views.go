package gu1

import (
	"encoding/json"

	"github.com/kycemu/kycemu/emulator/state"
)

var emptyObject = json.RawMessage(`{}`)

func orEmpty(m json.RawMessage) json.RawMessage {
	if len(m) == 0 || string(m) == "null" {
		return emptyObject
	}
	return m
}

type entityView struct {
	ID             string          `json:"id"`
	ExternalID     *string         `json:"externalId"`
	OrganizationID string          `json:"organizationId"`
	Type           string          `json:"type"`
	Name           string          `json:"name"`
	TaxID          *string         `json:"taxId"`
	CountryCode    string          `json:"countryCode"`
	RiskScore      int             `json:"riskScore"`
	RiskFactors    []any           `json:"riskFactors"`
	Status         string          `json:"status"`
	KycVerified    bool            `json:"kycVerified"`
	KycProvider    *string         `json:"kycProvider"`
	KycData        map[string]any  `json:"kycData"`
	EntityData     json.RawMessage `json:"entityData"`
	Attributes     json.RawMessage `json:"attributes"`
	IsClient       *bool           `json:"isClient,omitempty"`
	CreatedAt      string          `json:"createdAt"`
	UpdatedAt      string          `json:"updatedAt"`
	DeletedAt      *string         `json:"deletedAt"`
}

// entityViewOf is the entity as the API shows it.
func entityViewOf(r *state.Record, org string) entityView {
	e := state.Data[entity](r)
	return entityView{
		ID: r.ID, ExternalID: e.ExternalID, OrganizationID: org, Type: e.Type, Name: e.Name, TaxID: e.TaxID,
		CountryCode: e.CountryCode, RiskScore: 0, RiskFactors: []any{}, Status: e.Status,
		KycVerified: e.KycVerified, KycProvider: e.KycProvider, KycData: e.KycData,
		EntityData: orEmpty(e.EntityData), Attributes: orEmpty(e.Attributes), IsClient: e.IsClient,
		CreatedAt: stampOf(r.Created), UpdatedAt: stampOf(r.Updated),
	}
}

type validationView struct {
	ID                  string           `json:"id"`
	EntityID            string           `json:"entityId"`
	OrganizationID      string           `json:"organizationId"`
	SessionID           string           `json:"sessionId"`
	ValidationSessionID string           `json:"validationSessionId"`
	Status              string           `json:"status"`
	Provider            string           `json:"provider"`
	ProviderSessionURL  string           `json:"providerSessionUrl"`
	IntegrationCode     *string          `json:"integrationCode"`
	WorkflowID          *string          `json:"workflowId"`
	Decision            map[string]any   `json:"decision"`
	Reason              *string          `json:"reason"`
	DocumentsVerified   []map[string]any `json:"documentsVerified"`
	BiometricResult     map[string]any   `json:"biometricResult"`
	RiskAssessment      map[string]any   `json:"riskAssessment"`
	VerifiedFields      []string         `json:"verifiedFields"`
	ExtractedData       map[string]any   `json:"extractedData"`
	Warnings            []string         `json:"warnings"`
	IsCurrent           bool             `json:"isCurrent"`
	ExpiresAt           *string          `json:"expiresAt"`
	VerifiedAt          *string          `json:"verifiedAt"`
	Metadata            json.RawMessage  `json:"metadata"`
	CreatedAt           string           `json:"createdAt"`
	UpdatedAt           string           `json:"updatedAt"`
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// validationViewOf is the full validation.
func validationViewOf(r *state.Record, org string) validationView {
	v := state.Data[validation](r)
	exp := v.ExpiresAt
	return validationView{
		ID: r.ID, EntityID: v.EntityID, OrganizationID: org, SessionID: v.SessionID,
		ValidationSessionID: v.SessionID, Status: r.Status, Provider: providerName, ProviderSessionURL: v.SessionURL,
		IntegrationCode: v.IntegrationCode, WorkflowID: v.WorkflowID, Decision: v.Decision, Reason: v.Reason,
		DocumentsVerified: nonNil(v.Documents), BiometricResult: v.Biometric, RiskAssessment: v.Risk,
		VerifiedFields: nonNil(v.VerifiedFields), ExtractedData: v.Extracted, Warnings: nonNil(v.Warnings),
		IsCurrent: v.IsCurrent, ExpiresAt: stampPtr(&exp), VerifiedAt: stampPtr(v.VerifiedAt),
		Metadata: orEmpty(v.Metadata), CreatedAt: stampOf(r.Created), UpdatedAt: stampOf(r.Updated),
	}
}

type createdView struct {
	ID                  string          `json:"id"`
	EntityID            string          `json:"entityId"`
	OrganizationID      string          `json:"organizationId"`
	SessionID           string          `json:"sessionId"`
	ValidationSessionID string          `json:"validationSessionId"`
	Status              string          `json:"status"`
	Provider            string          `json:"provider"`
	ProviderSessionURL  string          `json:"providerSessionUrl"`
	IsCurrent           bool            `json:"isCurrent"`
	Metadata            json.RawMessage `json:"metadata"`
	CreatedAt           string          `json:"createdAt"`
	UpdatedAt           string          `json:"updatedAt"`
}

// createdViewOf is the shorter form the create call answers.
func createdViewOf(r *state.Record, org string) createdView {
	v := state.Data[validation](r)
	return createdView{
		ID: r.ID, EntityID: v.EntityID, OrganizationID: org, SessionID: v.SessionID,
		ValidationSessionID: v.SessionID, Status: r.Status, Provider: providerName, ProviderSessionURL: v.SessionURL,
		IsCurrent: v.IsCurrent, Metadata: orEmpty(v.Metadata), CreatedAt: stampOf(r.Created), UpdatedAt: stampOf(r.Updated),
	}
}

type statusView struct {
	EntityID     string  `json:"entityId"`
	Status       *string `json:"status"`
	KycVerified  bool    `json:"kycVerified"`
	ValidationID *string `json:"validationId"`
	IsCurrent    bool    `json:"isCurrent"`
	VerifiedAt   *string `json:"verifiedAt"`
	UpdatedAt    *string `json:"updatedAt"`
}

// statusViewOf summarises an entity's KYC: its current validation, or else
// its latest one.
func statusViewOf(tx *state.Tx, er *state.Record) statusView {
	e := state.Data[entity](er)
	out := statusView{EntityID: er.ID, KycVerified: e.KycVerified}
	var r *state.Record
	if e.Current != "" {
		r = tx.Get(kindValidation, e.Current)
	}
	for i := len(e.Validations) - 1; r == nil && i >= 0; i-- {
		r = tx.Get(kindValidation, e.Validations[i]) // the latest still kept
	}
	if r != nil {
		v := state.Data[validation](r)
		st, id, up := r.Status, r.ID, r.Updated
		out.Status, out.ValidationID, out.IsCurrent = &st, &id, v.IsCurrent
		out.VerifiedAt, out.UpdatedAt = stampPtr(v.VerifiedAt), stampPtr(&up)
	}
	return out
}
