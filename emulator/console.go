package emulator

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kycemu/kycemu/emulator/clock"
	"github.com/kycemu/kycemu/emulator/internal/httpx"
	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/scenario"
	"github.com/kycemu/kycemu/emulator/state"
	"github.com/kycemu/kycemu/emulator/webhook"
)

// The QA console: server-rendered pages under /_emulator/ui over the same
// control operations as the JSON API (ops.go). Forms post back to the
// console, which runs the operation and redirects (303) to the page the
// result shows on, with a message; nothing needs JavaScript but the live
// refresh and the scenario editor's check-as-you-type.

//go:embed ui
var uiFiles embed.FS

const uiBase = "/_emulator/ui"

// consolePageSize is how many rows a console list shows by default.
const consolePageSize = 50

type console struct {
	e *Emulator
}

// consolePages parses the console's templates once per process (they are
// fixed at build time): base.html and lists.html hold the layout and the
// parts pages share, every other file is one page.
var consolePages = sync.OnceValue(func() map[string]*template.Template {
	funcs := template.FuncMap{
		"stamp":  stamp,
		"pretty": pretty,
		"badge":  badge,
		"action": actionClass,
		"link":   uiLink,
		"join":   strings.Join,
	}
	base := template.Must(template.New("base").Funcs(funcs).ParseFS(uiFiles, "ui/base.html", "ui/lists.html"))
	pages := map[string]*template.Template{}
	names, _ := fs.Glob(uiFiles, "ui/*.html")
	for _, n := range names {
		if n == "ui/base.html" || n == "ui/lists.html" {
			continue
		}
		pages[strings.TrimSuffix(strings.TrimPrefix(n, "ui/"), ".html")] = template.Must(template.Must(base.Clone()).ParseFS(uiFiles, n))
	}
	return pages
})

// lazyConsole builds the console's router on its first request, so an
// emulator nobody browses (a test's) does not pay for it.
func (e *Emulator) lazyConsole() http.Handler {
	router := sync.OnceValue(e.consoleRouter)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { router().ServeHTTP(w, r) })
}

// consoleRouter routes the console's pages, forms and assets; the
// emulator serves it under /_emulator/ui beside the JSON control API.
func (e *Emulator) consoleRouter() *handlerRouter {
	con := &console{e: e}
	r := &handlerRouter{
		notFound: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			con.fail(w, r, http.StatusNotFound, "There is no console page here.")
		}),
		notAllowed: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			con.fail(w, r, http.StatusMethodNotAllowed, "This console page does not take that method.")
		}),
	}
	c := prefixed{r, "/_emulator"}
	static, _ := fs.Sub(uiFiles, "ui/static")
	files := http.StripPrefix(uiBase+"/static/", http.FileServer(http.FS(static)))

	get := []string{http.MethodGet, http.MethodHead}
	c.HandleFunc("/ui", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, uiBase+"/", http.StatusMovedPermanently)
	}, get...)
	c.HandleFunc("/ui/", con.overview, get...)
	c.HandleFunc("/ui/tenants", con.tenants, get...)
	c.HandleFunc("/ui/tenants/reset", con.post(con.resetTenant), http.MethodPost)
	c.HandleFunc("/ui/sessions", con.sessions, get...)
	c.HandleFunc("/ui/sessions/{id}", con.session, get...)
	c.HandleFunc("/ui/sessions/{id}/act", con.post(con.act), http.MethodPost)
	c.HandleFunc("/ui/clock", con.clockPage, get...)
	c.HandleFunc("/ui/clock", con.post(con.moveClock), http.MethodPost)
	c.HandleFunc("/ui/webhooks", con.webhooks, get...)
	c.HandleFunc("/ui/webhooks/{id}", con.delivery, get...)
	c.HandleFunc("/ui/webhooks/{id}/redeliver", con.post(con.redeliver), http.MethodPost)
	c.HandleFunc("/ui/requests", con.requests, get...)
	c.HandleFunc("/ui/requests/{seq}", con.request, get...)
	c.HandleFunc("/ui/scenarios", con.scenarios, get...)
	c.HandleFunc("/ui/scenarios/editor", con.editor, get...)
	c.HandleFunc("/ui/scenarios/editor", con.saveEditor, http.MethodPost)
	c.HandleFunc("/ui/scenarios/defaults", con.post(con.setDefault), http.MethodPost)
	c.HandleFunc("/ui/scenarios/defaults/clear", con.post(con.clearDefault), http.MethodPost)
	c.HandleFunc("/ui/scenarios/{provider}/{name}", con.scenario, get...)
	// The assets: everything under static/, the directory itself included
	// (the prefix route mux had here matched it too).
	assets := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	}
	c.HandleFunc("/ui/static/", assets, get...)
	c.HandleFunc("/ui/static/{file:.+}", assets, get...)
	return r
}

