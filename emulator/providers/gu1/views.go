package gu1

import "encoding/json"

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

// view is the entity as the API shows it; the caller holds the tenant lock.
func (e *entity) view(t *tenant) entityView {
	return entityView{
		ID: e.id, ExternalID: e.externalID, OrganizationID: t.org, Type: e.typ, Name: e.name, TaxID: e.taxID,
		CountryCode: e.countryCode, RiskScore: 0, RiskFactors: []any{}, Status: e.status,
		KycVerified: e.kycVerified, KycProvider: e.kycProvider, KycData: e.kycData,
		EntityData: orEmpty(e.entityData), Attributes: orEmpty(e.attributes), IsClient: e.isClient,
		CreatedAt: stampOf(e.created), UpdatedAt: stampOf(e.updated),
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

// view is the full validation; the caller holds the tenant lock.
func (v *validation) view() validationView {
	exp := v.expiresAt
	return validationView{
		ID: v.id, EntityID: v.entity.id, OrganizationID: v.tenant.org, SessionID: v.sessionID,
		ValidationSessionID: v.sessionID, Status: v.status, Provider: providerName, ProviderSessionURL: v.sessionURL,
		IntegrationCode: v.integrationCode, WorkflowID: v.workflowID, Decision: v.decision, Reason: v.reason,
		DocumentsVerified: nonNil(v.documents), BiometricResult: v.biometric, RiskAssessment: v.risk,
		VerifiedFields: nonNil(v.verifiedFields), ExtractedData: v.extracted, Warnings: nonNil(v.warnings),
		IsCurrent: v.isCurrent, ExpiresAt: stampPtr(&exp), VerifiedAt: stampPtr(v.verifiedAt),
		Metadata: orEmpty(v.metadata), CreatedAt: stampOf(v.created), UpdatedAt: stampOf(v.updated),
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

// created is the shorter form the create call answers.
func (v *validation) createdView() createdView {
	return createdView{
		ID: v.id, EntityID: v.entity.id, OrganizationID: v.tenant.org, SessionID: v.sessionID,
		ValidationSessionID: v.sessionID, Status: v.status, Provider: providerName, ProviderSessionURL: v.sessionURL,
		IsCurrent: v.isCurrent, Metadata: orEmpty(v.metadata), CreatedAt: stampOf(v.created), UpdatedAt: stampOf(v.updated),
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

// statusOf summarises an entity's KYC: its current validation, or else its
// latest one; the caller holds the tenant lock.
func (e *entity) statusView() statusView {
	out := statusView{EntityID: e.id, KycVerified: e.kycVerified}
	v := e.current
	if v == nil && len(e.validations) > 0 {
		v = e.validations[len(e.validations)-1]
	}
	if v != nil {
		st, id, up := v.status, v.id, v.updated
		out.Status, out.ValidationID, out.IsCurrent = &st, &id, v.isCurrent
		out.VerifiedAt, out.UpdatedAt = stampPtr(v.verifiedAt), stampPtr(&up)
	}
	return out
}
