package emulator_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/kycemu/kycemu/emulator"
	"github.com/kycemu/kycemu/emulator/clock"
)

// postForm posts a console form as a browser does, without following the
// redirect, and returns the answer.
func (h *harness) postForm(path string, form url.Values, headers ...string) reply {
	h.t.Helper()
	req, _ := http.NewRequest("POST", h.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	c := *h.srv.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	return reply{status: resp.StatusCode, header: resp.Header}
}

func TestConsolePagesAnswerHTML(t *testing.T) {
	h := newHarness(t)
	id := h.gu1Validation("", "")
	for _, path := range []string{"/", "/tenants", "/sessions", "/sessions?provider=gu1&status=pending", "/sessions/" + id,
		"/clock", "/webhooks", "/requests", "/requests/1", "/scenarios", "/scenarios/editor", "/scenarios/gu1/slow-review"} {
		r := h.do("GET", "/_emulator/ui"+path, nil)
		if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: %d %s", path, r.status, r.header.Get("Content-Type"))
			continue
		}
		if !strings.Contains(string(r.body), `<main id="main"`) {
			t.Errorf("%s: not a console page", path)
		}
	}
	for path, want := range map[string]int{
		"/sessions/no-such-id": 404, "/requests/999999": 404, "/webhooks/nope": 404, "/nope": 404,
		"/sessions?provider=nobody": 404, "/sessions?sort=x": 400, "/scenarios/gu1/nope": 404,
	} {
		if r := h.do("GET", "/_emulator/ui"+path, nil); r.status != want || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
			t.Errorf("%s: %d %s, want %d in HTML", path, r.status, r.header.Get("Content-Type"), want)
		}
	}
	if r := h.do("GET", "/_emulator/ui/static/console.css", nil); r.status != 200 || !strings.Contains(string(r.body), "body{") {
		t.Errorf("stylesheet: %d", r.status)
	}
}

func TestConsoleSessionListShowsAndPages(t *testing.T) {
	h := newHarness(t)
	var ids []string
	for range 3 {
		ids = append(ids, h.gu1Validation("", ""))
	}
	r := h.do("GET", "/_emulator/ui/sessions?provider=gu1&limit=2", nil)
	body := string(r.body)
	if !strings.Contains(body, ids[0]) || !strings.Contains(body, ids[1]) || strings.Contains(body, ids[2]) {
		t.Fatalf("first page does not hold the first two sessions")
	}
	if !strings.Contains(body, `data-testid="page-next"`) || !strings.Contains(body, "3 session(s) match") {
		t.Fatal("no next page link or wrong total")
	}
	i := strings.Index(body, `data-testid="page-next"`)
	href := body[strings.LastIndex(body[:i], `href="`)+6 : i-2]
	r = h.do("GET", strings.ReplaceAll(href, "&amp;", "&"), nil)
	if !strings.Contains(string(r.body), ids[2]) || strings.Contains(string(r.body), ids[0]) {
		t.Fatalf("second page (%s) does not hold the third session only", href)
	}
}

