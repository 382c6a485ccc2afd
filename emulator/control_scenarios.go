package emulator

import (
	"errors"
	"net/http"
	"strings"

	"github.com/kycemu/kycemu/emulator/internal/httpx"
	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/scenario"
)

// The scenario part of the control API:
//
//	GET    /_emulator/scenarios[?provider=]      the catalogue in force
//	POST   /_emulator/scenarios                  put every scenario of a YAML body
//	POST   /_emulator/scenarios/reload           reload --scenarios DIR now
//	POST   /_emulator/scenarios/validate[?file=] check a YAML body, put nothing
//	GET    /_emulator/scenarios/defaults         tenants' default scenarios
//	PUT    /_emulator/scenarios/defaults         {"provider","tenant","scenario"}
//	DELETE /_emulator/scenarios/defaults?provider=&tenant=
//	GET    /_emulator/scenarios/{provider}
//	GET    /_emulator/scenarios/{provider}/{name}[?format=yaml]
//	PUT    /_emulator/scenarios/{provider}/{name}  YAML body
//	DELETE /_emulator/scenarios/{provider}/{name}
func (e *Emulator) scenarioRoutes(c prefixed) {
	c.HandleFunc("/scenarios", e.listScenarios, http.MethodGet)
	c.HandleFunc("/scenarios", e.postScenarios, http.MethodPost)
	c.HandleFunc("/scenarios/reload", e.reloadScenarios, http.MethodPost)
	c.HandleFunc("/scenarios/validate", e.checkScenarios, http.MethodPost)
	c.HandleFunc("/scenarios/defaults", e.listDefaults, http.MethodGet)
	c.HandleFunc("/scenarios/defaults", e.setDefault, http.MethodPut, http.MethodPost)
	c.HandleFunc("/scenarios/defaults", e.clearDefault, http.MethodDelete)
	c.HandleFunc("/scenarios/{provider}", e.listScenarios, http.MethodGet)
	c.HandleFunc("/scenarios/{provider}/{name}", e.getScenario, http.MethodGet)
	c.HandleFunc("/scenarios/{provider}/{name}", e.putScenario, http.MethodPut)
	c.HandleFunc("/scenarios/{provider}/{name}", e.deleteScenario, http.MethodDelete)
}

func scenarioDoc(en scenario.Entry) scenario.Doc {
	d := en.Doc()
	d.Source = &scenario.DocSource{Origin: en.Origin, Hides: en.Hides}
	if en.Origin != scenario.OriginAPI {
		d.Source.File, d.Source.Line = en.Pos.File, en.Pos.Line
	}
	return d
}

func (e *Emulator) listScenarios(w http.ResponseWriter, r *http.Request) {
	allowed := []string{"provider"}
	if provider.Vars(r)["provider"] != "" {
		allowed = nil
	}
	if !checkQuery(w, r, allowed...) {
		return
	}
	prov := provider.Vars(r)["provider"]
	if prov == "" {
		prov = r.URL.Query().Get("provider")
	}
	if prov != "" && !e.knownProvider(w, prov, true) {
		return
	}
	docs := make([]scenario.Doc, 0)
	for _, en := range e.scenarios.List(prov) {
		docs = append(docs, scenarioDoc(en))
	}
	type step struct {
		After  string `json:"after"`
		From   string `json:"from,omitempty"`
		Status string `json:"status"`
		Reason string `json:"reason,omitempty"`
	}
	builtin := map[string]map[string][]step{}
	for name, info := range e.scenarios.Catalog() {
		if (prov != "" && name != prov) || info.Default == nil {
			continue
		}
		byKind := map[string][]step{}
		for _, k := range info.Kinds() {
			steps := []step{}
			if pl := info.Default(k); pl != nil {
				for _, st := range pl.Steps {
					steps = append(steps, step{After: scenario.FormatDuration(st.After), From: st.From, Status: st.Status, Reason: st.Reason})
				}
			}
			byKind[k] = steps
		}
		builtin[name] = byKind
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{
		"scenarios":        docs,
		"total":            len(docs),
		"defaults":         e.tenantDefaults(prov),
		"providerDefaults": builtin,
		"reload":           e.scenarios.Reload(),
	})
}

func (e *Emulator) tenantDefaults(prov string) []scenario.Default {
	out := make([]scenario.Default, 0)
	for _, d := range e.scenarios.Defaults() {
		if prov == "" || d.Provider == prov {
			out = append(out, d)
		}
	}
	return out
}

func (e *Emulator) getScenario(w http.ResponseWriter, r *http.Request) {
	v := provider.Vars(r)
	if !checkQuery(w, r, "format") || !e.knownProvider(w, v["provider"], true) {
		return
	}
	for _, en := range e.scenarios.List(v["provider"]) {
		if en.Name != v["name"] {
			continue
		}
		if r.URL.Query().Get("format") == "yaml" || strings.Contains(r.Header.Get("Accept"), "yaml") {
			w.Header().Set("Content-Type", "application/yaml")
			_, _ = w.Write(en.YAML())
			return
		}
		httpx.WriteJSON(w, http.StatusOK, scenarioDoc(en))
		return
	}
	writeControlError(w, http.StatusNotFound, "scenario_not_found", "the provider has no scenario by that name")
}

