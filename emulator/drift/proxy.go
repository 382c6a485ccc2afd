package drift

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/kycemu/kycemu/emulator/clock"
	"github.com/kycemu/kycemu/testkit/verify"
)

// Proxy forwards each provider's requests, under the provider's mount
// (/notus/..., as kycemu serves it), to that provider's upstream, checks
// every exchange against kycemu's spec and records it. Its own routes live
// under /_proxy/: health, webhooks/{provider} (the provider's real
// webhooks) and ext/... (upload forms it rewrote to pass through it).
type Proxy struct {
	ups       map[string]*upstream
	client    *http.Client
	clock     clock.Clock
	log       *slog.Logger
	masker    *Masker
	rec       *Recorder
	publicURL string
	rewrite   bool
	maxBody   int64
	hooks     map[string]string
	secrets   map[string]string
	links     *linkSet

	seqMu sync.Mutex
	seqN  int
}

type upstream struct {
	name     string
	base     *url.URL
	prefix   string // base without a trailing slash
	spec     *spec
	verifier verify.Verifier
	hook     string
}

// Option configures a Proxy.
type Option func(*Proxy)

// WithRecorder records every exchange. Default: nothing is recorded (the
// findings are still logged).
func WithRecorder(r *Recorder) Option { return func(p *Proxy) { p.rec = r } }

// WithClock stamps exchanges with c's time. Default: the real clock.
func WithClock(c clock.Clock) Option { return func(p *Proxy) { p.clock = c } }

// WithLogger logs one line per exchange, findings included. Default: none.
func WithLogger(l *slog.Logger) Option { return func(p *Proxy) { p.log = l } }

// WithMasker masks with m. Default: a masker with a random key.
func WithMasker(m *Masker) Option { return func(p *Proxy) { p.masker = m } }

// WithHTTPClient sends upstream requests and webhook forwards with c; it
// must not follow redirects nor decompress. Default: a client doing
// neither, with a 60 s timeout.
func WithHTTPClient(c *http.Client) Option { return func(p *Proxy) { p.client = c } }

// WithPublicURL is the proxy's own base URL, used for links it rewrites.
// Default: built from each request's Host.
func WithPublicURL(u string) Option {
	return func(p *Proxy) { p.publicURL = strings.TrimSuffix(u, "/") }
}

// WithRewriteLinks makes answers hand out links through the proxy: URLs at
// the upstream's origin and the URLs of upload forms ({"url","fields"}) at
// other hosts are rewritten so that the uploads and hosted pages a client
// opens are forwarded (and checked) too; the record keeps the upstream's
// answer as it was. Default: on.
func WithRewriteLinks(on bool) Option { return func(p *Proxy) { p.rewrite = on } }

// WithMaxBody is how many bytes of a body the proxy holds to check; bigger
// bodies are forwarded whole, unchecked. Default: 32 MiB.
func WithMaxBody(n int64) Option { return func(p *Proxy) { p.maxBody = n } }

// WithWebhookTarget forwards the provider's webhooks (received at
// /_proxy/webhooks/{provider}) to url; provider "" stands for every
// provider without a target of its own. Default: webhooks are checked,
// recorded and answered 204.
func WithWebhookTarget(provider, url string) Option {
	return func(p *Proxy) { p.hooks[provider] = url }
}

// WithWebhookSecret verifies the provider's webhook signatures: with the
// webhook secret for gu1 (and kycemu's Notus events), with the API key
// for Kulipa (its public keys are fetched from the upstream with it).
// Default: only the signature scheme is checked.
func WithWebhookSecret(provider, secret string) Option {
	return func(p *Proxy) { p.secrets[provider] = secret }
}

