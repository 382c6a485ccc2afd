package gatenox

import (
	"slices"
	"time"
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

// createdView is the invitation as the create call answers it; the caller
// holds the tenant lock.
func (inv *invitation) createdView() createdInvitationView {
	return createdInvitationView{
		ID: inv.id, CustomerID: deref(inv.customerID), Email: inv.email, InvitationType: "individual",
		RedirectURLSuccess: deref(inv.successURL), RedirectURLFailure: deref(inv.failureURL), State: inv.state,
		InvitationURL: inv.url, CompletedAt: stampPtr(inv.completed), CreatedAt: stamp(inv.created),
		UpdatedAt: stamp(inv.updated), CompanyName: nil,
	}
}

type invitationView struct {
	createdInvitationView
	DisplayName               *string `json:"display_name"`
	ExternalVerificationState *string `json:"external_verification_state"`
	VerificationID            string  `json:"verification_id,omitempty"`
}

// view is the invitation as the list answers it.
func (inv *invitation) view() invitationView {
	v := invitationView{createdInvitationView: inv.createdView(), ExternalVerificationState: strPtr("CREATED")}
	if k := inv.kase; k != nil {
		v.DisplayName = strPtr(k.person.fullName())
		v.VerificationID = k.id
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

func (s *riskScore) view() scoreView {
	v := scoreView{ID: s.id, RiskScoreSimple: s.simple, CreatedAt: stamp(s.created), UpdatedAt: stamp(s.updated),
		VerificationID: s.kase.id}
	if s.detailed {
		score := ""
		if s.score != nil {
			score = *s.score
		}
		reasons := slices.Clone(s.reasons)
		if reasons == nil {
			reasons = []string{}
		}
		v.RiskScoreDetailed = &detailedView{Score: score, Reasons: reasons}
	}
	return v
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

// view is the case as it is now, without its revision timestamps (see
// current); the caller holds the tenant lock. Its pointers are fresh copies,
// so the view can be kept as a revision.
func (k *kase) view() caseView {
	name := k.person.fullName()
	dob := k.person.birthDate.Format(time.DateOnly)
	v := caseView{
		ID: k.id, CustomerID: deref(k.inv.customerID), Status: k.status, EntityName: name, EntityIdentifier: dob,
		EntityContactEmail: k.inv.email, CreatedAt: stamp(k.created), UpdatedAt: stamp(k.updated),
		CompanyName: name, CompanyNumber: dob, AccessType: "verifier_compliance_officer",
		LastDataUpdate: strPtr(stamp(k.lastDataUpdate)), VerificationType: "primary",
		Assessment: copyPtr(k.assessment), ReopenAt: stampPtr(k.reopenAt), QAComment: copyPtr(k.qaComment),
		AssessmentComment: copyPtr(k.assessmentComment), RejectionComment: copyPtr(k.rejectionComment),
		PersonalVerificationID: k.inv.id,
	}
	if k.score != nil {
		s := k.score.view()
		v.ExternalRiskScore = &s
	}
	return v
}

// current is the newest revision with every revision timestamp.
func (k *kase) current() caseView {
	v := k.view()
	v.RevisionTimestamps = k.timestamps()
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

func (a *address) view() addressView {
	return addressView{ID: a.id, Name: optional(a.name), Line1: optional(a.line1), Line2: nil, Line3: nil,
		Postcode: optional(a.postcode), City: optional(a.city), State: nil, Country: optional(a.country),
		CreatedAt: stamp(a.created), UpdatedAt: stamp(a.created)}
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

func (d *document) view() documentEntryView {
	at := stamp(d.created)
	atts := make([]attachmentView, len(d.attachments))
	for i, a := range d.attachments {
		atts[i] = attachmentView{ID: a.id, AttachmentType: a.typ, Filename: a.original.filename, Filesize: len(a.original.data),
			Mime: a.original.mime, CreatedAt: at, UpdatedAt: at,
			URLs: urlsView{Thumb: a.thumbURL, Medium: a.mediumURL, Original: a.originalURL}}
	}
	return documentEntryView{ID: d.entryID, Purposes: []string{d.purpose}, CreatedAt: at, UpdatedAt: at,
		Document: documentView{ID: d.id, CountryOfIssue: optional(d.country), Name: d.name, Number: optional(d.number),
			DocumentType: d.typ, DateOfIssue: optional(d.issued), ExpirationDate: optional(d.expires),
			CreatedAt: at, UpdatedAt: at, Attachments: atts}}
}

type personalVerificationRef struct {
	Email       string  `json:"email"`
	CompletedAt *string `json:"completed_at"`
	UpdatedAt   string  `json:"updated_at"`
	State       string  `json:"state"`
}

type personView struct {
	ID                       string                  `json:"id"`
	Surname                  string                  `json:"surname"`
	GivenNames               string                  `json:"given_names"`
	FamilyName               *string                 `json:"family_name"`
	ParentsGivenNames        *string                 `json:"parents_given_names"`
	DateOfBirth              string                  `json:"date_of_birth"`
	Sex                      string                  `json:"sex"`
	Nationality              string                  `json:"nationality"`
	Pep                      bool                    `json:"pep"`
	PepDescription           *string                 `json:"pep_description"`
	PlaceOfBirth             *string                 `json:"place_of_birth"`
	PersonalNumber           *string                 `json:"personal_number"`
	FundsSources             *string                 `json:"funds_sources"`
	Email                    string                  `json:"email"`
	Phone                    *string                 `json:"phone"`
	TitlePosition            *string                 `json:"title_position"`
	CreatedAt                string                  `json:"created_at"`
	UpdatedAt                string                  `json:"updated_at"`
	AddressOfResidence       addressView             `json:"address_of_residence"`
	AddressForCorrespondence *addressView            `json:"address_for_correspondence"`
	Documents                []documentEntryView     `json:"documents"`
	PersonalVerification     personalVerificationRef `json:"personal_verification"`
}

// personView is the person of a case with their documents; the caller
// holds the tenant lock.
func (k *kase) personView() personView {
	ps, inv := k.person, k.inv
	docs := make([]documentEntryView, len(ps.documents))
	for i, d := range ps.documents {
		docs[i] = d.view()
	}
	return personView{
		ID: ps.id, Surname: ps.surname, GivenNames: ps.givenNames, FamilyName: optional(ps.familyName),
		ParentsGivenNames: optional(ps.parents), DateOfBirth: ps.birthDate.Format(time.DateOnly), Sex: ps.sex,
		Nationality: ps.nationality, Pep: false, PepDescription: nil, PlaceOfBirth: optional(ps.placeOfBirth),
		PersonalNumber: optional(ps.personalNumber), FundsSources: optional(ps.fundsSources), Email: inv.email,
		Phone: optional(ps.phone), TitlePosition: optional(ps.title), CreatedAt: stamp(ps.created),
		UpdatedAt: stamp(ps.created), AddressOfResidence: k.addresses[0].view(),
		Documents: docs,
		PersonalVerification: personalVerificationRef{Email: inv.email, CompletedAt: stampPtr(inv.completed),
			UpdatedAt: stamp(inv.updated), State: inv.state},
	}
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
