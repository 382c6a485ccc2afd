package emulator

import (
	"net/http"
	"strings"

	"github.com/kycemu/kycemu/emulator/internal/oas"
	"github.com/kycemu/kycemu/specs"
)

// loadDoc parses an OpenAPI document, through the shared cache when the
// emulator has one (WithSpecCache).
func (e *Emulator) loadDoc(spec []byte) (*oas.Doc, error) {
	if e.cfg.specs != nil {
		return e.cfg.specs.c.Load(spec)
	}
	return oas.Load(spec)
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
