package notus

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/kycemu/kycemu/emulator/internal/hosted"
	"github.com/kycemu/kycemu/emulator/internal/s3post"
	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
)

// The capture page at /_sdk/{sessionId} stands in for Notus's web SDK (the
// front end a partner embeds): it asks for each file the session needs and
// posts it, from the browser, to the presigned form the API hands out (the
// same S3 upload the partner's own page makes); it takes the liveness
// selfie and posts it to the liveness endpoint; "Finish" calls the
// session's process endpoint. A test may also decide the outcome. Notus
// hands out no page link, so a test opens this page with the session id;
// ?redirect=URL is where the page goes when done (the partner's app, as
// the SDK's completion callback would), with sessionId and status added.

var pageTmpl = hosted.Parse("notus", `{{define "content"}}
<p>Session <code data-testid="session-id">{{.ID}}</code> · Status: <span class="status" data-testid="status">{{.Status}}</span></p>
{{if eq .Status "PENDING"}}
<div id="sdk" data-process="{{.Process}}" data-liveness="{{.Liveness}}" data-outcome="{{.Self}}" data-redirect="{{.Redirect}}" data-session="{{.ID}}">
<fieldset><legend>Documents</legend>
{{range .Slots}}<div class="slot" data-slot="{{.Name}}" data-form="{{.Form}}">
<label for="file-{{.ID}}">{{.Label}}</label>
<input type="file" id="file-{{.ID}}" accept="{{.Accept}}" data-testid="upload-{{.ID}}">
<p class="hint" aria-live="polite" data-testid="upload-status-{{.ID}}">{{if .Uploaded}}Uploaded.{{else}}Not uploaded yet.{{end}}</p>
</div>{{end}}
</fieldset>
{{if .NeedsFace}}<div data-liveness-box>{{template "selfie" .}}
<p><button type="button" data-send-selfie data-testid="liveness-submit">Send the selfie</button></p>
<p class="hint" aria-live="polite" data-testid="liveness-status">{{if .HasFace}}Liveness check done.{{else}}The liveness check is not done yet.{{end}}</p></div>
{{else if .HasFace}}<p class="hint" data-testid="liveness-status">Liveness check done.</p>{{end}}
{{template "outcome" .}}
<p><button type="button" class="primary" data-finish data-testid="finish">Finish</button>
<button type="button" class="quiet" data-leave data-testid="abandon">Leave without finishing</button></p>
<p class="error" role="alert" data-sdk-error data-testid="sdk-error" hidden></p>
</div>
<script>
(function () {
  "use strict";
  var sdk = document.getElementById("sdk"), err = sdk.querySelector("[data-sdk-error]");
  var fail = function (msg) { err.textContent = msg; err.hidden = false; };
  var done = function (status) {
    var to = sdk.dataset.redirect;
    if (!to) { location.reload(); return; }
    var u = new URL(to);
    u.searchParams.set("sessionId", sdk.dataset.session);
    u.searchParams.set("status", status);
    location.assign(u.toString());
  };
  var s3error = function (text) {
    var m = /<Code>([^<]+)<\/Code>[\s\S]*<Message>([^<]*)<\/Message>/.exec(text || "");
    return m ? m[1] + ": " + m[2] : "the upload failed";
  };
  sdk.querySelectorAll(".slot").forEach(function (slot) {
    var input = slot.querySelector("input"), status = slot.querySelector("[aria-live]");
    input.addEventListener("change", function () {
      if (!input.files.length) return;
      var form = JSON.parse(slot.dataset.form), body = new FormData();
      Object.keys(form.fields).forEach(function (k) { body.append(k, form.fields[k]); });
      body.append("file", input.files[0]);
      status.textContent = "Uploading…";
      fetch(form.url, { method: "POST", body: body }).then(function (r) {
        if (r.ok) { status.textContent = "Uploaded."; return; }
        return r.text().then(function (t) { status.textContent = "Not uploaded: " + s3error(t) + "."; });
      }).catch(function () { status.textContent = "Not uploaded: the network failed."; });
    });
  });
  var send = sdk.querySelector("[data-send-selfie]");
  if (send) send.addEventListener("click", function () {
    var box = sdk.querySelector("[data-liveness-box]"), file = box.querySelector("input[type=file]").files[0];
    var status = box.querySelector("[data-testid=liveness-status]");
    if (!file) { status.textContent = "Take the selfie first."; return; }
    fetch(sdk.dataset.liveness, { method: "POST", headers: { "Content-Type": file.type || "image/jpeg" }, body: file }).then(function (r) {
      return r.json().then(function (v) {
        status.textContent = r.ok ? "Liveness check done." : "Liveness failed: " + (v.message || r.status) + ".";
      });
    }).catch(function () { status.textContent = "Liveness failed: the network failed."; });
  });
  sdk.querySelector("[data-finish]").addEventListener("click", function () {
    err.hidden = true;
    var picked = sdk.querySelector("input[name=outcome]:checked"), outcome = picked ? picked.value : "scenario";
    fetch(sdk.dataset.process, { method: "POST" }).then(function (r) {
      return r.json().then(function (v) {
        if (!r.ok) throw new Error(v.message || ("process answered " + r.status));
        if (outcome === "scenario") return v.session.status;
        var body = new URLSearchParams({ action: "outcome", outcome: outcome });
        return fetch(sdk.dataset.outcome, { method: "POST", body: body }).then(function (o) {
          if (!o.ok) throw new Error("the outcome could not be applied");
          return o.json();
        }).then(function (v2) { return v2.status; });
      });
    }).then(done).catch(function (e) { fail("Could not finish: " + e.message); });
  });
  sdk.querySelector("[data-leave]").addEventListener("click", function () { done("PENDING"); });
})();
</script>
{{else}}
<p class="done" data-testid="done">{{.Done}}</p>
{{with .Redirect}}<p><a href="{{.}}" data-testid="continue">Back to the app</a></p>{{end}}
{{end}}{{end}}`)

