// Command kycemu runs the KYC provider emulator.
//
//	kycemu [serve] [flags]   run the server (default)
//	kycemu validate FILE...  check scenario files
//	kycemu health [URL]      exit 0 when the server at URL is healthy
//	kycemu version           print the version
//
// Every serve flag has an environment twin: --addr is KYCEMU_ADDR, and so on.
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
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/kycemu/kycemu/emulator"
	"github.com/kycemu/kycemu/emulator/clock"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, args, stdout, stderr)
	case "validate":
		return validate(args, stdout, stderr)
	case "health":
		return health(args, stdout, stderr)
	case "proxy":
		return proxyCmd(ctx, args, stderr)
	case "drift":
		return driftCmd(ctx, args, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "kycemu", emulator.Version())
		return 0
	case "help", "-h", "--help":
		usage(stdout)
		return 0
	default:
		fmt.Fprintf(stderr, "kycemu: unknown command %q\n", cmd)
		usage(stderr)
		return 2
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage:
  kycemu [serve] [flags]   run the emulator (flags: kycemu serve -h)
  kycemu validate FILE...  check scenario files; prints file:line:col: message
  kycemu health [URL]      exit 0 if the emulator at URL answers healthy
                           (default http://127.0.0.1:8080, or KYCEMU_ADDR's port)
  kycemu version           print the version
`)
}

// serveConfig holds the serve flags.
type serveConfig struct {
	addr, scenarios, clock, clockStart, publicURL, logFormat, logLevel string
	webhookURL, cors                                                   string
	seed                                                               int64
	strict                                                             bool
	state                                                              stateConfig
}

func serveFlags(cfg *serveConfig, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.addr, "addr", ":8080", "listen address (KYCEMU_ADDR)")
	fs.StringVar(&cfg.scenarios, "scenarios", "", "directory of scenario YAML files, reloaded on change (KYCEMU_SCENARIOS)")
	fs.Int64Var(&cfg.seed, "seed", 0, "seed for ids, tokens and fake identities; 0 picks one at random (KYCEMU_SEED)")
	fs.StringVar(&cfg.clock, "clock", "real", "real, or manual: time moves only through POST /_emulator/clock (KYCEMU_CLOCK)")
	fs.StringVar(&cfg.clockStart, "clock-start", "", "start time of a manual clock, RFC 3339; default the wall-clock time at start (KYCEMU_CLOCK_START)")
	fs.StringVar(&cfg.publicURL, "public-url", "", "base URL for links handed out (upload URLs); default: from each request's Host (KYCEMU_PUBLIC_URL)")
	fs.StringVar(&cfg.webhookURL, "webhook-url", "", "default target of outbound webhooks for tenants that configured none (KYCEMU_WEBHOOK_URL)")
	fs.StringVar(&cfg.logFormat, "log-format", "text", "text or json (KYCEMU_LOG_FORMAT)")
	fs.StringVar(&cfg.logLevel, "log-level", "info", "debug, info, warn or error (KYCEMU_LOG_LEVEL)")
	fs.StringVar(&cfg.cors, "cors", "*", "origins whose pages may call the APIs and buckets, comma-separated; * any, off none (KYCEMU_CORS)")
	fs.BoolVar(&cfg.strict, "strict-responses", false, "validate every response against the provider's spec (KYCEMU_STRICT_RESPONSES)")
	stateFlags(fs, &cfg.state)
	return fs
}

// applyEnv fills every flag not given on the command line from its
// KYCEMU_* twin.
func applyEnv(fs *flag.FlagSet) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		env := "KYCEMU_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(env); ok && !given[f.Name] && err == nil {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s: %w", env, e)
			}
		}
	})
	return err
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var cfg serveConfig
	fs := serveFlags(&cfg, stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if err := applyEnv(fs); err != nil {
		fmt.Fprintln(stderr, "kycemu:", err)
		return 2
	}
	log, err := newLogger(cfg.logFormat, cfg.logLevel, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "kycemu:", err)
		return 2
	}
	opts := append([]emulator.Option{emulator.WithLogger(log), emulator.WithStrictResponses(cfg.strict)}, cfg.state.options()...)
	switch cfg.clock {
	case "real":
	case "manual":
		var start time.Time // zero: the wall-clock time (clock.NewManual)
		if cfg.clockStart != "" {
			if start, err = time.Parse(time.RFC3339, cfg.clockStart); err != nil {
				fmt.Fprintln(stderr, "kycemu: --clock-start must be an RFC 3339 time")
				return 2
			}
		}
		opts = append(opts, emulator.WithClock(clock.NewManual(start)))
	default:
		fmt.Fprintln(stderr, "kycemu: --clock must be real or manual")
		return 2
	}
	if cfg.seed != 0 {
		opts = append(opts, emulator.WithSeed(cfg.seed))
	}
	if cfg.publicURL != "" {
		opts = append(opts, emulator.WithPublicURL(cfg.publicURL))
	}
	if cfg.cors != "*" {
		var origins []string
		for _, o := range strings.Split(cfg.cors, ",") {
			if o = strings.TrimSpace(o); o != "" && o != "off" {
				origins = append(origins, o)
			}
		}
		opts = append(opts, emulator.WithCORS(origins...))
	}
	if cfg.scenarios != "" {
		opts = append(opts, emulator.WithScenarioDir(cfg.scenarios))
	}
	if cfg.webhookURL != "" {
		if u, err := url.Parse(cfg.webhookURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			fmt.Fprintln(stderr, "kycemu: --webhook-url must be an absolute http or https URL")
			return 2
		}
		opts = append(opts, emulator.WithWebhookURL(cfg.webhookURL))
	}
	emu, err := emulator.New(opts...)
	if err != nil {
		log.Error("start failed", "error", err)
		// Scenario problems are "file:line:col: message" lines: print them
		// as they are, for people and editors to read.
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer emu.Close()
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		log.Error("listen failed", "addr", cfg.addr, "error", err)
		return 1
	}
	srv := &http.Server{Handler: emu, ReadHeaderTimeout: readHeaderTimeout, ReadTimeout: readTimeout,
		WriteTimeout: writeTimeout, IdleTimeout: idleTimeout}
	log.Info("kycemu listening", "addr", ln.Addr().String(), "version", emulator.Version(),
		"providers", emu.Providers(), "clock", cfg.clock, "seed", emu.Seed())
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
		_ = emu.Close()
		return 1
	}
	if err := emu.Close(); err != nil {
		log.Error("closing the data directory failed", "error", err)
		return 1
	}
	return 0
}

func newLogger(format, level string, w io.Writer) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level must be debug, info, warn or error")
	}
	o := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, o)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, o)), nil
	}
	return nil, fmt.Errorf("--log-format must be text or json")
}

// health exits 0 when GET <url>/_emulator/health answers 200.
func health(args []string, stdout, stderr io.Writer) int {
	base := "http://127.0.0.1:8080"
	if a, ok := os.LookupEnv("KYCEMU_ADDR"); ok {
		if _, port, err := net.SplitHostPort(a); err == nil && port != "" {
			base = "http://127.0.0.1:" + port
		}
	}
	if len(args) > 0 {
		base = args[0]
	}
	url := strings.TrimSuffix(base, "/")
	if !strings.HasSuffix(url, "/_emulator/health") {
		url += "/_emulator/health"
	}
	client := &http.Client{Timeout: 3 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		fmt.Fprintln(stderr, "kycemu health:", err)
		return 1
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "kycemu health: %s answered %d\n", url, resp.StatusCode)
		return 1
	}
	fmt.Fprintln(stdout, strings.TrimSpace(string(body)))
	return 0
}
