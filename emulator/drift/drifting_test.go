package drift_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kycemu/kycemu/emulator/clock"
	"github.com/kycemu/kycemu/emulator/drift"
	"github.com/kycemu/kycemu/testkit"
	"github.com/kycemu/kycemu/testkit/receiver"
)

const sessionID = "0b6f4f8e-2c1a-4d3b-9f00-5a7e8c9d1e2f"

// fakeNotus imitates Notus's sandbox with its own S3 bucket at another
// host. Faithful, it answers as kycemu's spec says; drifting, it adds a
// field, drops a required one, uses a new status value, a wrong date
// format and a number for a string, answers process with a new status
// code and unknown sessions in another error envelope.
type fakeNotus struct {
	drifting bool
	bucket   *httptest.Server

	mu      sync.Mutex
	uploads []string // "<key> <file size>"
}

func newFakeNotus(t *testing.T, drifting bool) (*fakeNotus, *httptest.Server) {
	f := &fakeNotus{drifting: drifting}
	f.bucket = httptest.NewServer(http.HandlerFunc(f.upload))
	t.Cleanup(f.bucket.Close)
	srv := httptest.NewServer(http.HandlerFunc(f.api))
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeNotus) session(status string) map[string]any {
	s := map[string]any{"id": sessionID, "individualId": nil, "status": status, "livenessRequired": false,
		"firstName": "Ana", "lastName": "Souza", "birthDate": "15/03/1990",
		"document":  map[string]any{"id": "12345678909", "type": nil, "category": "DRIVERS_LICENSE"},
		"createdAt": "2026-03-01T12:00:00.000Z", "updatedAt": nil}
	return s
}

func (f *fakeNotus) form(side string) map[string]any {
	return map[string]any{"url": f.bucket.URL + "/notus-kyc-documents", "fields": map[string]any{
		"key": "kyc/" + sessionID + "/" + side, "Content-Type": "image/jpeg", "Policy": strings.Repeat("eyJleHBpcmF0aW9uIjoi", 20),
		"X-Amz-Signature": strings.Repeat("ab", 32), "X-Amz-Credential": "AKIAFAKE/20260301/sa-east-1/s3/aws4_request",
		"X-Amz-Algorithm": "AWS4-HMAC-SHA256", "X-Amz-Date": "20260301T120000Z", "bucket": "notus-kyc-documents"}}
}

func (f *fakeNotus) api(w http.ResponseWriter, r *http.Request) {
	const base = "/api/v1/kyc/individual-verification-sessions/standard"
	reply := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	if r.Header.Get("x-api-key") == "" && !strings.HasSuffix(r.URL.Path, "/process") {
		reply(http.StatusUnauthorized, map[string]any{"message": "missing api key", "id": "UNAUTHORIZED"})
		return
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == base:
		s := f.session("PENDING")
		if f.drifting {
			s["riskLevel"] = "low"
		}
		reply(http.StatusCreated, map[string]any{"session": s, "frontDocumentUpload": f.form("front"), "backDocumentUpload": f.form("back")})
	case r.Method == http.MethodPost && r.URL.Path == base+"/"+sessionID+"/process":
		s := f.session("VERIFYING")
		if f.drifting {
			s["updatedAt"] = "2026-03-01 12:00:01"
			reply(http.StatusAccepted, map[string]any{"session": s})
			return
		}
		s["updatedAt"] = "2026-03-01T12:00:01.000Z"
		reply(http.StatusOK, map[string]any{"session": s})
	case r.Method == http.MethodGet && r.URL.Path == base+"/"+sessionID:
		s := f.session("COMPLETED")
		s["individualId"] = "5d2f0c1e-7b3a-4e6f-8a9b-0c1d2e3f4a5b"
		s["updatedAt"] = "2026-03-01T12:00:02.000Z"
		s["document"].(map[string]any)["type"] = "CNH"
		if f.drifting {
			s["status"] = "IN_REVIEW"
			s["document"].(map[string]any)["id"] = 12345678909
			delete(s, "livenessRequired")
		}
		reply(http.StatusOK, map[string]any{"session": s})
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, base+"/"):
		if f.drifting {
			reply(http.StatusNotFound, map[string]any{"error": map[string]any{"code": "not_found", "message": "no such session"}})
			return
		}
		reply(http.StatusNotFound, map[string]any{"message": "no such session", "id": "SESSION_NOT_FOUND"})
	default:
		reply(http.StatusNotFound, map[string]any{"message": "no such route", "id": "NOT_FOUND"})
	}
}

