package httpx

import (
	"bytes"
	"net/http"
	"sync"
)

// What the journal keeps of an exchange (headers, bodies) is most of what
// journaling a request allocates. An entry's copies are therefore written
// into storage of its own, a kept, which goes back to a pool once the ring
// evicts the entry and is reused for a later one. That is sound because no
// one else ever sees that storage: the journal hands out deep copies of its
// entries (List, Get), never the entries themselves.

// kept is the storage of one entry's copies of its exchange.
type kept struct {
	reqHeader, respHeader http.Header
	reqValues, respValues []string
	req, resp             Body
	reqJSON, respJSON     []byte
}

var keptPool = sync.Pool{New: func() any { return new(kept) }}

// storage returns e's storage, taking some from the pool on first use.
func (e *Entry) storage() *kept {
	if e.kept == nil {
		e.kept = keptPool.Get().(*kept)
	}
	return e.kept
}

// release hands k back to the pool; nothing may refer to it any more. Its
// maps are emptied for the next capture; the rest is overwritten by it, and
// what it refers to meanwhile is what the few kept waiting in the pool hold.
func (k *kept) release() {
	clear(k.reqHeader)
	clear(k.respHeader)
	keptPool.Put(k)
}

// CaptureRequest sets e's RequestHeaders, Request and RequestBody from a
// request's header and body (size bytes, of which body holds the first), as
// CaptureHeaders and CaptureBody do, and returns the ids the body names (see
// CaptureBody), appended to refs (empty; a capacity of MaxRefs spares an
// allocation).
func (e *Entry) CaptureRequest(h http.Header, body []byte, size int64, refs [][]byte) [][]byte {
	k := e.storage()
	e.RequestHeaders, k.reqValues = captureHeaders(k.reqHeader, k.reqValues, h)
	if e.RequestHeaders != nil {
		k.reqHeader = e.RequestHeaders
	}
	e.Request, e.RequestBody = nil, nil
	if size <= 0 {
		return nil
	}
	k.reqJSON, refs = k.req.capture(h.Get("Content-Type"), body, size, k.reqJSON, refs)
	e.Request, e.RequestBody = &k.req, k.req.JSON
	return refs
}

// CaptureResponse sets e's ResponseHeaders and Response from a response's
// header and body, as CaptureHeaders and CaptureBody do, and returns the
// ids the body names, as CaptureRequest does.
func (e *Entry) CaptureResponse(h http.Header, body []byte, refs [][]byte) [][]byte {
	k := e.storage()
	e.ResponseHeaders, k.respValues = captureHeaders(k.respHeader, k.respValues, h)
	if e.ResponseHeaders != nil {
		k.respHeader = e.ResponseHeaders
	}
	e.Response = nil
	if len(body) == 0 {
		return nil
	}
	k.respJSON, refs = memo.capture(&k.resp, h.Get("Content-Type"), body, k.respJSON, refs)
	e.Response = &k.resp
	return refs
}

// detached returns a copy of e sharing none of its recyclable storage.
func (e *Entry) detached() Entry {
	c := *e
	if e.kept == nil {
		return c
	}
	c.kept = nil
	c.RequestHeaders = e.RequestHeaders.Clone()
	c.ResponseHeaders = e.ResponseHeaders.Clone()
	if e.Request != nil {
		req := *e.Request
		req.JSON = bytes.Clone(req.JSON)
		c.Request = &req
		if e.RequestBody != nil {
			c.RequestBody = req.JSON
		}
	}
	if e.Response != nil {
		resp := *e.Response
		resp.JSON = bytes.Clone(resp.JSON)
		c.Response = &resp
	}
	return c
}
