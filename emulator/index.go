package emulator

import (
	_ "embed"
	"html/template"
	"net/http"
	"slices"
	"strings"

	"github.com/kycemu/kycemu/emulator/internal/httpx"
)

// The root page: JSON for programs, HTML for a browser (Accept: text/html).
// Every local link on it is a GET that answers 200 (a test walks them).

// repoURL is where the documentation lives.
const repoURL = "https://github.com/kycemu/kycemu"

// guides names each provider's documentation page; providers without a
// guide of their own are described in the README.
var guides = map[string]string{
	"notus":   repoURL + "#notus-labs",
	"b2core":  repoURL + "/blob/main/docs/b2core.md",
	"gu1":     repoURL + "/blob/main/docs/gu1.md",
	"kulipa":  repoURL + "/blob/main/docs/kulipa.md",
	"gatenox": repoURL + "/blob/main/docs/gatenox.md",
}

// docs are the guides that are not about one provider.
var docs = []link{
	{"README: install, flags, every provider, control API, assumptions", repoURL + "#readme"},
	{"Scenarios: the YAML language", repoURL + "/blob/main/docs/scenarios.md"},
	{"Testing with kycemu: testkit, the container, CI", repoURL + "/blob/main/docs/testkit.md"},
	{"The QA console and the end-user pages", repoURL + "/blob/main/docs/console.md"},
}

// browsable are the control endpoints worth opening in a browser.
var browsable = []link{
	{"QA console: sessions, clock, webhooks, requests, scenarios", "/_emulator/ui/"},
	{"control API index (every endpoint)", "/_emulator/"},
	{"health, version, clock and seed", "/_emulator/health"},
	{"providers with their operations", "/_emulator/providers"},
	{"sessions of every provider", "/_emulator/sessions"},
	{"the clock", "/_emulator/clock"},
	{"request journal", "/_emulator/requests"},
	{"scenario catalogue", "/_emulator/scenarios"},
	{"webhook deliveries", "/_emulator/webhooks/deliveries"},
	{"OpenAPI documents of the providers", "/_emulator/specs"},
	{"OpenAPI document of the control API", "/_emulator/specs/control"},
	{"Prometheus metrics", "/_emulator/metrics"},
}

type link struct {
	Title string `json:"title"`
	Href  string `json:"href"`
}

type indexProvider struct {
	Name  string   `json:"name"`
	Title string   `json:"title"`
	Mount string   `json:"mount"`
	Hosts []string `json:"hosts"`
	Spec  string   `json:"spec"`
	Guide string   `json:"guide"`
}

type indexPage struct {
	Name      string          `json:"name"`
	Version   string          `json:"version"`
	Providers []indexProvider `json:"providers"`
	Control   string          `json:"control"`
	Links     []link          `json:"links"`
	Docs      []link          `json:"docs"`
}

//go:embed index.html
var indexHTML string

var indexTemplate = template.Must(template.New("index").Parse(indexHTML))

func (e *Emulator) index(w http.ResponseWriter, r *http.Request) {
	page := indexPage{Name: "kycemu", Version: Version(), Control: "/_emulator/", Links: browsable, Docs: docs}
	for _, m := range e.mounts {
		page.Providers = append(page.Providers, indexProvider{
			Name: m.p.Name(), Title: m.doc.Title(), Mount: "/" + m.p.Name(),
			Hosts: m.p.Hosts(), Spec: "/_emulator/specs/" + m.p.Name(), Guide: guides[m.p.Name()],
		})
	}
	if !strings.Contains(r.Header.Get("Accept"), "text/html") {
		httpx.WriteJSON(w, http.StatusOK, page)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := indexTemplate.Execute(w, page); err != nil {
		e.cfg.log.Error("index page", "error", err)
	}
}

// controlEndpoint is one path of the control API and its methods.
type controlEndpoint struct {
	Path    string   `json:"path"`
	Methods []string `json:"methods"`
}

// serveControlIndex registers GET /_emulator/: every route registered on
// r so far, with its methods. Call it last.
func (e *Emulator) serveControlIndex(r *handlerRouter) {
	byPath := map[string][]string{}
	var order []string
	for _, rt := range r.routes.Routes() {
		if _, seen := byPath[rt.Template]; !seen {
			order = append(order, rt.Template)
		}
		byPath[rt.Template] = append(byPath[rt.Template], rt.Method)
	}
	out := make([]controlEndpoint, 0, len(order)+1)
	out = append(out, controlEndpoint{"/_emulator/", []string{http.MethodGet}})
	for _, p := range order {
		ms := byPath[p]
		slices.Sort(ms)
		out = append(out, controlEndpoint{p, slices.Compact(ms)})
	}
	body := map[string]any{
		"name":      "kycemu control API",
		"version":   Version(),
		"spec":      "/_emulator/specs/control",
		"docs":      repoURL + "#control-api",
		"endpoints": out,
	}
	r.HandleFunc("/_emulator/", func(w http.ResponseWriter, _ *http.Request) {
		httpx.WriteJSON(w, http.StatusOK, body)
	}, http.MethodGet)
}
