package notus

import (
	"strconv"
	"time"

	"github.com/kycemu/kycemu/emulator/internal/s3post"
	"github.com/kycemu/kycemu/emulator/state"
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

// updatedAt is null until the session first moves.
func updatedAt(r *state.Record) *string {
	if len(r.History) < 2 {
		return nil
	}
	return stampPtr(&r.Updated)
}

// view is the session as the API shows it.
func view(r *state.Record) any {
	s := state.Data[session](r)
	if kindOf(r) == kindBusiness {
		b := s.Business
		v := businessView{ID: r.ID, BusinessID: s.identityID(), Status: r.Status, LegalName: b.LegalName, CNPJ: b.CNPJ,
			LegalNature: b.LegalNature, Email: b.Email, Phone: b.Phone, Owners: []ownerView{},
			CreatedAt: stamp(r.Created), UpdatedAt: updatedAt(r)}
		for _, o := range b.Owners {
			v.Owners = append(v.Owners, ownerView{FirstName: o.FirstName, LastName: o.LastName, BirthDate: o.BirthDate, Document: o.Document})
		}
		return v
	}
	return individualView{ID: r.ID, IndividualID: s.identityID(), Status: r.Status, LivenessRequired: s.LivenessRequired,
		FirstName: s.Person.FirstName, LastName: s.Person.LastName, BirthDate: s.Person.BirthDate,
		Document: s.Person.Document, CreatedAt: stamp(r.Created), UpdatedAt: updatedAt(r)}
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
func (p *Provider) createdView(base string, r *state.Record, now time.Time) any {
	s := state.Data[session](r)
	switch kindOf(r) {
	case kindBusiness:
		out := struct {
			Session              any            `json:"session"`
			ProofOfAddressUpload *s3post.Form   `json:"proofOfAddressUpload"`
			SocialContractUpload *s3post.Form   `json:"socialContractUpload"`
			OwnersUploads        []ownerUploads `json:"ownersUploads"`
		}{Session: view(r), ProofOfAddressUpload: p.form(base, r, "proofOfAddress", now),
			SocialContractUpload: p.form(base, r, "socialContract", now), OwnersUploads: []ownerUploads{}}
		for i, o := range s.Business.Owners {
			prefix := "owners." + strconv.Itoa(i) + "."
			out.OwnersUploads = append(out.OwnersUploads, ownerUploads{DocumentID: o.Document.ID,
				FrontDocumentUpload:  p.form(base, r, prefix+"front", now),
				BackDocumentUpload:   p.form(base, r, prefix+"back", now),
				ProofOfAddressUpload: p.form(base, r, prefix+"proofOfAddress", now)})
		}
		return out
	case kindEnhanced:
		return struct {
			Session              any          `json:"session"`
			FrontDocumentUpload  *s3post.Form `json:"frontDocumentUpload"`
			BackDocumentUpload   *s3post.Form `json:"backDocumentUpload"`
			ProofOfAddressUpload *s3post.Form `json:"proofOfAddressUpload"`
		}{view(r), p.form(base, r, "front", now), p.form(base, r, "back", now), p.form(base, r, "proofOfAddress", now)}
	default:
		return struct {
			Session             any          `json:"session"`
			FrontDocumentUpload *s3post.Form `json:"frontDocumentUpload"`
			BackDocumentUpload  *s3post.Form `json:"backDocumentUpload"`
		}{view(r), p.form(base, r, "front", now), p.form(base, r, "back", now)}
	}
}
