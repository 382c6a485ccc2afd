package gatenox_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kycemu/kycemu/emulator/internal/testutil"
)

// submitFiles posts the invitation page's form with files, as a browser does.
func (e *env) submitFiles(u string, values url.Values, files map[string][]byte) response {
	e.t.Helper()
	ct, body := testutil.Multipart(values, files, ".bin")
	req, _ := http.NewRequest(http.MethodPost, u, body)
	req.Header.Set("Content-Type", ct)
	return e.send(req)
}

func TestInvitationPageRefusesWhatItCannotUse(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client("page-company")
	inv := c.inviteOne("pia@example.com")
	u := inv["invitation_url"].(string)
	e.page(u)
	for name, tc := range map[string]struct {
		values url.Values
		files  map[string][]byte
	}{
		"a text as passport": {url.Values{"action": {"submit"}}, map[string][]byte{"passport": []byte("just words, no picture")}},
		"an odd outcome":     {url.Values{"action": {"submit"}, "outcome": {"maybe"}}, nil},
		"an odd nationality": {url.Values{"action": {"submit"}, "nationality": {"BRA"}}, nil},
	} {
		r := e.submitFiles(u, tc.values, tc.files)
		if r.status != http.StatusBadRequest || !strings.Contains(string(r.raw), `data-testid="error"`) {
			t.Errorf("%s: %d", name, r.status)
		}
	}
	equal(t, "state", c.do(http.MethodGet, "/api/v1/invites/individuals", nil).str("personal_verifications", "0", "state"), "in_progress")
	// The reject outcome: the case is created and rejected at once.
	r := e.submitFiles(u, url.Values{"action": {"submit"}, "outcome": {"reject"}}, nil)
	if r.status != http.StatusSeeOther {
		t.Fatalf("submit: %d %s", r.status, r.raw)
	}
	caseID := c.caseOf(inv["id"].(string))
	if got := c.getCase(caseID).str("verification_individual", "status"); got != "rejected" {
		t.Fatalf("case after the reject outcome: %s", got)
	}
}
