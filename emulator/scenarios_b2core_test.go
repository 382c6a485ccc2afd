package emulator_test

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
)

const b2API = "/b2core/api/v2/my"

// b2client is a signed-in B2Core client.
type b2client struct {
	h     *harness
	email string
	token string
}

func (h *harness) b2signIn(email string) *b2client {
	h.t.Helper()
	fp := base64.StdEncoding.EncodeToString([]byte(`{"user_agent":"kycemu-test/1"}`))
	wiz := func(path string) string {
		r := h.do("GET", b2API+path, nil)
		if r.status != 200 {
			h.t.Fatalf("%s: %d %s", path, r.status, r.body)
		}
		return r.json(h.t)["uuid"].(string)
	}
	r := h.do("POST", b2API+"/signup", map[string]any{"uuid": wiz("/signup/wizard"), "email": email,
		"password": "s3cret-pass", "password_confirmation": "s3cret-pass", "device_fingerprint": fp})
	if r.status != 200 {
		h.t.Fatalf("sign up: %d %s", r.status, r.body)
	}
	r = h.do("POST", b2API+"/signin", map[string]any{"uuid": wiz("/signin/wizard"), "email": email,
		"password": "s3cret-pass", "device_fingerprint": fp})
	if r.status != 200 {
		h.t.Fatalf("sign in: %d %s", r.status, r.body)
	}
	tok := r.json(h.t)["data"].(map[string]any)["accessToken"].(map[string]any)["token"].(string)
	return &b2client{h: h, email: email, token: tok}
}

func (c *b2client) do(method, path string, body any, headers ...string) reply {
	c.h.t.Helper()
	return c.h.do(method, b2API+path, body, append([]string{"Authorization", "Bearer " + c.token}, headers...)...)
}

