package main

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// pprofFlag adds --pprof to a serve flag set. Profiling is off unless an
// address is given, and it never shares the emulator's listener: the
// provider APIs stay exactly what the providers serve, and a profile can
// be taken from a port the tests under measurement do not talk to.
func pprofFlag(fs *flag.FlagSet, addr *string) {
	fs.StringVar(addr, "pprof", "", "serve Go's profiler (/debug/pprof/) on this address, e.g. 127.0.0.1:6060; default: off (KYCEMU_PPROF)")
}

// pprofHandler serves the runtime profiles on a mux of its own (not
// http.DefaultServeMux, which any imported package may write to).
func pprofHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// startPprof listens on addr and serves the profiler until ctx ends. A
// listen failure is returned, so a mistyped address stops the start-up
// instead of leaving the user without the profile they asked for.
func startPprof(ctx context.Context, addr string, log *slog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	// No write timeout: /debug/pprof/profile?seconds=N answers after N s.
	srv := &http.Server{Handler: pprofHandler(), ReadHeaderTimeout: readHeaderTimeout, IdleTimeout: idleTimeout}
	log.Info("profiler listening", "addr", ln.Addr().String(), "path", "/debug/pprof/")
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("profiler stopped", "error", err)
		}
	}()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	return nil
}
