package notus

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"time"

	"github.com/kycemu/kycemu/emulator/internal/jsonx"
	"github.com/kycemu/kycemu/emulator/internal/s3post"
	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
)

// kind is a session type, spelled as the document-urls endpoint spells it.
type kind string

const (
	kindStandard kind = "STANDARD_INDIVIDUAL"
	kindEnhanced kind = "ENHANCED_INDIVIDUAL"
	kindBusiness kind = "STANDARD_BUSINESS"
)

// Statuses.
const (
	Pending   = "PENDING"
	Verifying = "VERIFYING"
	Completed = "COMPLETED"
	Failed    = "FAILED"
	Expired   = "EXPIRED"
)

// Machine is the session status machine shared by every session kind.
var machine = provider.NewMachine(Pending, map[string][]string{
	Pending:   {Verifying, Expired},
	Verifying: {Completed, Failed},
})

// Machines returns the status machine of every session kind (for
// scenario validation).
func (p *Provider) Machines() map[string]*provider.Machine {
	return map[string]*provider.Machine{
		string(kindStandard): machine, string(kindEnhanced): machine, string(kindBusiness): machine,
	}
}

// Timing defaults, all on the emulator clock.
const (
	uploadValidity = 15 * time.Minute
	sessionTTL     = time.Hour
	reviewDelay    = 2 * time.Second
	maxUpload      = 10 << 20
)

// defaultPlan approves two seconds after process and expires a session
// still PENDING after an hour.
func defaultPlan() *provider.Plan {
	return &provider.Plan{Steps: []provider.Step{
		{After: sessionTTL, Status: Expired, Reason: "session expired before it was processed"},
		{From: Verifying, After: reviewDelay, Status: Completed},
	}}
}

// sharedDefault is the default plan of every session no scenario drives.
// Records only read their plan (Tx.SetPlan replaces it whole), so one
// copy serves them all instead of a new one per session.
var sharedDefault = defaultPlan()

// Record kinds beside the session kinds, and index names.
const (
	kindIdentity = "identity"
	byDocument   = "document" // an identity's "individual:<documentId>" or "business:<cnpj>"
)

// spec is what Notus keeps in the state layer: sessions of three kinds on
// one machine, and the identities completed sessions issue.
func (p *Provider) spec() state.Spec {
	sessionKind := func(k kind) state.Kind {
		return state.Kind{Name: string(k), New: func() any { return &session{} }, Machine: machine, Session: true,
			Fire: p.fire, Actions: actionsOf, Act: p.act}
	}
	return state.Spec{
		Tenant: func() any { return &tenantData{} },
		Kinds: []state.Kind{sessionKind(kindStandard), sessionKind(kindEnhanced), sessionKind(kindBusiness),
			{Name: kindIdentity, New: func() any { return &identity{} },
				Indexes: map[string]state.Scope{byDocument: state.TenantScope}}},
	}
}

// tenantData is a project's own data.
type tenantData struct {
	// ProjectID is drawn on the project's first write.
	ProjectID string `json:"projectId"`
}

// identity is what a completed session issues (record kind "identity").
type identity struct {
	Type           string   `json:"type"` // individual, business
	FinancialLimit *float64 `json:"financialLimit,omitempty"`
}

// object describes a stored file; its bytes are the record's blob named
// after the slot ("face" for the liveness image).
type object struct {
	Key         string    `json:"key"`
	ContentType string    `json:"contentType"`
	ETag        string    `json:"etag"`
	Size        int       `json:"size"`
	Uploaded    time.Time `json:"uploaded"`
}

func objectOf(o s3post.Object) *object {
	return &object{Key: o.Key, ContentType: o.ContentType, ETag: o.ETag, Size: len(o.Data), Uploaded: o.Uploaded}
}

// slot is one file a session asks for.
type slot struct {
	Name   string  `json:"name"` // front, back, proofOfAddress, socialContract, owners.0.front ...
	Key    string  `json:"key"`
	Images bool    `json:"images,omitempty"` // must be a photo (else a PDF is fine too)
	Object *object `json:"object,omitempty"`
}

type document struct {
	ID       string  `json:"id"`
	Type     *string `json:"type"`
	Category string  `json:"category"`
}

type person struct {
	FirstName string   `json:"firstName"`
	LastName  string   `json:"lastName"`
	BirthDate string   `json:"birthDate"`
	Document  document `json:"document"`
	Country   string   `json:"country"`
}

type business struct {
	LegalName   string   `json:"legalName"`
	CNPJ        string   `json:"cnpj"`
	LegalNature string   `json:"legalNature"`
	Email       string   `json:"email"`
	Phone       string   `json:"phone"`
	Owners      []person `json:"owners"`
}

// session is a verification session (record kinds STANDARD_INDIVIDUAL,
// ENHANCED_INDIVIDUAL, STANDARD_BUSINESS); status, plan and history live on
// the record.
type session struct {
	Person           person    `json:"person,omitzero"`
	Business         *business `json:"business,omitempty"`
	LivenessRequired bool      `json:"livenessRequired,omitempty"`
	Face             *object   `json:"face,omitempty"`
	Slots            []slot    `json:"slots"`
	IdentityID       string    `json:"identityId,omitempty"`
	FinancialLimit   *float64  `json:"financialLimit,omitempty"`
}

func kindOf(r *state.Record) kind { return kind(r.Kind) }

func (s *session) slot(name string) *slot {
	for i := range s.Slots {
		if s.Slots[i].Name == name {
			return &s.Slots[i]
		}
	}
	return nil
}

