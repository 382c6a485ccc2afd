package gu1

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/kycemu/kycemu/emulator/internal/fake"
	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
)

// Validation statuses.
const (
	Pending    = "pending"
	InProgress = "in_progress"
	InReview   = "in_review"
	Approved   = "approved"
	Rejected   = "rejected"
	Abandoned  = "abandoned"
	Expired    = "expired"
	Cancelled  = "cancelled"
)

// kindValidation is the session kind passed to Scenarios.Plan.
const kindValidation = "validation"

// machine is the validation status machine: the documented main line
// pending -> in_progress -> in_review -> approved | rejected, cancel from any
// open status, expiry before the user finishes, abandonment once started.
var machine = provider.NewMachine(Pending, map[string][]string{
	Pending:    {InProgress, Cancelled, Expired},
	InProgress: {InReview, Abandoned, Expired, Cancelled},
	InReview:   {Approved, Rejected, Cancelled},
})

// forward is the main line a forced outcome walks along until the machine
// allows it.
var forward = map[string]string{Pending: InProgress, InProgress: InReview}

// Machines returns the status machine of validations (for scenario checks).
func (p *Provider) Machines() map[string]*provider.Machine {
	return map[string]*provider.Machine{kindValidation: machine}
}

// Timing defaults, all on the emulator clock.
const (
	sessionTTL = 7 * 24 * time.Hour
	stepDelay  = 2 * time.Second
	mockDelay  = time.Second
	// providerName is what gu1 reports as the underlying KYC provider.
	providerName = "gueno"
	// defaultIntegration works in every sandbox organisation.
	defaultIntegration = "global_gueno_validation_kyc"
)

// retrySchedule is kycemu's choice for gu1 webhook retries (gu1 documents
// none): after the 1st..5th failure.
func retrySchedule() []time.Duration {
	return []time.Duration{30 * time.Second, 2 * time.Minute, 10 * time.Minute, time.Hour, 6 * time.Hour}
}

func expiry() provider.Step {
	return provider.Step{After: sessionTTL, Status: Expired, Reason: "the verification session expired"}
}

// defaultPlan moves a validation along the main line to approved, two
// seconds per step, and expires it after seven days if it stalls.
func defaultPlan() *provider.Plan {
	return &provider.Plan{Steps: []provider.Step{
		expiry(),
		{After: stepDelay, Status: InProgress},
		{From: InProgress, After: stepDelay, Status: InReview},
		{From: InReview, After: stepDelay, Status: Approved},
	}}
}

// MockTaxID is one row of the sandbox table: a normalised taxId ending in
// Suffix leads to Outcome.
type MockTaxID struct {
	Suffix  string `json:"suffix"`
	Outcome string `json:"outcome"`
	Path    string `json:"path"`
	Example string `json:"example"`
}

// mockTable is kycemu's stand-in for gu1's sandbox test taxIds (gu1's own
// table is not public).
var mockTable = []struct {
	MockTaxID
	steps func() []provider.Step
}{
	{MockTaxID{"0001", Approved, "pending → in_progress → in_review → approved, 1 s apart", "20-30000001"}, func() []provider.Step {
		return mainLine(Approved, "")
	}},
	{MockTaxID{"0002", Rejected, "pending → in_progress → in_review → rejected, 1 s apart", "20-30000002"}, func() []provider.Step {
		return mainLine(Rejected, "the identity document could not be verified")
	}},
	{MockTaxID{"0003", InReview, "pending → in_progress → in_review, then waits for a manual decision", "20-30000003"}, func() []provider.Step {
		return mainLine("", "")
	}},
	{MockTaxID{"0004", Cancelled, "pending → cancelled after 1 s", "20-30000004"}, func() []provider.Step {
		return []provider.Step{{After: mockDelay, Status: Cancelled, Reason: "cancelled by the provider"}}
	}},
	{MockTaxID{"0005", Expired, "pending → expired after 1 s", "20-30000005"}, func() []provider.Step {
		return []provider.Step{{After: mockDelay, Status: Expired, Reason: "the verification session expired"}}
	}},
	{MockTaxID{"0006", Abandoned, "pending → in_progress → abandoned, 1 s apart", "20-30000006"}, func() []provider.Step {
		return []provider.Step{{After: mockDelay, Status: InProgress},
			{From: InProgress, After: mockDelay, Status: Abandoned, Reason: "the user left the verification flow"}}
	}},
	{MockTaxID{"0007", Pending, "stays pending (expires after 7 days)", "20-30000007"}, func() []provider.Step {
		return []provider.Step{expiry()}
	}},
	{MockTaxID{"0008", InProgress, "pending → in_progress after 1 s, then stays (expires after 7 days)", "20-30000008"}, func() []provider.Step {
		return []provider.Step{expiry(), {After: mockDelay, Status: InProgress}}
	}},
}

