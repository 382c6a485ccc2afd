package emulator

import (
	"net/http"
	"strings"
	"sync"

	"github.com/kycemu/kycemu/emulator/internal/oas"
	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/specs"
)

// loadDoc parses an OpenAPI document, through the shared cache when the
// emulator has one (WithSpecCache). An embedded document skips the
// document validation that its tests already did, and comes back before
// it is parsed, from its generated outline (oas.LoadEmbedded); any other
// goes through all of it.
func (e *Emulator) loadDoc(spec []byte) (*oas.Doc, error) {
	if d, ok := e.preloaded[docKeyOf(spec)]; ok {
		return d.doc, d.err
	}
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

// WaitSpecs returns once the providers' documents are parsed. New leaves
// an embedded document's parse to the background, routing from its
// outline meanwhile, and a request that comes before the parse is done
// waits for its own provider's document; nothing needs to call WaitSpecs.
// It is for a caller that wants start-up behind it: kycemu serve collects
// the garbage of starting then.
func (e *Emulator) WaitSpecs() {
	for _, m := range e.mounts {
		m.doc.Wait()
	}
}

// docKey names a document by where its bytes are, for preloadDocs: a
// provider hands out the same slice from every call of Spec.
type docKey struct {
	first *byte
	n     int
}

func docKeyOf(spec []byte) docKey {
	if len(spec) == 0 {
		return docKey{}
	}
	return docKey{&spec[0], len(spec)}
}

type loadedDoc struct {
	doc *oas.Doc
	err error
}

// preloadDocs loads the documents of ps in parallel, before they are
// mounted one after the other: a document that is not embedded is parsed
// there and then, most of the cost of New, and each parses on its own (an
// embedded one comes back at once, its parse left to the background).
// loadDoc answers from what it found until donePreloading.
func (e *Emulator) preloadDocs(ps []provider.Provider) {
	found := make([]loadedDoc, len(ps))
	var wg sync.WaitGroup
	for i, p := range ps {
		wg.Go(func() {
			d, err := e.loadDoc(p.Spec())
			found[i] = loadedDoc{d, err}
		})
	}
	wg.Wait()
	e.preloaded = make(map[docKey]loadedDoc, len(ps))
	for i, p := range ps {
		e.preloaded[docKeyOf(p.Spec())] = found[i]
	}
}

// donePreloading forgets the preloaded documents; the mounts keep theirs.
func (e *Emulator) donePreloading() { e.preloaded = nil }

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
