package notus

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/kycemu/kycemu/emulator/internal/s3post"
	"github.com/kycemu/kycemu/emulator/provider"
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
		s := &session{kind: k, status: Pending, created: now}
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
			s.business, s.financialLimit = b, in.FinancialLimit
		default:
			var in createIndividual
			if err := c.Bind(&in); err != nil {
				return err
			}
			if err := checkBirthDate("birthDate", in.BirthDate, now); err != nil {
				return err
			}
			s.person = person{FirstName: in.FirstName, LastName: in.LastName, BirthDate: in.BirthDate,
				Country: in.DocumentCountry, Document: document{ID: in.DocumentID, Category: in.DocumentCategory}}
			s.livenessRequired = in.LivenessRequired || k == kindEnhanced
			s.financialLimit = in.FinancialLimit
		}
		plan, perr := p.env.Scenarios.Plan(Name, string(k), c.Tenant, c.Scenario, c.Body)
		if perr != nil {
			return perr
		}
		if plan == nil {
			plan = defaultPlan()
		}

		t := p.tenants.Get(c.Tenant)
		t.mu.Lock()
		defer t.mu.Unlock()
		s.id, s.tenant, s.plan = t.rand.UUID(), t, plan
		p.addSlots(s)
		s.timeline = provider.NewTimeline(p.env.Clock, plan.Steps, p.fire(s))
		s.history = []provider.Transition{{To: Pending, At: now, By: "client"}}
		t.sessions[s.id] = s
		t.order = append(t.order, s)
		p.mu.Lock()
		p.index[s.id] = t
		p.mu.Unlock()
		s.timeline.Created()
		s.timeline.Entered(Pending)
		return c.JSON(http.StatusCreated, p.createdView(provider.RootURL(c.R), s, now))
	}
}

// addSlots lists the files a session needs.
func (p *Provider) addSlots(s *session) {
	add := func(name string, images bool) {
		s.slots = append(s.slots, &slot{name: name, key: "kyc/" + s.id + "/" + name, images: images})
	}
	addPerson := func(prefix string, pp person) {
		add(prefix+"front", true)
		if pp.Document.Category != "PASSPORT" {
			add(prefix+"back", true)
		}
	}
	switch s.kind {
	case kindBusiness:
		add("proofOfAddress", false)
		add("socialContract", false)
		for i, o := range s.business.Owners {
			prefix := fmt.Sprintf("owners.%d.", i)
			addPerson(prefix, o)
			add(prefix+"proofOfAddress", false)
		}
	case kindEnhanced:
		addPerson("", s.person)
		add("proofOfAddress", false)
	default:
		addPerson("", s.person)
	}
}

// form presigns the upload of one slot to the bucket at the emulator's
// root; nil when the session has no such slot (the back of a passport).
// The form carries the seven fields Notus documents; a scenario with the
// option contentTypeField adds a Content-Type field and condition (image/
// for photos).
func (p *Provider) form(root string, s *session, name string, now time.Time) *s3post.Form {
	sl := s.slot(name)
	if sl == nil {
		return nil
	}
	pol := s3post.Policy{Bucket: Bucket, Key: sl.key, Now: now, Expires: now.Add(uploadValidity),
		MinSize: 1, MaxSize: maxUpload}
	if on, _ := s.plan.Options[optionContentType].(bool); on {
		pol.ContentType, pol.ContentTypePrefix = "image/jpeg", "image/"
		if !sl.images {
			// Proofs may be photos or PDFs.
			pol.ContentType, pol.ContentTypePrefix, pol.AnyContentType = "application/pdf", "", true
		}
	}
	f := p.signer.Presign(root+"/"+Bucket, pol)
	return &f
}
