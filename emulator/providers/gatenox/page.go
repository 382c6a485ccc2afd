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
<p>Every field is optional: kycemu makes up what you leave empty, and attaches a passport and a utility bill.</p>
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

// invitationOf finds an invitation by its token and locks its tenant.
func (p *Provider) invitationOf(token string) (*invitation, func(), bool) {
	p.mu.RLock()
	t, found := p.byToken[token]
	p.mu.RUnlock()
	if !found {
		return nil, nil, false
	}
	t.mu.Lock()
	inv, found := t.byToken[token]
	if !found || inv.gone {
		t.mu.Unlock()
		return nil, nil, false
	}
	return inv, t.mu.Unlock, true
}

func renderPage(w http.ResponseWriter, status int, inv *invitation, msg string) {
	data := struct {
		State, Message string
		Open           bool
	}{State: inv.state, Message: msg, Open: inv.state == InvInvited || inv.state == InvInProgress}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = pageTmpl.Execute(w, data)
}

func (p *Provider) page(w http.ResponseWriter, r *http.Request) {
	inv, unlock, found := p.invitationOf(provider.Vars(r)["token"])
	if !found {
		http.Error(w, "invitation not found", http.StatusNotFound)
		return
	}
	defer unlock()
	if inv.state == InvInvited {
		p.moveInvitation(inv, InvInProgress, personActor(inv, "page", pageRequestOf(w, r)), "", submission{})
	}
	renderPage(w, http.StatusOK, inv, "")
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
		sub.givenNames = v
	}
	if v := strings.TrimSpace(r.PostFormValue("surname")); v != "" {
		if !nameRE.MatchString(v) {
			return sub, "The surname may hold letters, spaces, dots, apostrophes and hyphens."
		}
		sub.surname = v
	}
	if v := strings.TrimSpace(r.PostFormValue("date_of_birth")); v != "" {
		d, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return sub, "The date of birth must be a date written YYYY-MM-DD."
		}
		sub.birthDate = &d
	}
	if v := strings.TrimSpace(r.PostFormValue("nationality")); v != "" {
		if !nationalityRE.MatchString(v) {
			return sub, "The nationality must be a two-letter country code."
		}
		sub.nationality = strings.ToUpper(v)
	}
	return sub, ""
}

func (p *Provider) pageAction(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	action := r.PostFormValue("action")
	inv, unlock, found := p.invitationOf(provider.Vars(r)["token"])
	if !found {
		http.Error(w, "invitation not found", http.StatusNotFound)
		return
	}
	defer unlock()
	a := personActor(inv, "page", pageRequestOf(w, r))
	var to string
	var target *string
	switch action {
	case "submit":
		to, target = InvCompleted, inv.successURL
	case "decline":
		to, target = InvRejected, inv.failureURL
	default:
		renderPage(w, http.StatusBadRequest, inv, "Unknown action.")
		return
	}
	sub, problem := submissionOf(r)
	if problem != "" {
		renderPage(w, http.StatusBadRequest, inv, problem)
		return
	}
	if !p.walkInvitation(inv, to, a, "", sub) {
		renderPage(w, http.StatusConflict, inv, "This invitation can no longer be used.")
		return
	}
	dest := provider.BaseURL(r) + "/invitations/kyc/" + inv.token
	if target != nil {
		if u, err := url.Parse(*target); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
			dest = *target
		}
	}
	http.Redirect(w, r, dest, http.StatusSeeOther)
}
