package drift

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"path"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
)

// Target is the kycemu a recording is replayed against.
type Target struct {
	// URL is kycemu's base URL; each provider is served under its mount
	// (URL/notus, URL/gu1, ...).
	URL string
	// Client sends the requests; nil is a client that follows no redirect.
	Client *http.Client
	// Advance moves kycemu's clock by the time that passed between two
	// recorded exchanges, so timelines (a review that takes 2 s) play out
	// as they did; nil leaves the clock alone.
	Advance func(time.Duration) error
}

// Replayed is the outcome of a replay.
type Replayed struct {
	Target    string `json:"target"`
	Exchanges int    `json:"exchanges"`
	Replayed  int    `json:"replayed"`
	// Differing counts the replayed exchanges whose answer has another
	// shape than the recorded one.
	Differing int    `json:"differing"`
	Steps     []Step `json:"steps"`
}

// Step is one recorded exchange and how kycemu's answer compares.
type Step struct {
	Seq       int    `json:"seq"`
	Provider  string `json:"provider"`
	Operation string `json:"operation,omitempty"`
	Method    string `json:"method,omitempty"`
	Path      string `json:"path,omitempty"`
	// Skipped says why the exchange was not replayed.
	Skipped     string `json:"skipped,omitempty"`
	Differences []Diff `json:"differences,omitempty"`
}

// Diff is one place where the shapes differ: the status, the content type,
// or a field's JSON type ("absent" where one side lacks the field).
type Diff struct {
	Where    string `json:"where"`
	Recorded string `json:"recorded"`
	Kycemu   string `json:"kycemu"`
}

// Replay sends the recorded requests, in order, to kycemu and compares the
// shape of each answer with the recorded real one. Values the real API
// handed out (ids, tokens, upload URLs) are followed: where a later request
// used one, the replay uses the value kycemu handed out in its place.
// Webhooks are not replayed (the provider sent them, not the client).
func Replay(ctx context.Context, xs []*Exchange, t Target) (*Replayed, error) {
	client := t.Client
	if client == nil {
		client = &http.Client{Timeout: 60 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	base := strings.TrimSuffix(t.URL, "/")
	out := &Replayed{Target: base, Steps: []Step{}}
	subs := &substitutions{values: map[string]string{}}
	var prev time.Time
	for _, x := range xs {
		out.Exchanges++
		step := Step{Seq: x.Seq, Provider: x.Provider, Operation: x.Operation, Method: x.Request.Method, Path: x.Request.Path}
		if t.Advance != nil && !prev.IsZero() && x.Time.After(prev) {
			if err := t.Advance(x.Time.Sub(prev)); err != nil {
				return out, fmt.Errorf("replay #%d: advance the clock: %w", x.Seq, err)
			}
		}
		if x.Time.After(prev) {
			prev = x.Time
		}
		var req *http.Request
		switch {
		case x.Kind == ExchangeWebhook:
			step.Skipped = "a webhook: the provider sent it, not the client"
		case x.Response.Status == http.StatusBadGateway && x.Response.Body == nil:
			step.Skipped = "the upstream did not answer"
		default:
			req, step.Skipped = subs.request(ctx, x, base)
		}
		if step.Skipped != "" {
			out.Steps = append(out.Steps, step)
			continue
		}
		resp, err := client.Do(req)
		if err != nil {
			return out, fmt.Errorf("replay #%d: %w", x.Seq, err)
		}
		body, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
		resp.Body.Close()
		if err != nil {
			return out, fmt.Errorf("replay #%d: read the answer: %w", x.Seq, err)
		}
		out.Replayed++
		step.Differences = compareShapes(x.Response, resp, body)
		if x.Response.Body != nil && len(x.Response.Body.JSON) > 0 {
			var rec, got any
			if json.Unmarshal(x.Response.Body.JSON, &rec) == nil && json.Unmarshal(body, &got) == nil {
				subs.learn(rec, got)
			}
		}
		if len(step.Differences) > 0 {
			out.Differing++
		}
		out.Steps = append(out.Steps, step)
	}
	return out, nil
}

// substitutions maps values of the recording to kycemu's values, and the
// upload forms the recording received to the forms kycemu handed out.
type substitutions struct {
	values map[string]string
	forms  []formPair
}

// formPair is an upload form ({url, fields}) of the recording and kycemu's
// form at the same place of the same answer.
type formPair struct {
	recorded map[string]any
	url      string
	fields   map[string]any
}

// learn pairs the strings at the same places of a recorded and a replayed
// answer that look like handed-out values (ids, tokens, URLs, masked
// secrets) and differ, and the upload forms at the same places.
func (s *substitutions) learn(rec, got any) {
	switch r := rec.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return
		}
		rf, rok := r["fields"].(map[string]any)
		gf, gok := g["fields"].(map[string]any)
		if gu, uok := g["url"].(string); rok && gok && uok {
			s.forms = append(s.forms, formPair{recorded: rf, url: gu, fields: gf})
		}
		for k, v := range r {
			s.learn(v, g[k])
		}
	case []any:
		if g, ok := got.([]any); ok {
			for i := 0; i < len(r) && i < len(g); i++ {
				s.learn(r[i], g[i])
			}
		}
	case string:
		g, ok := got.(string)
		if ok && g != r && handedOut(r) {
			s.add(r, g)
			ru, err1 := url.Parse(r)
			gu, err2 := url.Parse(g)
			if err1 == nil && err2 == nil && ru.Host != "" && gu.Host != "" {
				s.add(linkKey(ru), linkKey(gu))
			}
		}
	}
}