// New returns a proxy for upstreams, a map from provider name (notus, gu1,
// ...) to the URL its requests go to: the provider's origin, optionally
// with the spec's base path (https://api.notus.team, or a kycemu's
// http://127.0.0.1:8080/notus).
func New(upstreams map[string]string, opts ...Option) (*Proxy, error) {
	p := &Proxy{
		ups: map[string]*upstream{}, clock: clock.Real{}, rewrite: true, maxBody: 32 << 20,
		hooks: map[string]string{}, secrets: map[string]string{}, links: newLinkSet(10000),
		log: slog.New(slog.DiscardHandler),
	}
	for _, o := range opts {
		o(p)
	}
	if p.masker == nil {
		p.masker = NewMasker(nil)
	}
	if p.client == nil {
		p.client = &http.Client{
			Timeout:       60 * time.Second,
			Transport:     &http.Transport{Proxy: http.ProxyFromEnvironment, DisableCompression: true, MaxIdleConnsPerHost: 16},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	if len(upstreams) == 0 {
		return nil, fmt.Errorf("new proxy: no upstream given")
	}
	for name, raw := range upstreams {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("new proxy: upstream of %s must be an absolute http or https URL", name)
		}
		s, err := loadSpec(name)
		if err != nil {
			return nil, fmt.Errorf("new proxy: %w", err)
		}
		up := &upstream{name: name, base: u, prefix: strings.TrimSuffix(u.String(), "/"), spec: s, hook: p.hooks[name]}
		if up.hook == "" {
			up.hook = p.hooks[""]
		}
		if secret, ok := p.secrets[name]; ok {
			base := up.prefix
			if b := s.doc.BasePaths()[0]; !strings.HasSuffix(base, b) {
				base += b
			}
			if up.verifier, err = verify.ForTenant(name, secret, secret, base, p.client); err != nil {
				return nil, fmt.Errorf("new proxy: webhook secret for %s: %w", name, err)
			}
		}
		p.ups[name] = up
	}
	for name := range p.secrets {
		if p.ups[name] == nil {
			return nil, fmt.Errorf("new proxy: webhook secret for %s, which has no upstream", name)
		}
	}
	return p, nil
}

// Providers lists the proxied providers, sorted.
func (p *Proxy) Providers() []string {
	out := make([]string, 0, len(p.ups))
	for n := range p.ups {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// ServeHTTP routes a request to its provider's upstream or to the proxy's
// own routes.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	switch {
	case path == "/_proxy/health":
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "providers": p.Providers()})
		return
	case strings.HasPrefix(path, "/_proxy/webhooks/"):
		name, _, _ := strings.Cut(strings.TrimPrefix(path, "/_proxy/webhooks/"), "/")
		if up := p.ups[name]; up != nil && r.Method == http.MethodPost {
			p.webhook(w, r, up)
			return
		}
	case strings.HasPrefix(path, "/_proxy/ext/"):
		if up, target := p.extTarget(r); up != nil {
			p.forward(w, r, up, target, "", true)
			return
		}
	default:
		name, _, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
		if up := p.ups[name]; up != nil {
			rel := strings.TrimPrefix(path, "/"+name)
			raw := strings.TrimPrefix(r.URL.EscapedPath(), "/"+name)
			target := *up.base
			target.Path = strings.TrimSuffix(up.base.Path, "/") + rel
			target.RawPath = strings.TrimSuffix(up.base.EscapedPath(), "/") + raw
			target.RawQuery = r.URL.RawQuery
			p.forward(w, r, up, &target, rel, false)
			return
		}
	}
	writeJSON(w, http.StatusNotFound, map[string]any{"error": map[string]string{
		"code": "not_found", "message": "no proxied provider or proxy route here (proxied: " + strings.Join(p.Providers(), ", ") + ")"}})
}

