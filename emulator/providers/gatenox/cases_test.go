package gatenox_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strings"
	"testing"
	"time"
)

// newCase invites a person, lets them submit through the page and returns
// the case id.
func newCase(c *client, email string) string {
	c.e.t.Helper()
	return c.complete(c.inviteOne(email))
}

// TestRevisions: every change adds a revision; timestamp= answers the case
// as it was then.
func TestRevisions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client("company-token-1")
	e.settings(c.token, map[string]any{"autoSubmit": false})
	caseID := newCase(c, "rev@example.com")
	created := t0.Unix()
	e.advance(10 * time.Second)
	c.state(caseID, "start")
	e.advance(10 * time.Second)
	c.state(caseID, "qa", field{"assessment", "risk_low"}, field{"assessment_comment", "fine"})
	// Two changes within one second collapse into one revision.
	c.state(caseID, "back_to_compliance")
	c.state(caseID, "qa")
	e.advance(10 * time.Second)
	c.state(caseID, "complete")

	now := c.getCase(caseID)
	ts := now.list("verification_individual", "revision_timestamps")
	equal(t, "revision_timestamps", ts, []any{float64(created), float64(created + 10), float64(created + 20), float64(created + 30)})
	equal(t, "status now", now.str("verification_individual", "status"), "completed")

	for _, tc := range []struct {
		at     int64
		status string
		asmt   any
	}{
		{created, "new", nil},
		{created + 5, "new", nil},
		{created + 10, "in_progress", nil},
		{created + 20, "qa", "risk_low"},
		{created + 29, "qa", "risk_low"},
		{created + 30, "completed", "risk_low"},
		{created + 1000, "completed", "risk_low"},
	} {
		r := c.getCase(caseID, fmt.Sprintf("timestamp=%d", tc.at))
		v := r.get("verification_individual").(map[string]any)
		equal(t, fmt.Sprintf("status at +%d", tc.at-created), v["status"], tc.status)
		equal(t, fmt.Sprintf("assessment at +%d", tc.at-created), v["assessment"], tc.asmt)
		equal(t, "revision_timestamps of an old revision", len(v["revision_timestamps"].([]any)), 4)
	}
	r := c.do(http.MethodGet, "/api/v1/verification_individuals/"+caseID+"?timestamp="+fmt.Sprint(created-1), nil)
	equal(t, "before creation", r.status, 404)
	equal(t, "before creation body", r.str("errors", "not_found"), "Couldn't find record")
	r = c.do(http.MethodGet, "/api/v1/verification_individuals/"+caseID+"/addresses?timestamp="+fmt.Sprint(created-1), nil)
	equal(t, "addresses before creation", r.status, 404)
	r = c.do(http.MethodGet, "/api/v1/verification_individuals/"+caseID+"/addresses?timestamp="+fmt.Sprint(created), nil)
	equal(t, "addresses at creation", len(r.list("addresses")), 1)
}

