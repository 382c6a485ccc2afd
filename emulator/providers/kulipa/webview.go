package kulipa

import (
	"errors"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/kycemu/kycemu/emulator/internal/hosted"
	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
)

// The KYC webview behind a KYC's url: a stand-in for the Persona flow
// Kulipa embeds. What it asks depends on the KYC's type: a full KYC asks
// for the person's details, both sides of an identity document and a
// selfie; a shipping KYC asks for the address to ship the card to
// (pre-filled from the user's data); an rfi KYC asks where the money comes
// from, with an optional supporting document. Completing moves the KYC to
// submitted (what was given becomes what the check read) and redirects to
// the KYC's redirectUri when it has one; a test may also decide the
// outcome at once. "Fail verification" rejects it; leaving changes nothing
// (the KYC expires if nobody comes back) and also goes to the redirectUri.

var webviewTmpl = hosted.Parse("kulipa", `{{define "content"}}
<p>Type: <span data-testid="type">{{.Type}}</span> · Status: <span class="status" data-testid="status">{{.Status}}</span></p>
{{if .Open}}<form method="post" enctype="multipart/form-data" data-testid="webview-form">
{{if eq .Type "full"}}
<fieldset><legend>About you</legend>
<label for="firstName">First name</label><input id="firstName" name="firstName" required maxlength="64" autocomplete="given-name" value="{{.Full.FirstName}}" data-testid="first-name">
<label for="lastName">Last name</label><input id="lastName" name="lastName" required maxlength="64" autocomplete="family-name" value="{{.Full.LastName}}" data-testid="last-name">
<label for="dateOfBirth">Date of birth</label><input id="dateOfBirth" name="dateOfBirth" type="date" required value="{{.Full.DateOfBirth}}" data-testid="date-of-birth">
</fieldset>
<fieldset><legend>Government ID</legend>
<label for="docCountry">Issuing country (ISO alpha-2)</label><input id="docCountry" name="docCountry" required maxlength="2" value="{{.Full.DocCountry}}" data-testid="document-country">
<label for="docType">Document</label><select id="docType" name="docType" data-testid="document-type">
{{range .DocTypes}}<option value="{{.Value}}"{{if eq .Value $.Full.DocType}} selected{{end}}>{{.Label}}</option>{{end}}</select>
<label for="docNumber">Document number</label><input id="docNumber" name="docNumber" required maxlength="20" value="{{.Full.DocNumber}}" data-testid="document-number">
<label for="front">Photo of the front</label><input id="front" name="front" type="file" accept="image/jpeg,image/png,image/webp" required data-testid="document-front">
<label for="back">Photo of the back (not needed for a passport)</label><input id="back" name="back" type="file" accept="image/jpeg,image/png,image/webp" data-testid="document-back">
</fieldset>
{{template "selfie" .}}
{{else if eq .Type "shipping"}}
<fieldset><legend>Shipping address</legend>
<label for="address1">Address line 1</label><input id="address1" name="address1" maxlength="150" required autocomplete="address-line1" value="{{.Address.Address1}}" data-testid="address1">
<label for="address2">Address line 2 (optional)</label><input id="address2" name="address2" maxlength="50" autocomplete="address-line2" value="{{.Address2}}" data-testid="address2">
<label for="city">City</label><input id="city" name="city" maxlength="50" required autocomplete="address-level2" value="{{.Address.City}}" data-testid="city">
<label for="postalCode">Postal code</label><input id="postalCode" name="postalCode" maxlength="16" required autocomplete="postal-code" value="{{.Address.PostalCode}}" data-testid="postal-code">
<label for="state">State (2 letters, optional)</label><input id="state" name="state" maxlength="2" value="{{.State}}" data-testid="state">
<label for="country">Country (ISO alpha-2)</label><input id="country" name="country" maxlength="2" required value="{{.Address.Country}}" data-testid="country">
</fieldset>
{{else}}
<fieldset><legend>Where does your money come from?</legend>
<label for="sourceOfFunds">Main source of the funds you will spend with the card</label>
<select id="sourceOfFunds" name="sourceOfFunds" data-testid="source-of-funds">{{range .Sources}}<option value="{{.Value}}">{{.Label}}</option>{{end}}</select>
<label for="explanation">Tell us more (at least 10 characters)</label>
<textarea id="explanation" name="explanation" rows="4" minlength="10" maxlength="1000" required data-testid="explanation"></textarea>
<label for="evidence">A supporting document (optional: a payslip, a bank statement; photo or PDF)</label>
<input id="evidence" name="evidence" type="file" accept="image/jpeg,image/png,image/webp,application/pdf" data-testid="evidence">
</fieldset>
{{end}}
{{template "outcome" .}}
<button name="action" value="complete" class="primary" data-testid="complete">Complete verification</button>
<button name="action" value="decline" class="quiet" formnovalidate data-testid="decline">Fail verification</button>
<button name="action" value="abandon" class="quiet" formnovalidate data-testid="abandon">Leave for now</button>
</form>{{else}}<p class="done" data-testid="done">{{.Done}}</p>{{end}}{{end}}`)