// page is what every console page shows around its content.
type page struct {
	// Back is the page's own path, where its clock forms return.
	Back    string
	Title   string
	Nav     string
	Clock   clockInfo
	Version string
	Message string
	Error   string
	// Live: the page refreshes itself while "live" is on.
	Live bool
	Data any
}

type clockInfo struct {
	Now     time.Time
	Manual  bool
	Pending int
}

func (con *console) clock() clockInfo {
	ci := clockInfo{Now: con.e.clock.Now(), Manual: con.e.clock.Manual()}
	if m, ok := con.e.clock.(*clock.Mock); ok {
		ci.Pending = m.Pending()
	}
	return ci
}

func (con *console) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	p.Clock, p.Version, p.Back = con.clock(), Version(), r.URL.Path
	q := r.URL.Query()
	if p.Message == "" {
		p.Message = cutText(q.Get("msg"), 300)
	}
	if p.Error == "" {
		p.Error = cutText(q.Get("err"), 300)
	}
	var buf bytes.Buffer
	if err := consolePages()[name].ExecuteTemplate(&buf, "base", p); err != nil {
		con.e.cfg.log.Error("console page failed", "page", name, "error", err)
		http.Error(w, "the console page could not be rendered", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}

func cutText(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func (con *console) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	con.render(w, r, status, "error", page{Title: http.StatusText(status), Error: msg})
}

// query refuses a console page's unknown query parameters, as the JSON
// API does (msg and err carry the result of a form).
func (con *console) query(w http.ResponseWriter, r *http.Request, allowed ...string) (url.Values, bool) {
	q, err := queryParams(r, append(allowed, "msg", "err")...)
	if err != nil {
		con.fail(w, r, err.Status, err.Message)
		return nil, false
	}
	return q, true
}

// provider reads the ?provider= of a page that takes only that; it must
// name a mounted provider (or be empty).
func (con *console) provider(w http.ResponseWriter, r *http.Request) (string, bool) {
	q, ok := con.query(w, r, "provider")
	if !ok {
		return "", false
	}
	if err := con.e.providerKnown(q.Get("provider")); err != nil {
		con.fail(w, r, err.Status, err.Message)
		return "", false
	}
	return q.Get("provider"), true
}

// post wraps a form handler: the form must come from the console itself
// (same origin), and the handler answers where to go next and what to say.
func (con *console) post(h func(r *http.Request) (to string, msg string, err *opError)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !con.form(w, r) {
			return
		}
		to, msg, err := h(r)
		q := url.Values{}
		if err != nil {
			q.Set("err", err.Message)
		} else if msg != "" {
			q.Set("msg", msg)
		}
		sep := "?"
		if strings.Contains(to, "?") {
			sep = "&"
		}
		if len(q) > 0 {
			to += sep + q.Encode()
		}
		http.Redirect(w, r, to, http.StatusSeeOther)
	}
}

