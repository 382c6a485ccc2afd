// Command kycemu runs the KYC provider emulator.
//
//	kycemu [serve] [flags]         run the server (default)
//	kycemu validate FILE|DIR...    check scenario files
//	kycemu health [ADDR|URL]       exit 0 when the server is healthy
//	kycemu fixtures DIR            write the sample documents into DIR
//	kycemu proxy --upstream URL    forward to a real sandbox, checking against the spec
//	kycemu drift DIR               report how recorded exchanges differ from the spec
//	kycemu version                 print the version
//
// `kycemu --help` lists every command and the serve flags. Every serve
// flag has an environment twin: --addr is KYCEMU_ADDR, and so on.
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
	"runtime/debug"
	"strings"
	"sync"
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

// A command is one subcommand: `kycemu NAME ARGS`. run returns the exit
// status: 0 success, 1 failure, 2 usage error.
type command struct {
	name, args, help string
	run              func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

// commands is every subcommand, in the order --help lists them. Add a
// command with one line here. (A function, not a variable: serve's
// usage lists the commands.)
func commands() []command {
	return []command{
		{"serve", "[flags]", "run the emulator (the default command; flags below)", serve},
		{"validate", "FILE|DIR...", "check scenario files; prints file:line:col: message", validate},
		{"health", "[--wait D] [ADDR|URL]", "exit 0 when the emulator answers healthy (host:port, :port or URL;\n" +
			"default 127.0.0.1 at KYCEMU_ADDR's port, else :8080); --wait retries for D", health},
		{"fixtures", "DIR", "write the sample documents (passport, ID card, selfie, PDFs) into DIR", writeFixtures},
		{"proxy", "--upstream [NAME=]URL ...", "forward to a provider's real sandbox, checking both sides against the spec", proxy},
		{"drift", "[flags] DIR", "report how exchanges recorded by proxy --record differ from the spec", driftCmd},
		{"version", "", "print the version", version},
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	name := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if name == "help" || (len(args) > 0 && name == "serve" && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help")) {
		usage(stdout)
		return 0
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(ctx, args, stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "kycemu: unknown command %q\n", name)
	usage(stderr)
	return 2
}

// usage prints the commands and the serve flags.
func usage(w io.Writer) {
	fmt.Fprint(w, "usage: kycemu [COMMAND] [ARGS]\n\ncommands:\n")
	for _, c := range commands() {
		lines := strings.Split(c.help, "\n")
		fmt.Fprintf(w, "  %-32s %s\n", c.name+" "+c.args, lines[0])
		for _, l := range lines[1:] {
			fmt.Fprintf(w, "  %-32s %s\n", "", l)
		}
	}
	fmt.Fprint(w, "\nserve flags (each also read from its KYCEMU_* environment twin):\n")
	var cfg serveConfig
	fs := serveFlags(&cfg, w)
	fs.PrintDefaults()
}

func proxy(ctx context.Context, args []string, _, stderr io.Writer) int {
	return proxyCmd(ctx, args, stderr)
}

func version(_ context.Context, _ []string, stdout, _ io.Writer) int {
	fmt.Fprintln(stdout, "kycemu", emulator.Version())
	return 0
}

// serveConfig holds the serve flags.
type serveConfig struct {
	addr, scenarios, clock, clockStart, publicURL, logFormat, logLevel string
	webhookURL, cors                                                   string
	seed                                                               int64
	strict                                                             bool
	state                                                              stateConfig
	pprof                                                              string
}

func serveFlags(cfg *serveConfig, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { usage(stderr) }
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
	pprofFlag(fs, &cfg.pprof)
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
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "kycemu: serve takes no arguments, got %q (kycemu --help lists the commands)\n", fs.Arg(0))
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
	if cfg.pprof != "" {
		if err := startPprof(ctx, cfg.pprof, log); err != nil {
			log.Error("profiler listen failed", "addr", cfg.pprof, "error", err)
			return 1
		}
	}
	restoreGC := startupGC(cfg.state.dataDir == "")
	emu, err := emulator.New(opts...)
	restoreGC()
	if err != nil {
		log.Error("start failed", "error", err)
		// Scenario problems are "file:line:col: message" lines: print them
		// as they are, for people and editors to read.
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer emu.Close()
	// Starting parses the scenarios: garbage that the collector frees but
	// the runtime hands back to the system only gradually. Handing it back
	// now makes the resident size of an idle emulator what it keeps rather
	// than what starting needed. In the background: the listener need not
	// wait.
	go debug.FreeOSMemory()
	code := listenAndServe(ctx, cfg.addr, emu, log, "kycemu listening", "version", emulator.Version(),
		"providers", emu.Providers(), "clock", cfg.clock, "seed", emu.Seed())
	// Writes still queued reach the data directory before the process ends.
	if err := emu.Close(); err != nil {
		log.Error("closing the data directory failed", "error", err)
		return 1
	}
	return code
}

// startupGC lets emulator.New allocate without collecting, up to a bound,
// and returns the function that puts the collector back as it was. Nearly
// all New allocates is garbage of parsing the scenarios and any document
// that is not embedded (the embedded ones parse at their first use), so
// collecting while it is made is work thrown away; the collection after
// start-up (FreeOSMemory in serve) frees it all at once. The memory limit
// keeps the collector working should New need more than that. Only for a
// start without a data directory: restoring one can keep hundreds of
// megabytes, which the collector should pace by GOGC as usual. A GOGC or
// GOMEMLIMIT of the user's is left alone too.
func startupGC(fresh bool) (restore func()) {
	if !fresh || os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	// The settings are the process's: two starts in one process (tests
	// run serve in-process) take turns, or one would restore the other's.
	startupGCMu.Lock()
	percent := debug.SetGCPercent(-1)
	limit := debug.SetMemoryLimit(startupHeapLimit)
	return func() {
		debug.SetGCPercent(percent)
		debug.SetMemoryLimit(limit)
		startupGCMu.Unlock()
	}
}

var startupGCMu sync.Mutex

// startupHeapLimit bounds what New may allocate before the collector runs.
const startupHeapLimit = 64 << 20

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

// health exits 0 when GET <base>/_emulator/health answers 200, and prints
// the answer. The target is host:port, :port (on 127.0.0.1) or a URL;
// with --wait it is retried until it answers healthy or the time is up.
func health(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("health", flag.ContinueOnError)
	fs.SetOutput(stderr)
	wait := fs.Duration("wait", 0, "keep trying for this long (e.g. 10s) before giving up")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: kycemu health [--wait D] [host:port | :port | URL]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 1 {
		fs.Usage()
		return 2
	}
	target := ""
	if fs.NArg() == 1 {
		target = fs.Arg(0)
	} else if a, ok := os.LookupEnv("KYCEMU_ADDR"); ok {
		if _, port, err := net.SplitHostPort(a); err == nil && port != "" {
			target = ":" + port
		}
	}
	u, err := healthURL(target)
	if err != nil {
		fmt.Fprintln(stderr, "kycemu health:", err)
		return 2
	}
	client := &http.Client{Timeout: 3 * time.Second}
	deadline := time.Now().Add(*wait)
	for {
		body, err := checkHealth(ctx, client, u)
		if err == nil {
			fmt.Fprintln(stdout, strings.TrimSpace(string(body)))
			return 0
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			fmt.Fprintln(stderr, "kycemu health:", err)
			return 1
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// healthURL turns host:port, :port or a URL (with or without the health
// path) into the URL of the health endpoint. "" is :8080.
func healthURL(target string) (string, error) {
	switch {
	case target == "":
		target = "http://127.0.0.1:8080"
	case strings.HasPrefix(target, ":"):
		target = "http://127.0.0.1" + target
	case !strings.Contains(target, "://"):
		target = "http://" + target
	}
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%q is not host:port, :port or an http(s) URL", target)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	if !strings.HasSuffix(u.Path, "/_emulator/health") {
		u.Path += "/_emulator/health"
	}
	return u.String(), nil
}

func checkHealth(ctx context.Context, client *http.Client, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s answered %d", u, resp.StatusCode)
	}
	return body, nil
}
