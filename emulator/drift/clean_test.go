package drift_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kycemu/kycemu/emulator/clock"
	"github.com/kycemu/kycemu/emulator/drift"
	"github.com/kycemu/kycemu/emulator/internal/testutil"
	"github.com/kycemu/kycemu/testkit"
	"github.com/kycemu/kycemu/testkit/control"
	"github.com/kycemu/kycemu/testkit/receiver"
)

// A kycemu as the upstream is a provider that matches kycemu's spec
// exactly: a session of every provider through the proxy (Notus with its
// uploads and downloads, gu1 and Kulipa with their signed webhooks, Kulipa's
// webview, Gatenox's invitation page and unsigned webhooks, B2Core's
// wizards and tokens) reports no drift, and replaying the recording against
// a second kycemu finds no shape difference.
func TestCleanUpstreamHasNoDriftAndReplaysInTheSameShape(t *testing.T) {
	clk := clock.NewManual(t0)
	up := testkit.Start(t, testkit.WithClock(clk), testkit.WithSeed(1))
	const gu1Key, gu1Org, kulipaKey = "gk_test_clean", "org-clean", "sk_sandbox_clean"
	gu1Tenant := gu1Key + ":" + gu1Org

	const gatenoxToken = "gx_company_clean"
	rcvs := map[string]*receiver.Receiver{
		"gu1": up.Webhooks("gu1", gu1Tenant), "kulipa": up.Webhooks("kulipa", kulipaKey), "gatenox": up.Webhooks("gatenox", gatenoxToken)}
	upstreams := map[string]string{}
	opts := []drift.Option{drift.WithClock(clk),
		drift.WithWebhookSecret("gu1", up.WebhookSecret("gu1", gu1Tenant)), drift.WithWebhookSecret("kulipa", kulipaKey)}
	for _, p := range []string{"notus", "gu1", "kulipa", "gatenox", "b2core"} {
		upstreams[p] = up.URL + "/" + p
	}
	for p, rcv := range rcvs {
		opts = append(opts, drift.WithWebhookTarget(p, rcv.URL))
	}
	proxy, dir := startProxy(t, upstreams, opts...)
	// The provider's webhooks now go to the proxy, which passes them on.
	for p, tenant := range map[string]string{"gu1": gu1Tenant, "kulipa": kulipaKey, "gatenox": gatenoxToken} {
		up.SetWebhookURL(p, tenant, proxy.URL+"/_proxy/webhooks/"+p)
	}

	notusFlow(t, proxy.URL+"/notus/api/v1", up.Advance)
	gu1Flow(t, proxy.URL+"/gu1", gu1Key, gu1Org, up.Advance)
	kulipaFlow(t, proxy.URL+"/kulipa/v1", kulipaKey, up.Advance)
	gatenoxFlow(t, proxy.URL+"/gatenox/api/v1", gatenoxToken)
	b2coreFlow(t, proxy.URL+"/b2core/api/v2")
	rcvs["gu1"].WaitEvent(5*time.Second, "kyc.validation_approved")
	rcvs["kulipa"].WaitEvent(5*time.Second, "user.activated")
	// A delivery is done once the proxy answered it, which it does after
	// recording it.
	hooks := 0
	testutil.WaitFor(t, "every webhook delivered", func() bool {
		hooks = 0
		for p := range rcvs {
			for _, d := range up.Deliveries(control.DeliveryFilter{Provider: p}) {
				if d.Status != "delivered" {
					return false
				}
				hooks++
			}
		}
		return true
	})

	rep, xs := report(t, dir)
	if rep.Drift {
		t.Fatalf("a kycemu upstream drifts from kycemu's spec:\n%s", reportText(t, rep))
	}
	if rep.ByKind[drift.ExchangeAPI] < 10 || rep.ByKind[drift.ExchangeLink] < 3 || rep.ByKind[drift.ExchangeWebhook] != hooks || hooks < 9 {
		t.Fatalf("recording misses exchanges: %v", rep.ByKind)
	}
	for _, x := range xs {
		if x.Kind == drift.ExchangeWebhook && (x.Response.Status >= 300 || len(x.Notes) > 0) {
			t.Errorf("webhook #%d %s: receiver answered %d, notes %v", x.Seq, x.Event, x.Response.Status, x.Notes)
		}
	}
	for p, rcv := range rcvs {
		if n := len(rcv.Rejected()); n > 0 {
			t.Errorf("%d forwarded %s webhooks lost their signature on the way", n, p)
		}
	}

	target := testkit.Start(t, testkit.WithManualClock(t0), testkit.WithSeed(1))
	got, err := drift.Replay(t.Context(), xs, drift.Target{URL: target.URL, Advance: target.Emulator().Advance})
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	_ = got.WriteText(&text)
	if got.Differing != 0 || got.Replayed != got.Exchanges-rep.ByKind[drift.ExchangeWebhook] {
		t.Fatalf("replay of a faithful flow:\n%s", text.String())
	}
	// The replay really drove kycemu: the sessions it created went the
	// same way as the recorded ones.
	if s := target.Sessions(control.SessionFilter{Provider: "notus"}); len(s) != 1 || s[0].Status != "COMPLETED" {
		t.Fatalf("replayed notus sessions: %+v", s)
	}
}

