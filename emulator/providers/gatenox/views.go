package gatenox

import (
	"slices"

	"github.com/kycemu/kycemu/emulator/state"
)

// Where Gatenox's examples omit a key (an invitation's verification_id
// before its case exists, an external risk score's values before they
// arrive) the views omit it too; where the examples show an empty string
// for a value the client did not give (customer_id), the views do.

type createdInvitationView struct {
	ID                 string  `json:"id"`
	CustomerID         string  `json:"customer_id"`
	Email              string  `json:"email"`
	InvitationType     string  `json:"invitation_type"`
	RedirectURLSuccess string  `json:"redirect_url_success"`
	RedirectURLFailure string  `json:"redirect_url_failure"`
	State              string  `json:"state"`
	InvitationURL      string  `json:"invitation_url"`
	CompletedAt        *string `json:"completed_at"`
	CreatedAt          string  `json:"created_at"`
	UpdatedAt          string  `json:"updated_at"`
	CompanyName        *string `json:"company_name"`
}

// createdView is an individual invitation as the create call answers it.
func createdView(r *state.Record) createdInvitationView {
	inv := state.Data[invitation](r)
	return createdInvitationView{
		ID: r.ID, CustomerID: deref(inv.CustomerID), Email: inv.Email, InvitationType: "individual",
		RedirectURLSuccess: deref(inv.SuccessURL), RedirectURLFailure: deref(inv.FailureURL), State: r.Status,
		InvitationURL: inv.URL, CompletedAt: stampPtr(inv.Completed), CreatedAt: stamp(r.Created),
		UpdatedAt: stamp(r.Updated), CompanyName: nil,
	}
}

type invitationView struct {
	createdInvitationView
	DisplayName               *string `json:"display_name"`
	ExternalVerificationState *string `json:"external_verification_state"`
	VerificationID            string  `json:"verification_id,omitempty"`
}

// invitationViewOf is an individual invitation as the list answers it.
func invitationViewOf(r *state.Record) invitationView {
	inv := state.Data[invitation](r)
	v := invitationView{createdInvitationView: createdView(r), ExternalVerificationState: strPtr("CREATED")}
	if inv.CaseID != "" {
		v.DisplayName = strPtr(inv.DisplayName)
		v.VerificationID = inv.CaseID
	}
	return v
}

type detailedView struct {
	Score   string   `json:"score"`
	Reasons []string `json:"reasons"`
}

type scoreView struct {
	ID                string        `json:"id"`
	RiskScoreSimple   *string       `json:"risk_score_simple,omitempty"`
	RiskScoreDetailed *detailedView `json:"risk_score_detailed,omitempty"`
	CreatedAt         string        `json:"created_at"`
	UpdatedAt         string        `json:"updated_at"`
	VerificationID    string        `json:"verification_id"`
}

func (s *riskScore) view(id string) scoreView {
	v := scoreView{ID: id, RiskScoreSimple: copyPtr(s.Simple), CreatedAt: stamp(s.Created), UpdatedAt: stamp(s.Updated),
		VerificationID: s.CaseID}
	if s.Detailed {
		score := ""
		if s.Score != nil {
			score = *s.Score
		}
		reasons := slices.Clone(s.Reasons)
		if reasons == nil {
			reasons = []string{}
		}
		v.RiskScoreDetailed = &detailedView{Score: score, Reasons: reasons}
	}
	return v
}

// scoreOf is the view of a case's current external risk score record, or
// nil.
func scoreOf(tx *state.Tx, rv *review) *scoreView {
	if rv.ScoreID == "" {
		return nil
	}
	sr := tx.Peek(kindScore, rv.ScoreID)
	if sr == nil {
		return nil
	}
	v := state.Data[riskScore](sr).view(sr.ID)
	return &v
}

type caseView struct {
	ID                     string     `json:"id"`
	CustomerID             string     `json:"customer_id"`
	Status                 string     `json:"status"`
	EntityName             string     `json:"entity_name"`
	EntityIdentifier       string     `json:"entity_identifier"`
	EntityContactEmail     string     `json:"entity_contact_email"`
	RevisionTimestamps     []int64    `json:"revision_timestamps"`
	CreatedAt              string     `json:"created_at"`
	UpdatedAt              string     `json:"updated_at"`
	CompanyName            string     `json:"company_name"`
	CompanyNumber          string     `json:"company_number"`
	AccessType             string     `json:"access_type"`
	LastDataUpdate         *string    `json:"last_data_update"`
	VerificationType       string     `json:"verification_type"`
	Assessment             *string    `json:"assessment"`
	ReopenAt               *string    `json:"reopen_at"`
	QAComment              *string    `json:"qa_comment"`
	AssessmentComment      *string    `json:"assessment_comment"`
	RejectionComment       *string    `json:"rejection_comment,omitempty"`
	AssignedTo             any        `json:"assigned_to"`
	PersonalVerificationID string     `json:"personal_verification_id"`
	ExternalRiskScore      *scoreView `json:"external_risk_score,omitempty"`
}

