package emulator

import (
	"maps"
	"net/http"
	"slices"

	"github.com/kycemu/kycemu/emulator/internal/httpx"
	"github.com/kycemu/kycemu/emulator/provider"
)

// extraCapture is how much of a body an extra route (a hosted page, an
// upload bucket) reads is seen by the journal; the rest is counted.
const extraCapture = 64 << 10

// capture completes a journal entry with the request's and response's
// headers and bodies, bounded and masked (httpx.CaptureBody), and links it
// to the session the request touched: the one a handler names in
// provider.SessionHeader, else the first path parameter or id in the
// response or request body that is one of the provider's sessions.
func (e *Emulator) capture(en *httpx.Entry, r *http.Request, rec *httpx.Recorder, body []byte, size int64) {
	en.RequestHeaders = httpx.CaptureHeaders(r.Header)
	var reqRefs, respRefs []string
	en.Request, reqRefs = httpx.CaptureBody(r.Header.Get("Content-Type"), body, size)
	if en.Request != nil && en.Request.JSON != nil {
		en.RequestBody = en.Request.JSON
	}
	h := rec.Header()
	en.ResponseHeaders = httpx.CaptureHeaders(h)
	en.Response, respRefs = httpx.CaptureBody(h.Get("Content-Type"), rec.Body.Bytes(), int64(rec.Body.Len()))
	var buf [1 + 4 + 2*8]string // the header, path variables, body refs
	candidates := append(buf[:0], h.Get(provider.SessionHeader))
	vars := provider.Vars(r)
	switch len(vars) {
	case 0:
	case 1:
		for _, v := range vars {
			candidates = append(candidates, v)
		}
	default:
		for _, k := range slices.Sorted(maps.Keys(vars)) {
			candidates = append(candidates, vars[k])
		}
	}
	candidates = append(append(candidates, respRefs...), reqRefs...)
	for _, id := range candidates {
		if id == "" {
			continue
		}
		if prov, tenant, ok := e.store.Owner(id); ok && prov == en.Provider {
			en.Session = id
			if en.Tenant == "" {
				en.Tenant = tenant
			}
			return
		}
	}
}
