package notus

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kycemu/kycemu/emulator/internal/jsonx"
	"github.com/kycemu/kycemu/emulator/internal/s3post"
	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
)

type createIndividual struct {
	FirstName        string   `json:"firstName"`
	LastName         string   `json:"lastName"`
	BirthDate        string   `json:"birthDate"`
	DocumentCategory string   `json:"documentCategory"`
	DocumentCountry  string   `json:"documentCountry"`
	DocumentID       string   `json:"documentId"`
	LivenessRequired bool     `json:"livenessRequired"`
	FinancialLimit   *float64 `json:"financialLimit"`
}

// DecodeJSON reads a create body of plain members (jsonx.Members) as
// json.Unmarshal would, and leaves anything else to it: a key it does not
// know (encoding/json would also match it to a field by case-insensitive
// name), a value of an unexpected type, a number that does not parse
// (provider.BodyDecoder). The six strings are cut from one allocation.
func (in *createIndividual) DecodeJSON(body []byte) bool {
	var out createIndividual
	// The texts of firstName, lastName, birthDate, documentCategory,
	// documentCountry and documentId, in that order. A null leaves a string
	// field as it was, as encoding/json does.
	var text [6][]byte
	str := func(i int, v jsonx.Scalar) bool {
		switch v.Kind {
		case jsonx.String:
			text[i] = v.Text
		case jsonx.Null:
		default:
			return false
		}
		return true
	}
	ok := jsonx.Members(body, func(k []byte, v jsonx.Scalar) bool {
		switch string(k) {
		case "firstName":
			return str(0, v)
		case "lastName":
			return str(1, v)
		case "birthDate":
			return str(2, v)
		case "documentCategory":
			return str(3, v)
		case "documentCountry":
			return str(4, v)
		case "documentId":
			return str(5, v)
		case "livenessRequired":
			switch v.Kind {
			case jsonx.True, jsonx.False:
				out.LivenessRequired = v.Kind == jsonx.True
			case jsonx.Null:
			default:
				return false
			}
			return true
		case "financialLimit":
			switch v.Kind {
			case jsonx.Number:
				f, err := strconv.ParseFloat(string(v.Text), 64)
				if err != nil {
					return false
				}
				out.FinancialLimit = &f
			case jsonx.Null:
				out.FinancialLimit = nil
			default:
				return false
			}
			return true
		case "nationality", "email", "address", "city", "state", "postalCode":
			// In the spec, not kept: encoding/json passes over them too.
			return true
		}
		return false
	})
	if !ok {
		return false
	}
	var s [6]string
	jsonx.Strings(s[:], text[:])
	out.FirstName, out.LastName, out.BirthDate, out.DocumentCategory, out.DocumentCountry, out.DocumentID =
		s[0], s[1], s[2], s[3], s[4], s[5]
	*in = out
	return true
}

type owner struct {
	FirstName        string `json:"firstName"`
	LastName         string `json:"lastName"`
	BirthDate        string `json:"birthDate"`
	DocumentCategory string `json:"documentCategory"`
	DocumentCountry  string `json:"documentCountry"`
	DocumentID       string `json:"documentId"`
}

type createBusiness struct {
	LegalName      string   `json:"legalName"`
	CNPJ           string   `json:"cnpj"`
	LegalNature    string   `json:"legalNature"`
	Email          string   `json:"email"`
	Phone          string   `json:"phone"`
	Owners         []owner  `json:"owners"`
	FinancialLimit *float64 `json:"financialLimit"`
}

// checkBirthDate accepts DD/MM/YYYY or YYYY-MM-DD naming a real day in the
// past (the spec checks the shape, this checks the calendar).
func checkBirthDate(field, v string, now time.Time) *provider.Error {
	layout := "02/01/2006"
	if strings.Contains(v, "-") {
		layout = time.DateOnly
	}
	d, err := time.Parse(layout, v)
	if err != nil {
		return provider.Invalid(field, "must be a real calendar date")
	}
	if !d.Before(now) {
		return provider.Invalid(field, "must be in the past")
	}
	return nil
}

