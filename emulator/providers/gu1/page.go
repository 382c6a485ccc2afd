package gu1

import (
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/kycemu/kycemu/emulator/internal/hosted"
	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
)

// The hosted verification page behind providerSessionUrl: a stand-in for
// the identity provider's flow. The person starts it (in_progress), types
// their details, uploads the document's sides, takes a selfie and submits
// (in_review: the review data come from what they gave), or leaves it
// (abandoned). A test may also decide the outcome right there. gu1 hands
// out no redirect URL, so the page ends on its own "done" view.

var pageTmpl = hosted.Parse("gu1", `{{define "content"}}
<p>Status: <span class="status" data-testid="status">{{.Status}}</span></p>
{{if eq .Status "pending"}}
<p>To open your account we need to check your identity: your details, a photo of an identity document and a selfie. It takes about two minutes.</p>
<form method="post"><button name="action" value="start" class="primary" data-testid="start">Start verification</button></form>
{{else if eq .Status "in_progress"}}
<form method="post" enctype="multipart/form-data" data-testid="verification-form">
<fieldset><legend>Your details</legend>
<label for="firstName">First name</label><input id="firstName" name="firstName" autocomplete="given-name" required maxlength="100" value="{{.Form.FirstName}}" data-testid="first-name">
<label for="lastName">Last name</label><input id="lastName" name="lastName" autocomplete="family-name" required maxlength="100" value="{{.Form.LastName}}" data-testid="last-name">
<label for="dateOfBirth">Date of birth</label><input id="dateOfBirth" name="dateOfBirth" type="date" required value="{{.Form.DateOfBirth}}" data-testid="date-of-birth">
</fieldset>
<fieldset><legend>Identity document</legend>
<label for="documentType">Document</label>
<select id="documentType" name="documentType" data-testid="document-type">
{{range .DocumentTypes}}<option value="{{.Value}}"{{if eq .Value $.Form.DocumentType}} selected{{end}}>{{.Label}}</option>{{end}}
</select>
<label for="documentNumber">Document number</label><input id="documentNumber" name="documentNumber" required maxlength="20" value="{{.Form.DocumentNumber}}" data-testid="document-number">
<label for="front">Photo of the front (or of a passport's photo page)</label><input id="front" name="front" type="file" accept="image/jpeg,image/png,image/webp" required data-testid="document-front">
<label for="back">Photo of the back (not needed for a passport)</label><input id="back" name="back" type="file" accept="image/jpeg,image/png,image/webp" data-testid="document-back">
</fieldset>
{{template "selfie" .}}
{{template "outcome" .}}
<button name="action" value="submit" class="primary" data-testid="submit">Submit verification</button>
<button name="action" value="abandon" class="quiet" formnovalidate data-testid="abandon">Leave without finishing</button>
</form>
{{else}}
<p class="done" data-testid="done">{{.Done}}</p>
<p class="hint">You can close this window.</p>
{{end}}{{end}}`)

// Document types the page offers, as the review data name them.
var documentTypes = []struct{ Value, Label string }{
	{"national_id", "National identity card"},
	{"passport", "Passport"},
	{"drivers_license", "Driving licence"},
}

// doneText is what the page says once nothing is left to do.
var doneText = map[string]string{
	InReview:  "Thank you. Your documents are being reviewed.",
	Approved:  "Your identity is verified.",
	Rejected:  "We could not verify your identity.",
	Abandoned: "You left the verification. Ask for a new link to try again.",
	Expired:   "This verification link has expired.",
	Cancelled: "This verification was cancelled.",
}

// pageSubmission is what the person gave on the page.
type pageSubmission struct {
	FirstName      string     `json:"firstName"`
	LastName       string     `json:"lastName"`
	DateOfBirth    string     `json:"dateOfBirth"`
	DocumentType   string     `json:"documentType"`
	DocumentNumber string     `json:"documentNumber"`
	Files          []pageFile `json:"files,omitempty"`
}

// pageFile describes an uploaded picture; its bytes are a blob of the
// validation named by Slot.
type pageFile struct {
	Slot        string `json:"slot"` // document-front, document-back, selfie
	Name        string `json:"name"`
	ContentType string `json:"contentType"`
	Size        int    `json:"size"`
}

