package notus_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

const standard = "/kyc/individual-verification-sessions/standard"

func TestStandardSessionCompletes(t *testing.T) {
	e := newEnv(t)
	c := e.create(standard, "key-a", person())
	if c.Session.Status != "PENDING" || c.Front == nil || c.Back == nil {
		t.Fatalf("created session: %+v", c)
	}
	e.mustUpload(c.Front, pngBytes)
	e.mustUpload(c.Back, pngBytes)

	// process needs no API key: the browser calls it.
	r := e.do(http.MethodPost, e.api+standard+"/"+c.Session.ID+"/process", "", nil)
	if r.status != http.StatusOK {
		t.Fatalf("process: %d %s", r.status, r.body)
	}
	if s := r.json(t)["session"].(map[string]any); s["status"] != "VERIFYING" {
		t.Fatalf("after process: %v", s["status"])
	}
	if s := e.status(standard, "key-a", c.Session.ID); s["status"] != "VERIFYING" || s["individualId"] != nil {
		t.Fatalf("while verifying: %v", s)
	}
	e.advance(2 * time.Second)
	s := e.status(standard, "key-a", c.Session.ID)
	if s["status"] != "COMPLETED" {
		t.Fatalf("after review: %v", s["status"])
	}
	individual, _ := s["individualId"].(string)
	if individual == "" {
		t.Fatal("COMPLETED session has no individualId")
	}
	if doc := s["document"].(map[string]any); doc["type"] != "CNH" {
		t.Errorf("document.type = %v, want CNH for a Brazilian driver's license", doc["type"])
	}

	// The identity now has financial limits.
	lim := e.do(http.MethodGet, e.api+"/kyc/identities/"+individual+"/financial-limits", "key-a", nil)
	if lim.status != http.StatusOK {
		t.Fatalf("financial limits: %d %s", lim.status, lim.body)
	}
	if m := lim.json(t); m["identityType"] != "individual" || len(m["limits"].([]any)) != 2 {
		t.Fatalf("limits: %v", m)
	}

	// A second session for the same document gets the same individual.
	c2 := e.create(standard, "key-a", person())
	e.mustUpload(c2.Front, pngBytes)
	e.mustUpload(c2.Back, pngBytes)
	e.do(http.MethodPost, e.api+standard+"/"+c2.Session.ID+"/process", "", nil)
	e.advance(2 * time.Second)
	if s2 := e.status(standard, "key-a", c2.Session.ID); s2["individualId"] != individual {
		t.Fatalf("second session individualId = %v, want %v", s2["individualId"], individual)
	}
}

func TestDocumentURLsServeTheUploadedFiles(t *testing.T) {
	e := newEnv(t)
	body := person()
	body["livenessRequired"] = true
	c := e.create(standard, "key-a", body)
	front := append([]byte(nil), pngBytes...)
	back := append(append([]byte(nil), pngBytes...), 'B')
	e.mustUpload(c.Front, front)
	e.mustUpload(c.Back, back)

	// Liveness: the emulator's stand-in for the liveness SDK.
	if r := e.do(http.MethodPost, e.srv.URL+"/notus/_liveness/"+c.Session.ID, "", nil); r.status != http.StatusOK {
		t.Fatalf("liveness: %d %s", r.status, r.body)
	}
	r := e.do(http.MethodPost, e.api+"/admin/kyc/verification-sessions/document-urls", "key-a",
		map[string]any{"sessionId": c.Session.ID, "sessionType": "STANDARD_INDIVIDUAL", "expiresInSeconds": 60})
	if r.status != http.StatusOK {
		t.Fatalf("document-urls: %d %s", r.status, r.body)
	}
	urls := r.json(t)
	for name, want := range map[string][]byte{"frontDocumentUrl": front, "backDocumentUrl": back} {
		got := e.do(http.MethodGet, urls[name].(string), "", nil)
		if got.status != http.StatusOK || !bytes.Equal(got.body, want) {
			t.Errorf("%s: status %d, %d bytes (want %d)", name, got.status, len(got.body), len(want))
		}
	}
	face := e.do(http.MethodGet, urls["faceImageUrl"].(string), "", nil)
	if face.status != http.StatusOK || face.header.Get("Content-Type") != "image/png" {
		t.Errorf("face image: %d %s", face.status, face.header.Get("Content-Type"))
	}

	// A tampered URL and an expired one are refused the way S3 refuses them.
	tampered := strings.Replace(urls["frontDocumentUrl"].(string), "/front?", "/back?", 1)
	if got := parseS3Error(t, e.do(http.MethodGet, tampered, "", nil)); got.Code != "SignatureDoesNotMatch" {
		t.Errorf("tampered URL: %s", got.Code)
	}
	e.advance(61 * time.Second)
	expired := e.do(http.MethodGet, urls["frontDocumentUrl"].(string), "", nil)
	if expired.status != http.StatusForbidden || parseS3Error(t, expired).Message != "Request has expired" {
		t.Errorf("expired URL: %d %s", expired.status, expired.body)
	}
}