// object returns a stored file's description by slot name, or the
// liveness face image's.
func (s *session) object(name string) *object {
	if name == "face" {
		return s.Face
	}
	if sl := s.slot(name); sl != nil {
		return sl.Object
	}
	return nil
}

func (s *session) missing() []string {
	var out []string
	for _, sl := range s.Slots {
		if sl.Object == nil {
			out = append(out, sl.Name)
		}
	}
	return out
}

// move changes the status if the machine allows it, applies what the new
// status brings and sends its webhook; it reports whether it moved.
func (p *Provider) move(tx *state.Tx, r *state.Record, to, by, reason string) bool {
	if !tx.Move(r, to, by, reason) {
		return false
	}
	s := state.Data[session](r)
	if to == Completed {
		p.assignIdentity(tx, r)
		if s.Person.Document.Category != "" {
			t := documentType(s.Person)
			s.Person.Document.Type = &t
		}
	}
	p.notify(r, r.Updated)
	return true
}

// documentType is what verification reads off a document: the Brazilian
// document names, or the category elsewhere.
func documentType(pp person) string {
	if pp.Country == "BRAZIL" {
		switch pp.Document.Category {
		case "DRIVERS_LICENSE":
			return "CNH"
		case "IDENTITY_CARD":
			return "RG"
		}
	}
	return pp.Document.Category
}

func (p *Provider) assignIdentity(tx *state.Tx, r *state.Record) {
	s := state.Data[session](r)
	typ, key := "individual", "individual:"+s.Person.Document.ID
	if kindOf(r) == kindBusiness {
		typ, key = "business", "business:"+s.Business.CNPJ
	}
	ir := tx.Lookup(kindIdentity, byDocument, key)
	if ir == nil {
		var err error
		ir, err = tx.Create(state.NewRecord{Kind: kindIdentity, ID: tx.Rand().UUID(), Data: &identity{Type: typ},
			Index: map[string]string{byDocument: key}})
		if err != nil {
			p.env.Log.Error("notus identity could not be stored", "error", err)
			return
		}
	}
	if s.FinancialLimit != nil {
		state.Data[identity](ir).FinancialLimit = s.FinancialLimit
	}
	s.IdentityID = ir.ID
}

// fire applies a timeline step: a session completing on the default plan
// fails instead when a photo it holds is not a readable image.
func (p *Provider) fire(tx *state.Tx, r *state.Record, st provider.Step) {
	to, reason := st.Status, st.Reason
	if to == Completed && r.Scenario() == "" {
		if bad := unreadable(tx, r); bad != "" {
			to, reason = Failed, "the "+bad+" image could not be read as a photo"
		}
	}
	p.move(tx, r, to, "timeline", reason)
}

// unreadable names the first photo slot whose bytes are not an image.
func unreadable(tx *state.Tx, r *state.Record) string {
	for _, sl := range state.Data[session](r).Slots {
		if !sl.Images || sl.Object == nil {
			continue
		}
		if b, ok := tx.Blob(r, sl.Name); ok && !isImage(b) {
			return sl.Name
		}
	}
	return ""
}

func isImage(b []byte) bool {
	ct := http.DetectContentType(b)
	return slices.Contains([]string{"image/jpeg", "image/png", "image/webp", "image/gif", "image/bmp"}, ct)
}

type webhookBody struct {
	Event        string  `json:"event"`
	SessionID    string  `json:"sessionId"`
	SessionType  kind    `json:"sessionType"`
	Status       string  `json:"status"`
	IndividualID *string `json:"individualId"`
	Timestamp    string  `json:"timestamp"`
}

var events = map[string]string{
	Verifying: "kyc.session.verifying",
	Completed: "kyc.session.completed",
	Failed:    "kyc.session.failed",
	Expired:   "kyc.session.expired",
}

// notify sends kycemu's invented Notus webhook (delivered only when the
// tenant configured a URL).
func (p *Provider) notify(r *state.Record, at time.Time) {
	ev, ok := events[r.Status]
	if !ok {
		return
	}
	body, _ := json.Marshal(webhookBody{Event: ev, SessionID: r.ID, SessionType: kindOf(r), Status: r.Status,
		IndividualID: state.Data[session](r).identityID(), Timestamp: stamp(at)})
	p.env.Webhooks.Send(provider.Event{Provider: Name, Tenant: r.Tenant, Name: ev, SessionID: r.ID, Body: body,
		Sign: signHMAC, Faults: r.Plan.Webhooks})
}

func (s *session) identityID() *string {
	if s.IdentityID == "" {
		return nil
	}
	id := s.IdentityID
	return &id
}

// SignWebhook signs kycemu's invented Notus webhooks (see signHMAC).
func (p *Provider) SignWebhook(_, secret string, body []byte, at time.Time) http.Header {
	return signHMAC(secret, body, at)
}

// stamp formats times as JavaScript's toISOString does.
func stamp(t time.Time) string {
	var buf [len(jsonx.MillisLayout)]byte
	return string(jsonx.AppendMillis(buf[:0], t))
}

func stampPtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := stamp(*t)
	return &s
}

// signHMAC signs kycemu's invented Notus webhook: X-Notus-Signature is the
// hex HMAC-SHA256 of the raw body under the tenant's webhook secret.
func signHMAC(secret string, body []byte, _ time.Time) http.Header {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return http.Header{"X-Notus-Signature": {hex.EncodeToString(m.Sum(nil))}}
}
