package httpx

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// CORS answers cross-origin requests the way an S3 bucket's CORS
// configuration does: a preflight (OPTIONS with Origin and
// Access-Control-Request-Method) from an allowed origin for an allowed
// method is answered 200 with the allowed methods, the requested headers
// echoed and a max age; any other request from an allowed origin gets
// Access-Control-Allow-Origin and the exposed headers. Requests without
// Origin are left alone.
type CORS struct {
	// Origins are the allowed origins; "*" allows any. None turns CORS off.
	Origins []string
	// Methods may be asked for by a preflight.
	Methods []string
	// ExposeHeaders may be read by scripts.
	ExposeHeaders []string
	// MaxAge is how long a browser may cache a preflight answer.
	MaxAge time.Duration
}

// Handle adds the CORS headers r calls for to w. preflight reports whether r
// is a preflight, which the caller must not route: when allowed, it has
// been answered here; when not, the caller answers it (403).
func (c CORS) Handle(w http.ResponseWriter, r *http.Request) (preflight, allowed bool) {
	origin := r.Header.Get("Origin")
	preflight = r.Method == http.MethodOptions && origin != "" && r.Header.Get("Access-Control-Request-Method") != ""
	if origin == "" || len(c.Origins) == 0 {
		return preflight, false
	}
	any := slices.Contains(c.Origins, "*")
	if !any && !slices.Contains(c.Origins, origin) {
		return preflight, false
	}
	h := w.Header()
	if any {
		h.Set("Access-Control-Allow-Origin", "*")
	} else {
		h.Set("Access-Control-Allow-Origin", origin)
	}
	h.Add("Vary", "Origin")
	if !preflight {
		if len(c.ExposeHeaders) > 0 {
			h.Set("Access-Control-Expose-Headers", strings.Join(c.ExposeHeaders, ", "))
		}
		return false, true
	}
	method := r.Header.Get("Access-Control-Request-Method")
	if !slices.Contains(c.Methods, method) {
		h.Del("Access-Control-Allow-Origin")
		return true, false
	}
	h.Add("Vary", "Access-Control-Request-Method")
	h.Add("Vary", "Access-Control-Request-Headers")
	h.Set("Access-Control-Allow-Methods", strings.Join(c.Methods, ", "))
	if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
		h.Set("Access-Control-Allow-Headers", req)
	}
	if len(c.ExposeHeaders) > 0 {
		h.Set("Access-Control-Expose-Headers", strings.Join(c.ExposeHeaders, ", "))
	}
	if c.MaxAge > 0 {
		h.Set("Access-Control-Max-Age", strconv.Itoa(int(c.MaxAge/time.Second)))
	}
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	return true, true
}
