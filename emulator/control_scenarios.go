package emulator

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gorilla/mux"

	"github.com/kycemu/kycemu/emulator/internal/httpx"
	"github.com/kycemu/kycemu/emulator/scenario"
)

// The scenario part of the control API:
//
//	GET    /_emulator/scenarios[?provider=]      the catalogue in force
//	POST   /_emulator/scenarios                  put every scenario of a YAML body
//	POST   /_emulator/scenarios/reload           reload --scenarios DIR now
//	GET    /_emulator/scenarios/defaults         tenants' default scenarios
//	PUT    /_emulator/scenarios/defaults         {"provider","tenant","scenario"}
//	DELETE /_emulator/scenarios/defaults?provider=&tenant=
//	GET    /_emulator/scenarios/{provider}
//	GET    /_emulator/scenarios/{provider}/{name}[?format=yaml]
//	PUT    /_emulator/scenarios/{provider}/{name}  YAML body
//	DELETE /_emulator/scenarios/{provider}/{name}
func (e *Emulator) scenarioRoutes(c prefixed) {
	c.HandleFunc("/scenarios", e.listScenarios).Methods(http.MethodGet)
	c.HandleFunc("/scenarios", e.postScenarios).Methods(http.MethodPost)
	c.HandleFunc("/scenarios/reload", e.reloadScenarios).Methods(http.MethodPost)
	c.HandleFunc("/scenarios/defaults", e.listDefaults).Methods(http.MethodGet)
	c.HandleFunc("/scenarios/defaults", e.setDefault).Methods(http.MethodPut, http.MethodPost)
	c.HandleFunc("/scenarios/defaults", e.clearDefault).Methods(http.MethodDelete)
	c.HandleFunc("/scenarios/{provider}", e.listScenarios).Methods(http.MethodGet)
	c.HandleFunc("/scenarios/{provider}/{name}", e.getScenario).Methods(http.MethodGet)
	c.HandleFunc("/scenarios/{provider}/{name}", e.putScenario).Methods(http.MethodPut)
	c.HandleFunc("/scenarios/{provider}/{name}", e.deleteScenario).Methods(http.MethodDelete)
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
	prov := mux.Vars(r)["provider"]
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
	v := mux.Vars(r)
	if !e.knownProvider(w, v["provider"], true) {
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
	type problem struct {
		Line    int    `json:"line"`
		Col     int    `json:"col"`
		Message string `json:"message"`
		Text    string `json:"text"`
	}
	var es scenario.Errors
	if !errors.As(err, &es) {
		writeControlError(w, http.StatusBadRequest, "invalid_scenario", err.Error())
		return
	}
	out := make([]problem, len(es))
	for i, p := range es {
		out[i] = problem{Line: p.Line, Col: p.Col, Message: p.Msg, Text: p.Error()}
	}
	httpx.WriteJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{
		"code": "invalid_scenario", "message": es[0].Error(), "problems": out,
	}})
}

func (e *Emulator) putScenario(w http.ResponseWriter, r *http.Request) {
	v := mux.Vars(r)
	if !e.knownProvider(w, v["provider"], true) {
		return
	}
	body, ok := readScenarioBody(w, r)
	if !ok {
		return
	}
	existed := false
	for _, en := range e.scenarios.List(v["provider"]) {
		if en.Name == v["name"] && en.Origin == scenario.OriginAPI {
			existed = true
		}
	}
	scs, err := e.scenarios.Put("body", body, v["provider"], v["name"])
	if err != nil {
		writeProblems(w, err)
		return
	}
	e.scenarioStore.put(body, scs)
	status := http.StatusCreated
	if existed {
		status = http.StatusOK
	}
	httpx.WriteJSON(w, status, scenarioDoc(scenario.Entry{Scenario: scs[0]}))
}

func (e *Emulator) postScenarios(w http.ResponseWriter, r *http.Request) {
	body, ok := readScenarioBody(w, r)
	if !ok {
		return
	}
	scs, err := e.scenarios.Put("body", body, "", "")
	if err != nil {
		writeProblems(w, err)
		return
	}
	e.scenarioStore.put(body, scs)
	docs := make([]scenario.Doc, len(scs))
	for i, sc := range scs {
		docs[i] = scenarioDoc(scenario.Entry{Scenario: sc})
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"scenarios": docs, "total": len(docs)})
}

func (e *Emulator) deleteScenario(w http.ResponseWriter, r *http.Request) {
	v := mux.Vars(r)
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
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"defaults": e.tenantDefaults(r.URL.Query().Get("provider"))})
}

func (e *Emulator) setDefault(w http.ResponseWriter, r *http.Request) {
	var in scenario.Default
	if !decodeControl(w, r, &in) {
		return
	}
	if in.Provider == "" || in.Tenant == "" || in.Scenario == "" {
		writeControlError(w, http.StatusBadRequest, "invalid_body", `give "provider", "tenant" (the credential) and "scenario"`)
		return
	}
	if !e.knownProvider(w, in.Provider, true) {
		return
	}
	if err := e.scenarios.SetDefault(in.Provider, in.Tenant, in.Scenario); err != nil {
		writeControlError(w, http.StatusNotFound, "scenario_not_found", "the provider has no scenario by that name")
		return
	}
	e.scenarioStore.defaultsChanged()
	httpx.WriteJSON(w, http.StatusOK, in)
}

func (e *Emulator) clearDefault(w http.ResponseWriter, r *http.Request) {
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