// writeJSON answers the proxy's own routes and errors.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// forward sends r to target, answers with the upstream's answer, and checks
// and records the exchange. rel is the path under the provider's mount;
// ext marks a request to a link at another host.
func (p *Proxy) forward(w http.ResponseWriter, r *http.Request, up *upstream, target *url.URL, rel string, ext bool) {
	start := time.Now()
	x := &Exchange{Seq: p.nextSeq(), Time: p.clock.Now(), Provider: up.name}
	reqBody, reqRest, err := readCapped(r.Body, p.maxBody)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]string{"code": "bad_request", "message": "request body could not be read"}})
		return
	}
	var body io.Reader = http.NoBody
	if len(reqBody) > 0 || reqRest != nil {
		body = bytes.NewReader(reqBody)
		if reqRest != nil {
			body = io.MultiReader(body, reqRest)
		}
	}
	out, err := http.NewRequestWithContext(r.Context(), r.Method, target.String(), body)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]string{"code": "bad_request", "message": "request cannot be forwarded"}})
		return
	}
	out.Header = forwardHeader(r.Header)
	out.ContentLength = r.ContentLength
	if reqRest == nil {
		out.ContentLength = int64(len(reqBody))
	}
	x.Request = Message{Method: r.Method, URL: p.masker.URL(target.String()), Path: p.masker.Path(rel),
		Query: p.masker.Query(r.URL.RawQuery), Header: p.masker.Header(out.Header),
		Body: p.recordBody(r.Header.Get("Content-Type"), reqBody, reqRest != nil)}
	resp, err := p.client.Do(out)
	if err != nil {
		x.Kind = ExchangeUnmatched
		x.Notes = append(x.Notes, "upstream unreachable: "+describeErr(err))
		writeJSON(w, http.StatusBadGateway, map[string]any{"error": map[string]string{"code": "upstream_unreachable",
			"message": "the upstream of " + up.name + " did not answer"}})
		x.Response = Message{Status: http.StatusBadGateway}
		p.finish(r.Context(), x, start)
		return
	}
	defer resp.Body.Close()
	respBody, respRest, err := readCapped(resp.Body, p.maxBody)
	plain := respBody
	if err != nil {
		respRest, plain = nil, nil
		x.Notes = append(x.Notes, "upstream answer cut short: "+describeErr(err))
	} else if enc := resp.Header.Get("Content-Encoding"); enc != "" && respRest == nil {
		if plain, err = decode(enc, respBody, p.maxBody); err != nil {
			plain = nil
			x.Notes = append(x.Notes, "answer not checked: content encoding "+enc+" could not be decoded")
		}
	}
	complete := reqRest == nil && respRest == nil && plain != nil
	key := linkKey(target)
	op, params := up.spec.match(r.Method, rel)
	switch {
	case ext || (op == nil && p.links.has(key)):
		x.Kind = ExchangeLink
	case op != nil:
		x.Kind, x.Operation = ExchangeAPI, op.ID
		if complete {
			var notes []string
			x.Findings, notes = checkAPI(r.Context(), p.masker, up.spec, op, params, exchangeIn{
				method: r.Method, path: rel, query: r.URL.RawQuery, reqHeader: r.Header, reqBody: reqBody,
				status: resp.StatusCode, respHeader: resp.Header, respBody: plain})
			x.Notes = append(x.Notes, notes...)
		} else {
			x.Notes = append(x.Notes, fmt.Sprintf("not checked: a body is larger than %d bytes or could not be read whole", p.maxBody))
		}
	default:
		x.Kind = ExchangeUnmatched
		if resp.StatusCode < 400 {
			x.Findings = []Finding{{Kind: KindRoute, In: "request", Got: r.Method + " " + templatePath(p.masker.Path(rel))}}
		}
	}
	x.Response = Message{Status: resp.StatusCode, Header: p.masker.Header(resp.Header),
		Body: p.recordBody(resp.Header.Get("Content-Type"), plain, !complete)}

	h := w.Header()
	for k, vs := range forwardHeader(resp.Header) {
		h[k] = vs
	}
	send := respBody
	if p.rewrite {
		self := p.selfURL(r)
		if loc := resp.Header.Get("Location"); loc != "" {
			h.Set("Location", p.rewriteURL(up, self, loc))
		}
		if respRest == nil && plain != nil {
			if b, changed := p.rewriteLinks(up, self, plain); changed {
				send = b
				h.Del("Content-Encoding")
				h.Set("Content-Length", fmt.Sprint(len(b)))
			}
		}
	}
	// Recorded before the client has the answer, so a client that got it
	// finds it in the record.
	p.finish(r.Context(), x, start)
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(send)
	if respRest != nil {
		_, _ = io.Copy(w, respRest)
	}
}