// notusFlow runs a standard individual session: create, upload both sides
// through the forms, process, wait for the review, read the result and the
// document URLs, and ask for a session that does not exist.
func notusFlow(t *testing.T, api string, advance func(time.Duration) time.Time) {
	t.Helper()
	key := map[string]string{"x-api-key": "notus-test-key"}
	r := call(t, http.MethodPost, api+"/kyc/individual-verification-sessions/standard", key, map[string]any{
		"firstName": "Ana", "lastName": "Souza", "birthDate": "15/03/1990", "email": "ana.souza@example.com",
		"documentCategory": "DRIVERS_LICENSE", "documentCountry": "BRAZIL", "documentId": "12345678909"})
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	created := r.object(t)
	id := created["session"].(map[string]any)["id"].(string)
	img := documentPNG(t)
	for _, side := range []string{"frontDocumentUpload", "backDocumentUpload"} {
		form := created[side].(map[string]any)
		if u := form["url"].(string); !strings.HasPrefix(u, strings.Split(api, "/notus")[0]) {
			t.Fatalf("%s url was not pointed at the proxy: %s", side, u)
		}
		if up := uploadForm(t, form, img); up.status != http.StatusNoContent {
			t.Fatalf("upload %s: %d %s", side, up.status, up.body)
		}
	}
	if r := call(t, http.MethodPost, api+"/kyc/individual-verification-sessions/standard/"+id+"/process", nil, nil); r.status != http.StatusOK {
		t.Fatalf("process: %d %s", r.status, r.body)
	}
	advance(2 * time.Second)
	r = call(t, http.MethodGet, api+"/kyc/individual-verification-sessions/standard/"+id, key, nil)
	if st := r.object(t)["session"].(map[string]any)["status"]; st != "COMPLETED" {
		t.Fatalf("session after review: %v", st)
	}
	r = call(t, http.MethodPost, api+"/admin/kyc/verification-sessions/document-urls", key, map[string]any{"sessionId": id, "sessionType": "STANDARD_INDIVIDUAL"})
	if r.status != http.StatusOK {
		t.Fatalf("document urls: %d %s", r.status, r.body)
	}
	for _, v := range r.object(t) {
		if u, ok := v.(string); ok && strings.HasPrefix(u, "http") {
			if got := call(t, http.MethodGet, u, nil, nil); got.status != http.StatusOK {
				t.Fatalf("download %s: %d", u, got.status)
			}
			break
		}
	}
	if r := call(t, http.MethodGet, api+"/kyc/individual-verification-sessions/standard/6f1c2b7e-8a34-4c1d-9e2f-0a1b2c3d4e5f", key, nil); r.status != http.StatusNotFound {
		t.Fatalf("unknown session: %d", r.status)
	}
}

// gu1Flow creates an entity and a KYC validation and lets the review run
// to approval.
func gu1Flow(t *testing.T, base, key, org string, advance func(time.Duration) time.Time) {
	t.Helper()
	h := map[string]string{"Authorization": "Bearer " + key, "X-Organization-ID": org}
	r := call(t, http.MethodPost, base+"/entities", h, map[string]any{"type": "person", "name": "Ana Souza",
		"countryCode": "BR", "externalId": "user_1", "taxId": "123.456.789-10"})
	if r.status != http.StatusCreated {
		t.Fatalf("create entity: %d %s", r.status, r.body)
	}
	entity := r.object(t)["entity"].(map[string]any)["id"].(string)
	r = call(t, http.MethodPost, base+"/api/kyc/validations", h, map[string]any{"entityId": entity})
	if r.status != http.StatusCreated {
		t.Fatalf("create validation: %d %s", r.status, r.body)
	}
	v := r.object(t)["id"].(string)
	for range 3 {
		advance(2 * time.Second)
	}
	if st := call(t, http.MethodGet, base+"/api/kyc/validations/"+v, h, nil).object(t)["status"]; st != "approved" {
		t.Fatalf("validation: %v", st)
	}
}

