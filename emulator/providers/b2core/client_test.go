package b2core_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kycemu/kycemu/emulator"
	"github.com/kycemu/kycemu/testkit"
)

// t0 is where every test's manual clock starts.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// jpegBytes starts like a JPEG photo.
var jpegBytes = []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9")

// fingerprint is a device fingerprint as B2Core documents it: Base64 of a
// JSON object holding user_agent.
var fingerprint = base64.StdEncoding.EncodeToString([]byte(`{"user_agent":"Mozilla/5.0 (kycemu test)"}`))

const (
	password   = "correct horse battery"
	terminate  = `B2B\TCA\Wizards\Workflow\TerminateWorkflow`
	defaultAPI = "/b2core/api/v2"
)

type env struct {
	t    testing.TB
	emu  *emulator.Emulator
	http *http.Client
	api  string // base URL of the B2Core API, documented prefix
	root string // server root, for the control API
}

func newEnv(t testing.TB, opts ...emulator.Option) *env {
	t.Helper()
	srv := testkit.Start(t, testkit.WithManualClock(t0), testkit.WithSeed(1), testkit.WithEmulatorOptions(opts...))
	return &env{t: t, emu: srv.Emulator(), http: srv.Client(), api: srv.URL + defaultAPI, root: srv.URL}
}

func (e *env) advance(d time.Duration) {
	e.t.Helper()
	if err := e.emu.Advance(d); err != nil {
		e.t.Fatal(err)
	}
}

// response is a decoded HTTP answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object (status %d): %s", r.status, r.body)
	}
	return m
}

func (r response) into(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode (status %d): %v: %s", r.status, err, r.body)
	}
}

// do sends a JSON request; body may be a string (sent verbatim) or any
// value (marshalled). token, when set, goes in the Bearer header.
func (e *env) do(method, url, token string, body any) response {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		switch b := body.(type) {
		case string:
			rd = strings.NewReader(b)
		default:
			j, err := json.Marshal(b)
			if err != nil {
				e.t.Fatal(err)
			}
			rd = bytes.NewReader(j)
		}
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.send(req)
}

func (e *env) send(req *http.Request) response {
	e.t.Helper()
	resp, err := e.http.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func (e *env) must(r response, status int, what string) response {
	e.t.Helper()
	if r.status != status {
		e.t.Fatalf("%s: status %d, want %d: %s", what, r.status, status, r.body)
	}
	return r
}

// wizardAnswer is B2Core's wizard envelope.
type wizardAnswer struct {
	Code     int             `json:"code"`
	Data     json.RawMessage `json:"data"`
	Done     bool            `json:"done"`
	UUID     string          `json:"uuid"`
	Workflow string          `json:"workflow"`
}

type docType struct {
	ID          int            `json:"id"`
	Description string         `json:"description"`
	Enabled     bool           `json:"enabled"`
	Example     string         `json:"example"`
	Group       map[string]any `json:"group"`
}

// types returns the document types of a verification wizard answer.
func (w wizardAnswer) types(t testing.TB) []docType {
	t.Helper()
	var d struct {
		Types []docType `json:"types"`
	}
	if err := json.Unmarshal(w.Data, &d); err != nil {
		t.Fatalf("wizard data: %v: %s", err, w.Data)
	}
	return d.Types
}

func (w wizardAnswer) typeIDs(t testing.TB) []int {
	t.Helper()
	var ids []int
	for _, d := range w.types(t) {
		ids = append(ids, d.ID)
	}
	return ids
}

func (e *env) wizardAt(api, method, path string) wizardAnswer {
	e.t.Helper()
	var w wizardAnswer
	e.must(e.do(method, api+path, "", nil), http.StatusOK, method+" "+path).into(e.t, &w)
	return w
}

// signUp registers email through the sign-up wizard and returns the client id.
func (e *env) signUp(email string) int {
	e.t.Helper()
	w := e.wizardAt(e.api, http.MethodPost, "/my/signup/wizard")
	r := e.must(e.do(http.MethodPost, e.api+"/my/signup", "", map[string]any{
		"uuid": w.UUID, "email": email, "password": password, "password_confirmation": password,
		"device_fingerprint": fingerprint,
	}), http.StatusOK, "sign up")
	var out struct {
		Code int `json:"code"`
		Data struct {
			ClientID int `json:"clientId"`
		} `json:"data"`
	}
	r.into(e.t, &out)
	if out.Data.ClientID == 0 {
		e.t.Fatalf("sign up: no clientId: %s", r.body)
	}
	return out.Data.ClientID
}

type tokenAnswer struct {
	Token     string `json:"token"`
	CreatedAt string `json:"createdAt"`
	ExpiresAt string `json:"expiresAt"`
}

type tokens struct {
	Access  tokenAnswer `json:"accessToken"`
	Refresh tokenAnswer `json:"refreshToken"`
}

// signInAttempt runs the sign-in wizard once with the given password.
func (e *env) signInAttempt(email, pw string) response {
	e.t.Helper()
	w := e.wizardAt(e.api, http.MethodGet, "/my/signin/wizard")
	return e.do(http.MethodPost, e.api+"/my/signin", "", map[string]any{
		"uuid": w.UUID, "email": email, "password": pw, "device_fingerprint": fingerprint,
	})
}

// signIn signs in and returns the token pair.
func (e *env) signIn(email string) tokens {
	e.t.Helper()
	r := e.must(e.signInAttempt(email, password), http.StatusOK, "sign in")
	var out struct {
		Code int    `json:"code"`
		Done bool   `json:"done"`
		Data tokens `json:"data"`
	}
	r.into(e.t, &out)
	if out.Code != 202 || !out.Done || out.Data.Access.Token == "" || out.Data.Refresh.Token == "" {
		e.t.Fatalf("sign in answer: %s", r.body)
	}
	return out.Data
}

// client signs up and in, returning the access token and the client id.
func (e *env) client(email string) (string, int) {
	e.t.Helper()
	id := e.signUp(email)
	return e.signIn(email).Access.Token, id
}

// upload posts a multipart file and returns the answer.
func (e *env) upload(api, token, name string, data []byte) response {
	e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		e.t.Fatal(err)
	}
	_, _ = fw.Write(data)
	_ = mw.Close()
	req, err := http.NewRequest(http.MethodPost, api+"/my/files", &buf)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.send(req)
}

