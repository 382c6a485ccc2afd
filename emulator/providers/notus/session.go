package notus

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/kycemu/kycemu/emulator/internal/fake"
	"github.com/kycemu/kycemu/emulator/internal/s3post"
	"github.com/kycemu/kycemu/emulator/provider"
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

type tenant struct {
	name      string
	rand      *fake.Source
	projectID string

	mu         sync.Mutex
	sessions   map[string]*session
	order      []*session
	identities map[string]*identity // identity id -> identity
	byDocument map[string]*identity // "individual:<documentId>" / "business:<cnpj>" -> identity
}

func (p *Provider) newTenant(name string) *tenant {
	r := p.env.Rand.Derive(Name, name)
	return &tenant{
		name:       name,
		rand:       r,
		projectID:  r.UUID(),
		sessions:   map[string]*session{},
		identities: map[string]*identity{},
		byDocument: map[string]*identity{},
	}
}

type identity struct {
	id             string
	typ            string // individual, business
	financialLimit *float64
}

// slot is one file a session asks for.
type slot struct {
	name   string // front, back, proofOfAddress, socialContract, owners.0.front ...
	key    string
	object *s3post.Object
	images bool // must be a photo (else a PDF is fine too)
}

type document struct {
	ID       string  `json:"id"`
	Type     *string `json:"type"`
	Category string  `json:"category"`
}

type person struct {
	FirstName string
	LastName  string
	BirthDate string
	Document  document
	Country   string
}

type business struct {
	LegalName   string
	CNPJ        string
	LegalNature string
	Email       string
	Phone       string
	Owners      []person
}

type session struct {
	id       string
	tenant   *tenant
	kind     kind
	status   string
	created  time.Time
	updated  *time.Time
	person   person    // individual sessions
	business *business // business sessions

	livenessRequired bool
	face             *s3post.Object
	slots            []*slot
	identity         *identity
	financialLimit   *float64

	plan     *provider.Plan
	timeline *provider.Timeline
	history  []provider.Transition
	gone     bool
}

func (s *session) slot(name string) *slot {
	for _, sl := range s.slots {
		if sl.name == name {
			return sl
		}
	}
	return nil
}

// object returns the stored file of a slot, or the liveness face image.
func (s *session) object(name string) *s3post.Object {
	if name == "face" {
		return s.face
	}
	if sl := s.slot(name); sl != nil {
		return sl.object
	}
	return nil
}

func (s *session) missing() []string {
	var out []string
	for _, sl := range s.slots {
		if sl.object == nil {
			out = append(out, sl.name)
		}
	}
	return out
}

// move changes the status if the machine allows it; it reports whether it
// did. The caller holds the tenant lock.
func (p *Provider) move(s *session, to, by, reason string) bool {
	if s.gone || !machine.Can(s.status, to) {
		return false
	}
	now := p.env.Clock.Now()
	s.history = append(s.history, provider.Transition{From: s.status, To: to, At: now, By: by, Reason: reason})
	s.status = to
	s.updated = &now
	if to == Completed {
		p.assignIdentity(s)
		if s.person.Document.Category != "" {
			t := documentType(s.person)
			s.person.Document.Type = &t
		}
	}
	if machine.Terminal(to) {
		s.timeline.Stop()
	} else {
		s.timeline.Entered(to)
	}
	p.notify(s, now)
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

func (p *Provider) assignIdentity(s *session) {
	t := s.tenant
	typ, key := "individual", "individual:"+s.person.Document.ID
	if s.kind == kindBusiness {
		typ, key = "business", "business:"+s.business.CNPJ
	}
	id, ok := t.byDocument[key]
	if !ok {
		id = &identity{id: t.rand.UUID(), typ: typ}
		t.byDocument[key] = id
		t.identities[id.id] = id
	}
	if s.financialLimit != nil {
		id.financialLimit = s.financialLimit
	}
	s.identity = id
}

// fire applies a timeline step.
func (p *Provider) fire(s *session) func(provider.Step) {
	return func(st provider.Step) {
		t := s.tenant
		t.mu.Lock()
		defer t.mu.Unlock()
		to, reason := st.Status, st.Reason
		if to == Completed && s.plan.Scenario == "" {
			if bad := s.unreadable(); bad != "" {
				to, reason = Failed, "the "+bad+" image could not be read as a photo"
			}
		}
		p.move(s, to, "timeline", reason)
	}
}

// unreadable names the first photo slot whose bytes are not an image.
func (s *session) unreadable() string {
	for _, sl := range s.slots {
		if sl.images && sl.object != nil && !isImage(sl.object.Data) {
			return sl.name
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
func (p *Provider) notify(s *session, at time.Time) {
	ev, ok := events[s.status]
	if !ok {
		return
	}
	body, _ := json.Marshal(webhookBody{Event: ev, SessionID: s.id, SessionType: s.kind, Status: s.status,
		IndividualID: s.identityID(), Timestamp: stamp(at)})
	p.env.Webhooks.Send(provider.Event{Provider: Name, Tenant: s.tenant.name, Name: ev, SessionID: s.id, Body: body,
		Sign: signHMAC, Faults: s.plan.Webhooks})
}

func (s *session) identityID() *string {
	if s.identity == nil {
		return nil
	}
	id := s.identity.id
	return &id
}

// stamp formats times as JavaScript's toISOString does.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

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