// form finds kycemu's form in place of the recorded form whose fields a
// recorded multipart body posted: the one it agrees with on most fields
// and contradicts on none.
func (s *substitutions) form(parts []Part) *formPair {
	var best *formPair
	bestN := 0
	for i := range s.forms {
		f := &s.forms[i]
		n := 0
		for _, p := range parts {
			v, ok := f.recorded[p.Name]
			if !ok || p.FileName != "" {
				continue
			}
			if v != p.Value {
				n = -1
				break
			}
			n++
		}
		if n > bestN {
			best, bestN = f, n
		}
	}
	return best
}

// add keeps the first value learned for r.
func (s *substitutions) add(r, g string) {
	if _, known := s.values[r]; !known {
		s.values[r] = g
	}
}

func handedOut(v string) bool {
	if strings.HasPrefix(v, maskPrefix) || strings.HasPrefix(v, "http://") || strings.HasPrefix(v, "https://") {
		return true
	}
	return len(v) >= 8 && !strings.ContainsRune(v, ' ') && strings.IndexFunc(v, unicode.IsDigit) >= 0
}

// apply replaces every learned value in v, longest first.
func (s *substitutions) apply(v string) string {
	if r, ok := s.values[v]; ok {
		return r
	}
	keys := make([]string, 0, len(s.values))
	for k := range s.values {
		if len(k) >= 8 && strings.Contains(v, k) {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool { return len(keys[i]) > len(keys[j]) })
	for _, k := range keys {
		v = strings.ReplaceAll(v, k, s.values[k])
	}
	return v
}

// skippedHeaders are not replayed: the transport sets them, or the body
// is rebuilt.
var skippedHeaders = map[string]bool{"Host": true, "Content-Length": true, "Accept-Encoding": true,
	"X-Forwarded-For": true, "X-Forwarded-Host": true, "X-Forwarded-Proto": true}

// request rebuilds a recorded request for kycemu, or says why it cannot.
func (s *substitutions) request(ctx context.Context, x *Exchange, base string) (*http.Request, string) {
	m := x.Request
	target, query := "", m.Query
	var form *formPair
	if m.Body != nil && m.Body.Parts != nil {
		form = s.form(m.Body.Parts)
	}
	if mapped, ok := s.values[m.URL]; ok && m.URL != "" {
		target, query = mapped, ""
	} else if u, err := url.Parse(m.URL); err == nil && m.URL != "" {
		target = s.values[linkKey(u)]
	}
	if form != nil {
		target, query = form.url, ""
	}
	if target == "" {
		if x.Kind == ExchangeLink && m.Path == "" {
			return nil, "a link to another host that kycemu's answers did not hand out"
		}
		segs := strings.Split(m.Path, "/")
		for i, seg := range segs {
			segs[i] = s.apply(seg)
		}
		target = base + "/" + x.Provider + strings.Join(segs, "/")
	}
	if query != "" {
		target += "?" + s.query(query)
	}
	body, ct, why := s.body(m.Body, form)
	if why != "" {
		return nil, why
	}
	req, err := http.NewRequestWithContext(ctx, m.Method, target, bytes.NewReader(body))
	if err != nil {
		return nil, "the recorded request cannot be rebuilt"
	}
	for k, vs := range m.Header {
		if skippedHeaders[http.CanonicalHeaderKey(k)] {
			continue
		}
		for _, v := range vs {
			req.Header.Add(k, s.apply(v))
		}
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	return req, ""
}

func (s *substitutions) query(raw string) string {
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		k, v, hasValue := strings.Cut(p, "=")
		dv, err := url.QueryUnescape(v)
		if hasValue && err == nil {
			parts[i] = k + "=" + url.QueryEscape(s.apply(dv))
		}
	}
	return strings.Join(parts, "&")
}

// body rebuilds a recorded body; for a multipart body it also returns the
// new Content-Type (a fresh boundary). A multipart body that posted an
// upload form posts kycemu's form instead: its fields, then the files.
// File contents were never recorded: a small valid file of the recorded
// type stands in for each.
func (s *substitutions) body(b *Body, form *formPair) ([]byte, string, string) {
	if b == nil {
		return nil, "", ""
	}
	mt, _, _ := mime.ParseMediaType(b.ContentType)
	switch {
	case len(b.JSON) > 0:
		var v any
		if err := json.Unmarshal(b.JSON, &v); err != nil {
			return nil, "", "the recorded JSON body is broken"
		}
		out, _ := json.Marshal(s.value(v))
		return out, "", ""
	case b.Parts != nil:
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		if form != nil {
			names := make([]string, 0, len(form.fields))
			for k := range form.fields {
				names = append(names, k)
			}
			sort.Strings(names)
			for _, k := range names {
				_ = w.WriteField(k, fmt.Sprint(form.fields[k]))
			}
		}
		for _, p := range b.Parts {
			if p.FileName == "" {
				if form == nil {
					_ = w.WriteField(p.Name, s.apply(p.Value))
				}
				continue
			}
			h := textproto.MIMEHeader{}
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, p.Name, p.FileName))
			if p.ContentType != "" {
				h.Set("Content-Type", p.ContentType)
			}
			pw, _ := w.CreatePart(h)
			_, _ = pw.Write(sampleFile(p.ContentType, p.FileName))
		}
		_ = w.Close()
		return buf.Bytes(), w.FormDataContentType(), ""
	case mt == "application/x-www-form-urlencoded":
		return []byte(s.query(b.Text)), "", ""
	case b.Text != "":
		return []byte(s.apply(b.Text)), "", ""
	case b.Omitted == "binary content":
		return sampleFile(mt, ""), "", ""
	}
	return nil, "", "the request body was not recorded (" + b.Omitted + ")"
}

