package emulator

import (
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kycemu/kycemu/emulator/provider"
)

// lacking is a provider with one of its handlers taken away.
type lacking struct {
	provider.Provider
	op string
}

func (l lacking) Handlers() map[string]provider.Handler {
	h := maps.Clone(l.Provider.Handlers())
	delete(h, l.op)
	return h
}

// An embedded document is routed from its outline before it is parsed;
// an operation without a handler must still stop the mount there and then.
func TestMissingHandlerFailsTheMount(t *testing.T) {
	e, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	p := e.byName["gatenox"].p
	ops := e.byName["gatenox"].doc.OperationIDs()
	if _, err := newMount(e, lacking{p, ops[0]}, e.byName["gatenox"].doc); err == nil || !strings.Contains(err.Error(), "has no handler") {
		t.Fatalf("mounting without a handler for %s: %v", ops[0], err)
	}
}

func TestWaitSpecs(t *testing.T) {
	e, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	e.WaitSpecs()
	for _, m := range e.mounts {
		if _, ok := m.doc.ComponentSchema("Error"); !ok {
			t.Errorf("%s: no Error schema once parsed", m.p.Name())
		}
	}
}

// What a client asks before it calls a provider — health, the providers'
// catalogue with their operations, kinds and webhook events, the scenario
// list of another provider — parses no provider's document: the first
// request to a provider parses its own only.
func TestCatalogueParsesNoDocument(t *testing.T) {
	e, err := New()
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	srv := httptest.NewServer(e)
	defer srv.Close()
	get := func(path string, hdr ...string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	for _, p := range []string{"/_emulator/health", "/_emulator/providers", "/_emulator/scenarios?provider=gu1"} {
		if resp := get(p); resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", p, resp.StatusCode)
		}
	}
	for _, m := range e.mounts {
		if m.doc.Parsed() {
			t.Errorf("%s: parsed before any request to it", m.p.Name())
		}
	}
	if resp := get("/notus/api/v1/kyc/individual-verification-sessions/standard/7d3f1c2a-0b4e-4c5d-8e6f-1a2b3c4d5e6f", "x-api-key", "k"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("a missing Notus session: %d", resp.StatusCode)
	}
	for _, m := range e.mounts {
		if want := m.p.Name() == "notus"; m.doc.Parsed() != want {
			t.Errorf("%s: parsed %t after one request to Notus", m.p.Name(), m.doc.Parsed())
		}
	}
}
