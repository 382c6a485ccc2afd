package gatenox

import (
	"html/template"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
)

// The hosted invitation page behind invitation_url: a stand-in for
// Gatenox's KYC form. Opening it marks the invitation in_progress; the
// person then submits their data (completing the invitation and creating
// the case, with made-up values for whatever they leave empty) or
// declines. Both end on the redirect URL of the invitation when it has
// one.

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Identity verification · kycemu</title>
<style>body{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem}
label{display:block;margin:.5rem 0}input{margin-left:.5rem}button{margin:.75rem .5rem 0 0;padding:.5rem 1rem}
.state{font-weight:bold}</style></head>
<body><h1>Identity verification</h1>
<p>Gatenox emulated by kycemu. Invitation: <span class="state" id="state">{{.State}}</span></p>
{{if .Message}}<p id="message">{{.Message}}</p>{{end}}
{{if .Open}}<form method="post">
{{if eq .State "data_update_requested"}}<p>The compliance officer asks you to update your data: change what needs changing and submit again.</p>{{else}}
<p>Every field is optional: kycemu makes up what you leave empty, and attaches a passport and a utility bill.</p>{{end}}
<label>Given names<input name="given_names" autocomplete="off"></label>
<label>Surname<input name="surname" autocomplete="off"></label>
<label>Date of birth<input name="date_of_birth" placeholder="YYYY-MM-DD" autocomplete="off"></label>
<label>Nationality<input name="nationality" placeholder="GB" size="2" autocomplete="off"></label>
<button name="action" value="submit">Submit my data</button>
<button name="action" value="decline">Decline</button>
</form>{{else}}<p>Nothing left to do here.</p>{{end}}
</body></html>
`))

// pageRequest is where a page request came from, for the audit log.
type pageRequest struct {
	remote    *string
	requestID *string
}

func pageRequestOf(w http.ResponseWriter, r *http.Request) *pageRequest {
	pr := &pageRequest{}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		pr.remote = &host
	}
	if id := w.Header().Get("X-Request-Id"); id != "" {
		pr.requestID = &id
	}
	return pr
}

func renderPage(w http.ResponseWriter, status int, state, msg string, open bool) {
	data := struct {
		State, Message string
		Open           bool
	}{State: state, Message: msg, Open: open}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = pageTmpl.Execute(w, data)
}

// pageState is what the page shows: the invitation's state while the
// person can submit, the case's while it waits for a data update; and
// whether the form is open.
func pageState(ir, cr *state.Record) (string, bool) {
	switch {
	case ir != nil && (ir.Status == InvInvited || ir.Status == InvInProgress):
		return ir.Status, true
	case updating(cr):
		return CaseDataUpdateRequested, true
	case ir != nil:
		return ir.Status, false
	}
	return cr.Status, false
}

func (p *Provider) page(w http.ResponseWriter, r *http.Request) {
	err := p.onPage(KindInvitation, KindCase, provider.Vars(r)["token"], func(tx *state.Tx, ir, cr *state.Record) error {
		if ir != nil && ir.Status == InvInvited {
			p.moveInvitation(tx, ir, InvInProgress, personActor(ir.ID, "page", pageRequestOf(w, r)), "", submission{})
		}
		st, open := pageState(ir, cr)
		renderPage(w, http.StatusOK, st, "", open)
		return nil
	})
	if err != nil {
		http.Error(w, "invitation not found", http.StatusNotFound)
	}
}

var (
	nationalityRE = regexp.MustCompile(`^[A-Za-z]{2}$`)
	nameRE        = regexp.MustCompile(`^[\p{L}][\p{L}' .-]{0,99}$`)
)