// form reads a posted form; it must come from the console's own pages.
func (con *console) form(w http.ResponseWriter, r *http.Request) bool {
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		if u, err := url.Parse(o); err != nil || u.Host != r.Host {
			con.fail(w, r, http.StatusForbidden, "Console forms are accepted from the console's own pages only.")
			return false
		}
	}
	r.Body = http.MaxBytesReader(w, r.Body, scenario.MaxFileSize+64<<10)
	if err := r.ParseForm(); err != nil {
		con.fail(w, r, http.StatusBadRequest, "The form could not be read (a scenario file is at most 1 MiB).")
		return false
	}
	return true
}

// --- overview and tenants ---

type providerRow struct {
	Name, Title, Mount, SpecVersion string
	Hosts                           []string
	Sessions, Tenants               int
}

// sessionCounts counts sessions per provider, tenant and status in one pass.
type tenantRow struct {
	Provider, Tenant string
	Sessions         int
	Statuses         []statusCount
}

type statusCount struct {
	Status string
	N      int
}

func (con *console) counts(prov string) []tenantRow {
	tally := con.e.store.Counts(state.Filter{Provider: prov})
	type key struct{ p, t string }
	by := map[key]map[string]int{}
	for t, n := range tally {
		k := key{t.Provider, t.Tenant}
		if by[k] == nil {
			by[k] = map[string]int{}
		}
		by[k][t.Status] += n
	}
	out := make([]tenantRow, 0, len(by))
	for k, st := range by {
		row := tenantRow{Provider: k.p, Tenant: k.t}
		for s, n := range st {
			row.Sessions += n
			row.Statuses = append(row.Statuses, statusCount{s, n})
		}
		sort.Slice(row.Statuses, func(i, j int) bool { return row.Statuses[i].Status < row.Statuses[j].Status })
		out = append(out, row)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Provider != out[j].Provider {
			return out[i].Provider < out[j].Provider
		}
		return out[i].Tenant < out[j].Tenant
	})
	return out
}

func (con *console) overview(w http.ResponseWriter, r *http.Request) {
	if _, ok := con.query(w, r); !ok {
		return
	}
	rows := con.counts("")
	var provs []providerRow
	for _, m := range con.e.mounts {
		pr := providerRow{Name: m.p.Name(), Title: m.doc.Title(), Mount: "/" + m.p.Name(), SpecVersion: m.doc.Version(), Hosts: m.p.Hosts()}
		for _, t := range rows {
			if t.Provider == pr.Name {
				pr.Sessions += t.Sessions
				pr.Tenants++
			}
		}
		provs = append(provs, pr)
	}
	st := con.e.store.Stats()
	con.render(w, r, http.StatusOK, "overview", page{Title: "Overview", Nav: "overview", Live: true, Data: map[string]any{
		"Providers": provs, "Stats": st, "Pending": con.e.hooks.Pending(), "Durable": con.e.store.Durable(),
		"Seed": con.e.cfg.seed, "Journal": con.e.journal.Len(),
	}})
}

func (con *console) tenants(w http.ResponseWriter, r *http.Request) {
	prov, ok := con.provider(w, r)
	if !ok {
		return
	}
	con.render(w, r, http.StatusOK, "tenants", page{Title: "Tenants", Nav: "tenants", Live: true, Data: map[string]any{
		"Rows": con.counts(prov), "Provider": prov, "Providers": con.e.Providers(),
	}})
}

func (con *console) resetTenant(r *http.Request) (string, string, *opError) {
	t := r.PostFormValue("tenant")
	if t == "" {
		return uiBase + "/tenants", "", refuse(http.StatusBadRequest, "invalid_body", "Name the tenant to reset.")
	}
	con.e.Reset(t)
	return uiBase + "/tenants", "Tenant " + t + " was reset: its sessions, webhooks, requests and default scenarios are gone.", nil
}

// --- sessions ---