// TestPersonAddressesAndAttachments reads the person with their documents
// and downloads every attachment URL the way Gatenox documents: the last
// URL segment passed to GET /api/v1/attachments/{rest}.
func TestPersonAddressesAndAttachments(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client("company-token-1")
	e.settings(c.token, map[string]any{"autoSubmit": false})
	caseID := newCase(c, "pia@example.com")

	p := c.do(http.MethodGet, "/api/v1/verification_individuals/"+caseID+"/people", nil)
	if p.status != 200 {
		t.Fatalf("people: %d %s", p.status, p.raw)
	}
	ps := p.get("person").(map[string]any)
	k := c.getCase(caseID).get("verification_individual").(map[string]any)
	equal(t, "entity_name", k["entity_name"], fmt.Sprint(ps["given_names"], " ", ps["surname"]))
	equal(t, "entity_identifier is the date of birth", k["entity_identifier"], ps["date_of_birth"])
	equal(t, "person email", ps["email"], "pia@example.com")
	equal(t, "personal_verification.state", p.str("person", "personal_verification", "state"), "completed")
	home, _ := p.get("person", "address_of_residence").(map[string]any)
	if home == nil {
		t.Fatalf("address_of_residence is not the address object: %s", p.raw)
	}
	equal(t, "address country is the nationality", home["country"], ps["nationality"])

	as := c.do(http.MethodGet, "/api/v1/verification_individuals/"+caseID+"/addresses", nil)
	equal(t, "addresses", len(as.list("addresses")), 1)
	equal(t, "address id", as.str("addresses", "0", "id"), home["id"])
	one := c.do(http.MethodGet, "/api/v1/verification_individuals/"+caseID+"/addresses/"+home["id"].(string), nil)
	equal(t, "one address", one.str("address", "line_1"), home["line_1"])
	miss := c.do(http.MethodGet, "/api/v1/verification_individuals/"+caseID+"/addresses/00000000-0000-4000-8000-000000000000", nil)
	equal(t, "unknown address", miss.status, 404)
	equal(t, "unknown address body", miss.str("errors", "not_found"), "Couldn't find record")

	docs := p.list("person", "documents")
	equal(t, "documents", len(docs), 2)
	wantTypes := map[string]string{"passport": "image/png", "recent_utility_bill": "application/pdf"}
	magic := map[string][]byte{"image/png": []byte("\x89PNG\r\n\x1a\n"), "application/pdf": []byte("%PDF-")}
	for _, d := range docs {
		doc := d.(map[string]any)["document"].(map[string]any)
		typ := doc["document_type"].(string)
		atts := doc["attachments"].([]any)
		equal(t, typ+" attachments", len(atts), 1)
		att := atts[0].(map[string]any)
		equal(t, typ+" attachment_type", att["attachment_type"], "main")
		equal(t, typ+" mime", att["mime"], wantTypes[typ])
		urls := att["urls"].(map[string]any)
		for _, which := range []string{"original", "medium", "thumb"} {
			u := urls[which].(string)
			rest := path.Base(u)
			raw, err := base64.RawURLEncoding.DecodeString(rest)
			if err != nil || strings.Contains(rest, "=") {
				t.Fatalf("%s %s URL segment is not unpadded base64url: %v", typ, which, err)
			}
			var ref struct {
				ID       string `json:"id"`
				Storage  string `json:"storage"`
				Metadata struct {
					Filename string `json:"filename"`
					Size     int    `json:"size"`
					MimeType string `json:"mime_type"`
				} `json:"metadata"`
			}
			if err := json.Unmarshal(raw, &ref); err != nil {
				t.Fatalf("segment is not JSON: %v", err)
			}
			wantStorage := "thumbs"
			if which == "original" {
				wantStorage = "store"
			}
			equal(t, which+" storage", ref.Storage, wantStorage)
			if !strings.HasSuffix(ref.ID, path.Ext(ref.Metadata.Filename)) || len(strings.TrimSuffix(ref.ID, path.Ext(ref.ID))) != 32 {
				t.Errorf("%s id %q is not <hex>.<ext> of %q", which, ref.ID, ref.Metadata.Filename)
			}
			dl := c.do(http.MethodGet, "/api/v1/attachments/"+rest, nil)
			if dl.status != 200 {
				t.Fatalf("download %s %s: %d %s", typ, which, dl.status, dl.raw)
			}
			equal(t, which+" content type", dl.header.Get("Content-Type"), ref.Metadata.MimeType)
			equal(t, which+" size", len(dl.raw), ref.Metadata.Size)
			if !bytes.HasPrefix(dl.raw, magic[ref.Metadata.MimeType]) {
				t.Errorf("%s %s is not a %s file", typ, which, ref.Metadata.MimeType)
			}
			if which == "original" {
				equal(t, "filesize", int(att["filesize"].(float64)), len(dl.raw))
			}
			// The URL itself works too, with the token.
			req, _ := http.NewRequest(http.MethodGet, u, nil)
			req.Header.Set("Authorization", "Bearer "+c.token)
			if r := e.send(req); r.status != 200 || !bytes.Equal(r.raw, dl.raw) {
				t.Errorf("GET %s URL: %d", which, r.status)
			}
			// Another company cannot download it.
			if r := e.client("other-company").do(http.MethodGet, "/api/v1/attachments/"+rest, nil); r.status != 404 {
				t.Errorf("another company downloaded a file: %d", r.status)
			}
		}
	}
	for _, rest := range []string{"nope", base64.RawURLEncoding.EncodeToString([]byte(`{"id":"0123.png","storage":"store"}`)), "%25%25"} {
		r := c.do(http.MethodGet, "/api/v1/attachments/"+rest, nil)
		equal(t, "unknown attachment", r.status, 404)
		equal(t, "unknown attachment code", r.get("error", "code"), float64(404))
	}
}