// file uploads a document image and returns its path.
func (e *env) file(token string) string {
	e.t.Helper()
	r := e.must(e.upload(e.api, token, "passport.jpeg", jpegBytes), http.StatusCreated, "upload")
	var out struct {
		Path string `json:"path"`
	}
	r.into(e.t, &out)
	return out.Path
}

// wizard initializes (or resumes) the verification wizard.
func (e *env) wizard(token string) wizardAnswer {
	e.t.Helper()
	var w wizardAnswer
	e.must(e.do(http.MethodGet, e.api+"/my/verifications/wizard", token, nil), http.StatusOK, "verification wizard").into(e.t, &w)
	return w
}

// step submits one wizard step in the documented wrapped form.
func (e *env) step(token, uuid string, typ int, files ...string) response {
	e.t.Helper()
	return e.do(http.MethodPost, e.api+"/my/verifications", token, map[string]any{
		"data": map[string]any{"documents": map[string]any{"type": typ, "files": files}, "uuid": uuid},
	})
}

func (e *env) mustStep(token, uuid string, typ int, files ...string) wizardAnswer {
	e.t.Helper()
	var w wizardAnswer
	e.must(e.step(token, uuid, typ, files...), http.StatusOK, "wizard step").into(e.t, &w)
	return w
}

type levelRef struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

type grant struct {
	ID            int       `json:"id"`
	ClientID      int       `json:"clientId"`
	CurrentLevel  levelRef  `json:"currentLevel"`
	PreviousLevel *levelRef `json:"previousLevel"`
	Reason        struct {
		Name string `json:"name"`
	} `json:"reason"`
	UserID     int    `json:"userId"`
	CreateTime string `json:"createTime"`
}

type history struct {
	Total int     `json:"total"`
	Data  []grant `json:"data"`
}

// history lists the verification history with a raw query string.
func (e *env) history(token, query string) history {
	e.t.Helper()
	var h history
	e.must(e.do(http.MethodGet, e.api+"/my/verifications"+query, token, nil), http.StatusOK, "history").into(e.t, &h)
	return h
}

// control calls the kycemu control API.
func (e *env) control(method, path string, body any) response {
	e.t.Helper()
	return e.do(method, e.root+"/_emulator"+path, "", body)
}

// walkLevel1 completes the default Level 1 wizard: an identity document,
// then a proof of address.
func (e *env) walkLevel1(token string) wizardAnswer {
	e.t.Helper()
	w := e.wizard(token)
	w = e.mustStep(token, w.UUID, 2, e.file(token), e.file(token))
	return e.mustStep(token, w.UUID, 4, e.file(token))
}

// withSmallBodies caps request bodies (and so uploads) at 32 KiB.
func withSmallBodies() emulator.Option { return emulator.WithMaxBodyBytes(32 << 10) }