// kulipaFlow creates a user and a full KYC, completes the webview and lets
// the review verify it.
func kulipaFlow(t *testing.T, api, key string, advance func(time.Duration) time.Time) {
	t.Helper()
	h := map[string]string{"x-api-key": key}
	r := call(t, http.MethodPost, api+"/users", h, map[string]any{"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.org"})
	if r.status != http.StatusCreated {
		t.Fatalf("create user: %d %s", r.status, r.body)
	}
	user := r.object(t)["id"].(string)
	r = call(t, http.MethodPut, api+"/kycs", h, map[string]any{"userId": user, "type": "full"})
	if r.status != http.StatusCreated {
		t.Fatalf("start kyc: %d %s", r.status, r.body)
	}
	webview := r.object(t)["url"].(string)
	if got := call(t, http.MethodPost, webview, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, "action=complete"); got.status >= 400 {
		t.Fatalf("complete webview: %d %s", got.status, got.body)
	}
	advance(2 * time.Second)
	if st := call(t, http.MethodGet, api+"/users/"+user, h, nil).object(t)["status"]; st != "active" {
		t.Fatalf("user: %v", st)
	}
}

// gatenoxFlow invites a person, who opens the invitation page and submits
// it; the compliance officer starts the case.
func gatenoxFlow(t *testing.T, api, token string) {
	t.Helper()
	h := map[string]string{"Authorization": "Bearer " + token}
	r := call(t, http.MethodPost, api+"/invites/individuals", h, map[string]any{
		"recipients": []any{map[string]any{"email": "ana@example.com", "customer_id": "ext_id_123"}}})
	if r.status != http.StatusCreated {
		t.Fatalf("invite: %d %s", r.status, r.body)
	}
	page := r.object(t)["personal_verifications"].([]any)[0].(map[string]any)["invitation_url"].(string)
	call(t, http.MethodGet, page, nil, nil)
	if got := call(t, http.MethodPost, page, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, "action=submit"); got.status >= 400 {
		t.Fatalf("submit the invitation: %d %s", got.status, got.body)
	}
	list := call(t, http.MethodGet, api+"/invites/individuals", h, nil).object(t)
	id, _ := list["personal_verifications"].([]any)[0].(map[string]any)["verification_id"].(string)
	if r := call(t, http.MethodPost, api+"/verification_individuals/"+id+"/state/start", h, nil); r.status != http.StatusOK {
		t.Fatalf("start the case: %d %s", r.status, r.body)
	}
	call(t, http.MethodGet, api+"/verification_individuals/"+id, h, nil)
}

// b2coreFlow signs a client up and in and opens the verification wizard.
func b2coreFlow(t *testing.T, api string) {
	t.Helper()
	fp := "eyJ1c2VyX2FnZW50IjoiY3VybC84In0=" // {"user_agent":"curl/8"}
	account := map[string]any{"email": "alice@example.com", "password": "s3cret-pass", "device_fingerprint": fp}
	account["uuid"] = call(t, http.MethodGet, api+"/my/signup/wizard", nil, nil).object(t)["uuid"]
	account["password_confirmation"] = "s3cret-pass"
	if r := call(t, http.MethodPost, api+"/my/signup", nil, account); r.status != http.StatusOK {
		t.Fatalf("sign up: %d %s", r.status, r.body)
	}
	delete(account, "password_confirmation")
	account["uuid"] = call(t, http.MethodGet, api+"/my/signin/wizard", nil, nil).object(t)["uuid"]
	r := call(t, http.MethodPost, api+"/my/signin", nil, account)
	token, _ := r.object(t)["data"].(map[string]any)["accessToken"].(map[string]any)["token"].(string)
	h := map[string]string{"Authorization": "Bearer " + token}
	if r := call(t, http.MethodGet, api+"/my/verifications/wizard", h, nil); r.status != http.StatusOK {
		t.Fatalf("verification wizard with the issued token: %d %s", r.status, r.body)
	}
	call(t, http.MethodGet, api+"/my/verifications", h, nil)
}
