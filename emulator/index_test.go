package emulator_test

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func (h *harness) get(path, accept string) (int, string, string) {
	h.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, h.srv.URL+path, nil)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

var (
	hrefRE    = regexp.MustCompile(`href="([^"]+)"`)
	headingRE = regexp.MustCompile(`(?m)^#+ (.+)$`)
)

// TestRootPage: a browser gets HTML whose every local link answers 200; a
// program gets JSON; nothing advertised 404s.
func TestRootPage(t *testing.T) {
	h := newHarness(t)
	status, ct, page := h.get("/", "text/html,application/xhtml+xml,*/*;q=0.8")
	if status != 200 || !strings.HasPrefix(ct, "text/html") || !strings.Contains(page, "<title>kycemu") {
		t.Fatalf("browser: %d %s\n%s", status, ct, page)
	}
	local, external := 0, map[string]bool{}
	for _, m := range hrefRE.FindAllStringSubmatch(page, -1) {
		href := strings.ReplaceAll(m[1], "&amp;", "&")
		if strings.HasPrefix(href, "https://") {
			external[href] = true
			continue
		}
		local++
		if s, _, body := h.get(href, ""); s != 200 {
			t.Errorf("the page links to %s, which answers %d: %.200s", href, s, body)
		}
	}
	if local < 15 {
		t.Errorf("only %d local links", local)
	}
	checkDocLinks(t, external)

	status, ct, body := h.get("/", "")
	var idx struct {
		Providers []struct{ Name, Spec, Guide string }
		Control   string
		Links     []struct{ Href string }
		Docs      []struct{ Href string }
	}
	if status != 200 || !strings.HasPrefix(ct, "application/json") || json.Unmarshal([]byte(body), &idx) != nil || len(idx.Providers) != 5 {
		t.Fatalf("JSON client: %d %s\n%s", status, ct, body)
	}
	for _, href := range append([]string{idx.Control}, func() (out []string) {
		for _, l := range idx.Links {
			out = append(out, l.Href)
		}
		for _, p := range idx.Providers {
			out = append(out, p.Spec)
		}
		return out
	}()...) {
		if s, _, _ := h.get(href, ""); s != 200 {
			t.Errorf("the JSON index advertises %s, which answers %d", href, s)
		}
	}
}

// checkDocLinks: links into the repository name files and README
// headings that exist.
func checkDocLinks(t *testing.T, links map[string]bool) {
	t.Helper()
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	anchors := map[string]bool{"readme": true}
	for _, m := range headingRE.FindAllStringSubmatch(string(readme), -1) {
		slug := strings.ToLower(strings.TrimSpace(m[1]))
		slug = regexp.MustCompile(`[^a-z0-9 _-]`).ReplaceAllString(slug, "")
		anchors[strings.ReplaceAll(slug, " ", "-")] = true
	}
	const repo = "https://github.com/kycemu/kycemu"
	for l := range links {
		switch {
		case strings.HasPrefix(l, repo+"/blob/main/"):
			if _, err := os.Stat("../" + strings.TrimPrefix(l, repo+"/blob/main/")); err != nil {
				t.Errorf("the page links to %s: %v", l, err)
			}
		case strings.HasPrefix(l, repo+"#"):
			if a := strings.TrimPrefix(l, repo+"#"); !anchors[a] {
				t.Errorf("the page links to %s: the README has no heading #%s", l, a)
			}
		default:
			t.Errorf("unexpected external link %s", l)
		}
	}
}

// TestControlIndex: /_emulator/ lists every control route; each that takes
// no path parameter answers a GET (never 404 or 405).
func TestControlIndex(t *testing.T) {
	h := newHarness(t)
	status, _, body := h.get("/_emulator/", "")
	var idx struct {
		Endpoints []struct {
			Path    string
			Methods []string
		}
	}
	if status != 200 || json.Unmarshal([]byte(body), &idx) != nil {
		t.Fatalf("/_emulator/: %d %s", status, body)
	}
	seen := map[string]bool{}
	for _, ep := range idx.Endpoints {
		seen[ep.Path] = true
		if strings.Contains(ep.Path, "{") || !slices.Contains(ep.Methods, "GET") {
			continue
		}
		if s, _, b := h.get(ep.Path, ""); s == 404 || s == 405 || s >= 500 {
			t.Errorf("the index lists GET %s, which answers %d: %.200s", ep.Path, s, b)
		}
	}
	for _, want := range []string{"/_emulator/", "/_emulator/health", "/_emulator/metrics", "/_emulator/sessions/{id}/{action}",
		"/_emulator/scenarios/{provider}/{name}", "/_emulator/webhooks/deliveries/{id}/redeliver", "/_emulator/providers/b2core/config"} {
		if !seen[want] {
			t.Errorf("/_emulator/ does not list %s", want)
		}
	}
	if s, _, _ := h.get("/_emulator/nope", ""); s != 404 {
		t.Errorf("an unknown control path answers %d", s)
	}
}
