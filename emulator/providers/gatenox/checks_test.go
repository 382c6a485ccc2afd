package gatenox_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// putScenario stores a scenario through the control API.
func (e *env) putScenario(name, yaml string) {
	e.t.Helper()
	r := e.call(http.MethodPut, "/_emulator/scenarios/gatenox/"+name, yaml, "Content-Type", "application/yaml")
	if r.status != 200 && r.status != 201 {
		e.t.Fatalf("put scenario %s: %d %s", name, r.status, r.raw)
	}
}

const screeningScenarios = `
name: %s
provider: gatenox
kinds: [check_individual, check_company, check_crypto_address]
options: {screening: %s}
timeline: []
`

func (e *env) screening(outcome string) string {
	e.t.Helper()
	name := "screen-" + outcome
	e.putScenario(name, strings.ReplaceAll(strings.ReplaceAll(screeningScenarios, "name: %s", "name: "+name), "screening: %s", "screening: "+outcome))
	return name
}

// TestPersonAndCompanyChecks: screenings answer at once, clear by default;
// a scenario scripts a hit or keeps a check pending until the control API
// completes it; premium checks cost credits; the officer comments on a
// check; every check is in its list and in the entities list.
func TestPersonAndCompanyChecks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client("screening-co")
	hit, pending := e.screening("hit"), e.screening("pending")

	clear := ok200(t, "clear", c.form("/api/v1/checks/individuals", field{"check_type", "standard"},
		field{"given_names", "Roman"}, field{"surname", "Abramovich"}, field{"date_of_birth", "1966-10-24"}))
	equal(t, "state", clear.str("check_individual", "state"), "completed")
	equal(t, "no issues", len(clear.list("check_individual", "issues")), 0)
	equal(t, "date_of_birth", clear.str("check_individual", "date_of_birth"), "1966-10-24")

	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/gatenox/api/v1/checks/individuals",
		strings.NewReader("check_type=premium&given_names=Roman&surname=Abramovich"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("X-Kycemu-Scenario", hit)
	h := ok200(t, "hit", e.send(req))
	issues := h.list("check_individual", "issues")
	if len(issues) != 2 {
		t.Fatalf("issues: %s", h.raw)
	}
	is := issues[0].(map[string]any)
	equal(t, "issue entity", is["entity_id"], h.str("check_individual", "id"))
	equal(t, "report name", is["report"].(map[string]any)["name"], "ROMAN ABRAMOVICH")
	equal(t, "category", is["category"], "sanction")

	co := c.do(http.MethodPost, "/api/v1/checks/companies", map[string]string{"check_type": "standard", "company_name": "Korean Space"},
		"X-Kycemu-Scenario", pending)
	ok200(t, "pending", co)
	coID := co.str("check_company", "id")
	equal(t, "processing", co.str("check_company", "state"), "processing")
	equal(t, "session", e.call(http.MethodGet, "/_emulator/sessions/"+coID, nil).str("kind"), "check_company")
	if r := e.act(coID, "hit"); r.status != 200 {
		t.Fatalf("hit through the control API: %d %s", r.status, r.raw)
	}
	got := ok200(t, "company check", c.do(http.MethodGet, "/api/v1/checks/companies/"+coID, nil))
	equal(t, "completed by control", got.str("check_company", "state"), "completed")
	equal(t, "company issues", len(got.list("check_company", "issues")), 2)
	if r := e.act(coID, "clear"); r.status != 409 {
		t.Errorf("complete twice: %d", r.status)
	}
	pc := ok200(t, "comment", c.formPatch("/api/v1/checks/companies/"+coID, field{"comment", "false positive"}))
	equal(t, "comment", pc.str("check_company", "comment"), "false positive")

	// Lists, newest first, and the entities list of both kinds.
	l := ok200(t, "list", c.do(http.MethodGet, "/api/v1/checks/individuals?per_page=1", nil))
	equal(t, "page", len(l.list("checks_individual")), 1)
	equal(t, "total", l.get("meta", "pagination", "total"), float64(2))
	equal(t, "newest first", l.str("checks_individual", "0", "id"), h.str("check_individual", "id"))
	ents := ok200(t, "entities", c.do(http.MethodGet, "/api/v1/checks/entities", nil))
	equal(t, "entities", len(ents.list("checks_entity")), 3)
	kinds := map[string]int{}
	for _, x := range ents.list("checks_entity") {
		kinds[x.(map[string]any)["type"].(string)]++
	}
	equal(t, "kinds", kinds, map[string]int{"individual": 2, "company": 1})
	equal(t, "company list", len(ok200(t, "companies", c.do(http.MethodGet, "/api/v1/checks/companies", nil)).list("checks_company")), 1)

	// Premium checks cost credits.
	e.settings(c.token, map[string]any{"credits": 4})
	short := c.form("/api/v1/checks/individuals", field{"check_type", "premium"}, field{"given_names", "A"}, field{"surname", "B"})
	if short.status != 422 || short.get("field_errors", "credits_balance") == nil {
		t.Errorf("premium without credits: %d %s", short.status, short.raw)
	}
	ok200(t, "standard stays free", c.form("/api/v1/checks/individuals", field{"check_type", "standard"}, field{"given_names", "A"}, field{"surname", "B"}))

	// Form errors, unknown ids, another company.
	missing := c.form("/api/v1/checks/individuals", field{"check_type", "standard"}, field{"given_names", "A"})
	if missing.status != 400 || missing.str("errors", "surname") != "is missing" {
		t.Errorf("missing surname: %d %s", missing.status, missing.raw)
	}
	if r := c.form("/api/v1/checks/individuals", field{"check_type", "standard"}, field{"given_names", "A"}, field{"surname", "B"},
		field{"date_of_birth", "24/10/1966"}); r.status != 400 || r.str("errors", "date_of_birth") != "is in invalid format" {
		t.Errorf("bad date: %d %s", r.status, r.raw)
	}
	if r := c.do(http.MethodGet, "/api/v1/checks/individuals/"+coID, nil); r.status != 404 {
		t.Errorf("a company check as an individual one: %d", r.status)
	}
	if r := e.client("other").do(http.MethodGet, "/api/v1/checks/companies/"+coID, nil); r.status != 404 {
		t.Errorf("another company's check: %d", r.status)
	}
	if r := c.formPatch("/api/v1/checks/individuals/7c0c8a8e-7a51-4a11-9d5e-9b1f8a0e0e0e", field{"comment", "x"}); r.status != 404 {
		t.Errorf("patch unknown: %d", r.status)
	}
}

