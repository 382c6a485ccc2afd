package kulipa_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kycemu/kycemu/emulator"
	"github.com/kycemu/kycemu/emulator/state"
)

// TestEvictedRecordsAnswer404 runs an API key into the store's bound of
// three records: the oldest live record (a user) goes while its KYC stays
// and still completes; then the finished KYC goes first. Whatever is gone
// answers Kulipa's own 404, never a 500.
func TestEvictedRecordsAnswer404(t *testing.T) {
	e := newEnv(t, emulator.WithLimits(state.Limits{RecordsPerTenant: 3}))
	c := e.client(apiKey)
	ada := c.user(nil)
	k := c.kyc(ada, "full", nil)
	kycID, webview := k.str("id"), k.str("url")
	c.user(map[string]any{"firstName": "Brian"})
	c.user(map[string]any{"firstName": "Claude"}) // a fourth record: Ada goes

	if r := c.do(http.MethodGet, "/users/"+ada, nil); r.status != 404 || r.str("code") != "not_found_error" {
		t.Fatalf("evicted user: %d %s", r.status, r.raw)
	}
	if r := c.do(http.MethodGet, "/kycs/export?userId="+ada, nil); r.status != 404 || r.str("code") != "not_found_error" {
		t.Errorf("export of an evicted user: %d %s", r.status, r.raw)
	}
	if r := c.do(http.MethodPut, "/users/"+ada+"/email", `"ada@example.org"`); r.status != 404 {
		t.Errorf("update of an evicted user: %d %s", r.status, r.raw)
	}
	if r := c.do(http.MethodPut, "/kycs", map[string]any{"userId": ada, "type": "full"}); r.status != 404 {
		t.Errorf("KYC for an evicted user: %d %s", r.status, r.raw)
	}
	// Ada's KYC outlived her: it completes and is verified as usual.
	if r := e.form(webview, url.Values{"action": {"complete"}}); r.status != http.StatusSeeOther {
		t.Fatalf("complete: %d %s", r.status, r.raw)
	}
	e.advance(2 * time.Second)
	if got := c.get("/kycs/" + kycID); got.str("status") != "verified" || got.str("userId") != ada {
		t.Fatalf("KYC of an evicted user: %s", got.raw)
	}
	if n := c.get("/kycs?userId=" + ada).val("count"); n != float64(1) {
		t.Errorf("KYCs of the evicted user: %v", n)
	}

	// A new record now pushes out the finished KYC before any live user.
	c.user(map[string]any{"firstName": "Dorothy"})
	if r := c.do(http.MethodGet, "/kycs/"+kycID, nil); r.status != 404 || r.str("code") != "not_found_error" {
		t.Fatalf("evicted KYC: %d %s", r.status, r.raw)
	}
	if r := e.form(webview, url.Values{"action": {"complete"}}); r.status != 404 || !strings.Contains(string(r.raw), "not valid") {
		t.Errorf("webview of an evicted KYC: %d %s", r.status, r.raw)
	}
	if r := e.call(http.MethodGet, "/_emulator/sessions/"+kycID, nil); r.status != 404 {
		t.Errorf("control API on an evicted KYC: %d %s", r.status, r.raw)
	}
	if n := c.get("/users").val("count"); n != float64(3) {
		t.Errorf("%v users kept, want 3", n)
	}
}
