package drift

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// linkSet remembers, bounded, the URLs (without query) that answers handed
// out, and the other hosts the proxy lets requests through to.
type linkSet struct {
	mu    sync.Mutex
	max   int
	seen  map[string]bool
	order []string
}

func newLinkSet(max int) *linkSet { return &linkSet{max: max, seen: map[string]bool{}} }

func (s *linkSet) add(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen[key] {
		return
	}
	if len(s.order) >= s.max {
		delete(s.seen, s.order[0])
		s.order = s.order[1:]
	}
	s.seen[key] = true
	s.order = append(s.order, key)
}

func (s *linkSet) has(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen[key]
}

// linkKey is a URL without its query and fragment.
func linkKey(u *url.URL) string {
	k := *u
	k.RawQuery, k.Fragment, k.RawFragment = "", "", ""
	return k.String()
}

func hostKey(provider, scheme, host string) string {
	return "host " + provider + " " + scheme + "://" + host
}

// extTarget resolves /_proxy/ext/{provider}/{scheme}/{host}/{rest} to the
// URL it stands for, if the proxy handed that host out.
func (p *Proxy) extTarget(r *http.Request) (*upstream, *url.URL) {
	parts := strings.SplitN(strings.TrimPrefix(r.URL.EscapedPath(), "/_proxy/ext/"), "/", 4)
	if len(parts) < 3 {
		return nil, nil
	}
	up := p.ups[parts[0]]
	if up == nil || (parts[1] != "http" && parts[1] != "https") || !p.links.has(hostKey(up.name, parts[1], parts[2])) {
		return nil, nil
	}
	rest := "/"
	if len(parts) == 4 {
		rest += parts[3]
	}
	u, err := url.Parse(parts[1] + "://" + parts[2] + rest)
	if err != nil {
		return nil, nil
	}
	u.RawQuery = r.URL.RawQuery
	return up, u
}

// rewriteURL points a URL at the upstream's origin to the proxy.
func (p *Proxy) rewriteURL(up *upstream, self, s string) string {
	if hasURLPrefix(s, up.prefix) {
		return self + "/" + up.name + s[len(up.prefix):]
	}
	return s
}

// rewriteLinks makes an answer's links pass through the proxy, and
// remembers them so that requests to them are known as links. Only the
// URL strings change; the rest of the body stays byte for byte.
func (p *Proxy) rewriteLinks(up *upstream, self string, body []byte) ([]byte, bool) {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return body, false
	}
	out := body
	changed := false
	walkStrings(v, false, func(s string, form bool) {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return
		}
		switch {
		case hasURLPrefix(s, up.prefix):
			p.links.add(linkKey(u))
		case form:
			p.links.add(linkKey(u))
			p.links.add(hostKey(up.name, u.Scheme, u.Host))
			ext := self + "/_proxy/ext/" + up.name + "/" + u.Scheme + "/" + u.Host + u.EscapedPath()
			if u.RawQuery != "" {
				ext += "?" + u.RawQuery
			}
			for _, old := range jsonForms(s) {
				if bytes.Contains(out, old) {
					out = bytes.ReplaceAll(out, old, jsonForms(ext)[0])
					changed = true
				}
			}
		}
	})
	for _, old := range jsonForms(up.prefix) {
		old = bytes.TrimSuffix(old, []byte(`"`))
		repl := bytes.TrimSuffix(jsonForms(self + "/" + up.name)[0], []byte(`"`))
		if b, ok := replacePrefix(out, old, repl); ok {
			out, changed = b, true
		}
	}
	return out, changed
}

// walkStrings calls f for every string of v; form is true for the url of
// an upload form (an object with a string url and an object fields).
func walkStrings(v any, form bool, f func(s string, form bool)) {
	switch x := v.(type) {
	case map[string]any:
		_, hasFields := x["fields"].(map[string]any)
		for k, val := range x {
			walkStrings(val, hasFields && k == "url", f)
		}
	case []any:
		for _, val := range x {
			walkStrings(val, false, f)
		}
	case string:
		f(x, form)
	}
}

// jsonForms lists the ways a JSON encoder may write s as a string: plain,
// with HTML characters escaped, and with "/" escaped.
func jsonForms(s string) [][]byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	plain := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	html, _ := json.Marshal(s)
	forms := [][]byte{plain}
	for _, f := range [][]byte{html, bytes.ReplaceAll(plain, []byte("/"), []byte(`\/`)), bytes.ReplaceAll(html, []byte("/"), []byte(`\/`))} {
		dup := false
		for _, g := range forms {
			dup = dup || bytes.Equal(f, g)
		}
		if !dup {
			forms = append(forms, f)
		}
	}
	return forms
}

// replacePrefix replaces the occurrences of a URL prefix in b that end at a
// URL boundary (so https://a.test never matches https://a.test.evil).
func replacePrefix(b, old, repl []byte) ([]byte, bool) {
	var out bytes.Buffer
	changed := false
	for {
		i := bytes.Index(b, old)
		if i < 0 {
			out.Write(b)
			return out.Bytes(), changed
		}
		end := i + len(old)
		if end == len(b) || strings.IndexByte(`/?#"\`, b[end]) >= 0 {
			out.Write(b[:i])
			out.Write(repl)
			changed = true
		} else {
			out.Write(b[:end])
		}
		b = b[end:]
	}
}

func hasURLPrefix(s, prefix string) bool {
	if !strings.HasPrefix(s, prefix) {
		return false
	}
	rest := s[len(prefix):]
	return rest == "" || strings.IndexByte("/?#", rest[0]) >= 0
}