// submissionOf reads the optional fields of the form.
func submissionOf(r *http.Request) (submission, string) {
	var sub submission
	if v := strings.TrimSpace(r.PostFormValue("given_names")); v != "" {
		if !nameRE.MatchString(v) {
			return sub, "Given names may hold letters, spaces, dots, apostrophes and hyphens."
		}
		sub.GivenNames = v
	}
	if v := strings.TrimSpace(r.PostFormValue("surname")); v != "" {
		if !nameRE.MatchString(v) {
			return sub, "The surname may hold letters, spaces, dots, apostrophes and hyphens."
		}
		sub.Surname = v
	}
	if v := strings.TrimSpace(r.PostFormValue("date_of_birth")); v != "" {
		d, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return sub, "The date of birth must be a date written YYYY-MM-DD."
		}
		sub.BirthDate = &d
	}
	if v := strings.TrimSpace(r.PostFormValue("nationality")); v != "" {
		if !nationalityRE.MatchString(v) {
			return sub, "The nationality must be a two-letter country code."
		}
		sub.Nationality = strings.ToUpper(v)
	}
	return sub, ""
}

func (p *Provider) pageAction(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	action := r.PostFormValue("action")
	token := provider.Vars(r)["token"]
	err := p.onPage(KindInvitation, KindCase, token, func(tx *state.Tx, ir, cr *state.Record) error {
		st, open := pageState(ir, cr)
		if action != "submit" && action != "decline" {
			renderPage(w, http.StatusBadRequest, st, "Unknown action.", open)
			return nil
		}
		sub, problem := submissionOf(r)
		if problem != "" {
			renderPage(w, http.StatusBadRequest, st, problem, open)
			return nil
		}
		var target *string
		switch {
		case updating(cr) && action == "submit":
			// The person sends their data again: the case goes back to the officer.
			p.updatePerson(tx, cr, personActor(reviewOf(cr).InvitationID, "page", pageRequestOf(w, r)), sub)
			if ir != nil {
				target = state.Data[invitation](ir).SuccessURL
			}
		case ir != nil:
			inv := state.Data[invitation](ir)
			a := personActor(ir.ID, "page", pageRequestOf(w, r))
			to, t := InvCompleted, inv.SuccessURL
			if action == "decline" {
				to, t = InvRejected, inv.FailureURL
			}
			if !walkInvitation(ir, to, func(to string) bool { return p.moveInvitation(tx, ir, to, a, "", sub) }) {
				renderPage(w, http.StatusConflict, st, "This invitation can no longer be used.", false)
				return nil
			}
			target = t
		default:
			renderPage(w, http.StatusConflict, st, "This invitation can no longer be used.", false)
			return nil
		}
		redirect(w, r, target, provider.BaseURL(r)+"/invitations/kyc/"+token)
		return nil
	})
	if err != nil {
		http.Error(w, "invitation not found", http.StatusNotFound)
	}
}

// redirect ends a page action on the invitation's redirect URL when it has
// a usable one, else on the page again.
func redirect(w http.ResponseWriter, r *http.Request, target *string, page string) {
	dest := page
	if target != nil {
		if u, err := url.Parse(*target); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
			dest = *target
		}
	}
	http.Redirect(w, r, dest, http.StatusSeeOther)
}

// updatePerson applies what a person sends back after a data update
// request and returns the case to the compliance officer.
func (p *Provider) updatePerson(tx *state.Tx, cr *state.Record, a actor, sub submission) {
	k := state.Data[kase](cr)
	now := tx.Now()
	changes := map[string]any{}
	ps := &k.Person
	for _, f := range []struct {
		name string
		dst  *string
		val  string
	}{{"given_names", &ps.GivenNames, sub.GivenNames}, {"surname", &ps.Surname, sub.Surname},
		{"nationality", &ps.Nationality, sub.Nationality}} {
		if f.val != "" && f.val != *f.dst {
			changes[f.name] = []any{*f.dst, f.val}
			*f.dst = f.val
		}
	}
	if sub.BirthDate != nil {
		if d := sub.BirthDate.Format(time.DateOnly); d != ps.DateOfBirth {
			changes["date_of_birth"] = []any{ps.DateOfBirth, d}
			ps.DateOfBirth = d
		}
	}
	ps.Updated, k.LastDataUpdate = now, now
	p.associate(tx, cr, ps.ID, "Verification", "update", changes, a)
	p.moveCase(tx, cr, CaseInProgress, a, change{}, "the person sent updated data")
}