func (s *substitutions) value(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			x[k] = s.value(val)
		}
	case []any:
		for i, val := range x {
			x[i] = s.value(val)
		}
	case string:
		return s.apply(x)
	}
	return v
}

// sampleFile is a small valid file of a content type (or file extension):
// a PNG or JPEG picture, a PDF, or some text.
func sampleFile(contentType, name string) []byte {
	kind := strings.ToLower(contentType)
	if kind == "" || kind == "application/octet-stream" {
		kind = mime.TypeByExtension(strings.ToLower(path.Ext(name)))
	}
	img := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	img.Set(0, 0, color.Black)
	var buf bytes.Buffer
	switch {
	case strings.HasPrefix(kind, "image/jpeg"):
		_ = jpeg.Encode(&buf, img, nil)
	case strings.HasPrefix(kind, "application/pdf"):
		buf.WriteString("%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
	case strings.HasPrefix(kind, "text/"):
		buf.WriteString("kycemu replay\n")
	default:
		_ = png.Encode(&buf, img)
	}
	return buf.Bytes()
}

// compareShapes compares a recorded answer with kycemu's: status, media
// type, and the JSON type at every path of the body.
func compareShapes(rec Message, resp *http.Response, body []byte) []Diff {
	var out []Diff
	if rec.Status != resp.StatusCode {
		out = append(out, Diff{Where: "status", Recorded: fmt.Sprint(rec.Status), Kycemu: fmt.Sprint(resp.StatusCode)})
	}
	recCT := ""
	if rec.Body != nil {
		recCT = rec.Body.ContentType
	}
	gotCT := resp.Header.Get("Content-Type")
	if len(body) == 0 {
		gotCT = ""
	}
	if a, b := mediaType(recCT), mediaType(gotCT); a != b {
		out = append(out, Diff{Where: "content type", Recorded: a, Kycemu: b})
		return out
	}
	if rec.Body == nil || len(rec.Body.JSON) == 0 {
		return out
	}
	var rv, gv any
	if json.Unmarshal(rec.Body.JSON, &rv) != nil {
		return out
	}
	if json.Unmarshal(body, &gv) != nil {
		return append(out, Diff{Where: "body", Recorded: "JSON", Kycemu: "not JSON"})
	}
	rs, gs := shapeOf(rv), shapeOf(gv)
	paths := map[string]bool{}
	for p := range rs.types {
		paths[p] = true
	}
	for p := range gs.types {
		paths[p] = true
	}
	sorted := make([]string, 0, len(paths))
	for p := range paths {
		if !rs.underEmpty(p) && !gs.underEmpty(p) {
			sorted = append(sorted, p)
		}
	}
	sort.Strings(sorted)
	for _, p := range sorted {
		a, b := rs.types[p], gs.types[p]
		if a == b {
			continue
		}
		where := p
		if where == "" {
			where = "body"
		}
		out = append(out, Diff{Where: where, Recorded: dashAbsent(a), Kycemu: dashAbsent(b)})
	}
	return out
}

func dashAbsent(s string) string {
	if s == "" {
		return "absent"
	}
	return s
}

// shape is the JSON type at every path of a value; the items of an array
// share the path "<array>[]" and their types are merged.
type shape struct {
	types  map[string]string
	empty  []string
	merged map[string]map[string]bool
}

func shapeOf(v any) *shape {
	s := &shape{types: map[string]string{}, merged: map[string]map[string]bool{}}
	s.walk(v, "")
	for p, set := range s.merged {
		ts := make([]string, 0, len(set))
		for t := range set {
			ts = append(ts, t)
		}
		sort.Strings(ts)
		s.types[p] = strings.Join(ts, "|")
	}
	return s
}

func (s *shape) walk(v any, p string) {
	if s.merged[p] == nil {
		s.merged[p] = map[string]bool{}
	}
	s.merged[p][jsonKind(v)] = true
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			s.walk(val, join(p, k))
		}
	case []any:
		if len(x) == 0 {
			s.empty = append(s.empty, p)
		}
		for _, val := range x {
			s.walk(val, p+"[]")
		}
	}
}

