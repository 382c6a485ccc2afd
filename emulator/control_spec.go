package emulator

import (
	"net/http"
	"strings"

	"github.com/kycemu/kycemu/emulator/internal/oas"
	"github.com/kycemu/kycemu/specs"
)

// loadDoc parses an OpenAPI document, through the shared cache when the
// emulator has one (WithSpecCache). An embedded document skips the
// document validation that its tests already did, and comes back before
// it is parsed, from its generated outline (oas.LoadEmbedded); any other
// goes through all of it.
func (e *Emulator) loadDoc(spec []byte) (*oas.Doc, error) {
	name, embedded := specs.NameOf(spec)
	switch c := e.cfg.specs; {
	case c != nil && embedded:
		return c.c.LoadEmbedded(name, spec)
	case c != nil:
		return c.c.Load(spec)
	case embedded:
		return oas.LoadEmbedded(name, spec)
	}
	return oas.Load(spec)
}

// WaitSpecs parses every provider's document not parsed yet and returns
// once all are. New routes from an embedded document's outline and leaves
// its parse to the first request to that provider, which parses that
// document only; nothing needs to call WaitSpecs. It is for a caller that
// would rather pay every parse up front than at each provider's first
// request.
func (e *Emulator) WaitSpecs() {
	for _, m := range e.mounts {
		m.doc.Wait()
	}
}

// wantsJSON reports whether a request for a document asks for JSON
// (?format=json or Accept: application/json) rather than YAML.
func wantsJSON(r *http.Request) bool {
	return r.URL.Query().Get("format") == "json" || strings.Contains(r.Header.Get("Accept"), "application/json")
}

// getControlSpec serves the control API's own OpenAPI document
// (specs/control/openapi.yaml).
func (e *Emulator) getControlSpec(w http.ResponseWriter, r *http.Request) {
	raw, err := specs.Read(specs.Control)
	if err != nil {
		writeControlError(w, http.StatusInternalServerError, "internal", "the control document is not embedded")
		return
	}
	if !wantsJSON(r) {
		w.Header().Set("Content-Type", "application/yaml")
		_, _ = w.Write(raw)
		return
	}
	doc, err := e.loadDoc(raw)
	if err == nil {
		var j []byte
		if j, err = doc.JSON(); err == nil {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(j)
			return
		}
	}
	writeControlError(w, http.StatusInternalServerError, "internal", "the control document could not be converted")
}