// TestAuditLog checks the documented field names and who did what.
func TestAuditLog(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client("company-token-1")
	e.settings(c.token, map[string]any{"autoSubmit": false})
	inv := c.inviteOne("al@example.com")
	caseID := c.complete(inv)
	st := c.state(caseID, "start")
	r := c.do(http.MethodGet, "/api/v1/verification_individuals/"+caseID+"/audit_log", nil)
	if r.status != 200 {
		t.Fatalf("audit_log: %d %s", r.status, r.raw)
	}
	audits := r.list("audit_log", "audits")
	var actions []string
	for _, a := range audits {
		actions = append(actions, a.(map[string]any)["action"].(string))
	}
	equal(t, "actions", actions, []string{"create", "sanctions_check", "update"})
	create := audits[0].(map[string]any)
	equal(t, "create auditable", create["auditable_type"], "Review")
	equal(t, "create auditable_id", create["auditable_id"], caseID)
	equal(t, "create by the person", create["user_type"], "KYCAccessToken")
	equal(t, "create user_id", create["user_id"], inv["id"])
	equal(t, "create version", create["version"], float64(1))
	sc := audits[1].(map[string]any)
	if !strings.Contains(fmt.Sprint(sc["comment"]), "OFAC SDN") {
		t.Errorf("sanctions_check comment %v does not list the sources", sc["comment"])
	}
	if _, isObject := sc["comment"].(map[string]any); !isObject {
		t.Errorf("sanctions_check comment %v is not an object", sc["comment"])
	}
	if _, isString := sc["request_uuid"].(string); !isString {
		t.Errorf("sanctions_check request_uuid %v is not an id", sc["request_uuid"])
	}
	upd := audits[2].(map[string]any)
	equal(t, "update changes", upd["audited_changes"], map[string]any{"status": []any{"new", "in_progress"}})
	equal(t, "update by the API", upd["user_type"], "User")
	equal(t, "update username", upd["username"], "api")
	equal(t, "update request_uuid", upd["request_uuid"], st.header.Get("X-Request-Id"))
	equal(t, "update remote_address", upd["remote_address"], "127.0.0.1")
	equal(t, "update version", upd["version"], float64(3))
	assoc := r.list("audit_log", "associated_audits")
	equal(t, "associated audits", len(assoc), 1)
	a := assoc[0].(map[string]any)
	equal(t, "associated auditable_type", a["auditable_type"], "Verification")
	equal(t, "associated_id", a["associated_id"], caseID)
	equal(t, "associated_type", a["associated_type"], "Review")
}