var doneText = map[string]string{
	Verifying: "Thank you. Your documents are being checked.",
	Completed: "Your identity is verified.",
	Failed:    "We could not verify your identity.",
	Expired:   "This verification session has expired.",
}

// slotLabels name the files a session asks for.
var slotLabels = map[string]string{
	"front":          "Front of the identity document (or a passport's photo page)",
	"back":           "Back of the identity document",
	"proofOfAddress": "Proof of address (a photo or a PDF)",
	"socialContract": "Articles of association (a photo or a PDF)",
}

type pageSlot struct {
	Name, ID, Label, Accept string
	Form                    string // the presigned upload form, as JSON
	Uploaded                bool
}

type pageData struct {
	hosted.Frame
	ID, Status, Done        string
	Process, Liveness, Self string
	Redirect                string
	Slots                   []pageSlot
	NeedsFace, HasFace      bool
}

// processPath is each kind's API path under /api/v1.
var processPath = map[kind]string{
	kindStandard: "/kyc/individual-verification-sessions/standard/",
	kindEnhanced: "/kyc/individual-verification-sessions/enhanced/",
	kindBusiness: "/kyc/business-verification-sessions/standard/",
}

// redirectOf reads ?redirect=, an absolute http or https URL ("" if none).
func redirectOf(r *http.Request) string {
	v := r.URL.Query().Get("redirect")
	if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return v
}

func (p *Provider) pageOf(r *http.Request, rec *state.Record) pageData {
	s := state.Data[session](rec)
	id := rec.ID
	d := pageData{Frame: hosted.Frame{Title: "Verify your identity", Brand: "Notus Labs"}, ID: id, Status: rec.Status,
		Done: doneText[rec.Status], Redirect: redirectOf(r),
		Process:  provider.BaseURL(r) + "/api/v1" + processPath[kindOf(rec)] + id + "/process",
		Liveness: provider.BaseURL(r) + "/_liveness/" + id, Self: provider.BaseURL(r) + "/_sdk/" + id,
		NeedsFace: s.LivenessRequired && s.Face == nil, HasFace: s.Face != nil}
	if rec.Kind == string(kindBusiness) {
		d.Title = "Verify your company"
	}
	now := p.env.Clock.Now()
	for _, sl := range s.Slots {
		ps := pageSlot{Name: sl.Name, ID: strings.ReplaceAll(sl.Name, ".", "-"), Label: slotLabel(sl.Name),
			Accept: "image/jpeg,image/png,image/webp", Uploaded: sl.Object != nil}
		if !sl.Images {
			ps.Accept += ",application/pdf"
		}
		var f s3post.Form
		p.presign(&f, p.bucketURL(provider.RootURL(r)), rec, &sl, now)
		b, _ := json.Marshal(&f)
		ps.Form = string(b)
		d.Slots = append(d.Slots, ps)
	}
	return d
}

// slotLabel names a slot; an owner's files say whose they are.
func slotLabel(name string) string {
	if rest, ok := strings.CutPrefix(name, "owners."); ok {
		n, file, _ := strings.Cut(rest, ".")
		i, _ := strconv.Atoi(n)
		l := slotLabels[file]
		return fmt.Sprintf("Owner %d: %s%s", i+1, strings.ToLower(l[:1]), l[1:])
	}
	return slotLabels[name]
}

func (p *Provider) page(w http.ResponseWriter, r *http.Request) {
	err := p.onSession(provider.Vars(r)["sessionId"], false, func(_ *state.Tx, rec *state.Record) error {
		w.Header().Set(provider.SessionHeader, rec.ID)
		hosted.Render(w, http.StatusOK, pageTmpl, p.pageOf(r, rec))
		return nil
	})
	if err != nil {
		http.Error(w, "verification session not found", http.StatusNotFound)
	}
}

// pageOutcome applies the test outcome the page chose, once process has
// sent the session to VERIFYING; it answers the session's status as JSON.
func (p *Provider) pageOutcome(w http.ResponseWriter, r *http.Request) {
	if err := hosted.ParseForm(w, r); err != nil || r.PostFormValue("action") != "outcome" {
		http.Error(w, "unknown action", http.StatusBadRequest)
		return
	}
	outcome, oerr := hosted.OutcomeOf(r)
	if oerr != nil || outcome == hosted.OutcomeScenario {
		http.Error(w, "choose approve or reject", http.StatusBadRequest)
		return
	}
	err := p.onSession(provider.Vars(r)["sessionId"], true, func(tx *state.Tx, rec *state.Record) error {
		w.Header().Set(provider.SessionHeader, rec.ID)
		if rec.Status != Verifying {
			return errNotVerifying
		}
		if outcome == hosted.OutcomeApprove {
			p.move(tx, rec, Completed, "page", "")
		} else {
			p.move(tx, rec, Failed, "page", "the identity could not be verified (test outcome chosen on the capture page)")
		}
		provider.WriteJSON(w, http.StatusOK, map[string]string{"status": rec.Status})
		return nil
	})
	switch {
	case errors.Is(err, state.ErrNoRecord):
		http.Error(w, "verification session not found", http.StatusNotFound)
	case errors.Is(err, errNotVerifying):
		http.Error(w, "the session is not being verified", http.StatusConflict)
	case err != nil:
		http.Error(w, "the outcome could not be stored", http.StatusServiceUnavailable)
	}
}

var errNotVerifying = errors.New("the session is not VERIFYING")
