package main

import (
	"flag"
	"time"

	"github.com/kycemu/kycemu/emulator"
	"github.com/kycemu/kycemu/emulator/state"
)

// stateConfig holds the flags of what kycemu keeps: where, and how much.
type stateConfig struct {
	dataDir string
	limits  state.Limits
}

// stateFlags adds the data directory and the bounds to a serve flag set;
// every one has its KYCEMU_* twin through applyEnv.
func stateFlags(fs *flag.FlagSet, cfg *stateConfig) {
	d := state.DefaultLimits()
	fs.StringVar(&cfg.dataDir, "data-dir", "", "keep all state in this directory and carry on from it after a restart; default: memory only (KYCEMU_DATA_DIR)")
	fs.IntVar(&cfg.limits.Records, "max-records", d.Records, "records kept in all, finished ones dropped first; -1: no bound (KYCEMU_MAX_RECORDS)")
	fs.IntVar(&cfg.limits.RecordsPerTenant, "max-records-per-tenant", d.RecordsPerTenant, "records kept per tenant; -1: no bound (KYCEMU_MAX_RECORDS_PER_TENANT)")
	fs.IntVar(&cfg.limits.Tenants, "max-tenants", d.Tenants, "tenants kept, least recently used dropped first; -1: no bound (KYCEMU_MAX_TENANTS)")
	fs.DurationVar(&cfg.limits.Retention, "retention", d.Retention, "how long a finished session is kept, on the emulator clock; -1ns: forever (KYCEMU_RETENTION)")
	fs.Int64Var(&cfg.limits.BlobBytes, "max-upload-bytes", d.BlobBytes, "bytes of uploaded files kept in all, oldest dropped first; -1: no bound (KYCEMU_MAX_UPLOAD_BYTES)")
	fs.Int64Var(&cfg.limits.BlobBytesPerTenant, "max-upload-bytes-per-tenant", d.BlobBytesPerTenant, "bytes of uploaded files kept per tenant; -1: no bound (KYCEMU_MAX_UPLOAD_BYTES_PER_TENANT)")
}

func (c stateConfig) options() []emulator.Option {
	opts := []emulator.Option{emulator.WithLimits(c.limits)}
	if c.dataDir != "" {
		opts = append(opts, emulator.WithDataDir(c.dataDir))
	}
	return opts
}

// Server timeouts. A slow client may take ReadTimeout over one request,
// body included: a 10 MiB upload must arrive at 35 KB/s or more. Idle
// keep-alive connections close after idleTimeout.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 5 * time.Minute
	writeTimeout      = 5 * time.Minute
	idleTimeout       = 2 * time.Minute
	drainTimeout      = 10 * time.Second
)
