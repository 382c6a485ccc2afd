package emulator_test

import (
	"encoding/json"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kycemu/kycemu/emulator"
)

// builtinTests drives every built-in scenario end to end, keyed by
// provider/name. TestEveryBuiltinIsTested fails when a built-in has none.
var builtinTests = map[string]func(t *testing.T, h *harness){
	"notus/approve": func(t *testing.T, h *harness) {
		c := h.notusCreate("k", "approve", notusPerson())
		h.uploadAll(c)
		if r := h.process(c.Session.ID); r.status != 200 {
			t.Fatalf("process: %d %s", r.status, r.body)
		}
		h.wantStatus("k", c.Session.ID, "VERIFYING")
		h.advance(1999 * time.Millisecond)
		h.wantStatus("k", c.Session.ID, "VERIFYING")
		h.advance(time.Millisecond)
		h.wantStatus("k", c.Session.ID, "COMPLETED")
		if id := h.session("k", c.Session.ID).IndividualID; id == nil {
			t.Error("a COMPLETED session has no individualId")
		}
	},
	"notus/reject": func(t *testing.T, h *harness) {
		c := h.notusCreate("k", "reject", notusPerson())
		h.uploadAll(c)
		h.process(c.Session.ID)
		h.advance(4 * time.Second)
		h.wantStatus("k", c.Session.ID, "VERIFYING")
		h.advance(time.Second)
		h.wantStatus("k", c.Session.ID, "FAILED")
		if s := h.control(c.Session.ID); s.Scenario != "reject" || last(s.History).Reason != "the document could not be verified" {
			t.Errorf("control view: scenario %q, last move %+v", s.Scenario, last(s.History))
		}
	},
	"notus/expire": func(t *testing.T, h *harness) {
		c := h.notusCreate("k", "expire", notusPerson())
		h.uploadAll(c)
		h.advance(9*time.Minute + 59*time.Second)
		h.wantStatus("k", c.Session.ID, "PENDING")
		h.advance(time.Second)
		h.wantStatus("k", c.Session.ID, "EXPIRED")
		r := h.process(c.Session.ID)
		if r.status != http.StatusConflict || r.json(t)["id"] != "SESSION_EXPIRED" {
			t.Errorf("process after expiry: %d %s", r.status, r.body)
		}
	},
	"notus/slow-review": func(t *testing.T, h *harness) {
		c := h.notusCreate("k", "slow-review", notusPerson())
		h.uploadAll(c)
		h.process(c.Session.ID)
		h.advance(59 * time.Minute)
		h.wantStatus("k", c.Session.ID, "VERIFYING")
		h.advance(time.Minute)
		h.wantStatus("k", c.Session.ID, "COMPLETED")
	},
	"notus/slow-reject": func(t *testing.T, h *harness) {
		c := h.notusCreate("k", "slow-reject", notusPerson())
		h.uploadAll(c)
		h.process(c.Session.ID)
		h.advance(59 * time.Minute)
		h.wantStatus("k", c.Session.ID, "VERIFYING")
		h.advance(time.Minute)
		h.wantStatus("k", c.Session.ID, "FAILED")
	},
	"notus/flaky-503": func(t *testing.T, h *harness) {
		c := h.notusCreate("k", "flaky-503", notusPerson())
		for i := range 2 {
			r := h.do("GET", notusAPI+"/"+c.Session.ID, nil, "x-api-key", "k")
			if r.status != 503 || r.json(t)["id"] != "SERVICE_UNAVAILABLE" || r.json(t)["message"] == "" {
				t.Fatalf("poll %d: %d %s; want 503 in Notus's envelope", i+1, r.status, r.body)
			}
		}
		h.wantStatus("k", c.Session.ID, "PENDING")
		// The rest of the session follows Notus's default timeline.
		h.uploadAll(c)
		h.process(c.Session.ID)
		h.advance(2 * time.Second)
		h.wantStatus("k", c.Session.ID, "COMPLETED")
	},
	"notus/rate-limited": func(t *testing.T, h *harness) {
		c := h.notusCreate("k", "rate-limited", notusPerson()) // call 1 of 5
		h.advance(20 * time.Second)
		for range 4 {
			h.wantStatus("k", c.Session.ID, "PENDING")
		}
		r := h.do("GET", notusAPI+"/"+c.Session.ID, nil, "x-api-key", "k")
		if r.status != 429 || r.header.Get("Retry-After") != "40" || r.json(t)["id"] != "TOO_MANY_REQUESTS" {
			t.Fatalf("sixth call: %d Retry-After %q %s", r.status, r.header.Get("Retry-After"), r.body)
		}
		h.advance(39 * time.Second)
		if r := h.do("GET", notusAPI+"/"+c.Session.ID, nil, "x-api-key", "k"); r.status != 429 || r.header.Get("Retry-After") != "1" {
			t.Fatalf("a second before the window ends: %d Retry-After %q", r.status, r.header.Get("Retry-After"))
		}
		h.advance(time.Second)
		h.wantStatus("k", c.Session.ID, "PENDING")
	},
	"notus/dropped-connection": func(t *testing.T, h *harness) {
		c := h.notusCreate("k", "dropped-connection", notusPerson())
		// Go's transport silently retries an idempotent request once when
		// a reused keep-alive connection closes without an answer; a
		// fresh connection shows the drop.
		req, _ := http.NewRequest("GET", h.srv.URL+notusAPI+"/"+c.Session.ID, nil)
		req.Header.Set("x-api-key", "k")
		fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		if resp, err := fresh.Do(req); err == nil {
			resp.Body.Close()
			t.Fatalf("first poll answered %d; want a dropped connection", resp.StatusCode)
		}
		h.wantStatus("k", c.Session.ID, "PENDING")
		j := h.journal("k")
		if e := j[1]; e["fault"] != "faults[0]: drop" || e["scenario"] != "dropped-connection" {
			t.Errorf("journal of the dropped call: %v", e)
		}
	},
	"notus/upload-expired": func(t *testing.T, h *harness) {
		c := h.notusCreate("k", "upload-expired", notusPerson())
		for _, f := range []*form{c.Front, c.Back} {
			r := h.upload(f, pngBytes())
			if r.status != 403 || !strings.Contains(string(r.body), "<Code>AccessDenied</Code>") ||
				!strings.Contains(string(r.body), "Policy expired.") {
				t.Fatalf("upload: %d %s", r.status, r.body)
			}
		}
		// Nothing was stored: the session cannot be processed.
		r := h.process(c.Session.ID)
		if r.status != 422 || r.json(t)["id"] != "DOCUMENTS_NOT_UPLOADED" {
			t.Fatalf("process: %d %s", r.status, r.body)
		}
	},
	"notus/content-type-field": func(t *testing.T, h *harness) {
		c := h.notusCreate("k", "content-type-field", notusPerson())
		if c.Front.Fields["Content-Type"] != "image/jpeg" {
			t.Fatalf("form without the Content-Type field: %v", c.Front.Fields)
		}
		f := *c.Front
		f.Fields = maps.Clone(c.Front.Fields)
		f.Fields["Content-Type"] = "text/html"
		if r := h.upload(&f, pngBytes()); r.status != 403 || !strings.Contains(string(r.body), "$Content-Type") {
			t.Fatalf("text/html upload: %d %s", r.status, r.body)
		}
		h.uploadAll(c)
		if r := h.process(c.Session.ID); r.status != 200 {
			t.Fatalf("process: %d %s", r.status, r.body)
		}
	},
	"notus/upload-too-large": func(t *testing.T, h *harness) {
		c := h.notusCreate("k", "upload-too-large", notusPerson())
		r := h.upload(c.Front, pngBytes())
		if r.status != 400 || !strings.Contains(string(r.body), "<Code>EntityTooLarge</Code>") {
			t.Fatalf("first front upload: %d %s", r.status, r.body)
		}
		if r := h.process(c.Session.ID); r.status != 422 {
			t.Fatalf("process with the front refused: %d %s", r.status, r.body)
		}
		h.uploadAll(c)
		if r := h.process(c.Session.ID); r.status != 200 {
			t.Fatalf("process: %d %s", r.status, r.body)
		}
	},
	"notus/slow-upload": func(t *testing.T, h *harness) {
		// The harness caps latency at 50ms (real time); the clock stands.
		c := h.notusCreate("k", "slow-upload", notusPerson())
		start := time.Now()
		r := h.upload(c.Front, pngBytes())
		if r.status != 204 || time.Since(start) < 50*time.Millisecond || r.header.Get("X-Kycemu-Fault") != "upload slow" {
			t.Fatalf("slow upload: %d after %v, fault %q", r.status, time.Since(start), r.header.Get("X-Kycemu-Fault"))
		}
		if now := h.now(); !now.Equal(t0) {
			t.Errorf("the clock moved to %v", now)
		}
		h.uploadAll(c)
		h.process(c.Session.ID)
		h.advance(2 * time.Second)
		h.wantStatus("k", c.Session.ID, "COMPLETED")
	},
}

