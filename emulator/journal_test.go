package emulator_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

type journalEntry struct {
	Seq             uint64              `json:"seq"`
	Operation       string              `json:"operation"`
	Method          string              `json:"method"`
	Path            string              `json:"path"`
	Query           string              `json:"query"`
	Status          int                 `json:"status"`
	Tenant          string              `json:"tenant"`
	Session         string              `json:"session"`
	RequestHeaders  map[string][]string `json:"requestHeaders"`
	ResponseHeaders map[string][]string `json:"responseHeaders"`
	RequestBody     json.RawMessage     `json:"requestBody"`
	Request         *struct {
		Size  int             `json:"size"`
		JSON  json.RawMessage `json:"json"`
		Text  string          `json:"text"`
		Parts []struct {
			Name     string `json:"name"`
			Filename string `json:"filename"`
			Size     int    `json:"size"`
			Value    string `json:"value"`
		} `json:"parts"`
	} `json:"request"`
	Response *struct {
		ContentType string          `json:"contentType"`
		JSON        json.RawMessage `json:"json"`
		Text        string          `json:"text"`
	} `json:"response"`
}

func (h *harness) requests(query string) []journalEntry {
	h.t.Helper()
	r := h.do("GET", "/_emulator/requests"+query, nil)
	if r.status != http.StatusOK {
		h.t.Fatalf("journal%s: %d %s", query, r.status, r.body)
	}
	var out struct {
		Requests []journalEntry `json:"requests"`
	}
	if err := json.Unmarshal(r.body, &out); err != nil {
		h.t.Fatal(err)
	}
	return out.Requests
}

func TestJournalKeepsHeadersAndBodiesMasked(t *testing.T) {
	h := newHarness(t)
	id := h.gu1Validation("", "")
	h.gu1Status(id)
	got := h.requests("?session=" + id)
	if len(got) != 2 || got[0].Operation != "createValidation" || got[1].Operation != "getValidation" {
		t.Fatalf("requests of the session: %+v", got)
	}
	create := got[0]
	if create.Tenant != gu1Tenant || create.Session != id {
		t.Errorf("create: tenant %q session %q", create.Tenant, create.Session)
	}
	if a := create.RequestHeaders["Authorization"]; len(a) != 1 || strings.Contains(a[0], gu1Key) || !strings.HasPrefix(a[0], "Bearer [masked") {
		t.Errorf("Authorization kept as %v", a)
	}
	if o := create.RequestHeaders["X-Organization-Id"]; len(o) != 1 || o[0] != gu1Org {
		t.Errorf("X-Organization-ID: %v", o)
	}
	if !strings.Contains(string(create.RequestBody), `"entityId"`) || create.Request == nil || string(create.Request.JSON) != string(create.RequestBody) {
		t.Errorf("request body: %s / %+v", create.RequestBody, create.Request)
	}
	if create.Response == nil || !strings.Contains(string(create.Response.JSON), `"id":"`+id+`"`) {
		t.Errorf("response body: %+v", create.Response)
	}
	if ct := create.ResponseHeaders["Content-Type"]; len(ct) != 1 || !strings.HasPrefix(ct[0], "application/json") {
		t.Errorf("response headers: %v", create.ResponseHeaders)
	}
	// The entity the validation is about is not a session: its creation
	// is journaled without one.
	all := h.requests("?tenant=" + gu1Tenant)
	if len(all) != 3 || all[0].Operation != "createEntity" || all[0].Session != "" {
		t.Fatalf("tenant's journal: %+v", all)
	}
	if got := h.requests("?session=" + id + "&limit=1"); len(got) != 1 || got[0].Operation != "getValidation" {
		t.Fatalf("limit: %+v", got)
	}
	if got := h.requests("?before=" + strconv.FormatUint(all[2].Seq, 10)); len(got) != 2 || got[1].Seq != all[1].Seq {
		t.Fatalf("before: %+v", got)
	}
}

func TestJournalNeverKeepsUploadedBytes(t *testing.T) {
	h := newHarness(t)
	c := h.notusCreate("key-j", "", notusPerson("email", "ana.souza@example.com"))
	if r := h.upload(c.Front, pngBytes()); r.status != http.StatusNoContent {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	got := h.requests("?session=" + c.Session.ID)
	if len(got) != 2 || got[1].Tenant != "key-j" {
		t.Fatalf("journal of the session: %+v", got)
	}
	if strings.Contains(string(got[0].RequestBody), "ana.souza@") {
		t.Errorf("e-mail in the journal: %s", got[0].RequestBody)
	}
	up := got[1]
	if up.Method != "POST" || up.Request == nil || len(up.Request.Parts) == 0 {
		t.Fatalf("upload entry: %+v", up)
	}
	file := up.Request.Parts[len(up.Request.Parts)-1]
	if file.Filename != "document.png" || file.Size != len(pngBytes()) || file.Value != "" {
		t.Errorf("file part: %+v", file)
	}
	for _, p := range up.Request.Parts {
		if strings.Contains(strings.ToLower(p.Name), "signature") && p.Value != "[masked]" {
			t.Errorf("signature field %s kept as %q", p.Name, p.Value)
		}
	}
}

func TestJournalRefusesUnknownFilters(t *testing.T) {
	h := newHarness(t)
	for _, path := range []string{
		"/_emulator/requests?sesion=x",
		"/_emulator/requests?before=x",
		"/_emulator/webhooks/deliveries?provder=gu1",
		"/_emulator/webhooks/endpoints?tenantt=a",
		"/_emulator/scenarios?prov=gu1",
		"/_emulator/scenarios/gu1?provider=gu1",
		"/_emulator/scenarios/defaults?x=1",
		"/_emulator/sessions?state=pending",
		"/_emulator/specs/gu1?fmt=json",
	} {
		r := h.do("GET", path, nil)
		if r.status != http.StatusBadRequest {
			t.Errorf("GET %s: %d %s", path, r.status, r.body)
			continue
		}
		code := r.json(t)["error"].(map[string]any)["code"]
		if code != "unknown_parameter" && code != "invalid_cursor" {
			t.Errorf("GET %s: code %v", path, code)
		}
	}
	if r := h.do("DELETE", "/_emulator/requests?tenat=a", nil); r.status != http.StatusBadRequest {
		t.Errorf("DELETE with a misspelt tenant: %d", r.status)
	}
	if r := h.do("POST", "/_emulator/reset?tenat=a", nil); r.status != http.StatusBadRequest {
		t.Errorf("reset with a misspelt tenant: %d", r.status)
	}
}