// mainLine walks pending -> in_progress -> in_review one second apart and
// ends with final ("" to stop in review).
func mainLine(final, reason string) []provider.Step {
	steps := []provider.Step{
		{After: mockDelay, Status: InProgress},
		{From: InProgress, After: mockDelay, Status: InReview},
	}
	if final != "" {
		steps = append(steps, provider.Step{From: InReview, After: mockDelay, Status: final, Reason: reason})
	}
	return steps
}

// MockTaxIDs returns the sandbox table.
func MockTaxIDs() []MockTaxID {
	out := make([]MockTaxID, len(mockTable))
	for i, m := range mockTable {
		out[i] = m.MockTaxID
	}
	return out
}

// NormalizeTaxID keeps letters and digits, upper-cased: "99.990.001" and
// "99990001" are the same taxId.
func NormalizeTaxID(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToUpper(r))
		}
	}
	return b.String()
}

// mockPlan returns the sandbox plan a taxId selects, or nil.
func mockPlan(taxID string) *provider.Plan {
	n := NormalizeTaxID(taxID)
	if n == "" {
		return nil
	}
	for _, m := range mockTable {
		if strings.HasSuffix(n, m.Suffix) {
			return &provider.Plan{Scenario: "", Steps: m.steps(), Options: map[string]any{"taxIdSuffix": m.Suffix}}
		}
	}
	return nil
}

// Record kinds.
const kindEntity = "entity"

// Index names.
const (
	byExternalID = "externalId" // an entity's externalId, unique in a tenant
	bySessionID  = "session"    // a validation's provider session id, for the hosted page
)

// spec is what gu1 keeps in the state layer.
func (p *Provider) spec() state.Spec {
	return state.Spec{
		Tenant: func() any { return &tenantData{KycConfigured: true, Integrations: []string{defaultIntegration}} },
		Kinds: []state.Kind{
			{Name: kindEntity, New: func() any { return &entity{} },
				Indexes: map[string]state.Scope{byExternalID: state.TenantScope}},
			{Name: kindValidation, New: func() any { return &validation{} }, Machine: machine, Session: true,
				Indexes: map[string]state.Scope{bySessionID: state.ProviderScope},
				Fire: func(tx *state.Tx, r *state.Record, st provider.Step) {
					p.move(tx, r, st.Status, "timeline", st.Reason)
				},
				Actions: actionsOf, Act: p.act},
		},
	}
}

// tenantData is an organisation's KYC configuration.
type tenantData struct {
	KycConfigured bool     `json:"kycConfigured"`
	Integrations  []string `json:"integrations"`
}

func (d *tenantData) integrated(code string) bool { return slices.Contains(d.Integrations, code) }

// entity is a person or company (record kind "entity").
type entity struct {
	ExternalID  *string         `json:"externalId,omitempty"`
	Type        string          `json:"type"`
	Name        string          `json:"name"`
	TaxID       *string         `json:"taxId,omitempty"`
	CountryCode string          `json:"countryCode"`
	Status      string          `json:"status"`
	IsClient    *bool           `json:"isClient,omitempty"`
	EntityData  json.RawMessage `json:"entityData,omitempty"`
	Attributes  json.RawMessage `json:"attributes,omitempty"`
	KycVerified bool            `json:"kycVerified"`
	KycProvider *string         `json:"kycProvider,omitempty"`
	KycData     map[string]any  `json:"kycData,omitempty"`
	// Validations are the entity's validation ids in creation order;
	// Current is the current one's ("" for none).
	Validations []string `json:"validations,omitempty"`
	Current     string   `json:"current,omitempty"`
}

