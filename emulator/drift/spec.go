package drift

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/gorilla/mux"

	"github.com/kycemu/kycemu/emulator/internal/oas"
	"github.com/kycemu/kycemu/specs"
)

// spec is one provider's OpenAPI document, routed the way the emulator
// routes it (every server base path, plus none, so an upstream URL may
// include the base path or not).
type spec struct {
	name    string
	doc     *oas.Doc
	router  *mux.Router
	ops     map[string]*oas.Operation
	webhook *oas.Schema
	errs    *oas.Schema
}

func loadSpec(name string) (*spec, error) {
	raw, err := specs.Read(name)
	if err != nil {
		return nil, fmt.Errorf("unknown provider %q: %w", name, err)
	}
	doc, err := oas.Load(raw)
	if err != nil {
		return nil, fmt.Errorf("load %s spec: %w", name, err)
	}
	s := &spec{name: name, doc: doc, router: mux.NewRouter(), ops: map[string]*oas.Operation{}}
	bases := doc.BasePaths()
	if bases[0] != "" {
		bases = append(bases, "")
	}
	for _, base := range bases {
		for _, op := range doc.Operations() {
			s.ops[op.ID] = op
			s.router.NewRoute().Path(base + op.Path).Methods(op.Method).Name(op.ID)
		}
	}
	// The webhook body schema is named WebhookEvent, or Webhook (Notus).
	for _, n := range []string{"WebhookEvent", "Webhook"} {
		if sc, ok := doc.ComponentSchema(n); ok {
			s.webhook = sc
			break
		}
	}
	s.errs, _ = doc.ComponentSchema("Error")
	return s, nil
}

// match finds the operation of a request path under the provider's mount.
func (s *spec) match(method, path string) (*oas.Operation, map[string]string) {
	r := &http.Request{Method: method, URL: &url.URL{Path: path}, Header: http.Header{}}
	var m mux.RouteMatch
	if !s.router.Match(r, &m) || m.MatchErr != nil || m.Route == nil {
		return nil, nil
	}
	return s.ops[m.Route.GetName()], m.Vars
}
