package gatenox

import (
	"html/template"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
)

// The hosted corporate invitation page behind a corporate invitation_url:
// a stand-in for Gatenox's onboarding (ID Node). Opening it marks the
// invitation in_progress; the business user then sends the company's data
// for verification (accepting the invitation and creating the case, with
// the prefill and made-up values for whatever they leave empty) or
// declines. While the compliance officer asks for a data update the page
// takes the updated data, which sends the case back to the officer.

var corporatePageTmpl = template.Must(template.New("corporate").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Company verification · kycemu</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}
fieldset{margin:1rem 0}label{display:block;margin:.4rem 0}input{margin-left:.5rem}
button{margin:.75rem .5rem 0 0;padding:.5rem 1rem}.state{font-weight:bold}</style></head>
<body><h1>Company verification</h1>
<p>Gatenox emulated by kycemu. Invitation: <span class="state" id="state">{{.State}}</span></p>
{{if .Message}}<p id="message">{{.Message}}</p>{{end}}
{{if .Open}}<form method="post" enctype="multipart/form-data">
{{if .Update}}<p>The compliance officer asks for a data update: change what needs changing, add a director or
an owner if one is missing, and send the data again.</p>{{else}}<p>Every field is optional: kycemu keeps the data
your invitation came with and makes up the rest (documents included).</p>{{end}}
<fieldset><legend>Company</legend>
<label>Formal name<input name="formal_name" autocomplete="off"></label>
<label>Company number<input name="company_number" autocomplete="off"></label>
<label>Jurisdiction<input name="jurisdiction" placeholder="gb" size="2" autocomplete="off"></label>
<label>Company document (PDF, PNG or JPEG, at most 1 MiB)<input type="file" name="company_document" accept="application/pdf,image/png,image/jpeg"></label>
</fieldset>
<fieldset><legend>Director</legend>
<label>Given names<input name="director_given_names" autocomplete="off"></label>
<label>Surname<input name="director_surname" autocomplete="off"></label>
<label>Position<input name="director_position" placeholder="director" autocomplete="off"></label>
</fieldset>
<fieldset><legend>Ultimate beneficial owner</legend>
<label>Given names<input name="ubo_given_names" autocomplete="off"></label>
<label>Surname<input name="ubo_surname" autocomplete="off"></label>
<label>Shares (%)<input name="ubo_shares" size="3" autocomplete="off"></label>
</fieldset>
<button name="action" value="{{if .Update}}update{{else}}submit{{end}}">{{if .Update}}Send the updated data{{else}}Send for verification{{end}}</button>
{{if not .Update}}<button name="action" value="decline">Decline</button>{{end}}
</form>{{else}}<p>Nothing left to do here.</p>{{end}}
</body></html>
`))

// Limits of the corporate page's form.
const (
	maxPageBody = 2 << 20
	maxDocument = 1 << 20
)

func renderCorporatePage(w http.ResponseWriter, status int, state, msg string, open, update bool) {
	data := struct {
		State, Message string
		Open, Update   bool
	}{State: state, Message: msg, Open: open, Update: update}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = corporatePageTmpl.Execute(w, data)
}

// corporatePageState is what the page shows: the invitation's state
// while the company's data can be sent, the case's while it waits for a
// data update; whether the form is open and whether it takes an update.
func corporatePageState(ir, cr *state.Record) (status string, open, update bool) {
	switch {
	case updating(cr):
		return CaseDataUpdateRequested, true, true
	case ir != nil && (ir.Status == InvInvited || ir.Status == InvInProgress || (ir.Status == InvCompleted && cr == nil &&
		invitationOf(ir).CaseID == "")):
		return ir.Status, true, false
	case ir != nil:
		return ir.Status, false, false
	}
	return cr.Status, false, false
}

func (p *Provider) corporatePage(w http.ResponseWriter, r *http.Request) {
	err := p.onPage(KindCorporateInvitation, KindCorporateCase, provider.Vars(r)["token"], func(tx *state.Tx, ir, cr *state.Record) error {
		if ir != nil && ir.Status == InvInvited {
			p.moveCorporateInvitation(tx, ir, InvInProgress, businessUser(ir.ID, pageRequestOf(w, r)), "", false)
		}
		st, open, update := corporatePageState(ir, cr)
		renderCorporatePage(w, http.StatusOK, st, "", open, update)
		return nil
	})
	if err != nil {
		http.Error(w, "invitation not found", http.StatusNotFound)
	}
}

// businessUser is the invited company's user, on the hosted page.
func businessUser(invitationID string, pr *pageRequest) actor {
	return personActor(invitationID, "page", pr)
}

// companyFormOf reads the page's optional fields.
func companyFormOf(r *http.Request) (companyForm, string) {
	var f companyForm
	f.FormalName = strings.TrimSpace(r.PostFormValue("formal_name"))
	f.Number = strings.TrimSpace(r.PostFormValue("company_number"))
	if len(f.FormalName) > 200 || len(f.Number) > 40 {
		return f, "The company's name or number is too long."
	}
	if v := strings.TrimSpace(r.PostFormValue("jurisdiction")); v != "" {
		if jurisdictionCode(v) == "" {
			return f, "The jurisdiction must be a country code kycemu knows (gb, pl, de, ...)."
		}
		f.Jurisdiction = v
	}
	for _, who := range []struct {
		prefix string
		dst    *PersonOption
	}{{"director_", &f.Director}, {"ubo_", &f.UBO}} {
		who.dst.GivenNames = strings.TrimSpace(r.PostFormValue(who.prefix + "given_names"))
		who.dst.Surname = strings.TrimSpace(r.PostFormValue(who.prefix + "surname"))
		if _, err := who.dst.submission(""); err != nil {
			return f, "Names may hold letters, spaces, dots, apostrophes and hyphens."
		}
	}
	f.Director.Position = strings.TrimSpace(r.PostFormValue("director_position"))
	if len(f.Director.Position) > 60 {
		return f, "The position is too long."
	}
	if r.MultipartForm != nil && len(r.MultipartForm.File["company_document"]) > 0 {
		fh := r.MultipartForm.File["company_document"][0]
		if fh.Size > maxDocument {
			return f, "The document must be at most 1 MiB."
		}
		file, err := fh.Open()
		if err != nil {
			return f, "The document could not be read."
		}
		defer file.Close()
		data, err := io.ReadAll(io.LimitReader(file, maxDocument+1))
		if err != nil || len(data) > maxDocument {
			return f, "The document could not be read."
		}
		if len(data) > 0 {
			mime := http.DetectContentType(data)
			if mime != "application/pdf" && mime != "image/png" && mime != "image/jpeg" {
				return f, "The document must be a PDF, PNG or JPEG file."
			}
			name := filepath.Base(strings.ReplaceAll(fh.Filename, "\\", "/"))
			if name == "." || name == "/" || len(name) > 200 {
				name = "company_document"
			}
			f.Document = &upload{Filename: name, Mime: mime, Data: data}
		}
	}
	if v := strings.TrimSpace(r.PostFormValue("ubo_shares")); v != "" {
		n, err := strconv.ParseFloat(v, 64)
		if err != nil || n <= 0 || n > 100 {
			return f, "The shares must be a number above 0 and at most 100."
		}
		f.UBO.Shares = n
	}
	return f, ""
}

func (p *Provider) corporatePageAction(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxPageBody)
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		if err := r.ParseMultipartForm(maxPageBody); err != nil {
			http.Error(w, "the form could not be read (at most 2 MiB)", http.StatusBadRequest)
			return
		}
	}
	action := r.PostFormValue("action")
	err := p.onPage(KindCorporateInvitation, KindCorporateCase, provider.Vars(r)["token"], func(tx *state.Tx, ir, cr *state.Record) error {
		st, open, update := corporatePageState(ir, cr)
		form, problem := companyFormOf(r)
		if problem != "" {
			renderCorporatePage(w, http.StatusBadRequest, st, problem, open, update)
			return nil
		}
		var inv *corporateInvitation
		var target *string
		page := ""
		if ir != nil {
			inv = state.Data[corporateInvitation](ir)
			target, page = inv.SuccessURL, inv.URL
		}
		switch {
		case action == "update" && update:
			p.updateCorporate(tx, cr, businessUser(reviewOf(cr).InvitationID, pageRequestOf(w, r)), form)
		case action == "submit" && open && !update:
			a := businessUser(ir.ID, pageRequestOf(w, r))
			if ir.Status != InvCompleted {
				walkInvitation(ir, InvCompleted, func(to string) bool {
					return p.moveCorporateInvitation(tx, ir, to, a, "", false)
				})
			}
			p.openCorporateCase(tx, ir, a, form)
		case action == "decline" && open && !update && ir.Status != InvCompleted:
			walkInvitation(ir, InvRejected, func(to string) bool {
				return p.moveCorporateInvitation(tx, ir, to, businessUser(ir.ID, pageRequestOf(w, r)), "", false)
			})
			target = inv.FailureURL
		case action == "submit" || action == "update" || action == "decline":
			renderCorporatePage(w, http.StatusConflict, st, "This invitation can no longer be used that way.", open, update)
			return nil
		default:
			renderCorporatePage(w, http.StatusBadRequest, st, "Unknown action.", open, update)
			return nil
		}
		if page == "" {
			page = provider.BaseURL(r) + r.URL.Path
		}
		redirect(w, r, target, page)
		return nil
	})
	if err != nil {
		http.Error(w, "invitation not found", http.StatusNotFound)
	}
}

// updateCorporate applies the data a business user sends back after a
// data update request (a new version of the case's data) and returns the
// case to the compliance officer.
func (p *Provider) updateCorporate(tx *state.Tx, cr *state.Record, a actor, form companyForm) {
	k := state.Data[corporateCase](cr)
	now := tx.Now()
	rnd := tx.Rand()
	d := k.data().clone()
	changes := map[string]any{}
	if form.FormalName != "" && form.FormalName != d.Company.FormalName {
		changes["formal_name"] = []any{d.Company.FormalName, form.FormalName}
		d.Company.FormalName = form.FormalName
	}
	if form.Number != "" && form.Number != d.Company.Number {
		changes["company_number"] = []any{d.Company.Number, form.Number}
		d.Company.Number = form.Number
	}
	addPerson := func(po PersonOption) string {
		for _, ps := range d.People {
			if strings.EqualFold(ps.GivenNames, po.GivenNames) && strings.EqualFold(ps.Surname, po.Surname) {
				return ps.ID
			}
		}
		sub, _ := po.submission("")
		ps := madeUpPerson(rnd, sub, now)
		ps.Email, ps.Phone, ps.Title, ps.FamilyName, ps.Parents = "", "", "", "", ""
		ps.Documents = []documentRec{p.passport(tx, k.BaseURL, &ps, now), p.utilityBill(tx, &ps, now)}
		d.People = append(d.People, ps)
		return ps.ID
	}
	if f := form.Director; f.GivenNames != "" || f.Surname != "" {
		id := addPerson(f)
		d.Directors = append(d.Directors, directorRec{ID: rnd.UUID(), Position: firstOf(f.Position, "director"), PersonID: id, Created: now})
		changes["directors"] = len(d.Directors)
	}
	if f := form.UBO; f.GivenNames != "" || f.Surname != "" {
		id := addPerson(f)
		shares := f.Shares
		if shares == 0 {
			shares = 25
		}
		d.UBOs = append(d.UBOs, uboRec{ID: rnd.UUID(), Shares: shares, Description: uboDescription, PersonID: id, Created: now})
		changes["ubos"] = len(d.UBOs)
	}
	if form.Document != nil {
		d.Incorporated = append(d.Incorporated, p.uploadedDocument(tx, form.Document))
		changes["company_documents"] = len(d.Incorporated) + len(d.OfficeProof)
	}
	k.setData(d, now)
	k.LastDataUpdate = now
	if inv := tx.Get(KindCorporateInvitation, k.InvitationID); inv != nil {
		state.Data[corporateInvitation](inv).CompanyName = d.Company.FormalName
	}
	p.associate(tx, cr, d.Company.ID, "Company", "update", changes, a)
	p.moveCase(tx, cr, CaseInProgress, a, change{}, "the company sent updated data")
}