func (con *console) sessions(w http.ResponseWriter, r *http.Request) {
	q, ok := con.query(w, r, "provider", "tenant", "status", "kind", "after", "limit")
	if !ok {
		return
	}
	f := state.Filter{Provider: q.Get("provider"), Tenant: strings.TrimSpace(q.Get("tenant")),
		Status: strings.TrimSpace(q.Get("status")), Kind: strings.TrimSpace(q.Get("kind"))}
	after, _ := strconv.ParseUint(q.Get("after"), 10, 64)
	limit, err := strconv.Atoi(q.Get("limit"))
	if err != nil || limit < 1 || limit > maxPage {
		limit = consolePageSize
	}
	pg, oerr := con.e.sessions(f, after, limit)
	if oerr != nil {
		con.fail(w, r, oerr.Status, oerr.Message)
		return
	}
	filter := url.Values{}
	for k, v := range map[string]string{"provider": f.Provider, "tenant": f.Tenant, "status": f.Status, "kind": f.Kind} {
		if v != "" {
			filter.Set(k, v)
		}
	}
	if limit != consolePageSize {
		filter.Set("limit", strconv.Itoa(limit))
	}
	var next, first string
	if pg.Next != 0 {
		nq := cloneValues(filter)
		nq.Set("after", strconv.FormatUint(pg.Next, 10))
		next = uiBase + "/sessions?" + nq.Encode()
	}
	if after != 0 {
		first = uiBase + "/sessions?" + filter.Encode()
	}
	con.render(w, r, http.StatusOK, "sessions", page{Title: "Sessions", Nav: "sessions", Live: true, Data: map[string]any{
		"Page": pg, "Filter": f, "Providers": con.e.Providers(), "Next": next, "First": first,
		"Kinds": con.kinds(), "Statuses": con.statuses(f.Provider),
	}})
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// kinds lists the session kinds of every provider, for the filter.
func (con *console) kinds() []string {
	seen := map[string]bool{}
	for _, info := range con.e.scenarios.Catalog() {
		for _, k := range info.Kinds() {
			seen[k] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// statuses lists the statuses a provider's sessions (all providers' when
// prov is "") may have, for the filter.
func (con *console) statuses(prov string) []string {
	seen := map[string]bool{}
	for _, m := range con.e.mounts {
		if pm, ok := m.p.(provider.Machines); ok && (prov == "" || prov == m.p.Name()) {
			for _, mc := range pm.Machines() {
				for _, s := range mc.Statuses() {
					seen[s] = true
				}
			}
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

func (con *console) session(w http.ResponseWriter, r *http.Request) {
	if _, ok := con.query(w, r); !ok {
		return
	}
	id := provider.Vars(r)["id"]
	s, found := con.e.store.Session(id)
	if !found {
		con.fail(w, r, http.StatusNotFound, "No session has that id (it may have been reset or evicted).")
		return
	}
	reqs := con.e.journal.List(httpx.Filter{Session: id, Limit: 200})
	reverse(reqs)
	con.render(w, r, http.StatusOK, "session", page{Title: "Session " + id, Nav: "sessions", Live: true, Data: map[string]any{
		"S": s, "Requests": reqs, "Deliveries": newestFirst(con.e.hooks.Deliveries(webhook.Filter{SessionID: id, Limit: 200})),
	}})
}

func reverse[T any](s []T) {
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
}

func newestFirst(d []webhook.Delivery) []webhook.Delivery { reverse(d); return d }

func (con *console) act(r *http.Request) (string, string, *opError) {
	id := provider.Vars(r)["id"]
	to := uiBase + "/sessions/" + url.PathEscape(id)
	a := provider.Action{Name: r.PostFormValue("action"), Reason: strings.TrimSpace(r.PostFormValue("reason"))}
	s, err := con.e.act(id, a)
	if err != nil {
		return to, "", err
	}
	return to, fmt.Sprintf("Done: %s. The session is now %s.", a.Name, s.Status), nil
}

// --- clock ---

func (con *console) clockPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := con.query(w, r); !ok {
		return
	}
	con.render(w, r, http.StatusOK, "clock", page{Title: "Clock", Nav: "clock", Live: true})
}

func (con *console) moveClock(r *http.Request) (string, string, *opError) {
	to := uiBase + "/clock"
	if back := r.PostFormValue("back"); strings.HasPrefix(back, uiBase+"/") && !strings.ContainsAny(back, "\\\r\n") {
		to = back
	}
	if err := con.e.shiftClock(r.PostFormValue("advance"), r.PostFormValue("set")); err != nil {
		return to, "", err
	}
	return to, "The clock is now " + stamp(con.e.clock.Now()) + ".", nil
}

// --- webhooks ---

func (con *console) webhooks(w http.ResponseWriter, r *http.Request) {
	q, ok := con.query(w, r, deliveryParams...)
	if !ok {
		return
	}
	f, err := con.e.deliveryFilter(q)
	if err != nil {
		con.fail(w, r, err.Status, err.Message)
		return
	}
	if f.Limit == 0 {
		f.Limit = consolePageSize
	}
	con.render(w, r, http.StatusOK, "webhooks", page{Title: "Webhooks", Nav: "webhooks", Live: true, Data: map[string]any{
		"Deliveries": newestFirst(con.e.hooks.Deliveries(f)), "Filter": f, "Providers": con.e.Providers(),
		"Pending": con.e.hooks.Pending(), "Endpoints": con.e.hooks.Endpoints("", ""), "Default": con.e.hooks.DefaultURL(),
		"Statuses": []string{webhook.StatusQueued, webhook.StatusDelayed, webhook.StatusDelivering, webhook.StatusRetrying,
			webhook.StatusDelivered, webhook.StatusFailed, webhook.StatusUndeliverable, webhook.StatusDropped, webhook.StatusDiscarded},
	}})
}

func (con *console) delivery(w http.ResponseWriter, r *http.Request) {
	if _, ok := con.query(w, r); !ok {
		return
	}
	d, found := con.e.hooks.Delivery(provider.Vars(r)["id"])
	if !found {
		con.fail(w, r, http.StatusNotFound, "No delivery has that id (the journal keeps the most recent ones).")
		return
	}
	con.render(w, r, http.StatusOK, "delivery", page{Title: "Delivery " + d.ID, Nav: "webhooks", Live: true, Data: map[string]any{
		"D": d, "Body": prettyBytes(d.Body), "Finished": d.FinishedAt != nil,
	}})
}

func (con *console) redeliver(r *http.Request) (string, string, *opError) {
	id := provider.Vars(r)["id"]
	d, err := con.e.redeliverOne(id)
	if err != nil {
		return uiBase + "/webhooks/" + url.PathEscape(id), "", err
	}
	return uiBase + "/webhooks/" + url.PathEscape(d.ID), "Redelivered as " + d.ID + ".", nil
}

// --- requests ---

func (con *console) requests(w http.ResponseWriter, r *http.Request) {
	q, ok := con.query(w, r, journalParams...)
	if !ok {
		return
	}
	f, err := journalFilter(q)
	if err != nil {
		con.fail(w, r, err.Status, err.Message)
		return
	}
	if f.Limit == 0 {
		f.Limit = consolePageSize
	}
	entries := con.e.journal.List(f)
	reverse(entries)
	var older string
	if len(entries) == f.Limit {
		oq := cloneValues(q)
		oq.Del("msg")
		oq.Del("err")
		oq.Set("before", strconv.FormatUint(entries[len(entries)-1].Seq, 10))
		older = uiBase + "/requests?" + oq.Encode()
	}
	con.render(w, r, http.StatusOK, "requests", page{Title: "Requests", Nav: "requests", Live: f.Before == 0, Data: map[string]any{
		"Entries": entries, "Filter": f, "Providers": con.e.Providers(), "Older": older,
	}})
}

func (con *console) request(w http.ResponseWriter, r *http.Request) {
	if _, ok := con.query(w, r); !ok {
		return
	}
	seq, _ := strconv.ParseUint(provider.Vars(r)["seq"], 10, 64)
	en, found := con.e.journal.Get(seq)
	if !found {
		con.fail(w, r, http.StatusNotFound, "The journal no longer holds that request (it keeps the most recent ones).")
		return
	}
	con.render(w, r, http.StatusOK, "request", page{Title: fmt.Sprintf("Request %d", seq), Nav: "requests", Data: en})
}

// --- scenarios ---

type scenarioRow struct {
	Provider, Name, Description string
	Origin                      scenario.Origin
	Kinds                       []string
	Source                      string
}

func (con *console) scenarios(w http.ResponseWriter, r *http.Request) {
	prov, ok := con.provider(w, r)
	if !ok {
		return
	}
	var rows []scenarioRow
	for _, en := range con.e.scenarios.List(prov) {
		row := scenarioRow{Provider: en.Provider, Name: en.Name, Description: en.Description, Origin: en.Origin, Kinds: en.Doc().Kinds}
		if en.Origin == scenario.OriginFile {
			row.Source = fmt.Sprintf("%s:%d", en.Pos.File, en.Pos.Line)
		}
		rows = append(rows, row)
	}
	con.render(w, r, http.StatusOK, "scenarios", page{Title: "Scenarios", Nav: "scenarios", Data: map[string]any{
		"Rows": rows, "Provider": prov, "Providers": con.e.Providers(), "Defaults": con.e.tenantDefaults(prov),
		"Reload": con.e.scenarios.Reload(),
	}})
}

// scenarioEntry finds a scenario in force.
func (con *console) scenarioEntry(prov, name string) (scenario.Entry, bool) {
	for _, en := range con.e.scenarios.List(prov) {
		if en.Name == name {
			return en, true
		}
	}
	return scenario.Entry{}, false
}

func (con *console) scenario(w http.ResponseWriter, r *http.Request) {
	if _, ok := con.query(w, r); !ok {
		return
	}
	v := provider.Vars(r)
	en, found := con.scenarioEntry(v["provider"], v["name"])
	if !found {
		con.fail(w, r, http.StatusNotFound, "The provider has no scenario by that name.")
		return
	}
	doc, _ := json.MarshalIndent(scenarioDoc(en), "", "  ")
	con.render(w, r, http.StatusOK, "scenario", page{Title: "Scenario " + en.Provider + "/" + en.Name, Nav: "scenarios", Data: map[string]any{
		"E": en, "YAML": string(en.YAML()), "Doc": string(doc),
	}})
}

func (con *console) editor(w http.ResponseWriter, r *http.Request) {
	q, ok := con.query(w, r, "provider", "name")
	if !ok {
		return
	}
	ed := editorData{File: "scenario.yaml", YAML: editorTemplate}
	if q.Get("name") != "" {
		en, found := con.scenarioEntry(q.Get("provider"), q.Get("name"))
		if !found {
			con.fail(w, r, http.StatusNotFound, "The provider has no scenario by that name.")
			return
		}
		ed.YAML, ed.File = string(en.YAML()), en.Name+".yaml"
	}
	con.render(w, r, http.StatusOK, "editor", page{Title: "Scenario editor", Nav: "scenarios", Data: ed})
}

type editorData struct {
	File, YAML string
	// Checked: the YAML was checked (Result holds the outcome).
	Checked bool
	Result  validation
}

// editorTemplate is what a new scenario starts from.
const editorTemplate = `name: slow-approval
provider: gu1
description: approved five minutes after the person finishes the flow
timeline:
  - after: 5m
    from: in_review
    status: approved
`

// saveEditor checks the editor's YAML ("check") or puts every scenario it
// holds ("save"). Problems are shown on the editor, with the text kept, as
// kycemu validate prints them.
func (con *console) saveEditor(w http.ResponseWriter, r *http.Request) {
	if !con.form(w, r) {
		return
	}
	ed := editorData{File: fileLabel(r.PostFormValue("file")), YAML: r.PostFormValue("yaml"), Checked: true}
	ed.Result = con.e.validateScenarios(ed.File, []byte(ed.YAML))
	if r.PostFormValue("do") == "save" && ed.Result.Valid {
		docs, _, err := con.e.storeScenarios(ed.File, "", "", []byte(ed.YAML))
		if err == nil {
			names := make([]string, len(docs))
			for i, d := range docs {
				names[i] = d.Provider + "/" + d.Name
			}
			http.Redirect(w, r, uiLink("/scenarios", "msg", "Saved "+strings.Join(names, ", ")+"."), http.StatusSeeOther)
			return
		}
		ed.Result = validation{Problems: problemsOf(err), Scenarios: []scenario.Doc{}}
	}
	status := http.StatusOK
	if !ed.Result.Valid {
		status = http.StatusUnprocessableEntity
	}
	con.render(w, r, status, "editor", page{Title: "Scenario editor", Nav: "scenarios", Data: ed})
}

func (con *console) setDefault(r *http.Request) (string, string, *opError) {
	d := scenario.Default{Provider: r.PostFormValue("provider"), Tenant: strings.TrimSpace(r.PostFormValue("tenant")),
		Scenario: strings.TrimSpace(r.PostFormValue("scenario"))}
	if err := con.e.setTenantDefault(d); err != nil {
		return uiBase + "/scenarios", "", err
	}
	return uiBase + "/scenarios", fmt.Sprintf("New %s sessions of tenant %s follow %s.", d.Provider, d.Tenant, d.Scenario), nil
}

func (con *console) clearDefault(r *http.Request) (string, string, *opError) {
	prov, tenant := r.PostFormValue("provider"), r.PostFormValue("tenant")
	if !con.e.scenarios.ClearDefault(prov, tenant) {
		return uiBase + "/scenarios", "", refuse(http.StatusNotFound, "default_not_found", "The tenant has no default scenario for that provider.")
	}
	con.e.scenarioStore.defaultsChanged()
	return uiBase + "/scenarios", fmt.Sprintf("Tenant %s has no default %s scenario any more.", tenant, prov), nil
}

// --- template helpers ---

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05.000")
}

// pretty indents a JSON document; other bytes are shown as they are.
func pretty(b json.RawMessage) string { return prettyBytes(b) }

func prettyBytes(b []byte) string {
	var out bytes.Buffer
	if json.Indent(&out, b, "", "  ") == nil {
		return out.String()
	}
	return string(b)
}

// badge is the CSS class of a status.
func badge(status string) string {
	switch strings.ToLower(status) {
	case "approved", "completed", "delivered", "verified", "active", "accepted", "submitted":
		return "ok"
	case "rejected", "failed", "declined", "expired", "cancelled", "canceled", "abandoned", "revoked", "dropped":
		return "bad"
	case "in_review", "review", "retrying", "verifying", "pending_review", "on_hold", "in_progress":
		return "wait"
	}
	return "neutral"
}

// actionClass is the CSS class of an action's button.
func actionClass(a string) string {
	switch a {
	case "approve", "complete", "submit", "process", "accept", "verify":
		return "ok"
	case "reject", "decline", "expire", "cancel", "abandon", "revoke", "fail":
		return "bad"
	}
	return ""
}

// uiLink builds a console URL with query parameters given as name, value
// pairs; empty values are left out.
func uiLink(path string, kv ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			q.Set(kv[i], kv[i+1])
		}
	}
	if len(q) == 0 {
		return uiBase + path
	}
	return uiBase + path + "?" + q.Encode()
}