func TestBuiltinScenarios(t *testing.T) {
	for name, test := range builtinTests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			test(t, newHarness(t, emulator.WithMaxFaultLatency(50*time.Millisecond)))
		})
	}
}

// TestEveryBuiltinIsTested lists the catalogue and wants an end-to-end test
// for each built-in scenario of every mounted provider.
func TestEveryBuiltinIsTested(t *testing.T) {
	h := newHarness(t)
	var out struct {
		Scenarios []struct {
			Name, Provider string
			Source         struct{ Origin string }
		}
	}
	if err := json.Unmarshal(h.do("GET", "/_emulator/scenarios", nil).body, &out); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, sc := range out.Scenarios {
		if sc.Source.Origin != "builtin" {
			t.Errorf("%s/%s: origin %s", sc.Provider, sc.Name, sc.Source.Origin)
		}
		key := sc.Provider + "/" + sc.Name
		seen[key] = true
		if builtinTests[key] == nil {
			t.Errorf("built-in scenario %s has no end-to-end test", key)
		}
	}
	for key := range builtinTests {
		if !seen[key] {
			t.Errorf("test for %s, which is not in the catalogue", key)
		}
	}
	for _, p := range h.emu.Providers() {
		for _, want := range []string{"approve", "reject", "slow-review", "flaky-503", "rate-limited"} {
			if !seen[p+"/"+want] {
				t.Errorf("provider %s has no built-in %q scenario", p, want)
			}
		}
	}
}

type controlSession struct {
	Scenario string `json:"scenario"`
	Status   string `json:"status"`
	History  []struct {
		From, To, By, Reason string
	} `json:"history"`
}

func last[T any](s []T) T {
	var zero T
	if len(s) == 0 {
		return zero
	}
	return s[len(s)-1]
}

func (h *harness) control(id string) controlSession {
	h.t.Helper()
	var s controlSession
	r := h.do("GET", "/_emulator/sessions/"+id, nil)
	if err := json.Unmarshal(r.body, &s); err != nil || r.status != 200 {
		h.t.Fatalf("control session: %d %s", r.status, r.body)
	}
	return s
}

func (h *harness) session(key, id string) notusSession {
	h.t.Helper()
	var v struct {
		Session notusSession `json:"session"`
	}
	_ = json.Unmarshal(h.do("GET", notusAPI+"/"+id, nil, "x-api-key", key).body, &v)
	return v.Session
}

func (h *harness) now() time.Time {
	h.t.Helper()
	var v struct{ Now time.Time }
	_ = json.Unmarshal(h.do("GET", "/_emulator/clock", nil).body, &v)
	return v.Now
}
