package b2core_test

import (
	"bytes"
	"encoding/base64"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
)

// checkEnvelope asserts B2Core's error envelope: code repeats the status,
// a message, errors naming the field, and no echo of a submitted secret.
func checkEnvelope(t *testing.T, r response, status int, field, secret string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	m := r.json(t)
	if m["code"] != float64(status) {
		t.Errorf("code %v, want %d", m["code"], status)
	}
	if msg, _ := m["message"].(string); msg == "" {
		t.Error("no message")
	}
	errs, ok := m["errors"].(map[string]any)
	if !ok {
		t.Fatalf("errors is not an object: %s", r.body)
	}
	if field != "" {
		if list, _ := errs[field].([]any); len(list) == 0 {
			t.Errorf("errors lacks %q: %s", field, r.body)
		}
	}
	if secret != "" && bytes.Contains(r.body, []byte(secret)) {
		t.Errorf("the answer repeats the submitted value: %s", r.body)
	}
}

// TestBadInputs sends what careless clients send. Each gets a 4xx in
// B2Core's envelope, never a 5xx, and nothing already stored changes.
func TestBadInputs(t *testing.T) {
	e := newEnv(t)
	// A: Level 1 wizard with step 1 (identity) done, waiting for step 2.
	tokA, _ := e.client("a@example.com")
	wA := e.wizard(tokA)
	e.mustStep(tokA, wA.UUID, 2, e.file(tokA))
	fileA := e.file(tokA)
	// B: Level 1 complete; its wizard uuid is stale.
	tokB, _ := e.client("b@example.com")
	wB := e.walkLevel1(tokB)
	// C: a fresh wizard on step 1.
	tokC, _ := e.client("c@example.com")
	wC := e.wizard(tokC)
	signUpWizard := e.wizardAt(e.api, http.MethodGet, "/my/signup/wizard").UUID
	signInWizard := e.wizardAt(e.api, http.MethodGet, "/my/signin/wizard").UUID

	run := func(typ any, files any, uuid string) map[string]any {
		return map[string]any{"data": map[string]any{"documents": map[string]any{"type": typ, "files": files}, "uuid": uuid}}
	}
	signUp := func(change map[string]any) map[string]any {
		b := map[string]any{"uuid": signUpWizard, "email": "new@example.com", "password": password,
			"password_confirmation": password, "device_fingerprint": fingerprint}
		for k, v := range change {
			if v == nil {
				delete(b, k)
			} else {
				b[k] = v
			}
		}
		return b
	}
	noAgent := base64.StdEncoding.EncodeToString([]byte(`{"agent":"SECRET-UA"}`))
	const unknownUUID = "00000000-0000-4000-8000-000000000000"

	cases := []struct {
		name, method, path, token string
		body                      any
		status                    int
		field, secret             string
	}{
		// Authentication.
		{"no bearer", "GET", "/my/verifications", "", nil, 401, "", ""},
		{"garbage bearer", "GET", "/my/verifications/wizard", "SECRETTOKEN", nil, 401, "", "SECRETTOKEN"},
		{"no bearer on upload", "POST", "/my/files", "", nil, 401, "", ""},
		{"no bearer on sign-out", "POST", "/my/signout", "", nil, 401, "", ""},

		// The verification wizard.
		{"unknown wizard uuid", "POST", "/my/verifications", tokA, run(4, []string{fileA}, unknownUUID), 400, "data.uuid", ""},
		{"sign-in wizard uuid", "POST", "/my/verifications", tokA, run(4, []string{fileA}, signInWizard), 400, "data.uuid", ""},
		{"uuid not a uuid", "POST", "/my/verifications", tokA, run(4, []string{fileA}, "SECRET-not-a-uuid"), 400, "data.uuid", "SECRET-not-a-uuid"},
		{"stale wizard uuid", "POST", "/my/verifications", tokB, run(4, []string{e.file(tokB)}, wB.UUID), 409, "data.uuid", ""},
		{"unknown document type", "POST", "/my/verifications", tokA, run(987654, []string{fileA}, wA.UUID), 400, "data.documents.type", "987654"},
		{"disabled document type", "POST", "/my/verifications", tokC, run(7, []string{e.file(tokC)}, wC.UUID), 400, "data.documents.type", ""},
		{"type of a later step", "POST", "/my/verifications", tokC, run(4, []string{e.file(tokC)}, wC.UUID), 400, "data.documents.type", ""},
		{"type of another level", "POST", "/my/verifications", tokA, run(6, []string{fileA}, wA.UUID), 400, "data.documents.type", ""},
		{"step submitted twice", "POST", "/my/verifications", tokA, run(2, []string{fileA}, wA.UUID), 409, "data.documents.type", ""},
		{"empty files", "POST", "/my/verifications", tokA, run(4, []string{}, wA.UUID), 400, "data.documents.files", ""},
		{"files missing", "POST", "/my/verifications", tokA, map[string]any{"data": map[string]any{"documents": map[string]any{"type": 4}, "uuid": wA.UUID}}, 400, "data.documents.files", ""},
		{"file never uploaded", "POST", "/my/verifications", tokA, run(4, []string{fileA, "documents/SECRET.jpeg"}, wA.UUID), 400, "data.documents.files.1", "SECRET"},
		{"empty file path", "POST", "/my/verifications", tokA, run(4, []string{""}, wA.UUID), 400, "data.documents.files.0", ""},
		{"type not a number", "POST", "/my/verifications", tokA, run("passport-SECRET", []string{fileA}, wA.UUID), 400, "data.documents.type", "passport-SECRET"},
		{"bare form without uuid", "POST", "/my/verifications", tokA, map[string]any{"documents": map[string]any{"type": 4, "files": []string{fileA}}}, 400, "uuid", ""},
		{"bare form without documents", "POST", "/my/verifications", tokA, map[string]any{"uuid": wA.UUID}, 400, "documents", ""},
		{"wrapped form without uuid", "POST", "/my/verifications", tokA, map[string]any{"data": map[string]any{"documents": map[string]any{"type": 4, "files": []string{fileA}}}}, 400, "data.uuid", ""},
		{"not JSON", "POST", "/my/verifications", tokA, "{not json SECRET", 400, "", "SECRET"},
		{"empty body", "POST", "/my/verifications", tokA, "", 400, "", ""},

		// History.
		{"unknown verification", "GET", "/my/verifications/999999999", tokA, nil, 404, "", ""},
		{"verification id not a number", "GET", "/my/verifications/SECRET", tokA, nil, 400, "path.verificationId", "SECRET"},
		{"limit zero", "GET", "/my/verifications?limit=0", tokA, nil, 400, "query.limit", ""},
		{"limit too high", "GET", "/my/verifications?limit=1000", tokA, nil, 400, "query.limit", ""},
		{"negative offset", "GET", "/my/verifications?offset=-1", tokA, nil, 400, "query.offset", ""},
		{"unknown sort field", "GET", "/my/verifications?sort_by=SECRETFIELD", tokA, nil, 400, "query.sort_by", "SECRETFIELD"},
		{"unknown sort order", "GET", "/my/verifications?sort_order=sideways", tokA, nil, 400, "query.sort_order", ""},

		// Sign-up.
		{"passwords differ", "POST", "/my/signup", "", signUp(map[string]any{"password_confirmation": "SECRET-other-pw"}), 400, "password_confirmation", "SECRET-other-pw"},
		{"short password", "POST", "/my/signup", "", signUp(map[string]any{"password": "SECRET1", "password_confirmation": "SECRET1"}), 400, "password", "SECRET1"},
		{"bad email", "POST", "/my/signup", "", signUp(map[string]any{"email": "SECRET-not-an-email"}), 400, "email", "SECRET-not-an-email"},
		{"email taken", "POST", "/my/signup", "", signUp(map[string]any{"email": "A@example.com"}), 400, "email", "a@example.com"},
		{"fingerprint not Base64", "POST", "/my/signup", "", signUp(map[string]any{"device_fingerprint": "SECRET%%%"}), 400, "device_fingerprint", "SECRET%%%"},
		{"fingerprint without user_agent", "POST", "/my/signup", "", signUp(map[string]any{"device_fingerprint": noAgent}), 400, "device_fingerprint", "SECRET-UA"},
		{"unknown sign-up wizard", "POST", "/my/signup", "", signUp(map[string]any{"uuid": unknownUUID}), 400, "uuid", ""},
		{"sign-in wizard used to sign up", "POST", "/my/signup", "", signUp(map[string]any{"uuid": signInWizard}), 400, "uuid", ""},
		{"sign-up without email", "POST", "/my/signup", "", signUp(map[string]any{"email": nil}), 400, "email", ""},

		// Sign-in and tokens.
		{"wrong password", "POST", "/my/signin", "", map[string]any{"uuid": signInWizard, "email": "c@example.com", "password": "SECRET-guess", "device_fingerprint": fingerprint}, 400, "", "SECRET-guess"},
		{"sign-in without fingerprint", "POST", "/my/signin", "", map[string]any{"uuid": signInWizard, "email": "c@example.com", "password": password}, 400, "device_fingerprint", ""},
		{"refresh without token", "POST", "/my/refresh", "", map[string]any{}, 400, "refreshToken", ""},
		{"refresh with garbage", "POST", "/my/refresh", "", map[string]any{"refreshToken": "SECRET-refresh"}, 401, "", "SECRET-refresh"},

		// Routing.
		{"unknown route", "GET", "/my/nothing-here", tokA, nil, 404, "", ""},
		{"wrong method", "DELETE", "/my/verifications", tokA, nil, 405, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkEnvelope(t, e.do(tc.method, e.api+tc.path, tc.token, tc.body), tc.status, tc.field, tc.secret)
		})
	}

	// Nothing already stored moved: A still waits for step 2, B is at Level 1.
	if w := e.wizard(tokA); w.UUID != wA.UUID || w.Code != 200 || w.typeIDs(t)[0] != 4 {
		t.Errorf("A's wizard after the bad inputs: %+v", w)
	}
	if w := e.wizard(tokC); w.UUID != wC.UUID || w.typeIDs(t)[0] != 2 {
		t.Errorf("C's wizard after the bad inputs: %+v", w)
	}
	if h := e.history(tokB, ""); h.Total != 2 {
		t.Errorf("B's history: %+v", h)
	}
	// A finishes normally.
	if last := e.mustStep(tokA, wA.UUID, 5, fileA); last.Code != 202 {
		t.Errorf("A's last step: %+v", last)
	}
}