// validation is a KYC validation (record kind "validation"); its status,
// plan, history and times live on the record.
type validation struct {
	SessionID       string           `json:"sessionId"`
	EntityID        string           `json:"entityId"`
	IntegrationCode *string          `json:"integrationCode,omitempty"`
	WorkflowID      *string          `json:"workflowId,omitempty"`
	WebhookURL      string           `json:"webhookUrl,omitempty"`
	Metadata        json.RawMessage  `json:"metadata,omitempty"`
	SessionURL      string           `json:"sessionUrl"`
	IsCurrent       bool             `json:"isCurrent"`
	Reason          *string          `json:"reason,omitempty"`
	Decision        map[string]any   `json:"decision,omitempty"`
	Documents       []map[string]any `json:"documents,omitempty"`
	Biometric       map[string]any   `json:"biometric,omitempty"`
	Risk            map[string]any   `json:"risk,omitempty"`
	VerifiedFields  []string         `json:"verifiedFields,omitempty"`
	Extracted       map[string]any   `json:"extracted,omitempty"`
	Warnings        []string         `json:"warnings,omitempty"`
	ExpiresAt       time.Time        `json:"expiresAt"`
	VerifiedAt      *time.Time       `json:"verifiedAt,omitempty"`
}

// move changes the status if the machine allows it, applies what the new
// status brings and sends its webhook; it reports whether it moved.
func (p *Provider) move(tx *state.Tx, r *state.Record, to, by, reason string) bool {
	if !tx.Move(r, to, by, reason) {
		return false
	}
	v := state.Data[validation](r)
	if reason != "" && (to == Rejected || to == Cancelled || to == Abandoned || to == Expired) {
		v.Reason = &reason
	}
	now := r.Updated
	p.apply(tx, r, now, by)
	p.notify(tx, r, now)
	return true
}

// apply fills in what a status brings: read documents in review, a
// decision when decided, the current flag and the entity's KYC fields.
func (p *Provider) apply(tx *state.Tx, r *state.Record, now time.Time, by string) {
	v := state.Data[validation](r)
	er := tx.Get(kindEntity, v.EntityID) // nil once evicted
	stamp := stampOf(now)
	decidedBy := "provider"
	if by == "client" {
		decidedBy = "manual"
	}
	switch r.Status {
	case InReview:
		v.Documents = []map[string]any{{"type": "identity_document", "side": "front", "status": "verified"},
			{"type": "identity_document", "side": "back", "status": "verified"}}
		v.Biometric = map[string]any{"liveness": "passed", "faceMatch": "match", "faceMatchScore": 0.97}
		v.Extracted = p.extracted(tx, er, now)
	case Approved:
		v.Decision = map[string]any{"result": Approved, "reason": nil, "decidedBy": decidedBy, "decidedAt": stamp}
		v.Risk = map[string]any{"riskLevel": "low", "score": 8}
		v.VerifiedFields = []string{"firstName", "lastName", "dateOfBirth", "documentNumber", "nationality"}
		v.VerifiedAt = &now
		if er != nil {
			en := state.Data[entity](er)
			en.KycVerified = true
			kp := providerName
			en.KycProvider = &kp
			en.KycData = map[string]any{"validationId": r.ID, "status": Approved, "verifiedAt": stamp}
			er.Updated = now
		}
	case Rejected:
		v.Decision = map[string]any{"result": Rejected, "reason": v.reasonOr("rejected"), "decidedBy": decidedBy, "decidedAt": stamp}
		v.Risk = map[string]any{"riskLevel": "high", "score": 85}
		v.Warnings = append(v.Warnings, "identity could not be verified")
		v.IsCurrent = false
	case Cancelled:
		v.IsCurrent = false
	}
	if er != nil && !v.IsCurrent && state.Data[entity](er).Current == r.ID {
		state.Data[entity](er).Current = ""
	}
}

