package b2core_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// untyped sends a JSON body the way B2Core's curl examples do: with
// --data-raw and no Content-Type header, curl labels it
// application/x-www-form-urlencoded. ctype "" sends no header at all (a
// hand-written client).
func (e *env) untyped(method, url, token, ctype, body string) response {
	e.t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return e.send(req)
}

// The vendor's own curl examples post JSON without a Content-Type header;
// B2Core reads them as JSON, and so does kycemu, for every JSON operation.
func TestCurlExamplesWithoutContentType(t *testing.T) {
	for _, ctype := range []string{"application/x-www-form-urlencoded", "", "text/plain;charset=UTF-8"} {
		t.Run("content-type="+ctype, func(t *testing.T) {
			e := newEnv(t)
			js := func(v any) string {
				b, _ := json.Marshal(v)
				return string(b)
			}
			w := e.wizardAt(e.api, http.MethodPost, "/my/signup/wizard")
			e.must(e.untyped(http.MethodPost, e.api+"/my/signup", "", ctype, js(map[string]any{
				"uuid": w.UUID, "email": "curl@example.com", "password": password, "password_confirmation": password,
				"device_fingerprint": fingerprint,
			})), http.StatusOK, "sign up")
			w = e.wizardAt(e.api, http.MethodGet, "/my/signin/wizard")
			var in struct {
				Data tokens `json:"data"`
			}
			e.must(e.untyped(http.MethodPost, e.api+"/my/signin", "", ctype, js(map[string]any{
				"uuid": w.UUID, "email": "curl@example.com", "password": password, "device_fingerprint": fingerprint,
			})), http.StatusOK, "sign in").into(t, &in)
			token := in.Data.Access.Token
			if token == "" {
				t.Fatal("no access token")
			}
			// The documented step, wrapped in "data", as the curl example sends it.
			v := e.wizard(token)
			var step wizardAnswer
			e.must(e.untyped(http.MethodPost, e.api+"/my/verifications", token, ctype, js(map[string]any{
				"data": map[string]any{"documents": map[string]any{"type": 2, "files": []string{e.file(token), e.file(token)}}, "uuid": v.UUID},
			})), http.StatusOK, "wizard step").into(t, &step)
			if step.Code != 200 {
				t.Fatalf("step answer code %d", step.Code)
			}
			// What is not JSON still gets B2Core's own 400, as before.
			checkEnvelope(t, e.untyped(http.MethodPost, e.api+"/my/verifications", token, ctype, "uuid="+v.UUID+"&type=4"), http.StatusBadRequest, "", "")
		})
	}
}