// TestExternalRiskScore: the case's external risk score record is announced
// by a webhook; the client uploads the score as multipart; a requested
// update waits in recalculate_risk_score until the next upload.
func TestExternalRiskScore(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client("company-token-1")
	rc := e.receiver()
	risk := e.receiver()
	c.useReceiver(rc.URL)
	e.settings(c.token, map[string]any{"autoSubmit": false, "riskWebhookURL": risk.URL + "/risk"})
	caseID := newCase(c, "rs@example.com")
	hs := risk.wait(t, 1)
	equal(t, "event", hs[0].str("event"), "external_risk_score_requested")
	equal(t, "verification_id", hs[0].str("verification_id"), caseID)
	scoreID := hs[0].str("external_risk_score_id")
	k := c.getCase(caseID)
	equal(t, "record id", k.str("verification_individual", "external_risk_score", "id"), scoreID)
	equal(t, "empty score", k.get("verification_individual", "external_risk_score", "risk_score_detailed"), nil)

	e.advance(time.Minute)
	up := c.form("/api/v1/webhooks/external_risk_score", field{"id", scoreID}, field{"risk_score[simple]", "low"},
		field{"risk_score[detailed][score]", "99%"}, field{"risk_score[detailed][reasons][]", "no adverse media"},
		field{"risk_score[detailed][reasons][]", "low-risk country"})
	if up.status != 200 {
		t.Fatalf("upload: %d %s", up.status, up.raw)
	}
	s := up.get("external_risk_score").(map[string]any)
	equal(t, "simple", s["risk_score_simple"], "low")
	equal(t, "detailed", s["risk_score_detailed"], map[string]any{"score": "99%", "reasons": []any{"no adverse media", "low-risk country"}})
	equal(t, "verification_id", s["verification_id"], caseID)
	equal(t, "updated_at", s["updated_at"], "2026-03-02T09:01:00.000Z")
	k = c.getCase(caseID)
	equal(t, "score on the case", k.get("verification_individual", "external_risk_score", "risk_score_detailed", "score"), "99%")
	equal(t, "revisions", len(k.list("verification_individual", "revision_timestamps")), 2)

	// A risk score update request (through the control API) sends the case
	// to recalculate_risk_score with a fresh record; the upload ends it.
	c.state(caseID, "start")
	if r := e.act(caseID, "request_risk_score_update"); r.status != 200 {
		t.Fatalf("request update: %d %s", r.status, r.raw)
	}
	equal(t, "waiting", c.getCase(caseID).str("verification_individual", "status"), "recalculate_risk_score")
	hs = risk.wait(t, 2)
	second := hs[1].str("external_risk_score_id")
	if second == scoreID || second == "" {
		t.Fatalf("no new record: %q", second)
	}
	up = c.form("/api/v1/webhooks/external_risk_score", field{"id", second}, field{"risk_score[detailed][score]", "40%"})
	equal(t, "second upload", up.status, 200)
	equal(t, "no reasons", up.get("external_risk_score", "risk_score_detailed", "reasons"), []any{})
	equal(t, "no simple score", up.get("external_risk_score", "risk_score_simple"), nil)
	equal(t, "back in progress", c.getCase(caseID).str("verification_individual", "status"), "in_progress")
	equal(t, "state changes", stateChanges(rc.wait(t, 4), caseID),
		[]string{"processing→new", "new→in_progress", "in_progress→recalculate_risk_score", "recalculate_risk_score→in_progress"})
	for _, h := range rc.hooks(t) {
		if h.str("event") != "state_change" {
			t.Errorf("%s went to the company endpoint, not the risk URL", h.str("event"))
		}
	}

	// The documented 400s, and an unknown record.
	bad := c.form("/api/v1/webhooks/external_risk_score", field{"id", scoreID}, field{"risk_score[simple]", "low"})
	equal(t, "missing detailed status", bad.status, 400)
	equal(t, "missing detailed body", string(bytes.TrimSpace(bad.raw)), `{"errors":{"risk_score":["detailed",["is missing"]]}}`)
	bad = c.form("/api/v1/webhooks/external_risk_score", field{"risk_score[detailed][score]", "1%"})
	equal(t, "missing id", string(bytes.TrimSpace(bad.raw)), `{"errors":{"id":["is missing"]}}`)
	bad = c.form("/api/v1/webhooks/external_risk_score", field{"id", scoreID}, field{"risk_score[simple]", "extreme"},
		field{"risk_score[detailed][score]", "1%"})
	equal(t, "bad simple", string(bytes.TrimSpace(bad.raw)), `{"errors":{"risk_score":["simple",["is not included in the list"]]}}`)
	bad = c.form("/api/v1/webhooks/external_risk_score", field{"id", "7c0c8a8e-7a51-4a11-9d5e-9b1f8a0e0e0e"}, field{"risk_score[detailed][score]", "1%"})
	equal(t, "unknown id", bad.status, 404)
	bad = e.client("other-company").form("/api/v1/webhooks/external_risk_score", field{"id", scoreID}, field{"risk_score[detailed][score]", "1%"})
	equal(t, "another company's record", bad.status, 404)
}

// TestStateBodies: the state endpoints take URL-encoded forms and flat JSON
// as well as multipart.
func TestStateBodies(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client("company-token-1")
	e.settings(c.token, map[string]any{"autoSubmit": false})
	caseID := newCase(c, "sb@example.com")
	c.state(caseID, "start")
	q := url.Values{"assessment": {"risk_high"}, "assessment_comment": {"url-encoded"}}
	r := c.do(http.MethodPost, "/api/v1/verification_individuals/"+caseID+"/state/qa", q.Encode(),
		"Content-Type", "application/x-www-form-urlencoded")
	equal(t, "url-encoded", r.str("verification", "assessment_comment"), "url-encoded")
	r = c.do(http.MethodPost, "/api/v1/verification_individuals/"+caseID+"/state/complete",
		map[string]string{"assessment": "risk_medium", "assessment_comment": "json"})
	equal(t, "json", r.str("verification", "assessment"), "risk_medium")
	equal(t, "json status", r.str("verification", "status"), "completed")
	r = c.do(http.MethodPost, "/api/v1/verification_individuals/"+caseID+"/state/reopen", nil)
	equal(t, "empty body", r.str("verification", "status"), "in_progress")
}