func TestPassportNeedsOnlyTheFront(t *testing.T) {
	e := newEnv(t)
	body := person()
	body["documentCategory"] = "PASSPORT"
	c := e.create(standard, "key-a", body)
	if c.Back != nil {
		t.Fatalf("passport session has a back upload: %+v", c.Back)
	}
	e.mustUpload(c.Front, pngBytes)
	if r := e.do(http.MethodPost, e.api+standard+"/"+c.Session.ID+"/process", "", nil); r.status != http.StatusOK {
		t.Fatalf("process: %d %s", r.status, r.body)
	}
}

func TestUnreadablePhotoFails(t *testing.T) {
	e := newEnv(t)
	c := e.create(standard, "key-a", person())
	e.mustUpload(c.Front, pngBytes)
	e.mustUpload(c.Back, []byte("this is not a photo of a document"))
	e.do(http.MethodPost, e.api+standard+"/"+c.Session.ID+"/process", "", nil)
	e.advance(2 * time.Second)
	s := e.status(standard, "key-a", c.Session.ID)
	if s["status"] != "FAILED" || s["individualId"] != nil {
		t.Fatalf("session with an unreadable image: %v", s)
	}
}

func TestSessionExpiresWhenUploadsNeverCome(t *testing.T) {
	e := newEnv(t)
	c := e.create(standard, "key-a", person())
	e.advance(59 * time.Minute)
	if s := e.status(standard, "key-a", c.Session.ID); s["status"] != "PENDING" {
		t.Fatalf("at 59m: %v", s["status"])
	}
	e.advance(time.Minute)
	if s := e.status(standard, "key-a", c.Session.ID); s["status"] != "EXPIRED" {
		t.Fatalf("at 60m: %v", s["status"])
	}
	r := e.do(http.MethodPost, e.api+standard+"/"+c.Session.ID+"/process", "", nil)
	if r.status != http.StatusConflict || r.json(t)["id"] != "SESSION_EXPIRED" {
		t.Fatalf("process an expired session: %d %s", r.status, r.body)
	}
}

func TestControlAPIForcesOutcomes(t *testing.T) {
	e := newEnv(t)
	c := e.create(standard, "key-a", person())
	e.mustUpload(c.Front, pngBytes)
	e.mustUpload(c.Back, pngBytes)
	e.do(http.MethodPost, e.api+standard+"/"+c.Session.ID+"/process", "", nil)

	r := e.do(http.MethodPost, e.srv.URL+"/_emulator/sessions/"+c.Session.ID+"/reject", "", map[string]any{"reason": "document expired"})
	if r.status != http.StatusOK || r.json(t)["status"] != "FAILED" {
		t.Fatalf("force reject: %d %s", r.status, r.body)
	}
	// The review timer no longer applies.
	e.advance(time.Hour)
	if s := e.status(standard, "key-a", c.Session.ID); s["status"] != "FAILED" {
		t.Fatalf("after reject: %v", s["status"])
	}
	// A terminal session refuses further outcomes, in the control API's envelope.
	r = e.do(http.MethodPost, e.srv.URL+"/_emulator/sessions/"+c.Session.ID+"/actions", "", map[string]any{"action": "approve"})
	if r.status != http.StatusConflict {
		t.Fatalf("approve a FAILED session: %d %s", r.status, r.body)
	}
	if got := r.json(t)["error"].(map[string]any)["code"]; got != "action_not_allowed" {
		t.Fatalf("error code %v", got)
	}

	// approve straight from PENDING passes through VERIFYING.
	c2 := e.create(standard, "key-a", person())
	r = e.do(http.MethodPost, e.srv.URL+"/_emulator/sessions/"+c2.Session.ID+"/approve", "", nil)
	if r.status != http.StatusOK {
		t.Fatalf("approve: %d %s", r.status, r.body)
	}
	hist := r.json(t)["history"].([]any)
	if len(hist) != 3 || hist[1].(map[string]any)["to"] != "VERIFYING" || hist[2].(map[string]any)["to"] != "COMPLETED" {
		t.Fatalf("history: %v", hist)
	}
}

