package notus

import (
	"fmt"
	"strconv"
	"time"

	"github.com/kycemu/kycemu/emulator/internal/jsonx"

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
	if kindOf(r) == kindBusiness {
		return businessViewOf(r)
	}
	return individualViewOf(r)
}

func businessViewOf(r *state.Record) businessView {
	s := state.Data[session](r)
	b := s.Business
	v := businessView{ID: r.ID, BusinessID: s.identityID(), Status: r.Status, LegalName: b.LegalName, CNPJ: b.CNPJ,
		LegalNature: b.LegalNature, Email: b.Email, Phone: b.Phone, Owners: make([]ownerView, 0, len(b.Owners)),
		CreatedAt: stamp(r.Created), UpdatedAt: updatedAt(r)}
	for _, o := range b.Owners {
		v.Owners = append(v.Owners, ownerView{FirstName: o.FirstName, LastName: o.LastName, BirthDate: o.BirthDate, Document: o.Document})
	}
	return v
}

func individualViewOf(r *state.Record) individualView {
	s := state.Data[session](r)
	return individualView{ID: r.ID, IndividualID: s.identityID(), Status: r.Status, LivenessRequired: s.LivenessRequired,
		FirstName: s.Person.FirstName, LastName: s.Person.LastName, BirthDate: s.Person.BirthDate,
		Document: s.Person.Document, CreatedAt: stamp(r.Created), UpdatedAt: updatedAt(r)}
}

// sessionAnswer is {"session": view(r)}, the answer to reads of a
// session, written straight from the record: the view lives on the stack
// instead of boxed in an interface, and the answer, one pointer, boxes for
// free. It must be written inside the transaction that read the record
// (as Call.JSON does, at once).
type sessionAnswer struct{ r *state.Record }

func (a sessionAnswer) AppendJSON(b []byte) []byte {
	b = append(b, `{"session":`...)
	if kindOf(a.r) == kindBusiness {
		b = businessViewOf(a.r).appendJSON(b)
	} else {
		b = individualViewOf(a.r).appendJSON(b)
	}
	return append(b, '}')
}

type ownerUploads struct {
	DocumentID           string       `json:"documentId"`
	FrontDocumentUpload  *s3post.Form `json:"frontDocumentUpload"`
	BackDocumentUpload   *s3post.Form `json:"backDocumentUpload"`
	ProofOfAddressUpload *s3post.Form `json:"proofOfAddressUpload"`
}

// createdView is the creation response: the session plus its upload forms.
// The forms of a session share one allocation, as they share the bucket's
// URL.
func (p *Provider) createdView(base string, r *state.Record, now time.Time) any {
	s := state.Data[session](r)
	bucket := p.bucketURL(base)
	forms := make([]s3post.Form, len(s.Slots))
	form := func(name string) *s3post.Form {
		sl := s.slot(name)
		if sl == nil {
			return nil // the back of a passport
		}
		f := &forms[0]
		forms = forms[1:]
		p.presign(f, bucket, r, sl, now)
		return f
	}
	switch kindOf(r) {
	case kindBusiness:
		out := businessCreated{Session: view(r), ProofOfAddressUpload: form("proofOfAddress"),
			SocialContractUpload: form("socialContract"), OwnersUploads: make([]ownerUploads, 0, len(s.Business.Owners))}
		for i, o := range s.Business.Owners {
			prefix := "owners." + strconv.Itoa(i) + "."
			out.OwnersUploads = append(out.OwnersUploads, ownerUploads{DocumentID: o.Document.ID,
				FrontDocumentUpload:  form(prefix + "front"),
				BackDocumentUpload:   form(prefix + "back"),
				ProofOfAddressUpload: form(prefix + "proofOfAddress")})
		}
		return out
	case kindEnhanced:
		return individualCreated{view(r), form("front"), form("back"), form("proofOfAddress"), true}
	default:
		return individualCreated{view(r), form("front"), form("back"), nil, false}
	}
}

// individualCreated answers the creation of an individual session; an
// enhanced one has a proof of address to upload too.
type individualCreated struct {
	Session             any          `json:"session"`
	FrontDocumentUpload *s3post.Form `json:"frontDocumentUpload"`
	BackDocumentUpload  *s3post.Form `json:"backDocumentUpload"`
	// ProofOfAddressUpload is an enhanced session's (never nil there).
	ProofOfAddressUpload *s3post.Form `json:"proofOfAddressUpload,omitempty"`
	enhanced             bool
}

type businessCreated struct {
	Session              any            `json:"session"`
	ProofOfAddressUpload *s3post.Form   `json:"proofOfAddressUpload"`
	SocialContractUpload *s3post.Form   `json:"socialContractUpload"`
	OwnersUploads        []ownerUploads `json:"ownersUploads"`
}

// The answers that create and read sessions, the most frequent calls,
// write their own JSON (httpx.JSONAppender); views_test.go holds them to
// what encoding/json writes of the same values.

