package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"github.com/kycemu/kycemu/emulator/drift"
)

// pairs is a repeatable flag of [NAME=]VALUE items; one value may hold
// several, comma-separated (as its KYCEMU_* twin does).
type pairs []string

func (p *pairs) String() string { return strings.Join(*p, ",") }

func (p *pairs) Set(v string) error {
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			*p = append(*p, item)
		}
	}
	return nil
}

// split returns the NAME=VALUE items as a map; an item without a name is
// given def ("" when none applies).
func (p pairs) split(def string) (map[string]string, error) {
	out := map[string]string{}
	for _, item := range p {
		name, value := def, item
		if n, v, ok := strings.Cut(item, "="); ok && !strings.Contains(n, "/") && !strings.Contains(n, ":") {
			name, value = n, v
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("%q is given twice", name)
		}
		out[name] = value
	}
	return out, nil
}

type proxyConfig struct {
	addr, provider, record, publicURL, logFormat, logLevel string
	upstreams, hooks, secrets                              pairs
	recordMax, recordBodyMax                               int
	maxBody                                                int64
	rewrite                                                bool
}

func proxyFlags(cfg *proxyConfig, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("proxy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: kycemu proxy --provider NAME --upstream URL [flags]
       kycemu proxy --upstream NAME=URL [--upstream NAME=URL ...] [flags]

Forwards each provider's requests (served under /NAME, as kycemu serves them) to
its real sandbox, answers with the real answer, and checks both against kycemu's
spec. Webhooks: point the provider at /_proxy/webhooks/NAME. Flags:
`)
		fs.PrintDefaults()
	}
	fs.StringVar(&cfg.addr, "addr", ":8080", "listen address (KYCEMU_ADDR)")
	fs.StringVar(&cfg.provider, "provider", "", "the provider of an --upstream given without NAME= (KYCEMU_PROVIDER)")
	fs.Var(&cfg.upstreams, "upstream", "[NAME=]URL of a provider's sandbox, repeatable (KYCEMU_UPSTREAM, comma-separated)")
	fs.StringVar(&cfg.record, "record", "", "directory to record every exchange in, masked (KYCEMU_RECORD)")
	fs.IntVar(&cfg.recordMax, "record-max", drift.DefaultMaxFiles, "most exchange files the record directory holds (KYCEMU_RECORD_MAX)")
	fs.IntVar(&cfg.recordBodyMax, "record-body-max", drift.DefaultMaxBodyBytes, "bytes of a body kept in a record; bigger ones are described only (KYCEMU_RECORD_BODY_MAX)")
	fs.Int64Var(&cfg.maxBody, "max-body", 32<<20, "bytes of a body held to check it; bigger bodies pass unchecked (KYCEMU_MAX_BODY)")
	fs.StringVar(&cfg.publicURL, "public-url", "", "the proxy's own base URL, for links it rewrites; default: from each request's Host (KYCEMU_PUBLIC_URL)")
	fs.BoolVar(&cfg.rewrite, "rewrite-links", true, "point links in answers (upload forms, hosted pages) at the proxy so they pass through it (KYCEMU_REWRITE_LINKS)")
	fs.Var(&cfg.hooks, "webhook-target", "[NAME=]URL the provider's webhooks are forwarded to, repeatable (KYCEMU_WEBHOOK_TARGET)")
	fs.Var(&cfg.secrets, "webhook-secret", "NAME=SECRET to verify webhook signatures: the webhook secret (gu1, notus) or the API key (kulipa), repeatable (KYCEMU_WEBHOOK_SECRET)")
	fs.StringVar(&cfg.logFormat, "log-format", "text", "text or json (KYCEMU_LOG_FORMAT)")
	fs.StringVar(&cfg.logLevel, "log-level", "info", "debug, info, warn or error (KYCEMU_LOG_LEVEL)")
	return fs
}

// proxyCmd runs `kycemu proxy`.
func proxyCmd(ctx context.Context, args []string, stderr io.Writer) int {
	var cfg proxyConfig
	fs := proxyFlags(&cfg, stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if err := applyEnv(fs); err != nil {
		fmt.Fprintln(stderr, "kycemu proxy:", err)
		return 2
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "kycemu proxy: "+format+"\n", a...)
		return 2
	}
	if fs.NArg() > 0 {
		return fail("unexpected argument %q", fs.Arg(0))
	}
	ups, err := cfg.upstreams.split(cfg.provider)
	if err != nil {
		return fail("--upstream: %v", err)
	}
	if len(ups) == 0 {
		return fail("--upstream is required (--provider NAME --upstream URL, or --upstream NAME=URL)")
	}
	if _, ok := ups[""]; ok {
		return fail("--upstream without NAME= needs --provider")
	}
	log, err := newLogger(cfg.logFormat, cfg.logLevel, stderr)
	if err != nil {
		return fail("%v", err)
	}
	opts := []drift.Option{drift.WithLogger(log), drift.WithRewriteLinks(cfg.rewrite), drift.WithMaxBody(cfg.maxBody)}
	if cfg.publicURL != "" {
		opts = append(opts, drift.WithPublicURL(cfg.publicURL))
	}
	hooks, err := cfg.hooks.split("")
	if err != nil {
		return fail("--webhook-target: %v", err)
	}
	for name, u := range hooks {
		opts = append(opts, drift.WithWebhookTarget(name, u))
	}
	secrets, err := cfg.secrets.split("")
	if err != nil {
		return fail("--webhook-secret: %v", err)
	}
	for name, s := range secrets {
		if name == "" {
			return fail("--webhook-secret must be NAME=SECRET")
		}
		opts = append(opts, drift.WithWebhookSecret(name, s))
	}
	if cfg.record != "" {
		rec, err := drift.NewRecorder(cfg.record, cfg.recordMax, cfg.recordBodyMax)
		if err != nil {
			return fail("%v", err)
		}
		opts = append(opts, drift.WithRecorder(rec))
	}
	p, err := drift.New(ups, opts...)
	if err != nil {
		return fail("%v", err)
	}
	return listenAndServe(ctx, cfg.addr, p, log, "kycemu proxy listening", "providers", p.Providers(), "record", cfg.record)
}

// listenAndServe serves h on addr until ctx ends, then shuts down
// gracefully.
func listenAndServe(ctx context.Context, addr string, h http.Handler, log *slog.Logger, msg string, attrs ...any) int {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Error("listen failed", "addr", addr, "error", err)
		return 1
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: readHeaderTimeout, ReadTimeout: readTimeout,
		WriteTimeout: writeTimeout, IdleTimeout: idleTimeout}
	log.Info(msg, append([]any{"addr", ln.Addr().String()}, attrs...)...)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		log.Error("server stopped", "error", err)
		return 1
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), drainTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Error("shutdown incomplete: requests were still running", "error", err)
		return 1
	}
	return 0
}