func TestEnhancedSessionNeedsLivenessAndProofOfAddress(t *testing.T) {
	e := newEnv(t)
	const enhanced = "/kyc/individual-verification-sessions/enhanced"
	c := e.create(enhanced, "key-a", person())
	if c.Proof == nil {
		t.Fatal("enhanced session has no proof-of-address upload")
	}
	e.mustUpload(c.Front, pngBytes)
	e.mustUpload(c.Back, pngBytes)
	r := e.do(http.MethodPost, e.api+enhanced+"/"+c.Session.ID+"/process", "", nil)
	if r.status != http.StatusUnprocessableEntity || r.json(t)["id"] != "DOCUMENTS_NOT_UPLOADED" {
		t.Fatalf("process without proof: %d %s", r.status, r.body)
	}
	e.mustUpload(c.Proof, pdfBytes)
	r = e.do(http.MethodPost, e.api+enhanced+"/"+c.Session.ID+"/process", "", nil)
	if r.status != http.StatusUnprocessableEntity || r.json(t)["id"] != "LIVENESS_NOT_COMPLETED" {
		t.Fatalf("process without liveness: %d %s", r.status, r.body)
	}
	e.do(http.MethodPost, e.srv.URL+"/notus/_liveness/"+c.Session.ID, "", nil)
	if r := e.do(http.MethodPost, e.api+enhanced+"/"+c.Session.ID+"/process", "", nil); r.status != http.StatusOK {
		t.Fatalf("process: %d %s", r.status, r.body)
	}
	e.advance(2 * time.Second)
	if s := e.status(enhanced, "key-a", c.Session.ID); s["status"] != "COMPLETED" {
		t.Fatalf("enhanced: %v", s["status"])
	}
	// The standard path does not know an enhanced session.
	if r := e.do(http.MethodGet, e.api+standard+"/"+c.Session.ID, "key-a", nil); r.status != http.StatusNotFound {
		t.Fatalf("enhanced session on the standard path: %d", r.status)
	}
}

func TestBusinessSession(t *testing.T) {
	e := newEnv(t)
	const business = "/kyc/business-verification-sessions/standard"
	owner := person()
	passport := person()
	passport["documentCategory"] = "PASSPORT"
	passport["documentId"] = "998877"
	r := e.do(http.MethodPost, e.api+business, "key-a", map[string]any{
		"legalName": "Padaria Boa Vista Ltda", "cnpj": "12345678000195", "legalNature": "LTDA",
		"email": "contato@example.com", "phone": "+5511999990000", "owners": []any{owner, passport},
	})
	if r.status != http.StatusCreated {
		t.Fatalf("create business: %d %s", r.status, r.body)
	}
	var c struct {
		Session struct {
			ID string `json:"id"`
		} `json:"session"`
		Proof    form `json:"proofOfAddressUpload"`
		Contract form `json:"socialContractUpload"`
		Owners   []struct {
			Front *form `json:"frontDocumentUpload"`
			Back  *form `json:"backDocumentUpload"`
			Proof *form `json:"proofOfAddressUpload"`
		} `json:"ownersUploads"`
	}
	if err := json.Unmarshal(r.body, &c); err != nil {
		t.Fatal(err)
	}
	if len(c.Owners) != 2 || c.Owners[1].Back != nil {
		t.Fatalf("owner uploads: %+v", c.Owners)
	}
	e.mustUpload(&c.Proof, pdfBytes)
	e.mustUpload(&c.Contract, pdfBytes)
	for _, o := range c.Owners {
		e.mustUpload(o.Front, pngBytes)
		if o.Back != nil {
			e.mustUpload(o.Back, pngBytes)
		}
		e.mustUpload(o.Proof, pdfBytes)
	}
	if r := e.do(http.MethodPost, e.api+business+"/"+c.Session.ID+"/process", "", nil); r.status != http.StatusOK {
		t.Fatalf("process: %d %s", r.status, r.body)
	}
	e.advance(2 * time.Second)
	s := e.status(business, "key-a", c.Session.ID)
	id, _ := s["businessId"].(string)
	if s["status"] != "COMPLETED" || id == "" {
		t.Fatalf("business session: %v", s)
	}
	lim := e.do(http.MethodGet, e.api+"/kyc/identities/"+id+"/financial-limits", "key-a", nil)
	if lim.status != http.StatusOK || lim.json(t)["identityType"] != "business" {
		t.Fatalf("business limits: %d %s", lim.status, lim.body)
	}
}

