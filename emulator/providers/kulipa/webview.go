package kulipa

import (
	"errors"
	"html/template"
	"net/http"
	"regexp"
	"strings"

	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
)

// The KYC webview behind a KYC's url: a stand-in for the Persona flow
// Kulipa embeds. It shows the KYC's type and status and lets the person (or
// a browser test) complete it or fail it. A shipping KYC asks for the
// shipping address, pre-filled from the user's data. Completing moves the
// KYC to submitted and redirects to the KYC's redirectUri when it has one;
// failing moves it to rejected.

var webviewTmpl = template.Must(template.New("webview").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Verify your identity · kycemu</title>
<style>body{font-family:system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem}
label{display:block;margin:.5rem 0}input{display:block;width:100%;padding:.4rem;box-sizing:border-box}
button{margin:.75rem .5rem .25rem 0;padding:.5rem 1rem}.status{font-weight:bold}.error{color:#b00020}</style></head>
<body><h1>{{.Title}}</h1>
<p>Kulipa KYC (Persona-like webview emulated by kycemu). Type: <span id="type">{{.Type}}</span>.
Status: <span class="status" id="status">{{.Status}}</span></p>
{{if .Message}}<p id="message" class="error">{{.Message}}</p>{{end}}
{{if .Open}}<form method="post">
{{if .Shipping}}<fieldset><legend>Shipping address</legend>
<label>Address line 1 <input name="address1" maxlength="150" required value="{{.Address.Address1}}"></label>
<label>Address line 2 <input name="address2" maxlength="50" value="{{.Address2}}"></label>
<label>City <input name="city" maxlength="50" required value="{{.Address.City}}"></label>
<label>Postal code <input name="postalCode" maxlength="16" required value="{{.Address.PostalCode}}"></label>
<label>State (2 letters, optional) <input name="state" maxlength="2" value="{{.State}}"></label>
<label>Country (ISO alpha-2) <input name="country" maxlength="2" required value="{{.Address.Country}}"></label>
</fieldset>{{end}}
<button name="action" value="complete" id="complete">Complete verification</button>
<button name="action" value="decline" id="decline" formnovalidate>Fail verification</button>
</form>{{else}}<p>Nothing left to do here.</p>{{end}}
</body></html>
`))

type webviewData struct {
	Title, Type, Status, Message string
	Open, Shipping               bool
	Address                      Address
	Address2, State              string
}

// onInquiry runs fn on the KYC behind the request's inquiry id, in a
// write transaction of its tenant (rendering may draw a fake address); it
// reports false when there is none.
func (p *Provider) onInquiry(r *http.Request, fn func(tx *state.Tx, kr *state.Record)) bool {
	tenant, id, ok := p.state.Find(kindKyc, byInquiry, provider.Vars(r)["inquiryId"])
	if !ok {
		return false
	}
	err := p.state.Update(tenant, func(tx *state.Tx) error {
		kr := tx.Get(kindKyc, id)
		if kr == nil {
			return state.ErrNoRecord
		}
		fn(tx, kr)
		return nil
	})
	return !errors.Is(err, state.ErrNoRecord)
}

func (p *Provider) renderWebview(w http.ResponseWriter, status int, tx *state.Tx, kr *state.Record, msg string) {
	k := state.Data[kyc](kr)
	d := webviewData{Title: "Verify your identity", Type: k.Type, Status: kr.Status, Message: msg,
		Open: kr.Status == Pending, Shipping: k.Type == TypeShipping}
	switch k.Type {
	case TypeShipping:
		d.Title = "Where should we ship your card?"
	case TypeRFI:
		d.Title = "We need a little more information"
	}
	if d.Shipping {
		a := defaultShipping(tx, userDataOf(tx, k), tx.Now()).Address
		d.Address = a
		if a.Address2 != nil {
			d.Address2 = *a.Address2
		}
		if a.State != nil {
			d.State = *a.State
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = webviewTmpl.Execute(w, d)
}

// userDataOf returns the data of a KYC's user (empty once evicted).
func userDataOf(tx *state.Tx, k *kyc) *user {
	if ur := tx.Get(kindUser, k.UserID); ur != nil {
		return state.Data[user](ur)
	}
	return &user{}
}

func notFoundPage(w http.ResponseWriter) {
	http.Error(w, "This verification link is not valid.", http.StatusNotFound)
}

func (p *Provider) webview(w http.ResponseWriter, r *http.Request) {
	if !p.onInquiry(r, func(tx *state.Tx, kr *state.Record) {
		p.renderWebview(w, http.StatusOK, tx, kr, "")
	}) {
		notFoundPage(w)
	}
}

var countryRE = regexp.MustCompile(`^[A-Za-z]{2}$`)

// shippingForm reads the shipping address fields; ok is false when one is
// missing or too long.
func shippingForm(r *http.Request) (Address, bool) {
	f := func(name string) string { return strings.TrimSpace(r.PostFormValue(name)) }
	a := Address{Address1: f("address1"), City: f("city"), PostalCode: f("postalCode"), Country: strings.ToUpper(f("country"))}
	if v := f("address2"); v != "" {
		a.Address2 = &v
	}
	if v := strings.ToUpper(f("state")); v != "" {
		a.State = &v
	}
	ok := a.Address1 != "" && len(a.Address1) <= 150 && a.City != "" && len(a.City) <= 50 &&
		a.PostalCode != "" && len(a.PostalCode) <= 16 && countryRE.MatchString(a.Country) &&
		(a.Address2 == nil || len(*a.Address2) <= 50) && (a.State == nil || len(*a.State) == 2)
	return a, ok
}

func (p *Provider) webviewAction(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	action := r.PostFormValue("action")
	if !p.onInquiry(r, func(tx *state.Tx, kr *state.Record) { p.webviewStep(w, r, tx, kr, action) }) {
		notFoundPage(w)
	}
}

// webviewStep applies what the person chose in the webview.
func (p *Provider) webviewStep(w http.ResponseWriter, r *http.Request, tx *state.Tx, kr *state.Record, action string) {
	k := state.Data[kyc](kr)
	if kr.Status != Pending {
		p.renderWebview(w, http.StatusConflict, tx, kr, "This verification is already finished.")
		return
	}
	switch action {
	case "complete":
		if k.Type == TypeShipping {
			a, valid := shippingForm(r)
			if !valid {
				p.renderWebview(w, http.StatusBadRequest, tx, kr,
					"Please fill in address line 1, city, postal code and a two-letter country code.")
				return
			}
			k.Shipping = &ShippingAddress{Address: a, Phone: userDataOf(tx, k).Phone.text()}
		}
		p.move(tx, kr, Submitted, "webview", "")
		if k.RedirectURI != nil {
			http.Redirect(w, r, *k.RedirectURI, http.StatusSeeOther)
			return
		}
	case "decline":
		outcomes.Walk(kr.Status, Rejected, "the identity check failed in the webview",
			func(to, reason string) { p.move(tx, kr, to, "webview", reason) })
	default:
		p.renderWebview(w, http.StatusBadRequest, tx, kr, "Unknown action.")
		return
	}
	http.Redirect(w, r, provider.BaseURL(r)+"/_webview/"+k.Inquiry, http.StatusSeeOther)
}
