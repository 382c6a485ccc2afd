package gatenox_test

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"
)

func ids(items []any, key string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i], _ = it.(map[string]any)[key].(string)
	}
	return out
}

// TestInvitationList: paging with meta.pagination, order_by, the state
// filter (comma-separated) and customer_id.
func TestInvitationList(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client("company-token-1")
	e.settings(c.token, map[string]any{"autoSubmit": false})
	var emails []string
	for i := range 7 {
		email := fmt.Sprintf("p%d@example.com", i)
		emails = append(emails, email)
		c.invite(map[string]any{"email": email, "customer_id": fmt.Sprintf("cust-%d", i%2)})
		e.advance(time.Minute)
	}
	list := func(q string) response {
		t.Helper()
		r := c.do(http.MethodGet, "/api/v1/invites/individuals?"+q, nil)
		if r.status != 200 {
			t.Fatalf("list %s: %d %s", q, r.status, r.raw)
		}
		return r
	}
	r := list("")
	equal(t, "default order newest first", ids(r.list("personal_verifications"), "email"),
		[]string{emails[6], emails[5], emails[4], emails[3], emails[2], emails[1], emails[0]})
	equal(t, "meta", r.get("meta", "pagination"), map[string]any{"total": float64(7), "per_page": float64(25),
		"current_page": float64(1), "total_pages": float64(1)})

	r = list("page=2&per_page=3&order_by=created_at,asc")
	equal(t, "page 2", ids(r.list("personal_verifications"), "email"), []string{emails[3], emails[4], emails[5]})
	equal(t, "meta page 2", r.get("meta", "pagination"), map[string]any{"total": float64(7), "per_page": float64(3),
		"current_page": float64(2), "total_pages": float64(3)})
	equal(t, "last page", len(list("page=3&per_page=3").list("personal_verifications")), 1)
	equal(t, "past the end", len(list("page=9&per_page=3").list("personal_verifications")), 0)
	equal(t, "huge page", len(list("page=9223372036854775807&per_page=3").list("personal_verifications")), 0)
	equal(t, "per_page capped", list("per_page=1000").get("meta", "pagination", "per_page"), float64(100))
	equal(t, "order without direction is ascending", list("order_by=created_at").str("personal_verifications", "0", "email"), emails[0])

	// Move some along: open one, complete one, revoke one, decline one.
	all := list("order_by=created_at,asc").list("personal_verifications")
	inv := func(i int) map[string]any { return all[i].(map[string]any) }
	e.page(inv(0)["invitation_url"].(string))
	c.complete(inv(1))
	equal(t, "revoke", e.act(inv(2)["id"].(string), "revoke").status, 200)
	equal(t, "decline", e.submit(inv(3)["invitation_url"].(string), url.Values{"action": {"decline"}}).status, 303)

	equal(t, "state filter", ids(list("state=in_progress,completed&order_by=created_at,asc").list("personal_verifications"), "email"),
		[]string{emails[0], emails[1]})
	equal(t, "revoked", ids(list("state=revoked").list("personal_verifications"), "email"), []string{emails[2]})
	equal(t, "rejected", ids(list("state=rejected").list("personal_verifications"), "email"), []string{emails[3]})
	equal(t, "invited total", list("state=invited").get("meta", "pagination", "total"), float64(3))
	equal(t, "customer filter", ids(list("customer_id=cust-1&order_by=created_at,asc").list("personal_verifications"), "email"),
		[]string{emails[1], emails[3], emails[5]})
	equal(t, "unknown customer", len(list("customer_id=nobody").list("personal_verifications")), 0)
	equal(t, "customer and state", len(list("customer_id=cust-0&state=revoked").list("personal_verifications")), 1)
	// updated_at order puts the latest change first.
	equal(t, "updated_at,desc", list("order_by=updated_at,desc").str("personal_verifications", "0", "email"), emails[3])
	byState := ids(list("order_by=state,asc").list("personal_verifications"), "state")
	equal(t, "state order", byState, []string{"completed", "in_progress", "invited", "invited", "invited", "rejected", "revoked"})
}