// underEmpty reports whether p lies below an array that is empty here, so
// the other side's items have nothing to compare with.
func (s *shape) underEmpty(p string) bool {
	for _, e := range s.empty {
		if strings.HasPrefix(p, e+"[]") {
			return true
		}
	}
	return false
}

func join(p, k string) string {
	if p == "" {
		return k
	}
	return p + "." + k
}

// WriteText writes the replay for people: each differing exchange with its
// differences side by side, then what was skipped.
func (r *Replayed) WriteText(w io.Writer) error {
	verdict := "no shape difference"
	if r.Differing > 0 {
		verdict = fmt.Sprintf("%d answered in another shape", r.Differing)
	}
	fmt.Fprintf(w, "replayed %d of %d exchanges against %s: %s\n", r.Replayed, r.Exchanges, r.Target, verdict)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, st := range r.Steps {
		if len(st.Differences) == 0 {
			continue
		}
		fmt.Fprintf(tw, "\n#%06d %s %s %s %s\n", st.Seq, st.Provider, dash(st.Operation), st.Method, st.Path)
		fmt.Fprintf(tw, "  where\trecorded\tkycemu\n")
		for _, d := range st.Differences {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", d.Where, d.Recorded, d.Kycemu)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, st := range r.Steps {
		if st.Skipped != "" {
			fmt.Fprintf(w, "skipped #%06d %s %s: %s\n", st.Seq, st.Provider, dash(st.Operation), st.Skipped)
		}
	}
	return nil
}