// upload is the bucket: it takes a browser-POST form with a file.
func (f *fakeNotus) upload(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseMultipartForm(1 << 20); err != nil || r.FormValue("X-Amz-Signature") == "" {
		http.Error(w, "<Error><Code>AccessDenied</Code></Error>", http.StatusForbidden)
		return
	}
	file, hdr, err := r.FormFile("file")
	if err != nil {
		http.Error(w, "<Error><Code>InvalidArgument</Code></Error>", http.StatusBadRequest)
		return
	}
	file.Close()
	f.mu.Lock()
	f.uploads = append(f.uploads, r.FormValue("key")+" "+strings.Repeat("x", 0)+itoa(hdr.Size))
	f.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// runNotus drives a client through the fake's flow behind the proxy; the
// review takes two seconds on clk.
func runNotus(t *testing.T, api string, f *fakeNotus, clk *clock.Mock) {
	t.Helper()
	key := map[string]string{"x-api-key": "sk_live_notus_secret"}
	r := call(t, http.MethodPost, api+"/kyc/individual-verification-sessions/standard", key, map[string]any{
		"firstName": "Ana", "lastName": "Souza", "birthDate": "15/03/1990",
		"documentCategory": "DRIVERS_LICENSE", "documentCountry": "BRAZIL", "documentId": "12345678909"})
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	created := r.object(t)
	img := documentPNG(t)
	for _, side := range []string{"frontDocumentUpload", "backDocumentUpload"} {
		form := created[side].(map[string]any)
		if !strings.Contains(form["url"].(string), "/_proxy/ext/notus/") {
			t.Fatalf("the form at the bucket's host was not pointed at the proxy: %v", form["url"])
		}
		if up := uploadForm(t, form, img); up.status != http.StatusNoContent {
			t.Fatalf("upload %s through the proxy: %d %s", side, up.status, up.body)
		}
	}
	f.mu.Lock()
	if len(f.uploads) != 2 || !strings.HasSuffix(f.uploads[0], " "+itoa(int64(len(img)))) {
		t.Fatalf("the bucket got %v", f.uploads)
	}
	f.mu.Unlock()
	call(t, http.MethodPost, api+"/kyc/individual-verification-sessions/standard/"+sessionID+"/process", nil, nil)
	if _, err := clk.Advance(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	call(t, http.MethodGet, api+"/kyc/individual-verification-sessions/standard/"+sessionID, key, nil)
	call(t, http.MethodGet, api+"/kyc/individual-verification-sessions/standard/6f1c2b7e-8a34-4c1d-9e2f-0a1b2c3d4e5f", key, nil)
}

// gu1Event is a real kycemu gu1 webhook body, to resend signed other ways.
func gu1Event(t *testing.T) ([]byte, string) {
	t.Helper()
	kyc := testkit.Start(t, testkit.WithManualClock(t0), testkit.WithSeed(3))
	tenant := "gk_test_hooks:org-hooks"
	rcv := kyc.Webhooks("gu1", tenant)
	gu1Flow(t, kyc.URL+"/gu1", "gk_test_hooks", "org-hooks", kyc.Advance)
	return rcv.WaitEvent(5*time.Second, "kyc.validation_approved").Body, kyc.WebhookSecret("gu1", tenant)
}

func hmacOf(secret string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return m.Sum(nil)
}

// sendWebhook posts a webhook to the proxy as the provider would.
func sendWebhook(t *testing.T, url string, body []byte, header map[string]string) int {
	t.Helper()
	h := map[string]string{"Content-Type": "application/json"}
	for k, v := range header {
		h[k] = v
	}
	return call(t, http.MethodPost, url, h, string(body)).status
}

func TestDriftingUpstreamIsReportedFindingByFinding(t *testing.T) {
	event, secret := gu1Event(t)
	for _, drifting := range []bool{false, true} {
		name := map[bool]string{false: "faithful", true: "drifting"}[drifting]
		t.Run(name, func(t *testing.T) {
			f, upstream := newFakeNotus(t, drifting)
			rcv := receiver.New(t, receiver.WithVerifier(receiver.HMACSHA256(receiver.GU1Header, secret)))
			clk := clock.NewManual(t0)
			proxy, dir := startProxy(t, map[string]string{"notus": upstream.URL, "gu1": "https://api.gu1.invalid"},
				drift.WithClock(clk), drift.WithWebhookSecret("gu1", secret), drift.WithWebhookTarget("", rcv.URL))
			runNotus(t, proxy.URL+"/notus/api/v1", f, clk)
			hooks := proxy.URL + "/_proxy/webhooks/gu1"
			good := hex.EncodeToString(hmacOf(secret, event))
			if st := sendWebhook(t, hooks, event, map[string]string{"X-Webhook-Signature": good}); st >= 300 {
				t.Fatalf("a webhook signed as documented was refused on its way: %d", st)
			}
			if drifting {
				sendWebhook(t, hooks, event, map[string]string{"X-Gu1-Signature": "sha256=" + base64.StdEncoding.EncodeToString(hmacOf(secret, event))})
				sendWebhook(t, hooks, event, map[string]string{"X-Webhook-Signature": base64.StdEncoding.EncodeToString(hmacOf(secret, event))})
				sendWebhook(t, hooks, event, map[string]string{"X-Webhook-Signature": hex.EncodeToString(hmacOf("another secret", event))})
			}
			if got := len(rcv.Events()); got != 1 {
				t.Fatalf("the receiver accepted %d webhooks, want the one signed as documented", got)
			}
			rep, _ := report(t, dir)
			text := reportText(t, rep)
			if !drifting {
				if rep.Drift {
					t.Fatalf("a faithful upstream drifts:\n%s", text)
				}
				return
			}
			want := []struct{ op, kind, path, detail string }{
				{"createStandardIndividualSession", "extra-field", "session.riskLevel", "real: string"},
				{"getStandardIndividualSession", "missing-required", "session.livenessRequired", ""},
				{"getStandardIndividualSession", "enum", "session.status", "real: IN_REVIEW"},
				{"getStandardIndividualSession", "type", "session.document.id", "spec: string; real: integer"},
				{"processStandardIndividualSession", "undocumented-status", "-", "real: 202"},
				{"processStandardIndividualSession", "format", "session.updatedAt", "spec: date-time"},
				{"getStandardIndividualSession", "error-envelope", "-", "spec: Error; real: {error{code,message}}"},
				{"webhook kyc.validation_approved", "webhook-signature", "-", "real: headers X-Gu1-Signature"},
				{"webhook kyc.validation_approved", "webhook-signature", "-", "real: X-Webhook-Signature: base64 of 32 bytes"},
				{"webhook kyc.validation_approved", "webhook-signature", "-", "real: does not verify"},
			}
			for _, w := range want {
				if !hasFinding(rep, w.op, w.kind, w.path, w.detail) {
					t.Errorf("report does not name %s %s %s (%s):\n%s", w.op, w.kind, w.path, w.detail, text)
				}
			}
			var n int
			for _, g := range rep.Groups {
				n += len(g.Findings)
			}
			if n != len(want) {
				t.Errorf("report has %d findings, want exactly the %d planted:\n%s", n, len(want), text)
			}
		})
	}
}

// hasFinding looks for a finding in the report, matching the text columns.
func hasFinding(rep *drift.Report, op, kind, path, detail string) bool {
	for _, g := range rep.Groups {
		if g.Operation != op {
			continue
		}
		for _, s := range g.Findings {
			p := s.Path
			if p == "" {
				p = "-"
			}
			d := s.Detail()
			if s.Kind == kind && p == path && strings.Contains(d, detail) {
				return true
			}
		}
	}
	return false
}

// Replaying the drifting provider's recording against kycemu shows, side by
// side, where kycemu's answers have another shape; the values the provider
// handed out (the session id, the upload forms) are followed.
func TestReplayShowsWhereKycemuAnswersInAnotherShape(t *testing.T) {
	f, upstream := newFakeNotus(t, true)
	clk := clock.NewManual(t0)
	proxy, dir := startProxy(t, map[string]string{"notus": upstream.URL}, drift.WithClock(clk))
	runNotus(t, proxy.URL+"/notus/api/v1", f, clk)
	_, xs := report(t, dir)

	kyc := testkit.Start(t, testkit.WithManualClock(t0), testkit.WithSeed(1))
	got, err := drift.Replay(t.Context(), xs, drift.Target{URL: kyc.URL, Advance: kyc.Emulator().Advance})
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	if err := got.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	diffs := map[string]drift.Diff{}
	for _, st := range got.Steps {
		for _, d := range st.Differences {
			diffs[st.Operation+" "+d.Where] = d
		}
	}
	want := map[string]drift.Diff{
		"createStandardIndividualSession session.riskLevel":     {Where: "session.riskLevel", Recorded: "string", Kycemu: "absent"},
		"processStandardIndividualSession status":               {Where: "status", Recorded: "202", Kycemu: "200"},
		"getStandardIndividualSession session.document.id":      {Where: "session.document.id", Recorded: "number", Kycemu: "string"},
		"getStandardIndividualSession session.livenessRequired": {Where: "session.livenessRequired", Recorded: "absent", Kycemu: "boolean"},
		"getStandardIndividualSession error.code":               {Where: "error.code", Recorded: "string", Kycemu: "absent"},
		"getStandardIndividualSession id":                       {Where: "id", Recorded: "absent", Kycemu: "string"},
	}
	for k, w := range want {
		if diffs[k] != w {
			t.Errorf("%s: got %+v, want %+v\n%s", k, diffs[k], w, text.String())
		}
	}
	if got.Replayed != len(xs) || got.Differing != 4 {
		t.Errorf("replayed %d of %d, %d differing:\n%s", got.Replayed, len(xs), got.Differing, text.String())
	}
	// Process answered 200, not 422: the uploads reached kycemu's forms.
	if !regexp.MustCompile(`(?m)^#000004 notus processStandardIndividualSession POST /api/v1/\S+/process\n\s+where\s+recorded\s+kycemu\n\s+status\s+202\s+200$`).MatchString(text.String()) {
		t.Errorf("side-by-side text:\n%s", text.String())
	}
}
