package promtext

import (
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// Content types of the formats.
const (
	ContentTypeText        = "text/plain; version=0.0.4; charset=utf-8"
	ContentTypeOpenMetrics = "application/openmetrics-text; version=1.0.0; charset=utf-8"
)

// Negotiate picks the format an Accept header asks for, and the content
// type to answer with: OpenMetrics when the best-rated of the types
// promtext writes is application/openmetrics-text (version 1.0.0, 0.0.1
// or none), the text format otherwise, whatever the header holds. Types
// it does not write (protobuf, */*) are passed over, as client_golang
// does.
func Negotiate(accept string) (Format, string) {
	best, bestQ, contentType := FormatText, 0.0, ContentTypeText
	for part := range strings.SplitSeq(accept, ",") {
		mt, params, err := mime.ParseMediaType(part)
		if err != nil {
			continue
		}
		q := 1.0
		if s, ok := params["q"]; ok {
			if q, err = strconv.ParseFloat(s, 64); err != nil || q > 1 {
				continue
			}
		}
		if q <= bestQ {
			continue // on a tie, the earlier type wins
		}
		switch v := params["version"]; {
		case mt == "text/plain" && (v == "" || v == "0.0.4"):
			best, bestQ, contentType = FormatText, q, ContentTypeText
		case mt == "application/openmetrics-text" && (v == "" || v == "1.0.0"):
			best, bestQ, contentType = FormatOpenMetrics, q, ContentTypeOpenMetrics
		case mt == "application/openmetrics-text" && v == "0.0.1":
			best, bestQ, contentType = FormatOpenMetrics, q, "application/openmetrics-text; version=0.0.1; charset=utf-8"
		}
	}
	return best, contentType
}

var buffers = sync.Pool{New: func() any { return new([]byte) }}

// ServeHTTP answers a scrape in the format the Accept header asks for. A
// scrape that fails (two series with the same labels) answers 500 with
// the reason, as client_golang's handler does.
func (r *Registry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	format, contentType := Negotiate(req.Header.Get("Accept"))
	bp := buffers.Get().(*[]byte)
	defer buffers.Put(bp)
	b, err := r.Append((*bp)[:0], format)
	*bp = b
	h := w.Header()
	h.Add("Vary", "Accept")
	if err != nil {
		http.Error(w, "An error has occurred while gathering metrics:\n\n"+err.Error(), http.StatusInternalServerError)
		return
	}
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	if req.Method != http.MethodHead {
		w.Write(b)
	}
}
