package gu1

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/kycemu/kycemu/emulator/internal/fake"
	"github.com/kycemu/kycemu/emulator/provider"
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

type tenant struct {
	name string
	key  string
	org  string
	rand *fake.Source

	mu            sync.Mutex
	kycConfigured bool
	integrations  map[string]bool
	entities      map[string]*entity
	entityOrder   []*entity
	validations   map[string]*validation
	order         []*validation
}

func (p *Provider) newTenant(name string) *tenant {
	key, org := splitTenant(name)
	return &tenant{
		name: name, key: key, org: org,
		rand:          p.env.Rand.Derive(Name, name),
		kycConfigured: true,
		integrations:  map[string]bool{defaultIntegration: true},
		entities:      map[string]*entity{},
		validations:   map[string]*validation{},
	}
}

type entity struct {
	id          string
	externalID  *string
	typ         string
	name        string
	taxID       *string
	countryCode string
	status      string
	isClient    *bool
	entityData  json.RawMessage
	attributes  json.RawMessage
	kycVerified bool
	kycProvider *string
	kycData     map[string]any
	created     time.Time
	updated     time.Time
	validations []*validation // creation order
	current     *validation
}

type validation struct {
	id, sessionID   string
	tenant          *tenant
	entity          *entity
	status          string
	integrationCode *string
	workflowID      *string
	webhookURL      string
	metadata        json.RawMessage
	sessionURL      string
	isCurrent       bool
	reason          *string
	decision        map[string]any
	documents       []map[string]any
	biometric       map[string]any
	risk            map[string]any
	verifiedFields  []string
	extracted       map[string]any
	warnings        []string
	expiresAt       time.Time
	verifiedAt      *time.Time
	created         time.Time
	updated         time.Time

	plan     *provider.Plan
	timeline *provider.Timeline
	history  []provider.Transition
	gone     bool
}

// open reports whether a validation may still change course.
func (v *validation) open() bool { return !machine.Terminal(v.status) }

// move changes the status if the machine allows it and reports whether it
// did; the caller holds the tenant lock.
func (p *Provider) move(v *validation, to, by, reason string) bool {
	if v.gone || !machine.Can(v.status, to) {
		return false
	}
	now := p.env.Clock.Now()
	v.history = append(v.history, provider.Transition{From: v.status, To: to, At: now, By: by, Reason: reason})
	v.status, v.updated = to, now
	if reason != "" && (to == Rejected || to == Cancelled || to == Abandoned || to == Expired) {
		r := reason
		v.reason = &r
	}
	p.apply(v, now, by)
	if machine.Terminal(to) {
		v.timeline.Stop()
	} else {
		v.timeline.Entered(to)
	}
	p.notify(v, now)
	return true
}

// walk forces v towards to along the main line (pending -> in_progress ->
// in_review) until the machine allows the final move. It moves nothing and
// reports false when to cannot be reached.
func (p *Provider) walk(v *validation, to, by, reason string) bool {
	path := machine.Path(v.status, to, forward)
	if path == nil {
		return false
	}
	for i, st := range path {
		r := ""
		if i == len(path)-1 {
			r = reason
		}
		p.move(v, st, by, r)
	}
	return true
}

// apply fills in what a status brings: read documents in review, a
// decision when decided, the current flag and the entity's KYC fields.
func (p *Provider) apply(v *validation, now time.Time, by string) {
	en := v.entity
	stamp := stampOf(now)
	decidedBy := "provider"
	if by == "client" {
		decidedBy = "manual"
	}
	switch v.status {
	case InReview:
		v.documents = []map[string]any{{"type": "identity_document", "side": "front", "status": "verified"},
			{"type": "identity_document", "side": "back", "status": "verified"}}
		v.biometric = map[string]any{"liveness": "passed", "faceMatch": "match", "faceMatchScore": 0.97}
		v.extracted = p.extracted(v, now)
	case Approved:
		v.decision = map[string]any{"result": Approved, "reason": nil, "decidedBy": decidedBy, "decidedAt": stamp}
		v.risk = map[string]any{"riskLevel": "low", "score": 8}
		v.verifiedFields = []string{"firstName", "lastName", "dateOfBirth", "documentNumber", "nationality"}
		v.verifiedAt = &now
		en.kycVerified = true
		kp := providerName
		en.kycProvider = &kp
		en.kycData = map[string]any{"validationId": v.id, "status": Approved, "verifiedAt": stamp}
		en.updated = now
	case Rejected:
		v.decision = map[string]any{"result": Rejected, "reason": v.reasonOr("rejected"), "decidedBy": decidedBy, "decidedAt": stamp}
		v.risk = map[string]any{"riskLevel": "high", "score": 85}
		v.warnings = append(v.warnings, "identity could not be verified")
		v.isCurrent = false
	case Cancelled:
		v.isCurrent = false
	}
	if !v.isCurrent && en.current == v {
		en.current = nil
	}
}

func (v *validation) reasonOr(def string) string {
	if v.reason != nil {
		return *v.reason
	}
	return def
}

// extracted is what the document reading found: the entity's person data,
// completed with a fake identity where it is silent.
func (p *Provider) extracted(v *validation, now time.Time) map[string]any {
	fp := v.tenant.rand.Person(now)
	out := map[string]any{
		"firstName": fp.FirstName, "lastName": fp.LastName, "dateOfBirth": fp.BirthDate.Format(time.DateOnly),
		"documentNumber": v.tenant.rand.String(fake.Digits, 8), "documentType": "national_id",
		"nationality": v.entity.countryCode,
	}
	var data struct {
		Person map[string]any `json:"person"`
	}
	if json.Unmarshal(v.entity.entityData, &data) == nil {
		for _, k := range []string{"firstName", "lastName", "dateOfBirth", "nationality"} {
			if s, ok := data.Person[k].(string); ok && s != "" {
				out[k] = s
			}
		}
	}
	return out
}

// fire applies a timeline step.
func (p *Provider) fire(v *validation) func(provider.Step) {
	return func(st provider.Step) {
		t := v.tenant
		t.mu.Lock()
		defer t.mu.Unlock()
		p.move(v, st.Status, "timeline", st.Reason)
	}
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

// notify sends the webhook of v's current status; the caller holds the
// tenant lock (Send never blocks).
func (p *Provider) notify(v *validation, at time.Time) {
	ev := events[v.status]
	pl := webhookPayload{ValidationID: v.id, validationView: v.view()}
	if v.status == Approved || v.status == Rejected {
		ent := v.entity.view(v.tenant)
		pl.Entity = &ent
	}
	body, err := json.Marshal(webhookEnvelope{Event: ev, Timestamp: stampOf(at), OrganizationID: v.tenant.org, Payload: pl})
	if err != nil {
		p.env.Log.Error("gu1 webhook encoding failed", "error", err)
		return
	}
	p.env.Webhooks.Send(provider.Event{Provider: Name, Tenant: v.tenant.name, URL: v.webhookURL, Name: ev,
		SessionID: v.id, Body: body, Sign: Sign, Faults: v.plan.Webhooks, Retry: retrySchedule()})
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