var docTypes = []struct{ Value, Label string }{
	{"passport", "Passport"}, {"id_card", "National identity card"}, {"drivers_license", "Driving licence"},
}

var fundSources = []struct{ Value, Label string }{
	{"salary", "Salary or pension"}, {"savings", "Savings"}, {"business", "Business income"},
	{"investments", "Investments"}, {"other", "Something else"},
}

var webviewDone = map[string]string{
	Submitted: "Thank you. We are checking what you sent.",
	Verified:  "You are verified.",
	Rejected:  "We could not verify you.",
	Expired:   "This verification link has expired.",
}

// webviewAnswers is what the person gave in the webview.
type webviewAnswers struct {
	Full  *fullAnswers  `json:"full,omitempty"`
	RFI   *rfiAnswers   `json:"rfi,omitempty"`
	Files []webviewFile `json:"files,omitempty"`
}

type fullAnswers struct {
	FirstName   string `json:"firstName"`
	LastName    string `json:"lastName"`
	DateOfBirth string `json:"dateOfBirth"`
	DocCountry  string `json:"docCountry"`
	DocType     string `json:"docType"`
	DocNumber   string `json:"docNumber"`
}

type rfiAnswers struct {
	SourceOfFunds string `json:"sourceOfFunds"`
	Explanation   string `json:"explanation"`
}

// webviewFile describes an uploaded file; its bytes are the KYC's blob
// named by Slot.
type webviewFile struct {
	Slot        string `json:"slot"` // document-front, document-back, selfie, evidence
	Name        string `json:"name"`
	ContentType string `json:"contentType"`
	Size        int    `json:"size"`
}

// read overrides what the identity check read with what the person gave.
func (a *fullAnswers) read(id *identity) {
	id.First, id.Last, id.DateOfBirth = a.FirstName, a.LastName, a.DateOfBirth
	id.DocCountry, id.DocType, id.DocNumber = a.DocCountry, a.DocType, a.DocNumber
}

