package notus

import (
	"strconv"
	"time"

	"github.com/kycemu/kycemu/emulator/internal/s3post"
)

type individualView struct {
	ID               string   `json:"id"`
	IndividualID     *string  `json:"individualId"`
	Status           string   `json:"status"`
	LivenessRequired bool     `json:"livenessRequired"`
	FirstName        string   `json:"firstName"`
	LastName         string   `json:"lastName"`
	BirthDate        string   `json:"birthDate"`
	Document         document `json:"document"`
	CreatedAt        string   `json:"createdAt"`
	UpdatedAt        *string  `json:"updatedAt"`
}

type ownerView struct {
	FirstName string   `json:"firstName"`
	LastName  string   `json:"lastName"`
	BirthDate string   `json:"birthDate"`
	Document  document `json:"document"`
}

type businessView struct {
	ID          string      `json:"id"`
	BusinessID  *string     `json:"businessId"`
	Status      string      `json:"status"`
	LegalName   string      `json:"legalName"`
	CNPJ        string      `json:"cnpj"`
	LegalNature string      `json:"legalNature"`
	Email       string      `json:"email"`
	Phone       string      `json:"phone"`
	Owners      []ownerView `json:"owners"`
	CreatedAt   string      `json:"createdAt"`
	UpdatedAt   *string     `json:"updatedAt"`
}

// view is the session as the API shows it. The caller holds the tenant lock.
func (s *session) view() any {
	if s.kind == kindBusiness {
		b := s.business
		v := businessView{ID: s.id, BusinessID: s.identityID(), Status: s.status, LegalName: b.LegalName, CNPJ: b.CNPJ,
			LegalNature: b.LegalNature, Email: b.Email, Phone: b.Phone, Owners: []ownerView{},
			CreatedAt: stamp(s.created), UpdatedAt: stampPtr(s.updated)}
		for _, o := range b.Owners {
			v.Owners = append(v.Owners, ownerView{FirstName: o.FirstName, LastName: o.LastName, BirthDate: o.BirthDate, Document: o.Document})
		}
		return v
	}
	return individualView{ID: s.id, IndividualID: s.identityID(), Status: s.status, LivenessRequired: s.livenessRequired,
		FirstName: s.person.FirstName, LastName: s.person.LastName, BirthDate: s.person.BirthDate,
		Document: s.person.Document, CreatedAt: stamp(s.created), UpdatedAt: stampPtr(s.updated)}
}

type envelope struct {
	Session any `json:"session"`
}

type ownerUploads struct {
	DocumentID           string       `json:"documentId"`
	FrontDocumentUpload  *s3post.Form `json:"frontDocumentUpload"`
	BackDocumentUpload   *s3post.Form `json:"backDocumentUpload"`
	ProofOfAddressUpload *s3post.Form `json:"proofOfAddressUpload"`
}

// createdView is the creation response: the session plus its upload forms.
func (p *Provider) createdView(base string, s *session, now time.Time) any {
	switch s.kind {
	case kindBusiness:
		out := struct {
			Session              any            `json:"session"`
			ProofOfAddressUpload *s3post.Form   `json:"proofOfAddressUpload"`
			SocialContractUpload *s3post.Form   `json:"socialContractUpload"`
			OwnersUploads        []ownerUploads `json:"ownersUploads"`
		}{Session: s.view(), ProofOfAddressUpload: p.form(base, s, "proofOfAddress", now),
			SocialContractUpload: p.form(base, s, "socialContract", now), OwnersUploads: []ownerUploads{}}
		for i, o := range s.business.Owners {
			prefix := "owners." + strconv.Itoa(i) + "."
			out.OwnersUploads = append(out.OwnersUploads, ownerUploads{DocumentID: o.Document.ID,
				FrontDocumentUpload:  p.form(base, s, prefix+"front", now),
				BackDocumentUpload:   p.form(base, s, prefix+"back", now),
				ProofOfAddressUpload: p.form(base, s, prefix+"proofOfAddress", now)})
		}
		return out
	case kindEnhanced:
		return struct {
			Session              any          `json:"session"`
			FrontDocumentUpload  *s3post.Form `json:"frontDocumentUpload"`
			BackDocumentUpload   *s3post.Form `json:"backDocumentUpload"`
			ProofOfAddressUpload *s3post.Form `json:"proofOfAddressUpload"`
		}{s.view(), p.form(base, s, "front", now), p.form(base, s, "back", now), p.form(base, s, "proofOfAddress", now)}
	default:
		return struct {
			Session             any          `json:"session"`
			FrontDocumentUpload *s3post.Form `json:"frontDocumentUpload"`
			BackDocumentUpload  *s3post.Form `json:"backDocumentUpload"`
		}{s.view(), p.form(base, s, "front", now), p.form(base, s, "back", now)}
	}
}