func TestHostRoutingWithoutPrefix(t *testing.T) {
	e := newEnv(t)
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/v1"+standard, strings.NewReader(`{"firstName":"A","lastName":"B","birthDate":"1990-01-02","documentCategory":"PASSPORT","documentCountry":"BRAZIL","documentId":"1"}`))
	req.Host = "api.notus.team"
	req.Header.Set("x-api-key", "key-a")
	req.Header.Set("Content-Type", "application/json")
	r := e.send(req)
	if r.status != http.StatusCreated {
		t.Fatalf("host-routed create: %d %s", r.status, r.body)
	}
	if url := r.json(t)["frontDocumentUpload"].(map[string]any)["url"]; url != "http://api.notus.team/notus-kyc-documents" {
		t.Fatalf("upload URL under host routing: %v", url)
	}
}

func TestTenantsAreIsolated(t *testing.T) {
	e := newEnv(t)
	c := e.create(standard, "key-a", person())
	if r := e.do(http.MethodGet, e.api+standard+"/"+c.Session.ID, "key-b", nil); r.status != http.StatusNotFound {
		t.Fatalf("other tenant sees the session: %d", r.status)
	}
	e.create(standard, "key-b", person())
	r := e.do(http.MethodGet, e.srv.URL+"/_emulator/sessions?tenant=key-a", "", nil)
	if n := r.json(t)["total"]; n != float64(1) {
		t.Fatalf("key-a sessions: %v", n)
	}
	// Resetting one tenant leaves the other.
	e.do(http.MethodPost, e.srv.URL+"/_emulator/reset", "", map[string]any{"tenant": "key-a"})
	if r := e.do(http.MethodGet, e.api+standard+"/"+c.Session.ID, "key-a", nil); r.status != http.StatusNotFound {
		t.Fatalf("session survived its tenant's reset: %d", r.status)
	}
	if n := e.do(http.MethodGet, e.srv.URL+"/_emulator/sessions", "", nil).json(t)["total"]; n != float64(1) {
		t.Fatalf("sessions after reset: %v", n)
	}
}

func TestSeedMakesRunsRepeatable(t *testing.T) {
	ids := func() []string {
		e := newEnv(t)
		var out []string
		for _, key := range []string{"key-a", "key-b", "key-a"} {
			out = append(out, e.create(standard, key, person()).Session.ID)
		}
		return out
	}
	a, b := ids(), ids()
	if strings.Join(a, ",") != strings.Join(b, ",") {
		t.Fatalf("same seed, different ids:\n%v\n%v", a, b)
	}
}

func TestJournalRecordsRequests(t *testing.T) {
	e := newEnv(t)
	e.create(standard, "key-a", person())
	e.do(http.MethodGet, e.api+standard+"/00000000-0000-4000-8000-000000000000", "key-a", nil)
	r := e.do(http.MethodGet, e.srv.URL+"/_emulator/requests?provider=notus&tenant=key-a", "", nil)
	reqs := r.json(t)["requests"].([]any)
	if len(reqs) != 2 {
		t.Fatalf("journal: %s", r.body)
	}
	first, second := reqs[0].(map[string]any), reqs[1].(map[string]any)
	if first["operation"] != "createStandardIndividualSession" || first["status"] != float64(201) || first["requestBody"] == nil {
		t.Errorf("first entry: %v", first)
	}
	if second["status"] != float64(404) {
		t.Errorf("second entry: %v", second)
	}
}

func TestSpecIsServed(t *testing.T) {
	e := newEnv(t)
	r := e.do(http.MethodGet, e.srv.URL+"/_emulator/specs/notus", "", nil)
	if r.status != http.StatusOK || !bytes.HasPrefix(r.body, []byte("openapi: 3.0.3")) {
		t.Fatalf("spec: %d %.40s", r.status, r.body)
	}
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/_emulator/specs/notus", nil)
	req.Header.Set("Accept", "application/json")
	j := e.send(req)
	if j.status != http.StatusOK || j.json(t)["openapi"] != "3.0.3" {
		t.Fatalf("spec as JSON: %d", j.status)
	}
}
