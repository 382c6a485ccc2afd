// Package httpx holds the emulator's HTTP plumbing: the one JSON writer, a
// buffering response recorder, body limits and the bounded request journal.
package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync"
)

// WriteJSON writes v as JSON with the given status. contentType may be empty
// for "application/json".
func WriteJSON(w http.ResponseWriter, status int, v any) {
	WriteJSONType(w, status, "application/json", v)
}

// jsonBuffers recycles the buffers responses are encoded into: every API
// answer is one, and a fresh buffer grows from 64 bytes by doubling.
var jsonBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooled is the largest buffer put back into a pool; a rare huge
// response is left to the collector rather than kept alive.
const maxPooled = 64 << 10

// JSONAppender is a value that writes its own JSON: exactly what an
// encoding/json Encoder without HTML escaping writes of it (its tests hold
// it to that), without reflection, and without the re-scan encoding/json
// gives what a MarshalJSON returns. The hottest answers are.
type JSONAppender interface {
	AppendJSON(b []byte) []byte
}

// WriteJSONType writes v as JSON under an explicit content type, e.g.
// "application/json; charset=utf-8" for Rails-style providers.
func WriteJSONType(w http.ResponseWriter, status int, contentType string, v any) {
	buf := jsonBuffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= maxPooled {
			buf.Reset()
			jsonBuffers.Put(buf)
		}
	}()
	if a, ok := v.(JSONAppender); ok {
		buf.Write(a.AppendJSON(buf.AvailableBuffer()))
		buf.WriteByte('\n') // as Encoder.Encode ends a value
	} else {
		enc := json.NewEncoder(buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			http.Error(w, `{"message":"response encoding failed"}`, http.StatusInternalServerError)
			return
		}
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// ErrTooLarge is returned by ReadBody when the body exceeds the limit.
var ErrTooLarge = errors.New("request body too large")

// ReadBody reads at most limit bytes of r's body and replaces the body with a
// reader over the bytes read, so later readers see it again.
func ReadBody(r *http.Request, limit int64) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if r.ContentLength > limit {
		return nil, ErrTooLarge // refused before any byte of it is read
	}
	// With a known length, the buffer is allocated at its size (one byte
	// more, to see the end) instead of grown by doubling from 512 bytes.
	size := 512
	if r.ContentLength > 0 {
		size = int(r.ContentLength) + 1
	}
	lr := io.LimitedReader{R: r.Body, N: limit + 1}
	b, err := readAll(&lr, size)
	_ = r.Body.Close()
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, ErrTooLarge
	}
	r.Body = NewBodyReader(b)
	return b, nil
}

// BodyReader is a request body over bytes already read: io.NopCloser of a
// bytes.Reader in one allocation rather than two.
type BodyReader struct{ bytes.Reader }

// NewBodyReader returns a BodyReader over b.
func NewBodyReader(b []byte) *BodyReader {
	br := new(BodyReader)
	br.Reset(b)
	return br
}

// Close does nothing: there is nothing to release.
func (*BodyReader) Close() error { return nil }

// readAll is io.ReadAll starting from a buffer of size bytes. It takes the
// LimitedReader itself, not an io.Reader, so that the one ReadBody makes
// stays on its stack.
func readAll(r *io.LimitedReader, size int) ([]byte, error) {
	b := make([]byte, 0, size)
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}

// Recorder buffers a response so it can be inspected (validated, journaled)
// before it is sent. Headers are written to the wrapped writer's map
// directly.
type Recorder struct {
	w      http.ResponseWriter
	Status int
	Body   bytes.Buffer
	wrote  bool
}

var recorders = sync.Pool{New: func() any { return new(Recorder) }}

// NewRecorder wraps w. A recorder from NewRecorder may be handed back with
// Release once its response is sent and nothing holds its Body any more.
func NewRecorder(w http.ResponseWriter) *Recorder {
	r := recorders.Get().(*Recorder)
	r.w = w
	return r
}

// Release returns r to the pool NewRecorder takes from; r must not be used
// afterwards.
func (r *Recorder) Release() {
	if r.Body.Cap() > maxPooled {
		return
	}
	r.Body.Reset()
	*r = Recorder{Body: r.Body}
	recorders.Put(r)
}

// Header returns the wrapped writer's header map.
func (r *Recorder) Header() http.Header { return r.w.Header() }

// WriteHeader records the status; the first call wins.
func (r *Recorder) WriteHeader(status int) {
	if r.wrote {
		return
	}
	r.wrote = true
	r.Status = status
}

// Write buffers b.
func (r *Recorder) Write(b []byte) (int, error) {
	if !r.wrote {
		r.WriteHeader(http.StatusOK)
	}
	return r.Body.Write(b)
}

// Written reports whether anything was written.
func (r *Recorder) Written() bool { return r.wrote }

// Reset drops what was recorded, headers included, so a different response
// can replace it.
func (r *Recorder) Reset() {
	for k := range r.w.Header() {
		delete(r.w.Header(), k)
	}
	r.Body.Reset()
	r.wrote = false
	r.Status = 0
}

// Flush sends the recorded response to the wrapped writer.
func (r *Recorder) Flush() {
	if !r.wrote {
		r.WriteHeader(http.StatusOK)
	}
	if r.w.Header().Get("Content-Length") == "" && r.Status != http.StatusNoContent && r.Status != http.StatusNotModified {
		r.w.Header().Set("Content-Length", strconv.Itoa(r.Body.Len()))
	}
	r.w.WriteHeader(r.Status)
	_, _ = r.w.Write(r.Body.Bytes())
}