// readScenarioBody reads a YAML body of at most scenario.MaxFileSize bytes.
func readScenarioBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	b, err := httpx.ReadBody(r, scenario.MaxFileSize)
	if errors.Is(err, httpx.ErrTooLarge) {
		writeControlError(w, http.StatusRequestEntityTooLarge, "too_large", "a scenario file is at most 1 MiB")
		return nil, false
	}
	if err != nil {
		writeControlError(w, http.StatusBadRequest, "invalid_body", "body could not be read")
		return nil, false
	}
	return b, true
}

// writeProblems answers a scenario that does not load: 400 with every
// problem, each also as the "file:line:col: message" line validate prints.
func writeProblems(w http.ResponseWriter, err error) {
	ps := problemsOf(err)
	httpx.WriteJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{
		"code": "invalid_scenario", "message": ps[0].Text, "problems": ps,
	}})
}

func (e *Emulator) putScenario(w http.ResponseWriter, r *http.Request) {
	v := provider.Vars(r)
	if !e.knownProvider(w, v["provider"], true) {
		return
	}
	body, ok := readScenarioBody(w, r)
	if !ok {
		return
	}
	docs, created, err := e.storeScenarios("body", v["provider"], v["name"], body)
	if err != nil {
		writeProblems(w, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	httpx.WriteJSON(w, status, docs[0])
}

func (e *Emulator) postScenarios(w http.ResponseWriter, r *http.Request) {
	body, ok := readScenarioBody(w, r)
	if !ok {
		return
	}
	docs, _, err := e.storeScenarios("body", "", "", body)
	if err != nil {
		writeProblems(w, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"scenarios": docs, "total": len(docs)})
}

func (e *Emulator) deleteScenario(w http.ResponseWriter, r *http.Request) {
	v := provider.Vars(r)
	if !e.knownProvider(w, v["provider"], true) {
		return
	}
	err := e.scenarios.Delete(v["provider"], v["name"])
	switch {
	case err == nil:
		e.scenarioStore.deleted(v["provider"], v["name"])
		w.WriteHeader(http.StatusNoContent)
	case errors.Is(err, scenario.ErrNotDeletable):
		writeControlError(w, http.StatusConflict, "not_deletable", err.Error())
	default:
		writeControlError(w, http.StatusNotFound, "scenario_not_found", "the provider has no scenario by that name")
	}
}

func (e *Emulator) reloadScenarios(w http.ResponseWriter, _ *http.Request) {
	dir := e.cfg.scenarioDir
	if dir == "" {
		writeControlError(w, http.StatusConflict, "no_scenario_dir", "kycemu was started without --scenarios DIR")
		return
	}
	if err := e.scenarios.LoadDir(dir); err != nil {
		writeProblems(w, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, e.scenarios.Reload())
}

func (e *Emulator) listDefaults(w http.ResponseWriter, r *http.Request) {
	if !checkQuery(w, r, "provider") {
		return
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"defaults": e.tenantDefaults(r.URL.Query().Get("provider"))})
}

func (e *Emulator) setDefault(w http.ResponseWriter, r *http.Request) {
	var in scenario.Default
	if !decodeControl(w, r, &in) {
		return
	}
	if err := e.setTenantDefault(in); err != nil {
		writeOpError(w, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, in)
}

func (e *Emulator) clearDefault(w http.ResponseWriter, r *http.Request) {
	if !checkQuery(w, r, "provider", "tenant") {
		return
	}
	in := scenario.Default{Provider: r.URL.Query().Get("provider"), Tenant: r.URL.Query().Get("tenant")}
	if in.Provider == "" && in.Tenant == "" && !decodeControl(w, r, &in) {
		return
	}
	if in.Provider == "" || in.Tenant == "" {
		writeControlError(w, http.StatusBadRequest, "invalid_body", `give "provider" and "tenant", in the query or the body`)
		return
	}
	if !e.knownProvider(w, in.Provider, true) {
		return
	}
	if !e.scenarios.ClearDefault(in.Provider, in.Tenant) {
		writeControlError(w, http.StatusNotFound, "default_not_found", "the tenant has no default scenario for that provider")
		return
	}
	e.scenarioStore.defaultsChanged()
	w.WriteHeader(http.StatusNoContent)
}

// checkScenarios validates a YAML body as kycemu validate checks a file
// (?file= names it in the messages, "scenario.yaml" by default) and puts
// nothing: 200 with "valid" and the problems, each with the
// "file:line:col: message" line validate prints.
func (e *Emulator) checkScenarios(w http.ResponseWriter, r *http.Request) {
	q, err := queryParams(r, "file")
	if err != nil {
		writeOpError(w, err)
		return
	}
	body, ok := readScenarioBody(w, r)
	if !ok {
		return
	}
	httpx.WriteJSON(w, http.StatusOK, e.validateScenarios(fileLabel(q.Get("file")), body))
}

// fileLabel is the name a checked body goes by in messages.
func fileLabel(name string) string {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 200 || strings.ContainsAny(name, "\n\r") {
		return "scenario.yaml"
	}
	return name
}