// review fills the review data from the submission: the documents read
// and what they say.
func (s *pageSubmission) review(v *validation) {
	v.Documents = nil
	for _, f := range s.Files {
		if side, ok := strings.CutPrefix(f.Slot, "document-"); ok {
			v.Documents = append(v.Documents, map[string]any{"type": "identity_document", "documentType": s.DocumentType,
				"side": side, "status": "verified", "fileName": f.Name, "mimeType": f.ContentType, "size": f.Size})
		}
	}
	if v.Extracted == nil {
		v.Extracted = map[string]any{}
	}
	for k, val := range map[string]string{"firstName": s.FirstName, "lastName": s.LastName, "dateOfBirth": s.DateOfBirth,
		"documentType": s.DocumentType, "documentNumber": s.DocumentNumber} {
		v.Extracted[k] = val
	}
}

type pageData struct {
	hosted.Frame
	Status, Done  string
	Form          pageSubmission
	DocumentTypes any
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

// renderPage shows the page, with what was wrong when msg is set (what the
// person typed is not repeated: the form starts again from the entity).
func (p *Provider) renderPage(w http.ResponseWriter, status int, tx *state.Tx, r *state.Record, msg string) {
	d := pageData{Frame: hosted.Frame{Title: "Verify your identity", Brand: "gu1.ai", Error: msg},
		Status: r.Status, Done: doneText[r.Status], DocumentTypes: documentTypes}
	if r.Status == InProgress {
		d.Form = p.prefill(tx, r)
	}
	w.Header().Set(provider.SessionHeader, r.ID)
	hosted.Render(w, status, pageTmpl, d)
}

// prefill starts the form with what the entity already says.
func (p *Provider) prefill(tx *state.Tx, r *state.Record) pageSubmission {
	f := pageSubmission{DocumentType: "national_id"}
	er := tx.Get(kindEntity, state.Data[validation](r).EntityID)
	if er == nil {
		return f
	}
	en := state.Data[entity](er)
	person := en.person()
	f.FirstName, f.LastName, f.DateOfBirth = person["firstName"], person["lastName"], person["dateOfBirth"]
	if f.FirstName == "" && f.LastName == "" && en.Type == "person" {
		f.FirstName, f.LastName, _ = strings.Cut(en.Name, " ")
	}
	return f
}

func (p *Provider) page(w http.ResponseWriter, r *http.Request) {
	if !p.onSession(provider.Vars(r)["sessionId"], func(tx *state.Tx, v *state.Record) {
		p.renderPage(w, http.StatusOK, tx, v, "")
	}) {
		http.Error(w, "verification session not found", http.StatusNotFound)
	}
}

var pageNumberRE = regexp.MustCompile(`^[A-Za-z0-9]{4,20}$`)

// isPageName checks a name typed into the page: a letter, then letters,
// spaces, apostrophes, dots and hyphens, at most 100 in all.
func isPageName(s string) bool { return hosted.IsPersonName(s, 1, 100) }

// submissionOf reads and checks the form; the message says what is wrong
// without repeating what was typed.
func submissionOf(r *http.Request, now time.Time) (pageSubmission, string) {
	f := func(name string) string { return strings.TrimSpace(r.PostFormValue(name)) }
	s := pageSubmission{FirstName: f("firstName"), LastName: f("lastName"), DateOfBirth: f("dateOfBirth"),
		DocumentType: f("documentType"), DocumentNumber: strings.ToUpper(f("documentNumber"))}
	switch {
	case !isPageName(s.FirstName) || !isPageName(s.LastName):
		return s, "Please give your first and last name (letters, spaces, apostrophes, dots and hyphens)."
	case !pastDate(s.DateOfBirth, now):
		return s, "Please give your date of birth as a date in the past."
	case !knownDocumentType(s.DocumentType):
		return s, "Please choose the kind of document."
	case !pageNumberRE.MatchString(s.DocumentNumber):
		return s, "The document number has 4 to 20 letters and digits."
	}
	return s, ""
}

func pastDate(s string, now time.Time) bool {
	d, err := time.Parse(time.DateOnly, s)
	return err == nil && d.Before(now) && d.Year() >= 1900
}

func knownDocumentType(t string) bool {
	for _, d := range documentTypes {
		if d.Value == t {
			return true
		}
	}
	return false
}

// pageUploads reads the pictures; the back is needed unless the document
// is a passport.
func pageUploads(r *http.Request, docType string) ([]pageFile, [][]byte, string) {
	var files []pageFile
	var data [][]byte
	for _, slot := range []struct{ field, name, label string }{
		{"front", "document-front", "a photo of the front of your document"},
		{"back", "document-back", "a photo of the back of your document"},
		{"selfie", "selfie", "a selfie (or a picture of your face)"},
	} {
		img, err := hosted.Image(r, slot.field, false)
		if err != nil {
			return nil, nil, "Please add " + slot.label + ": " + err.Error() + "."
		}
		if img == nil {
			if slot.field == "back" && docType == "passport" {
				continue
			}
			return nil, nil, "Please add " + slot.label + "."
		}
		files = append(files, pageFile{Slot: slot.name, Name: img.Name, ContentType: img.ContentType, Size: len(img.Data)})
		data = append(data, img.Data)
	}
	return files, data, ""
}

func (p *Provider) pageAction(w http.ResponseWriter, r *http.Request) {
	if err := hosted.ParseForm(w, r); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	action := r.PostFormValue("action")
	self := provider.BaseURL(r) + "/verify/" + provider.Vars(r)["sessionId"]
	if !p.onSession(provider.Vars(r)["sessionId"], func(tx *state.Tx, v *state.Record) {
		switch action {
		case "start":
			if !p.move(tx, v, InProgress, "page", "") {
				p.renderPage(w, http.StatusConflict, tx, v, "That step is not possible now.")
				return
			}
		case "abandon":
			if !p.move(tx, v, Abandoned, "page", "the user left the verification flow") {
				p.renderPage(w, http.StatusConflict, tx, v, "That step is not possible now.")
				return
			}
		case "submit":
			if v.Status != InProgress {
				p.renderPage(w, http.StatusConflict, tx, v, "That step is not possible now.")
				return
			}
			if !p.submit(w, r, tx, v) {
				return
			}
		default:
			p.renderPage(w, http.StatusBadRequest, tx, v, "Unknown action.")
			return
		}
		w.Header().Set(provider.SessionHeader, v.ID)
		http.Redirect(w, r, self, http.StatusSeeOther)
	}) {
		http.Error(w, "verification session not found", http.StatusNotFound)
	}
}

// submit checks the form and its pictures, keeps them, sends the
// validation to review and applies the test outcome; false when the page
// was answered with what is wrong.
func (p *Provider) submit(w http.ResponseWriter, r *http.Request, tx *state.Tx, v *state.Record) bool {
	sub, problem := submissionOf(r, tx.Now())
	if problem != "" {
		p.renderPage(w, http.StatusBadRequest, tx, v, problem)
		return false
	}
	outcome, err := hosted.OutcomeOf(r)
	if err != nil {
		p.renderPage(w, http.StatusBadRequest, tx, v, "Please "+err.Error()+".")
		return false
	}
	files, data, problem := pageUploads(r, sub.DocumentType)
	if problem != "" {
		p.renderPage(w, http.StatusBadRequest, tx, v, problem)
		return false
	}
	for i, f := range files {
		if err := tx.PutBlob(v, f.Slot, data[i]); err != nil {
			p.renderPage(w, http.StatusServiceUnavailable, tx, v, "Your pictures could not be kept; please try again.")
			return false
		}
	}
	sub.Files = files
	state.Data[validation](v).Page = &sub
	p.move(tx, v, InReview, "page", "")
	switch outcome {
	case hosted.OutcomeApprove:
		p.move(tx, v, Approved, "page", "")
	case hosted.OutcomeReject:
		p.move(tx, v, Rejected, "page", "the identity could not be verified (test outcome chosen on the hosted page)")
	}
	return true
}