// TestCryptoAddressChecks: a report is processing, ready five seconds later
// on the clock (at once with sync), with its PDF; a hit scores HIGH.
func TestCryptoAddressChecks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client("crypto-co")
	r := ok200(t, "create", c.form("/api/v1/checks/crypto_address", field{"address_type", "ETH"},
		field{"address", "0x4838B106FCe9647Bdf1E7877BF73cE8B0BAD5f97"}))
	id := r.str("check_crypto_address", "id")
	equal(t, "processing", r.str("check_crypto_address", "state"), "processing")
	equal(t, "premium", r.str("check_crypto_address", "check_type"), "premium")
	e.advance(5 * time.Second)
	g := ok200(t, "get", c.do(http.MethodGet, "/api/v1/checks/crypto_address/"+id, nil))
	equal(t, "completed", g.str("check_crypto_address", "state"), "completed")
	equal(t, "risk", g.str("check_crypto_address", "cscore_section", "risk_level"), "LOW")
	equal(t, "service", g.str("check_crypto_address", "trust_report", "service"), "coinfirm")
	pdf := g.str("check_crypto_address", "trust_report", "document", "attachments", "0", "urls", "original")
	seg := pdf[strings.LastIndex(pdf, "/")+1:]
	if f := c.do(http.MethodGet, "/api/v1/attachments/"+seg, nil); f.status != 200 || !strings.HasPrefix(string(f.raw), "%PDF-") {
		t.Errorf("report PDF: %d", f.status)
	}
	brief := ok200(t, "cscore only", c.do(http.MethodGet, "/api/v1/checks/crypto_address/"+id+"?cscore_only=true", nil))
	equal(t, "no report", brief.get("check_crypto_address", "trust_report"), nil)

	hit := e.screening("hit")
	s := c.do(http.MethodPost, "/api/v1/checks/crypto_address", map[string]string{"address_type": "BTC",
		"address": "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "sync": "true", "check_type": "amlbot"}, "X-Kycemu-Scenario", hit)
	ok200(t, "sync", s)
	equal(t, "sync completed", s.str("check_crypto_address", "state"), "completed")
	equal(t, "high risk", s.str("check_crypto_address", "cscore_section", "risk_level"), "HIGH")
	equal(t, "amlbot", s.str("check_crypto_address", "trust_report", "service"), "amlbot")
	ok200(t, "comment", c.formPatch("/api/v1/checks/crypto_address/"+id, field{"comment", "ok"}))
	l := ok200(t, "list", c.do(http.MethodGet, "/api/v1/checks/crypto_address", nil))
	equal(t, "listed", len(l.list("checks_crypto_address")), 2)
	if r := c.form("/api/v1/checks/crypto_address", field{"address_type", "ETH"}); r.status != 400 || r.str("errors", "address") != "is missing" {
		t.Errorf("missing address: %d %s", r.status, r.raw)
	}
}

// formPatch sends a multipart PATCH.
func (c *client) formPatch(path string, fields ...field) response {
	c.e.t.Helper()
	return c.formWith(http.MethodPatch, path, fields...)
}