func TestConsoleFormsRunControlOperations(t *testing.T) {
	h := newHarness(t)
	id := h.gu1Validation("", "")
	r := h.postForm("/_emulator/ui/sessions/"+id+"/act", url.Values{"action": {"approve"}, "reason": {"checked by QA"}})
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/_emulator/ui/sessions/"+id+"?msg=") {
		t.Fatalf("approve: %d %s", r.status, r.header.Get("Location"))
	}
	h.wantGu1(id, "approved")
	// Not allowed any more: the console shows the control API's refusal.
	r = h.postForm("/_emulator/ui/sessions/"+id+"/act", url.Values{"action": {"reject"}})
	loc, _ := url.Parse(r.header.Get("Location"))
	if r.status != http.StatusSeeOther || !strings.Contains(loc.Query().Get("err"), "cannot reject") {
		t.Fatalf("reject after approve: %d %s", r.status, r.header.Get("Location"))
	}
	page := h.do("GET", r.header.Get("Location"), nil)
	if !strings.Contains(string(page.body), `data-testid="flash-error"`) {
		t.Fatal("the refusal is not shown")
	}

	before := h.emu.Clock().Now()
	r = h.postForm("/_emulator/ui/clock", url.Values{"advance": {"+1h"}, "back": {"/_emulator/ui/sessions/" + id}})
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/_emulator/ui/sessions/"+id) {
		t.Fatalf("advance: %d %s", r.status, r.header.Get("Location"))
	}
	if got := h.emu.Clock().Now().Sub(before); got.Hours() != 1 {
		t.Fatalf("the clock moved %s", got)
	}
	r = h.postForm("/_emulator/ui/clock", url.Values{"advance": {"soon"}, "back": {"https://elsewhere.example/"}})
	loc, _ = url.Parse(r.header.Get("Location"))
	if loc.Path != "/_emulator/ui/clock" || loc.Query().Get("err") == "" {
		t.Fatalf("bad duration: %s", r.header.Get("Location"))
	}

	r = h.postForm("/_emulator/ui/scenarios/defaults", url.Values{"provider": {"gu1"}, "tenant": {gu1Tenant}, "scenario": {"slow-review"}})
	if loc, _ := url.Parse(r.header.Get("Location")); loc.Query().Get("msg") == "" {
		t.Fatalf("set default: %s", r.header.Get("Location"))
	}
	d := h.do("GET", "/_emulator/scenarios/defaults?provider=gu1", nil)
	if !strings.Contains(string(d.body), `"scenario":"slow-review"`) {
		t.Fatalf("defaults: %s", d.body)
	}

	// A form posted from another site is refused.
	r = h.postForm("/_emulator/ui/sessions/"+id+"/act", url.Values{"action": {"expire"}}, "Origin", "https://evil.example")
	if r.status != http.StatusForbidden {
		t.Fatalf("cross-site form: %d", r.status)
	}
}

func TestConsoleEditorChecksAndSaves(t *testing.T) {
	h := newHarness(t)
	bad := "name: broken\nprovider: gu1\ntimeline:\n  - after: soon\n    status: approved\n"
	v := h.do("POST", "/_emulator/scenarios/validate?file=mine.yaml", []byte(bad), "Content-Type", "application/yaml")
	problems := v.json(t)["problems"].([]any)
	if v.status != 200 || v.json(t)["valid"] != false || len(problems) == 0 ||
		!strings.HasPrefix(problems[0].(map[string]any)["text"].(string), "mine.yaml:4:") {
		t.Fatalf("validate: %d %s", v.status, v.body)
	}
	good := "name: qa-approve\nprovider: gu1\ntimeline:\n  - after: 1m\n    from: in_review\n    status: approved\n"
	if v := h.do("POST", "/_emulator/scenarios/validate", []byte(good)); v.json(t)["valid"] != true {
		t.Fatalf("validate good: %s", v.body)
	}
	if r := h.do("GET", "/_emulator/scenarios/gu1/qa-approve", nil); r.status != 404 {
		t.Fatalf("validate put the scenario: %d", r.status)
	}
	r := h.postForm("/_emulator/ui/scenarios/editor", url.Values{"file": {"mine.yaml"}, "yaml": {bad}, "do": {"save"}})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("save broken: %d", r.status)
	}
	r = h.postForm("/_emulator/ui/scenarios/editor", url.Values{"yaml": {good}, "do": {"save"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("save good: %d", r.status)
	}
	if r := h.do("GET", "/_emulator/scenarios/gu1/qa-approve", nil); r.status != 200 {
		t.Fatalf("saved scenario: %d", r.status)
	}
}

func TestConsoleOnRealClockCannotMoveIt(t *testing.T) {
	emu, err := emulator.New(emulator.WithClock(clock.Real{}), emulator.WithSeed(1))
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Close()
	srv := httptest.NewServer(emu)
	defer srv.Close()
	h := &harness{t: t, emu: emu, srv: srv}
	page := h.do("GET", "/_emulator/ui/clock", nil)
	if strings.Contains(string(page.body), `data-testid="clock-advance-1m"`) {
		t.Fatal("a real clock offers to be advanced")
	}
	r := h.postForm("/_emulator/ui/clock", url.Values{"advance": {"1m"}})
	if loc, _ := url.Parse(r.header.Get("Location")); !strings.Contains(loc.Query().Get("err"), "real time") {
		t.Fatalf("advance on a real clock: %s", r.header.Get("Location"))
	}
}