// upload stores a document file and returns its path.
func (c *b2client) upload() string {
	c.h.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "passport.png")
	_, _ = fw.Write(pngBytes())
	_ = mw.Close()
	req, _ := http.NewRequest("POST", c.h.srv.URL+b2API+"/files", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.h.srv.Client().Do(req)
	if err != nil {
		c.h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var v struct{ Path string }
	if err := json.Unmarshal(raw, &v); err != nil || v.Path == "" {
		c.h.t.Fatalf("upload: %d %s", resp.StatusCode, raw)
	}
	return v.Path
}

// wizardStep is one answer of the verification wizard.
type wizardStep struct {
	Code int    `json:"code"`
	Done bool   `json:"done"`
	UUID string `json:"uuid"`
	Data struct {
		Types []struct {
			ID int `json:"id"`
		} `json:"types"`
	} `json:"data"`
}

func (c *b2client) wizard(scenario string) wizardStep {
	c.h.t.Helper()
	var hdr []string
	if scenario != "" {
		hdr = []string{"X-Kycemu-Scenario", scenario}
	}
	r := c.do("GET", "/verifications/wizard", nil, hdr...)
	var w wizardStep
	if err := json.Unmarshal(r.body, &w); err != nil || r.status != 200 {
		c.h.t.Fatalf("wizard: %d %s", r.status, r.body)
	}
	return w
}

// walk submits every step of the wizard (the first type each step offers)
// and returns the types asked for, step by step, and the last answer.
func (c *b2client) walk(w wizardStep) ([][]int, wizardStep) {
	c.h.t.Helper()
	var asked [][]int
	for !w.Done {
		var types []int
		for _, t := range w.Data.Types {
			types = append(types, t.ID)
		}
		asked = append(asked, types)
		r := c.do("POST", "/verifications", map[string]any{"data": map[string]any{
			"documents": map[string]any{"type": types[0], "files": []string{c.upload()}}, "uuid": w.UUID}})
		if r.status != 200 {
			c.h.t.Fatalf("submit step %d: %d %s", len(asked), r.status, r.body)
		}
		w = wizardStep{}
		_ = json.Unmarshal(r.body, &w)
	}
	if w.Code != 202 {
		c.h.t.Fatalf("last step answered code %d", w.Code)
	}
	return asked, w
}

// level returns the client's current level name from the history.
func (c *b2client) level() string {
	c.h.t.Helper()
	r := c.do("GET", "/verifications?sort_by=createTime&sort_order=desc&limit=1", nil)
	var v struct {
		Data []struct {
			CurrentLevel struct{ Name string } `json:"currentLevel"`
			Reason       struct{ Name string } `json:"reason"`
		} `json:"data"`
	}
	_ = json.Unmarshal(r.body, &v)
	if len(v.Data) == 0 {
		c.h.t.Fatalf("no history: %s", r.body)
	}
	return v.Data[0].CurrentLevel.Name + " / " + v.Data[0].Reason.Name
}

func (c *b2client) wantProcedure(uuid, status string) {
	c.h.t.Helper()
	if got := c.h.control(uuid); got.Status != status {
		c.h.t.Fatalf("procedure is %s; want %s", got.Status, status)
	}
}

func init() {
	for name, test := range map[string]func(t *testing.T, h *harness){
		"b2core/approve": func(t *testing.T, h *harness) {
			c := h.b2signIn("alice@example.com")
			_, w := c.walk(c.wizard("approve"))
			c.wantProcedure(w.UUID, "submitted")
			h.advance(5 * time.Second)
			c.wantProcedure(w.UUID, "approved")
			if got := c.level(); !strings.HasPrefix(got, "Level 1 / Application: ") {
				t.Errorf("history: %s", got)
			}
		},
		"b2core/reject": func(t *testing.T, h *harness) {
			c := h.b2signIn("alice@example.com")
			_, w := c.walk(c.wizard("reject"))
			h.advance(5 * time.Second)
			c.wantProcedure(w.UUID, "rejected")
			if got := c.level(); !strings.HasPrefix(got, "Level 0 / Application: ") || !strings.HasSuffix(got, " rejected: the documents were not accepted") {
				t.Errorf("history: %s", got)
			}
		},
		"b2core/expire": func(t *testing.T, h *harness) {
			c := h.b2signIn("alice@example.com")
			w := c.wizard("expire")
			h.advance(30 * time.Minute)
			c.wantProcedure(w.UUID, "expired")
			r := c.do("POST", "/verifications", map[string]any{"documents": map[string]any{"type": 2, "files": []string{c.upload()}}, "uuid": w.UUID})
			if r.status != 409 {
				t.Errorf("step after expiry: %d %s", r.status, r.body)
			}
			// A wizard completed in time is approved at once.
			_, w2 := c.walk(c.wizard("expire"))
			c.wantProcedure(w2.UUID, "approved")
		},
		"b2core/slow-review": func(t *testing.T, h *harness) {
			c := h.b2signIn("alice@example.com")
			_, w := c.walk(c.wizard("slow-review"))
			h.advance(59 * time.Minute)
			c.wantProcedure(w.UUID, "submitted")
			h.advance(time.Minute)
			c.wantProcedure(w.UUID, "approved")
		},
		"b2core/slow-reject": func(t *testing.T, h *harness) {
			c := h.b2signIn("alice@example.com")
			_, w := c.walk(c.wizard("slow-reject"))
			h.advance(59 * time.Minute)
			c.wantProcedure(w.UUID, "submitted")
			h.advance(time.Minute)
			c.wantProcedure(w.UUID, "rejected")
		},
		"b2core/manual-review": func(t *testing.T, h *harness) {
			c := h.b2signIn("alice@example.com")
			_, w := c.walk(c.wizard("manual-review"))
			h.advance(30 * 24 * time.Hour)
			c.wantProcedure(w.UUID, "submitted")
			if r := h.do("POST", "/_emulator/sessions/"+w.UUID+"/approve", nil); r.status != 200 {
				t.Fatalf("approve: %d %s", r.status, r.body)
			}
			c.wantProcedure(w.UUID, "approved")
		},
		"b2core/flaky-503": func(t *testing.T, h *harness) {
			c := h.b2signIn("alice@example.com")
			w := c.wizard("flaky-503")
			step := map[string]any{"documents": map[string]any{"type": 2, "files": []string{c.upload()}}, "uuid": w.UUID}
			for i := range 2 {
				r := c.do("POST", "/verifications", step)
				if r.status != 503 || r.json(t)["code"] != 503.0 {
					t.Fatalf("submission %d: %d %s", i+1, r.status, r.body)
				}
			}
			// Nothing was recorded: the same step is still the current one.
			if r := c.do("POST", "/verifications", step); r.status != 200 || r.json(t)["code"] != 200.0 {
				t.Fatalf("third submission: %d %s", r.status, r.body)
			}
			_, last := c.walk(c.wizard(""))
			c.wantProcedure(last.UUID, "approved") // the configured review: approve at once
		},
		"b2core/rate-limited": func(t *testing.T, h *harness) {
			h.do("PUT", "/_emulator/scenarios/defaults", map[string]string{"provider": "b2core", "tenant": "alice@example.com", "scenario": "rate-limited"})
			// Sign-up and sign-in carry no bearer token: no tenant is known
			// before their handlers run, so they are not counted.
			c := h.b2signIn("alice@example.com")
			c.wizard("") // call 1
			for range 9 {
				if r := c.do("GET", "/verifications", nil); r.status != 200 {
					t.Fatalf("call under the limit: %d", r.status)
				}
			}
			r := c.do("GET", "/verifications", nil)
			if r.status != 429 || r.header.Get("Retry-After") != "60" || r.json(t)["code"] != 429.0 {
				t.Fatalf("call 11: %d Retry-After %q %s", r.status, r.header.Get("Retry-After"), r.body)
			}
			h.advance(time.Minute)
			if r := c.do("GET", "/verifications", nil); r.status != 200 {
				t.Fatalf("after the window: %d", r.status)
			}
		},
		"b2core/one-step-wizard": func(t *testing.T, h *harness) {
			c := h.b2signIn("alice@example.com")
			asked, w := c.walk(c.wizard("one-step-wizard"))
			if len(asked) != 1 || len(asked[0]) != 3 {
				t.Errorf("wizard steps: %v", asked)
			}
			c.wantProcedure(w.UUID, "approved")
			// Every level: Level 2 is one step too.
			asked, _ = c.walk(c.wizard("one-step-wizard"))
			if len(asked) != 1 {
				t.Errorf("level 2 steps: %v", asked)
			}
		},
		"b2core/three-step-wizard": func(t *testing.T, h *harness) {
			c := h.b2signIn("alice@example.com")
			asked, w := c.walk(c.wizard("three-step-wizard"))
			if len(asked) != 3 || asked[2][0] != 6 {
				t.Errorf("wizard steps: %v", asked)
			}
			h.advance(5 * time.Second)
			c.wantProcedure(w.UUID, "approved")
			if got := c.level(); !strings.HasPrefix(got, "Level 1 / Application: ") {
				t.Errorf("history: %s", got)
			}
		},
	} {
		builtinTests[name] = test
	}
}