// recordBody masks a body for the record; cut marks one the proxy did not
// hold whole.
func (p *Proxy) recordBody(ct string, b []byte, cut bool) *Body {
	if p.rec == nil {
		return nil
	}
	body := p.masker.Body(ct, b, p.rec.maxBody)
	if cut && body != nil {
		body.JSON, body.Text, body.Parts = nil, "", nil
		body.Omitted = fmt.Sprintf("larger than %d bytes", p.maxBody)
	}
	return body
}

func (p *Proxy) nextSeq() int {
	if p.rec != nil {
		return p.rec.seq()
	}
	p.seqMu.Lock()
	defer p.seqMu.Unlock()
	p.seqN++
	return p.seqN
}

// finish logs and records an exchange.
func (p *Proxy) finish(ctx context.Context, x *Exchange, start time.Time) {
	x.DurationMS = float64(time.Since(start).Microseconds()) / 1000
	attrs := []slog.Attr{slog.Int("seq", x.Seq), slog.String("provider", x.Provider), slog.String("kind", x.Kind),
		slog.String("op", x.Operation), slog.String("method", x.Request.Method), slog.String("path", x.Request.Path),
		slog.Int("status", x.Response.Status), slog.Int("findings", len(x.Findings))}
	if x.Event != "" {
		attrs = append(attrs, slog.String("event", x.Event))
	}
	level := slog.LevelInfo
	if len(x.Findings) > 0 {
		level = slog.LevelWarn
		fs := make([]string, len(x.Findings))
		for i, f := range x.Findings {
			fs[i] = f.String()
		}
		attrs = append(attrs, slog.String("drift", strings.Join(fs, "; ")))
	}
	p.log.LogAttrs(ctx, level, "exchange", attrs...)
	if p.rec == nil {
		return
	}
	ok, err := p.rec.Write(x)
	switch {
	case err != nil:
		p.log.Error("recording failed", "seq", x.Seq, "error", err)
	case !ok && p.rec.Dropped() == 1:
		p.log.Warn("record directory is full; later exchanges are checked and logged, not recorded", "max", p.rec.maxFiles)
	}
}

func (p *Proxy) selfURL(r *http.Request) string {
	if p.publicURL != "" {
		return p.publicURL
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if fp := r.Header.Get("X-Forwarded-Proto"); fp == "https" || fp == "http" {
		scheme = fp
	}
	return scheme + "://" + r.Host
}

// hopHeaders are meaningful for one connection only and never forwarded.
var hopHeaders = []string{"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

// forwardHeader copies h without its hop-by-hop headers.
func forwardHeader(h http.Header) http.Header {
	out := h.Clone()
	for _, f := range h.Values("Connection") {
		for _, name := range strings.Split(f, ",") {
			out.Del(strings.TrimSpace(name))
		}
	}
	for _, k := range hopHeaders {
		out.Del(k)
	}
	return out
}

// readCapped reads at most limit bytes; when there is more, it returns the
// rest as a reader that still yields it.
func readCapped(r io.Reader, limit int64) ([]byte, io.Reader, error) {
	if r == nil {
		return nil, nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, nil, err
	}
	if int64(len(b)) > limit {
		return b, r, nil
	}
	return b, nil, nil
}

func decode(enc string, b []byte, limit int64) ([]byte, error) {
	switch strings.ToLower(strings.TrimSpace(enc)) {
	case "identity":
		return b, nil
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("decode gzip: %w", err)
		}
		out, rest, err := readCapped(zr, limit)
		if err != nil || rest != nil {
			return nil, fmt.Errorf("decode gzip: too large or broken")
		}
		return out, nil
	}
	return nil, fmt.Errorf("unsupported content encoding %q", enc)
}

// describeErr names a transport failure without the URL (which may hold a
// presigned signature).
func describeErr(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}