func (c individualCreated) AppendJSON(b []byte) []byte {
	b = append(b, `{"session":`...)
	b = appendView(b, c.Session)
	b = append(b, `,"frontDocumentUpload":`...)
	b = c.FrontDocumentUpload.AppendJSON(b)
	b = append(b, `,"backDocumentUpload":`...)
	b = c.BackDocumentUpload.AppendJSON(b)
	if c.enhanced {
		b = append(b, `,"proofOfAddressUpload":`...)
		b = c.ProofOfAddressUpload.AppendJSON(b)
	}
	return append(b, '}')
}

func (c businessCreated) AppendJSON(b []byte) []byte {
	b = append(b, `{"session":`...)
	b = appendView(b, c.Session)
	b = append(b, `,"proofOfAddressUpload":`...)
	b = c.ProofOfAddressUpload.AppendJSON(b)
	b = append(b, `,"socialContractUpload":`...)
	b = c.SocialContractUpload.AppendJSON(b)
	b = append(b, `,"ownersUploads":`...)
	if c.OwnersUploads == nil {
		return append(b, "null}"...)
	}
	b = append(b, '[')
	for i, o := range c.OwnersUploads {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"documentId":`...)
		b = jsonx.AppendString(b, o.DocumentID, false)
		b = append(b, `,"frontDocumentUpload":`...)
		b = o.FrontDocumentUpload.AppendJSON(b)
		b = append(b, `,"backDocumentUpload":`...)
		b = o.BackDocumentUpload.AppendJSON(b)
		b = append(b, `,"proofOfAddressUpload":`...)
		b = o.ProofOfAddressUpload.AppendJSON(b)
		b = append(b, '}')
	}
	return append(b, "]}"...)
}

// appendView appends a session view (view's answer).
func appendView(b []byte, v any) []byte {
	switch v := v.(type) {
	case individualView:
		return v.appendJSON(b)
	case businessView:
		return v.appendJSON(b)
	}
	panic(fmt.Sprintf("notus: %T is not a session view", v))
}

func (v individualView) appendJSON(b []byte) []byte {
	b = append(b, `{"id":`...)
	b = jsonx.AppendString(b, v.ID, false)
	b = append(b, `,"individualId":`...)
	b = jsonx.AppendNullable(b, v.IndividualID)
	b = append(b, `,"status":`...)
	b = jsonx.AppendString(b, v.Status, false)
	b = append(b, `,"livenessRequired":`...)
	b = jsonx.AppendBool(b, v.LivenessRequired)
	b = append(b, `,"firstName":`...)
	b = jsonx.AppendString(b, v.FirstName, false)
	b = append(b, `,"lastName":`...)
	b = jsonx.AppendString(b, v.LastName, false)
	b = append(b, `,"birthDate":`...)
	b = jsonx.AppendString(b, v.BirthDate, false)
	b = append(b, `,"document":`...)
	b = v.Document.appendJSON(b)
	b = append(b, `,"createdAt":`...)
	b = jsonx.AppendString(b, v.CreatedAt, false)
	b = append(b, `,"updatedAt":`...)
	b = jsonx.AppendNullable(b, v.UpdatedAt)
	return append(b, '}')
}

func (v businessView) appendJSON(b []byte) []byte {
	b = append(b, `{"id":`...)
	b = jsonx.AppendString(b, v.ID, false)
	b = append(b, `,"businessId":`...)
	b = jsonx.AppendNullable(b, v.BusinessID)
	for _, f := range [...]struct{ k, v string }{{"status", v.Status}, {"legalName", v.LegalName}, {"cnpj", v.CNPJ},
		{"legalNature", v.LegalNature}, {"email", v.Email}, {"phone", v.Phone}} {
		b = append(b, ',')
		b = jsonx.AppendString(b, f.k, false)
		b = append(b, ':')
		b = jsonx.AppendString(b, f.v, false)
	}
	b = append(b, `,"owners":`...)
	if v.Owners == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, o := range v.Owners {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"firstName":`...)
			b = jsonx.AppendString(b, o.FirstName, false)
			b = append(b, `,"lastName":`...)
			b = jsonx.AppendString(b, o.LastName, false)
			b = append(b, `,"birthDate":`...)
			b = jsonx.AppendString(b, o.BirthDate, false)
			b = append(b, `,"document":`...)
			b = o.Document.appendJSON(b)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, `,"createdAt":`...)
	b = jsonx.AppendString(b, v.CreatedAt, false)
	b = append(b, `,"updatedAt":`...)
	b = jsonx.AppendNullable(b, v.UpdatedAt)
	return append(b, '}')
}

func (d document) appendJSON(b []byte) []byte {
	b = append(b, `{"id":`...)
	b = jsonx.AppendString(b, d.ID, false)
	b = append(b, `,"type":`...)
	b = jsonx.AppendNullable(b, d.Type)
	b = append(b, `,"category":`...)
	b = jsonx.AppendString(b, d.Category, false)
	return append(b, '}')
}
