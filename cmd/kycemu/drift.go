package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/kycemu/kycemu/emulator"
	"github.com/kycemu/kycemu/emulator/clock"
	"github.com/kycemu/kycemu/emulator/drift"
	"github.com/kycemu/kycemu/testkit/control"
)

type driftConfig struct {
	format, replayURL string
	replay            bool
	seed              int64
}

func driftFlags(cfg *driftConfig, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("drift", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: kycemu drift [flags] DIR

Reports, per provider, operation and status, how the exchanges recorded in DIR
by kycemu proxy --record differ from kycemu's spec. Exit status: 0 no drift,
1 drift (or, with --replay, a shape difference), 2 usage or read errors. Flags:
`)
		fs.PrintDefaults()
	}
	fs.StringVar(&cfg.format, "format", "text", "text or json (KYCEMU_FORMAT)")
	fs.BoolVar(&cfg.replay, "replay", false, "also replay the recorded requests against an in-process kycemu and compare its answers' shapes (KYCEMU_REPLAY)")
	fs.StringVar(&cfg.replayURL, "replay-url", "", "replay against the kycemu at this URL instead; implies --replay (KYCEMU_REPLAY_URL)")
	fs.Int64Var(&cfg.seed, "seed", 1, "seed of the in-process kycemu of --replay (KYCEMU_SEED)")
	return fs
}

// driftCmd runs `kycemu drift`.
func driftCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var cfg driftConfig
	fs := driftFlags(&cfg, stderr)
	// Flags may come before or after DIR.
	var dirs []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0
			}
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		dirs, args = append(dirs, fs.Arg(0)), fs.Args()[1:]
	}
	if err := applyEnv(fs); err != nil {
		fmt.Fprintln(stderr, "kycemu drift:", err)
		return 2
	}
	if len(dirs) != 1 {
		fs.Usage()
		return 2
	}
	if cfg.format != "text" && cfg.format != "json" {
		fmt.Fprintln(stderr, "kycemu drift: --format must be text or json")
		return 2
	}
	xs, err := drift.ReadDir(dirs[0])
	if err != nil {
		fmt.Fprintln(stderr, "kycemu drift:", err)
		return 2
	}
	rep := drift.Summarize(xs)
	var replayed *drift.Replayed
	if cfg.replay || cfg.replayURL != "" {
		if replayed, err = replay(ctx, xs, cfg); err != nil {
			fmt.Fprintln(stderr, "kycemu drift: replay:", err)
			return 2
		}
	}
	if cfg.format == "json" {
		var v any = rep
		if replayed != nil {
			v = map[string]any{"report": rep, "replay": replayed}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		err = enc.Encode(v)
	} else {
		err = rep.WriteText(stdout)
		if err == nil && replayed != nil {
			fmt.Fprintln(stdout)
			err = replayed.WriteText(stdout)
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "kycemu drift:", err)
		return 2
	}
	if rep.Drift || (replayed != nil && replayed.Differing > 0) {
		return 1
	}
	return 0
}

// replay sends the recording to the kycemu at --replay-url, or to one
// started here on a loopback port with a manual clock set to the time of
// the first exchange.
func replay(ctx context.Context, xs []*drift.Exchange, cfg driftConfig) (*drift.Replayed, error) {
	if cfg.replayURL != "" {
		c := control.New(cfg.replayURL)
		t := drift.Target{URL: cfg.replayURL}
		if k, err := c.Clock(ctx); err == nil && k.Mode == "manual" {
			t.Advance = func(d time.Duration) error { _, err := c.Advance(ctx, d); return err }
		}
		return drift.Replay(ctx, xs, t)
	}
	emu, err := emulator.New(emulator.WithClock(clock.NewManual(xs[0].Time)), emulator.WithSeed(cfg.seed),
		emulator.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		return nil, fmt.Errorf("start kycemu: %w", err)
	}
	defer emu.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("start kycemu: %w", err)
	}
	srv := &http.Server{Handler: emu, ReadHeaderTimeout: readHeaderTimeout}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	out, err := drift.Replay(ctx, xs, drift.Target{URL: "http://" + ln.Addr().String(), Advance: emu.Advance})
	if out != nil {
		out.Target = fmt.Sprintf("an in-process kycemu (seed %d, manual clock)", cfg.seed)
	}
	return out, err
}