// caseViewOf is an individual case as it is now, without its revision
// timestamps (see currentCase). Its pointers are fresh copies, so the view
// can be kept as a revision.
func (p *Provider) caseViewOf(tx *state.Tx, r *state.Record) caseView {
	k := state.Data[kase](r)
	name := k.Person.fullName()
	dob := k.Person.DateOfBirth
	return caseView{
		ID: r.ID, CustomerID: k.CustomerID, Status: r.Status, EntityName: name, EntityIdentifier: dob,
		EntityContactEmail: k.Email, CreatedAt: stamp(r.Created), UpdatedAt: stamp(k.Updated),
		CompanyName: name, CompanyNumber: dob, AccessType: "verifier_compliance_officer",
		LastDataUpdate: strPtr(stamp(k.LastDataUpdate)), VerificationType: "primary",
		Assessment: copyPtr(k.Assessment), ReopenAt: stampPtr(k.ReopenAt), QAComment: copyPtr(k.QAComment),
		AssessmentComment: copyPtr(k.AssessmentComment), RejectionComment: copyPtr(k.RejectionComment),
		PersonalVerificationID: k.InvitationID, ExternalRiskScore: scoreOf(tx, &k.review),
	}
}

// currentCase is the newest revision with every revision timestamp.
func (p *Provider) currentCase(tx *state.Tx, r *state.Record) caseView {
	v := p.caseViewOf(tx, r)
	v.RevisionTimestamps = state.Data[kase](r).timestamps()
	return v
}

// deref is "" for nil.
func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func copyPtr(s *string) *string {
	if s == nil {
		return nil
	}
	v := *s
	return &v
}

type addressView struct {
	ID        string  `json:"id"`
	Name      *string `json:"name"`
	Line1     *string `json:"line_1"`
	Line2     *string `json:"line_2"`
	Line3     *string `json:"line_3"`
	Postcode  *string `json:"postcode"`
	City      *string `json:"city"`
	State     *string `json:"state"`
	Country   *string `json:"country"`
	CreatedAt string  `json:"created_at"`
	UpdatedAt string  `json:"updated_at"`
}

type urlsView struct {
	Thumb    string `json:"thumb"`
	Medium   string `json:"medium"`
	Original string `json:"original"`
}

type attachmentView struct {
	ID             string   `json:"id"`
	AttachmentType string   `json:"attachment_type"`
	Filename       string   `json:"filename"`
	Filesize       int      `json:"filesize"`
	Mime           string   `json:"mime"`
	CreatedAt      string   `json:"created_at"`
	UpdatedAt      string   `json:"updated_at"`
	URLs           urlsView `json:"urls"`
}

type documentView struct {
	ID             string           `json:"id"`
	CountryOfIssue *string          `json:"country_of_issue"`
	Name           string           `json:"name"`
	Number         *string          `json:"number"`
	DocumentType   string           `json:"document_type"`
	DateOfIssue    *string          `json:"date_of_issue"`
	ExpirationDate *string          `json:"expiration_date"`
	CreatedAt      string           `json:"created_at"`
	UpdatedAt      string           `json:"updated_at"`
	Attachments    []attachmentView `json:"attachments"`
}

type documentEntryView struct {
	ID        string       `json:"id"`
	Purposes  []string     `json:"purposes"`
	CreatedAt string       `json:"created_at"`
	UpdatedAt string       `json:"updated_at"`
	Document  documentView `json:"document"`
}

type personalVerificationRef struct {
	Email       string  `json:"email"`
	CompletedAt *string `json:"completed_at"`
	UpdatedAt   string  `json:"updated_at"`
	State       string  `json:"state"`
}

// personViewOf is the person of an individual case with their documents.
func personViewOf(r *state.Record) kybPersonView {
	k := state.Data[kase](r)
	v := k.Person.view(k.BaseURL)
	v.PersonalVerification = &personalVerificationRef{Email: k.Email, CompletedAt: stampPtr(&k.Person.Created),
		UpdatedAt: stamp(k.Person.Created), State: InvCompleted}
	return v
}

// audit is one row of the audit log, in Rails' audited gem's shape.
type audit struct {
	ID             int            `json:"id"`
	AuditableID    string         `json:"auditable_id"`
	AuditableType  string         `json:"auditable_type"`
	AssociatedID   *string        `json:"associated_id"`
	AssociatedType *string        `json:"associated_type"`
	UserID         *string        `json:"user_id"`
	UserType       *string        `json:"user_type"`
	Username       *string        `json:"username"`
	Action         string         `json:"action"`
	AuditedChanges map[string]any `json:"audited_changes"`
	Version        int            `json:"version"`
	RemoteAddress  *string        `json:"remote_address"`
	RequestUUID    string         `json:"request_uuid"`
	CreatedAt      string         `json:"created_at"`
	// Comment is null, or on a sanctions_check row the check it reports.
	Comment *sanctionsComment `json:"comment"`
}
