package emulator_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kycemu/kycemu/internal/browsertest"
)

var tid = browsertest.TestID

// TestConsoleInBrowser drives the console as a QA person does: finds a
// gu1 session, approves it with the keyboard, moves the clock, reads the
// webhook it caused and redelivers it, reads the request journal and
// writes a scenario in the editor. Each step is checked through the JSON
// control API (and the webhook receiver) afterwards.
func TestConsoleInBrowser(t *testing.T) {
	h := newHarness(t)
	rc := h.gu1Receiver()
	id := h.gu1Validation("", "20-30000003") // sandbox taxId: waits in review for a decision
	h.advance(2 * time.Second)               // pending -> in_progress -> in_review
	rc.wait(t, "created", "in_progress", "in_review")
	b := browsertest.New(t)
	ui := h.srv.URL + "/_emulator/ui"

	b.Run(chromedp.Navigate(ui + "/"))
	if got := b.Text(tid("provider-sessions-gu1")); got != "1" {
		t.Fatalf("overview counts %s gu1 sessions", got)
	}
	b.Snapshot("console-overview")

	// Sessions, filtered by provider and status, then the session's page.
	b.Run(chromedp.Navigate(ui+"/sessions"),
		chromedp.SetValue(chromedp.CSS(tid("filter-provider")), "gu1"),
		chromedp.SendKeys(chromedp.CSS(tid("filter-status")), "in_review"))
	b.Navigates(chromedp.Click(chromedp.CSS(tid("filter-submit"))))
	if !strings.Contains(b.Location(), "status=in_review") {
		t.Fatalf("filter not applied: %s", b.Location())
	}
	b.Snapshot("console-sessions")
	b.Navigates(chromedp.Click(chromedp.CSS(`[data-session-id="` + id + `"] ` + tid("session-link"))))
	if got := b.Text(tid("session-status")); got != "in_review" {
		t.Fatalf("session page shows %s", got)
	}
	b.Snapshot("console-session")

	// Approve with the keyboard: type a reason, Tab to the button, Enter.
	b.Run(chromedp.Focus(chromedp.CSS(tid("action-reason"))), chromedp.KeyEvent("looks fine"), chromedp.KeyEvent("\t"))
	if got := browsertest.Value(b, chromedp.Evaluate[string](`document.activeElement.dataset.testid`)); got != "action-approve" {
		t.Fatalf("Tab after the reason reaches %q", got)
	}
	b.Navigates(chromedp.KeyEvent("\r"))
	h.wantGu1(id, "approved")
	var s struct {
		History []struct{ To, By, Reason string }
	}
	_ = json.Unmarshal(h.do("GET", "/_emulator/sessions/"+id, nil).body, &s)
	if last := s.History[len(s.History)-1]; last.To != "approved" || last.By != "control" || last.Reason != "looks fine" {
		t.Fatalf("last transition: %+v", last)
	}
	rc.wait(t, "created", "in_progress", "in_review", "approved")
	if got := b.Text(tid("session-status")); got != "approved" {
		t.Fatalf("session page after approve shows %s", got)
	}

	// The clock: one hour by the button, ninety seconds typed.
	before := h.emu.Clock().Now()
	b.Navigates(chromedp.Click(chromedp.CSS(tid("clock-advance-1h"))))
	b.Navigates(chromedp.SendKeys(chromedp.CSS(tid("clock-advance-input")), "90s\n"))
	var clk struct{ Now time.Time }
	_ = json.Unmarshal(h.do("GET", "/_emulator/clock", nil).body, &clk)
	if got := clk.Now.Sub(before); got != time.Hour+90*time.Second {
		t.Fatalf("the clock moved %s through the console", got)
	}
	if !strings.Contains(b.Location(), "/sessions/"+id) {
		t.Fatalf("the clock form left the session page: %s", b.Location())
	}

	// The approval's webhook: payload and signature, then redeliver it.
	b.Run(chromedp.Navigate(ui + "/webhooks?event=kyc.validation_approved"))
	b.Navigates(chromedp.Click(chromedp.CSS(tid("delivery-link"))))
	if p := b.Text(tid("delivery-payload")); !strings.Contains(p, `"status": "approved"`) {
		t.Fatalf("payload shown: %s", p)
	}
	if hs := b.Text(tid("attempt")); !strings.Contains(hs, "X-Webhook-Signature") || !strings.Contains(hs, "200") {
		t.Fatalf("attempt shown: %s", hs)
	}
	b.Snapshot("console-webhook")
	b.Navigates(chromedp.Click(chromedp.CSS(tid("redeliver"))))
	rc.wait(t, "created", "in_progress", "in_review", "approved", "approved")
	var ds struct {
		Deliveries []struct{ RedeliveryOf, Status string }
	}
	_ = json.Unmarshal(h.do("GET", "/_emulator/webhooks/deliveries?event=kyc.validation_approved", nil).body, &ds)
	if len(ds.Deliveries) != 2 || ds.Deliveries[1].RedeliveryOf == "" {
		t.Fatalf("deliveries after redeliver: %+v", ds.Deliveries)
	}

	// The journal: the validation's creation, masked.
	b.Run(chromedp.Navigate(ui + "/requests?operation=createValidation"))
	b.Navigates(chromedp.Click(chromedp.CSS(tid("request-link"))))
	if hs := b.Text(tid("request-headers")); !strings.Contains(hs, "Bearer [masked") || strings.Contains(hs, gu1Key) {
		t.Fatalf("request headers shown: %s", hs)
	}
	if body := b.Text(tid("response-body")); !strings.Contains(body, id) {
		t.Fatalf("response body shown: %s", body)
	}
	b.Snapshot("console-request")

	// The editor checks as you type, with kycemu validate's messages.
	b.Run(chromedp.Navigate(ui + "/scenarios/editor"))
	b.Type(tid("editor-yaml"), "name: qa-slow\nprovider: gu1\ntimeline:\n- after: soon\n  status: approved\n")
	b.Run(chromedp.WaitVisible(chromedp.CSS(tid("editor-problem"))))
	if p := b.Text(tid("editor-problem")); !strings.HasPrefix(p, "scenario.yaml:4:") {
		t.Fatalf("problem shown: %s", p)
	}
	b.Snapshot("console-editor")
	b.Type(tid("editor-yaml"), "name: qa-slow\nprovider: gu1\ntimeline:\n- after: 10m\n  from: in_review\n  status: approved\n")
	b.Run(chromedp.WaitNotPresent(chromedp.CSS(tid("editor-problem"))))
	b.Navigates(chromedp.Click(chromedp.CSS(tid("editor-save"))))
	if r := h.do("GET", "/_emulator/scenarios/gu1/qa-slow", nil); r.status != 200 {
		t.Fatalf("saved scenario: %d", r.status)
	}
	// And make it the tenant's default from its page.
	b.Run(chromedp.Navigate(ui+"/scenarios/gu1/qa-slow"),
		chromedp.SendKeys(chromedp.CSS(tid("default-tenant")), gu1Tenant))
	b.Navigates(chromedp.Click(chromedp.CSS(tid("default-set"))))
	if r := h.do("GET", "/_emulator/scenarios/defaults?provider=gu1", nil); !strings.Contains(string(r.body), `"scenario":"qa-slow"`) {
		t.Fatalf("defaults: %s", r.body)
	}

	// Live refresh: the overview follows what happens without a reload.
	b.Run(chromedp.Navigate(ui+"/"), chromedp.Click(chromedp.CSS(tid("live-toggle"))))
	h.gu1Validation("", "")
	b.Run(chromedp.Poll[chromedp.Void](`document.querySelector('[data-testid="provider-sessions-gu1"]').textContent === "2"`, chromedp.WithPollingInterval(100*time.Millisecond)))
}
