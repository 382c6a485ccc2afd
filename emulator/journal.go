package emulator

import (
	"maps"
	"net/http"
	"slices"
	"sync"

	"github.com/kycemu/kycemu/emulator/internal/httpx"
	"github.com/kycemu/kycemu/emulator/provider"
)

// extraCapture is how much of a body an extra route (a hosted page, an
// upload bucket) reads is seen by the journal; the rest is counted.
const extraCapture = 64 << 10

// refBufs holds the arrays capture collects the ids of two bodies in.
var refBufs = sync.Pool{New: func() any { return new([2 * httpx.MaxRefs][]byte) }}

// capture completes a journal entry with the request's and response's
// headers and bodies, bounded and masked (httpx.CaptureBody), and links it
// to the session the request touched: named, the one the handler named in
// provider.Call.Session (taken as it is when the tenant is known: the
// handler has just created or read it), else the one it names in
// provider.SessionHeader, else the first path parameter or id in the
// response or request body that is one of the provider's sessions.
func (e *Emulator) capture(en *httpx.Entry, r *http.Request, rec *httpx.Recorder, body []byte, size int64, named string) {
	// The ids the bodies name are needed only until the entry is linked,
	// and point into the bodies: they are collected in a pooled array,
	// emptied before it goes back, so that no body outlives its request.
	refs := refBufs.Get().(*[2 * httpx.MaxRefs][]byte)
	defer func() {
		clear(refs[:])
		refBufs.Put(refs)
	}()
	reqRefs := en.CaptureRequest(r.Header, body, size, refs[:0:httpx.MaxRefs])
	h := rec.Header()
	respRefs := en.CaptureResponse(h, rec.Body.Bytes(), refs[httpx.MaxRefs:httpx.MaxRefs])
	link := func(id string) bool {
		if id == "" {
			return false
		}
		prov, tenant, ok := e.store.Owner(id)
		if !ok || prov != en.Provider {
			return false
		}
		en.Session = id
		if en.Tenant == "" {
			en.Tenant = tenant
		}
		return true
	}
	if named != "" {
		if en.Tenant != "" {
			en.Session = named
			return
		}
		// An unauthenticated call: the session's owner is the tenant.
		if link(named) {
			return
		}
	}
	if link(h.Get(provider.SessionHeader)) {
		return
	}
	vars := provider.Vars(r)
	switch len(vars) {
	case 0:
	case 1:
		for _, v := range vars {
			if link(v) {
				return
			}
		}
	default:
		for _, k := range slices.Sorted(maps.Keys(vars)) {
			if link(vars[k]) {
				return
			}
		}
	}
	// The bodies' ids share the bodies' bytes: each is made a string only
	// to be looked up.
	for _, refs := range [][][]byte{respRefs, reqRefs} {
		for _, id := range refs {
			if link(string(id)) {
				return
			}
		}
	}
}
