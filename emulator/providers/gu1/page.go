package gu1

import (
	"html/template"
	"net/http"

	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
)

// The hosted verification page behind providerSessionUrl: a stand-in for
// the identity provider's flow. It shows the validation's status and lets a
// person (or a browser test) start the flow, finish it (sending it to
// review) or leave it (abandoned).

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Identity verification · kycemu</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}
button{margin:.25rem .5rem .25rem 0;padding:.5rem 1rem}.status{font-weight:bold}</style></head>
<body><h1>Identity verification</h1>
<p>gu1.ai emulated by kycemu. Status: <span class="status" id="status">{{.Status}}</span></p>
{{if .Message}}<p id="message">{{.Message}}</p>{{end}}
<form method="post">
{{range .Actions}}<button name="action" value="{{.Value}}">{{.Label}}</button>{{end}}
</form>
{{if not .Actions}}<p>Nothing left to do here.</p>{{end}}
</body></html>
`))

type pageAction struct{ Value, Label string }

// pageActions are what the person can do: start the flow, finish it, or
// leave it.
var pageActions = []struct {
	pageAction
	to string
}{
	{pageAction{"start", "Start verification"}, InProgress},
	{pageAction{"submit", "Submit documents and selfie"}, InReview},
	{pageAction{"abandon", "Leave"}, Abandoned},
}

// onSession runs fn on the validation behind a provider session id, in a
// write transaction of its tenant; it reports false when there is none.
func (p *Provider) onSession(sessionID string, fn func(tx *state.Tx, r *state.Record)) bool {
	tenant, id, ok := p.state.Find(kindValidation, bySessionID, sessionID)
	if !ok {
		return false
	}
	err := p.state.Update(tenant, func(tx *state.Tx) error {
		r := tx.Get(kindValidation, id)
		if r == nil {
			return state.ErrNoRecord
		}
		fn(tx, r)
		return nil
	})
	return err == nil
}

func (p *Provider) renderPage(w http.ResponseWriter, status int, r *state.Record, msg string) {
	data := struct {
		Status, Message string
		Actions         []pageAction
	}{Status: r.Status, Message: msg}
	for _, a := range pageActions {
		if machine.Can(r.Status, a.to) {
			data.Actions = append(data.Actions, a.pageAction)
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = pageTmpl.Execute(w, data)
}

func (p *Provider) page(w http.ResponseWriter, r *http.Request) {
	if !p.onSession(provider.Vars(r)["sessionId"], func(_ *state.Tx, v *state.Record) {
		p.renderPage(w, http.StatusOK, v, "")
	}) {
		http.Error(w, "verification session not found", http.StatusNotFound)
	}
}

func (p *Provider) pageAction(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	action := r.PostFormValue("action")
	if !p.onSession(provider.Vars(r)["sessionId"], func(tx *state.Tx, v *state.Record) {
		for _, a := range pageActions {
			if a.Value != action {
				continue
			}
			if p.move(tx, v, a.to, "page", "") {
				http.Redirect(w, r, provider.BaseURL(r)+"/verify/"+state.Data[validation](v).SessionID, http.StatusSeeOther)
				return
			}
			p.renderPage(w, http.StatusConflict, v, "That step is not possible now.")
			return
		}
		p.renderPage(w, http.StatusBadRequest, v, "Unknown action.")
	}) {
		http.Error(w, "verification session not found", http.StatusNotFound)
	}
}