func (v *validation) reasonOr(def string) string {
	if v.Reason != nil {
		return *v.Reason
	}
	return def
}

// extracted is what the document reading found: the entity's person data,
// completed with a fake identity where it is silent.
func (p *Provider) extracted(tx *state.Tx, er *state.Record, now time.Time) map[string]any {
	rnd := tx.Rand()
	fp := rnd.Person(now)
	out := map[string]any{
		"firstName": fp.FirstName, "lastName": fp.LastName, "dateOfBirth": fp.BirthDate.Format(time.DateOnly),
		"documentNumber": rnd.String(fake.Digits, 8), "documentType": "national_id",
	}
	if er == nil {
		return out
	}
	en := state.Data[entity](er)
	out["nationality"] = en.CountryCode
	var data struct {
		Person map[string]any `json:"person"`
	}
	if json.Unmarshal(en.EntityData, &data) == nil {
		for _, k := range []string{"firstName", "lastName", "dateOfBirth", "nationality"} {
			if s, ok := data.Person[k].(string); ok && s != "" {
				out[k] = s
			}
		}
	}
	return out
}

// events maps statuses to webhook event names.
var events = map[string]string{
	Pending:    "kyc.validation_created",
	InProgress: "kyc.validation_in_progress",
	InReview:   "kyc.validation_in_review",
	Approved:   "kyc.validation_approved",
	Rejected:   "kyc.validation_rejected",
	Abandoned:  "kyc.validation_abandoned",
	Expired:    "kyc.validation_expired",
	Cancelled:  "kyc.validation_cancelled",
}

type webhookPayload struct {
	ValidationID string `json:"validationId"`
	validationView
	Entity *entityView `json:"entity,omitempty"`
}

type webhookEnvelope struct {
	Event          string         `json:"event"`
	Timestamp      string         `json:"timestamp"`
	OrganizationID string         `json:"organizationId"`
	Payload        webhookPayload `json:"payload"`
}

// notify sends the webhook of r's current status (Send never blocks).
func (p *Provider) notify(tx *state.Tx, r *state.Record, at time.Time) {
	ev := events[r.Status]
	v := state.Data[validation](r)
	_, org := splitTenant(r.Tenant)
	pl := webhookPayload{ValidationID: r.ID, validationView: validationViewOf(r, org)}
	if er := tx.Get(kindEntity, v.EntityID); er != nil && (r.Status == Approved || r.Status == Rejected) {
		ent := entityViewOf(er, org)
		pl.Entity = &ent
	}
	body, err := json.Marshal(webhookEnvelope{Event: ev, Timestamp: stampOf(at), OrganizationID: org, Payload: pl})
	if err != nil {
		p.env.Log.Error("gu1 webhook encoding failed", "error", err)
		return
	}
	p.env.Webhooks.Send(provider.Event{Provider: Name, Tenant: r.Tenant, URL: v.WebhookURL, Name: ev,
		SessionID: r.ID, Body: body, Sign: Sign, Faults: r.Plan.Webhooks, Retry: retrySchedule()})
}

// SignatureHeader carries the webhook signature.
const SignatureHeader = "X-Webhook-Signature"

// Sign returns X-Webhook-Signature: the lowercase hex HMAC-SHA256 of the raw
// body under the organisation's webhook secret.
func Sign(secret string, body []byte, _ time.Time) http.Header {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return http.Header{SignatureHeader: {hex.EncodeToString(m.Sum(nil))}}
}

// stampOf formats times as JavaScript's toISOString does.
func stampOf(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func stampPtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := stampOf(*t)
	return &s
}

// SignWebhook signs gu1's webhooks (see Sign).
func (p *Provider) SignWebhook(_, secret string, body []byte, at time.Time) http.Header {
	return Sign(secret, body, at)
}