// TestBadUploads: empty files, missing parts and non-multipart bodies.
func TestBadUploads(t *testing.T) {
	e := newEnv(t, withSmallBodies())
	token, _ := e.client("up@example.com")
	multi := func(field, name string, data []byte) *http.Request {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		if field != "" {
			fw, _ := mw.CreateFormFile(field, name)
			_, _ = fw.Write(data)
		}
		_ = mw.Close()
		req, _ := http.NewRequest(http.MethodPost, e.api+"/my/files", &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("Authorization", "Bearer "+token)
		return req
	}
	jsonReq, _ := http.NewRequest(http.MethodPost, e.api+"/my/files", strings.NewReader(`{"file":"x"}`))
	jsonReq.Header.Set("Content-Type", "application/json")
	jsonReq.Header.Set("Authorization", "Bearer "+token)
	cases := []struct {
		name   string
		req    *http.Request
		status int
		field  string
	}{
		{"empty file", multi("file", "empty.jpeg", nil), 400, "file"},
		{"no file part", multi("", "", nil), 400, "file"},
		{"wrong part name", multi("document", "id.jpeg", jpegBytes), 400, ""},
		{"JSON instead of multipart", jsonReq, 400, ""},
		{"too large", multi("file", "big.jpeg", bytes.Repeat([]byte{0xff}, 64<<10)), 413, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkEnvelope(t, e.send(tc.req), tc.status, tc.field, "")
		})
	}
	// A good upload answers the path, the bare name and the sniffed type.
	r := e.must(e.upload(e.api, token, `C:\scans\passport.JPG`, jpegBytes), http.StatusCreated, "upload")
	m := r.json(t)
	if p, _ := m["path"].(string); !strings.HasPrefix(p, "documents/") || !strings.HasSuffix(p, ".jpg") ||
		m["name"] != "passport.JPG" || m["mimeType"] != "image/jpeg" || m["size"] != float64(len(jpegBytes)) {
		t.Fatalf("upload answer: %s", r.body)
	}
}
