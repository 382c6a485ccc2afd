package emulator_test

import (
	"net/url"
	"testing"
)

// TestControlListsArePaged walks the sessions and the webhook deliveries a
// page at a time, as a client of a long-running sandbox would.
func TestControlListsArePaged(t *testing.T) {
	h := newHarness(t)
	var ids []string
	for range 5 {
		ids = append(ids, h.gu1Validation("", ""))
	}
	var seen []string
	next := ""
	for pages := 0; ; pages++ {
		q := url.Values{"provider": {"gu1"}, "limit": {"2"}}
		if next != "" {
			q.Set("after", next)
		}
		r := h.do("GET", "/_emulator/sessions?"+q.Encode(), nil)
		if r.status != 200 {
			t.Fatalf("page %d: %d %s", pages, r.status, r.body)
		}
		body := r.json(t)
		if body["total"] != float64(5) {
			t.Fatalf("total %v on page %d", body["total"], pages)
		}
		for _, s := range body["sessions"].([]any) {
			seen = append(seen, s.(map[string]any)["id"].(string))
		}
		n, more := body["next"].(string)
		if !more {
			break
		}
		next = n
	}
	if len(seen) != 5 {
		t.Fatalf("pages gave %d sessions: %v", len(seen), seen)
	}
	for i := range ids {
		if seen[i] != ids[i] {
			t.Fatalf("pages out of creation order: %v, want %v", seen, ids)
		}
	}
	for _, bad := range []string{"limit=0", "limit=1001", "after=x", "colour=blue"} {
		if r := h.do("GET", "/_emulator/sessions?"+bad, nil); r.status != 400 {
			t.Errorf("?%s: %d, want 400", bad, r.status)
		}
	}

	// Every validation sent a created webhook (undeliverable: no URL).
	var got int
	next = "0"
	for {
		r := h.do("GET", "/_emulator/webhooks/deliveries?provider=gu1&limit=3&after="+next, nil)
		body := r.json(t)
		got += len(body["deliveries"].([]any))
		n, more := body["next"].(string)
		if !more {
			break
		}
		next = n
	}
	all := h.do("GET", "/_emulator/webhooks/deliveries?provider=gu1", nil).json(t)
	if want := len(all["deliveries"].([]any)); got != want || want < 5 {
		t.Fatalf("paged deliveries: %d, unpaged %d", got, want)
	}
}