// TestCaseList: status (comma-separated), assessment_status, the date
// filters, order_by and the optional paging.
func TestCaseList(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client("company-token-1")
	e.settings(c.token, map[string]any{"autoSubmit": false})
	day := 24 * time.Hour
	var cases []string
	for i := range 4 {
		cases = append(cases, newCase(c, fmt.Sprintf("c%d@example.com", i)))
		e.advance(day)
	}
	// Day 4: approve case 0, reject case 1, start case 2.
	assess := []field{{"assessment", "risk_low"}, {"assessment_comment", "ok"}}
	c.state(cases[0], "start")
	c.state(cases[0], "complete", assess...)
	c.state(cases[1], "start")
	c.state(cases[1], "rejected")
	e.advance(time.Hour)
	c.state(cases[2], "start")

	list := func(q string) []string {
		t.Helper()
		r := c.do(http.MethodGet, "/api/v1/verification_individuals?"+q, nil)
		if r.status != 200 {
			t.Fatalf("list %s: %d %s", q, r.status, r.raw)
		}
		return ids(r.list("verification_individuals"), "id")
	}
	equal(t, "all, newest first", list(""), []string{cases[3], cases[2], cases[1], cases[0]})
	equal(t, "status", list("status=completed,rejected&order_by=created_at,asc"), []string{cases[0], cases[1]})
	equal(t, "new", list("status=new"), []string{cases[3]})
	equal(t, "approved", list("assessment_status=approved"), []string{cases[0]})
	equal(t, "rejected", list("assessment_status=rejected"), []string{cases[1]})
	equal(t, "approved among new", len(list("assessment_status=approved&status=new")), 0)
	equal(t, "created since day 2", list("created_at=2026-03-04&order_by=created_at,asc"), []string{cases[2], cases[3]})
	equal(t, "created since the future", len(list("created_at=2026-04-01")), 0)
	equal(t, "updated since day 4", list("updated_at=2026-03-06&order_by=updated_at,asc"), []string{cases[0], cases[1], cases[2]})
	equal(t, "updated_at,desc", list("order_by=updated_at,desc")[0], cases[2])
	equal(t, "status order", list("order_by=status,asc")[0], cases[0]) // completed < in_progress < new < rejected
	equal(t, "paged", list("page=2&per_page=3"), []string{cases[0]})
	equal(t, "per_page alone", list("per_page=2"), []string{cases[3], cases[2]})
}

// TestExpiry: an invitation nobody completes expires after 30 days on the
// clock; a resent one gets a fresh 30 days; the time limit is a setting.
func TestExpiry(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.client("company-token-1")
	e.settings(c.token, map[string]any{"autoSubmit": false})
	inv := c.inviteOne("late@example.com")
	id := inv["id"].(string)
	state := func() string {
		t.Helper()
		return c.do(http.MethodGet, "/api/v1/invites/individuals", nil).str("personal_verifications", "0", "state")
	}
	e.page(inv["invitation_url"].(string))
	e.advance(30*24*time.Hour - time.Second)
	equal(t, "before the limit", state(), "in_progress")
	e.advance(time.Second)
	equal(t, "at the limit", state(), "expired")
	r := e.submit(inv["invitation_url"].(string), url.Values{"action": {"submit"}})
	equal(t, "submitting an expired invitation", r.status, http.StatusConflict)
	equal(t, "expired filter", len(c.do(http.MethodGet, "/api/v1/invites/individuals?state=expired", nil).list("personal_verifications")), 1)

	equal(t, "resend", e.act(id, "resend").status, 200)
	equal(t, "resent", state(), "invited")
	e.advance(29 * 24 * time.Hour)
	equal(t, "29 days after resending", state(), "invited")
	e.advance(24 * time.Hour)
	equal(t, "30 days after resending", state(), "expired")

	// A shorter limit for new invitations.
	e.settings(c.token, map[string]any{"invitationTTL": "1h"})
	short := c.inviteOne("short@example.com")
	e.advance(time.Hour)
	got := ""
	for _, it := range c.do(http.MethodGet, "/api/v1/invites/individuals", nil).list("personal_verifications") {
		if m := it.(map[string]any); m["id"] == short["id"] {
			got = m["state"].(string)
		}
	}
	equal(t, "after 1h", got, "expired")
	// A completed invitation never expires.
	done := c.inviteOne("done@example.com")
	c.complete(done)
	e.advance(2 * time.Hour)
	equal(t, "completed stays", c.do(http.MethodGet, "/api/v1/invites/individuals?state=completed", nil).get("meta", "pagination", "total"), float64(1))
}