func (p *Provider) create(k kind) provider.Handler {
	return func(c *provider.Call) error {
		now := p.env.Clock.Now()
		s := &session{}
		switch k {
		case kindBusiness:
			var in createBusiness
			if err := c.Bind(&in); err != nil {
				return err
			}
			b := &business{LegalName: in.LegalName, CNPJ: in.CNPJ, LegalNature: in.LegalNature, Email: in.Email, Phone: in.Phone}
			for i, o := range in.Owners {
				if err := checkBirthDate(fmt.Sprintf("owners.%d.birthDate", i), o.BirthDate, now); err != nil {
					return err
				}
				b.Owners = append(b.Owners, person{FirstName: o.FirstName, LastName: o.LastName, BirthDate: o.BirthDate,
					Country: o.DocumentCountry, Document: document{ID: o.DocumentID, Category: o.DocumentCategory}})
			}
			s.Business, s.FinancialLimit = b, in.FinancialLimit
		default:
			var in createIndividual
			if err := c.Bind(&in); err != nil {
				return err
			}
			if err := checkBirthDate("birthDate", in.BirthDate, now); err != nil {
				return err
			}
			s.Person = person{FirstName: in.FirstName, LastName: in.LastName, BirthDate: in.BirthDate,
				Country: in.DocumentCountry, Document: document{ID: in.DocumentID, Category: in.DocumentCategory}}
			s.LivenessRequired = in.LivenessRequired || k == kindEnhanced
			s.FinancialLimit = in.FinancialLimit
		}
		plan, perr := p.env.Scenarios.Plan(Name, string(k), c.Tenant, c.Scenario, c.Body)
		if perr != nil {
			return perr
		}
		if plan == nil {
			plan = sharedDefault
		}
		var id string
		err := p.state.Update(c.Tenant, func(tx *state.Tx) error {
			if d := tx.Data().(*tenantData); d.ProjectID == "" {
				d.ProjectID = tx.Rand().UUID()
			}
			id = tx.Rand().UUID()
			addSlots(id, k, s)
			r, err := tx.Create(state.NewRecord{Kind: string(k), ID: id, Data: s, Status: Pending, By: "client", Plan: plan})
			if err != nil {
				return err
			}
			return c.JSON(http.StatusCreated, p.createdView(provider.RootURL(c.R), r, now))
		})
		if err == nil {
			c.Session = id // for the journal
		}
		return err
	}
}

// addSlots lists the files a session needs.
func addSlots(id string, k kind, s *session) {
	n := 2 // front and back of an individual's document
	switch k {
	case kindBusiness:
		n = 2 + 3*len(s.Business.Owners)
	case kindEnhanced:
		n = 3
	}
	s.Slots = make([]slot, 0, n)
	add := func(name string, images bool) {
		s.Slots = append(s.Slots, slot{Name: name, Key: "kyc/" + id + "/" + name, Images: images})
	}
	addPerson := func(prefix string, pp person) {
		add(prefix+"front", true)
		if pp.Document.Category != "PASSPORT" {
			add(prefix+"back", true)
		}
	}
	switch k {
	case kindBusiness:
		add("proofOfAddress", false)
		add("socialContract", false)
		for i, o := range s.Business.Owners {
			prefix := fmt.Sprintf("owners.%d.", i)
			addPerson(prefix, o)
			add(prefix+"proofOfAddress", false)
		}
	case kindEnhanced:
		addPerson("", s.Person)
		add("proofOfAddress", false)
	default:
		addPerson("", s.Person)
	}
}

// presign fills f with the form that uploads one slot of a session to
// the bucket at bucketURL. The form carries the seven fields Notus
// documents; a scenario with the option contentTypeField adds a
// Content-Type field and condition (image/ for photos).
func (p *Provider) presign(f *s3post.Form, bucketURL string, r *state.Record, sl *slot, now time.Time) {
	pol := s3post.Policy{Bucket: Bucket, Key: sl.Key, Now: now, Expires: now.Add(uploadValidity),
		MinSize: 1, MaxSize: maxUpload}
	if on, _ := r.Plan.Options[optionContentType].(bool); on {
		pol.ContentType, pol.ContentTypePrefix = "image/jpeg", "image/"
		if !sl.Images {
			// Proofs may be photos or PDFs.
			pol.ContentType, pol.ContentTypePrefix, pol.AnyContentType = "application/pdf", "", true
		}
	}
	*f = p.signer.Presign(bucketURL, pol)
}