type webviewData struct {
	hosted.Frame
	Type, Status, Done string
	Open               bool
	Full               fullAnswers
	Address            Address
	Address2, State    string
	DocTypes, Sources  any
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

// renderWebview shows the webview, with what was wrong when msg is set
// (what the person typed is not repeated: they type it again).
func (p *Provider) renderWebview(w http.ResponseWriter, status int, tx *state.Tx, kr *state.Record, msg string) {
	k := state.Data[kyc](kr)
	d := webviewData{Frame: hosted.Frame{Title: "Verify your identity", Brand: "Kulipa", Error: msg},
		Type: k.Type, Status: kr.Status, Done: webviewDone[kr.Status], Open: kr.Status == Pending,
		DocTypes: docTypes, Sources: fundSources}
	u := userDataOf(tx, k)
	switch k.Type {
	case TypeShipping:
		d.Title = "Where should we ship your card?"
		a := defaultShipping(tx, u, tx.Now()).Address
		d.Address = a
		if a.Address2 != nil {
			d.Address2 = *a.Address2
		}
		if a.State != nil {
			d.State = *a.State
		}
	case TypeRFI:
		d.Title = "We need a little more information"
	default:
		d.Full = fullAnswers{FirstName: u.FirstName, LastName: u.LastName, DocType: "passport"}
		if u.DateOfBirth != nil {
			d.Full.DateOfBirth = *u.DateOfBirth
		}
		if u.CountryOfResidence != nil {
			d.Full.DocCountry = *u.CountryOfResidence
		}
	}
	w.Header().Set(provider.SessionHeader, kr.ID)
	hosted.Render(w, status, webviewTmpl, d)
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

var (
	countryRE   = regexp.MustCompile(`^[A-Za-z]{2}$`)
	docNumberRE = regexp.MustCompile(`^[A-Za-z0-9]{4,20}$`)
)

// isName checks a name typed into the webview: a letter, then letters,
// spaces, apostrophes, dots and hyphens, 2 to 64 in all.
func isName(s string) bool { return hosted.IsPersonName(s, 2, 64) }

func field(r *http.Request, name string) string { return strings.TrimSpace(r.PostFormValue(name)) }

// shippingForm reads the shipping address fields; ok is false when one is
// missing or too long.
func shippingForm(r *http.Request) (Address, bool) {
	a := Address{Address1: field(r, "address1"), City: field(r, "city"), PostalCode: field(r, "postalCode"),
		Country: strings.ToUpper(field(r, "country"))}
	if v := field(r, "address2"); v != "" {
		a.Address2 = &v
	}
	if v := strings.ToUpper(field(r, "state")); v != "" {
		a.State = &v
	}
	ok := a.Address1 != "" && len(a.Address1) <= 150 && a.City != "" && len(a.City) <= 50 &&
		a.PostalCode != "" && len(a.PostalCode) <= 16 && countryRE.MatchString(a.Country) &&
		(a.Address2 == nil || len(*a.Address2) <= 50) && (a.State == nil || len(*a.State) == 2)
	return a, ok
}

// fullForm reads a full KYC's details; the message says what is wrong
// without repeating what was typed.
func fullForm(r *http.Request, now time.Time) (fullAnswers, string) {
	a := fullAnswers{FirstName: field(r, "firstName"), LastName: field(r, "lastName"), DateOfBirth: field(r, "dateOfBirth"),
		DocCountry: strings.ToUpper(field(r, "docCountry")), DocType: field(r, "docType"), DocNumber: strings.ToUpper(field(r, "docNumber"))}
	dob, err := time.Parse(time.DateOnly, a.DateOfBirth)
	switch {
	case !isName(a.FirstName) || !isName(a.LastName):
		return a, "Please give your first and last name (2 to 64 letters, spaces, apostrophes, dots and hyphens)."
	case err != nil || !dob.Before(now) || dob.Year() < 1800:
		return a, "Please give your date of birth as a date in the past."
	case !countryRE.MatchString(a.DocCountry):
		return a, "Please give the document's issuing country as a two-letter code."
	case a.DocType != "passport" && a.DocType != "id_card" && a.DocType != "drivers_license":
		return a, "Please choose the kind of document."
	case !docNumberRE.MatchString(a.DocNumber):
		return a, "The document number has 4 to 20 letters and digits."
	}
	return a, ""
}

func rfiForm(r *http.Request) (rfiAnswers, string) {
	a := rfiAnswers{SourceOfFunds: field(r, "sourceOfFunds"), Explanation: field(r, "explanation")}
	known := false
	for _, s := range fundSources {
		known = known || s.Value == a.SourceOfFunds
	}
	switch {
	case !known:
		return a, "Please choose where the money comes from."
	case len([]rune(a.Explanation)) < 10 || len(a.Explanation) > 1000:
		return a, "Please tell us more, in 10 to 1000 characters."
	}
	return a, ""
}

func (p *Provider) webviewAction(w http.ResponseWriter, r *http.Request) {
	if err := hosted.ParseForm(w, r); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if !p.onInquiry(r, func(tx *state.Tx, kr *state.Record) { p.webviewStep(w, r, tx, kr, r.PostFormValue("action")) }) {
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
	w.Header().Set(provider.SessionHeader, kr.ID)
	switch action {
	case "complete":
		if !p.complete(w, r, tx, kr) {
			return
		}
		if k.RedirectURI != nil {
			http.Redirect(w, r, *k.RedirectURI, http.StatusSeeOther)
			return
		}
	case "decline":
		outcomes.Walk(kr.Status, Rejected, "the identity check failed in the webview",
			func(to, reason string) { p.move(tx, kr, to, "webview", reason) })
	case "abandon":
		if k.RedirectURI != nil {
			http.Redirect(w, r, *k.RedirectURI, http.StatusSeeOther)
			return
		}
	default:
		p.renderWebview(w, http.StatusBadRequest, tx, kr, "Unknown action.")
		return
	}
	http.Redirect(w, r, provider.BaseURL(r)+"/_webview/"+k.Inquiry, http.StatusSeeOther)
}

// complete checks what the KYC's type asks, keeps it, submits the KYC and
// applies the test outcome; false when the page was answered with what is
// wrong.
func (p *Provider) complete(w http.ResponseWriter, r *http.Request, tx *state.Tx, kr *state.Record) bool {
	k := state.Data[kyc](kr)
	answers := &webviewAnswers{}
	var files []*hosted.File
	var slots []string
	fail := func(status int, msg string) bool {
		p.renderWebview(w, status, tx, kr, msg)
		return false
	}
	switch k.Type {
	case TypeShipping:
		a, valid := shippingForm(r)
		if !valid {
			return fail(http.StatusBadRequest, "Please fill in address line 1, city, postal code and a two-letter country code.")
		}
		k.Shipping = &ShippingAddress{Address: a, Phone: userDataOf(tx, k).Phone.text()}
	case TypeRFI:
		a, problem := rfiForm(r)
		if problem != "" {
			return fail(http.StatusBadRequest, problem)
		}
		ev, err := hosted.Image(r, "evidence", true)
		if err != nil {
			return fail(http.StatusBadRequest, "Please add a supporting document that is a picture or a PDF, or none.")
		}
		if ev != nil {
			files, slots = append(files, ev), append(slots, "evidence")
		}
		answers.RFI = &a
	default:
		a, problem := fullForm(r, tx.Now())
		if problem != "" {
			return fail(http.StatusBadRequest, problem)
		}
		for _, s := range []struct{ field, slot, label string }{
			{"front", "document-front", "a photo of the front of your document"},
			{"back", "document-back", "a photo of the back of your document"},
			{"selfie", "selfie", "a selfie (or a picture of your face)"},
		} {
			img, err := hosted.Image(r, s.field, false)
			switch {
			case err != nil:
				return fail(http.StatusBadRequest, "Please add "+s.label+": "+err.Error()+".")
			case img == nil && s.field == "back" && a.DocType == "passport":
				continue
			case img == nil:
				return fail(http.StatusBadRequest, "Please add "+s.label+".")
			}
			files, slots = append(files, img), append(slots, s.slot)
		}
		answers.Full = &a
	}
	outcome, err := hosted.OutcomeOf(r)
	if err != nil {
		return fail(http.StatusBadRequest, "Please "+err.Error()+".")
	}
	for i, f := range files {
		if err := tx.PutBlob(kr, slots[i], f.Data); err != nil {
			return fail(http.StatusServiceUnavailable, "What you sent could not be kept; please try again.")
		}
		answers.Files = append(answers.Files, webviewFile{Slot: slots[i], Name: f.Name, ContentType: f.ContentType, Size: len(f.Data)})
	}
	if k.Type != TypeShipping {
		k.Webview = answers
	}
	p.move(tx, kr, Submitted, "webview", "")
	switch outcome {
	case hosted.OutcomeApprove:
		p.move(tx, kr, Verified, "webview", "")
	case hosted.OutcomeReject:
		p.move(tx, kr, Rejected, "webview", "the identity check failed (test outcome chosen in the webview)")
	}
	return true
}
