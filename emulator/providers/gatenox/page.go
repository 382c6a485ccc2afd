package gatenox

import (
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/kycemu/kycemu/emulator/internal/hosted"
	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
)

// The hosted invitation page behind invitation_url: a stand-in for
// Gatenox's KYC form. Opening it marks the invitation in_progress; the
// person then submits their data (completing the invitation and creating
// the case, with made-up values for whatever they leave empty) and, when
// they have them, a photo of their passport and a proof of address, which
// become the case's documents; or declines. A test may also decide the
// case's outcome at once. Both end on the invitation's redirect URL (the
// success one, or the failure one after declining) when it has one.

var pageTmpl = hosted.Parse("gatenox", `{{define "content"}}
<p>Invitation: <span class="status" data-testid="status">{{.State}}</span></p>
{{if .Open}}<form method="post" enctype="multipart/form-data" data-testid="invitation-form">
{{if eq .State "data_update_requested"}}<p class="note">The compliance officer asks you to update your data: change what needs changing and submit again.</p>
{{else}}<p class="hint">Every field is optional: kycemu makes up what you leave empty, and attaches a made-up passport and utility bill when you add none.</p>{{end}}
<fieldset><legend>About you</legend>
<label for="given_names">Given names</label><input id="given_names" name="given_names" autocomplete="given-name" maxlength="100" data-testid="given-names">
<label for="surname">Surname</label><input id="surname" name="surname" autocomplete="family-name" maxlength="100" data-testid="surname">
<label for="date_of_birth">Date of birth</label><input id="date_of_birth" name="date_of_birth" type="date" data-testid="date-of-birth">
<label for="nationality">Nationality (two letters, such as GB)</label><input id="nationality" name="nationality" maxlength="2" size="2" data-testid="nationality">
</fieldset>
{{if not (eq .State "data_update_requested")}}<fieldset><legend>Documents</legend>
<label for="passport">Photo of your passport's photo page</label><input id="passport" name="passport" type="file" accept="image/jpeg,image/png,image/webp,application/pdf" data-testid="passport">
<label for="proof_of_address">Proof of address (a utility bill: photo or PDF)</label><input id="proof_of_address" name="proof_of_address" type="file" accept="image/jpeg,image/png,image/webp,application/pdf" data-testid="proof-of-address">
</fieldset>
{{template "outcome" .}}{{end}}
<button name="action" value="submit" class="primary" data-testid="submit">Submit my data</button>
{{if not (eq .State "data_update_requested")}}<button name="action" value="decline" class="quiet" formnovalidate data-testid="decline">Decline</button>{{end}}
</form>{{else}}<p class="done" data-testid="done">Nothing left to do here: the invitation is {{.State}}.</p>{{end}}{{end}}`)

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

type pageData struct {
	hosted.Frame
	State string
	Open  bool
}

func renderPage(w http.ResponseWriter, status int, state, msg string, open bool) {
	hosted.Render(w, status, pageTmpl, pageData{Frame: hosted.Frame{Title: "Identity verification", Brand: "Gatenox", Error: msg},
		State: state, Open: open})
}

// pageSession names, for the journal, the session a page request touched.
func pageSession(w http.ResponseWriter, ir, cr *state.Record) {
	if ir != nil {
		w.Header().Set(provider.SessionHeader, ir.ID)
	} else if cr != nil {
		w.Header().Set(provider.SessionHeader, cr.ID)
	}
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
		pageSession(w, ir, cr)
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

var nationalityRE = regexp.MustCompile(`^[A-Za-z]{2}$`)

// isName checks a person's name as the page's form takes it: a letter, then
// letters, spaces, apostrophes, dots and hyphens, at most 100 in all.
func isName(s string) bool { return hosted.IsPersonName(s, 1, 100) }

// submissionOf reads the optional fields of the form.
func submissionOf(r *http.Request) (submission, string) {
	var sub submission
	if v := strings.TrimSpace(r.PostFormValue("given_names")); v != "" {
		if !isName(v) {
			return sub, "Given names may hold letters, spaces, dots, apostrophes and hyphens."
		}
		sub.GivenNames = v
	}
	if v := strings.TrimSpace(r.PostFormValue("surname")); v != "" {
		if !isName(v) {
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
	for _, f := range []struct {
		field string
		dst   **upload
		what  string
	}{{"passport", &sub.Passport, "The passport"}, {"proof_of_address", &sub.Bill, "The proof of address"}} {
		file, err := hosted.Image(r, f.field, true)
		if err != nil {
			return sub, f.what + ": " + err.Error() + "."
		}
		if file != nil {
			*f.dst = &upload{Filename: file.Name, Mime: file.ContentType, Data: file.Data}
		}
	}
	return sub, ""
}

func (p *Provider) pageAction(w http.ResponseWriter, r *http.Request) {
	if err := hosted.ParseForm(w, r); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	action := r.PostFormValue("action")
	token := provider.Vars(r)["token"]
	err := p.onPage(KindInvitation, KindCase, token, func(tx *state.Tx, ir, cr *state.Record) error {
		pageSession(w, ir, cr)
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
		outcome, oerr := hosted.OutcomeOf(r)
		if oerr != nil {
			renderPage(w, http.StatusBadRequest, st, "Please "+oerr.Error()+".", open)
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
			if to == InvCompleted {
				p.decideOnPage(tx, KindCase, inv.CaseID, outcome)
			}
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

// decideOnPage applies the test outcome a page chose to the case its
// invitation just created: the compliance officer's approval or
// rejection, as the control API's approve and reject make it.
func (p *Provider) decideOnPage(tx *state.Tx, kind, caseID, outcome string) {
	if outcome == hosted.OutcomeScenario {
		return
	}
	cr := tx.Get(kind, caseID)
	if cr == nil {
		return
	}
	name, reason := "approve", "approved (test outcome chosen on the hosted page)"
	if outcome == hosted.OutcomeReject {
		name, reason = "reject", "rejected (test outcome chosen on the hosted page)"
	}
	if to, can := caseTarget(cr.Status, name); can {
		p.walkCase(tx, cr, to, actor{by: "page"}, reason)
	}
}
