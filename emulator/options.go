package emulator

import (
	"log/slog"

	"github.com/kycemu/kycemu/emulator/internal/oas"
	"time"

	"github.com/kycemu/kycemu/emulator/clock"
	"github.com/kycemu/kycemu/emulator/state"
)

// Option configures an Emulator.
type Option func(*config)

type config struct {
	clock           clock.Clock
	seed            int64
	seedSet         bool
	log             *slog.Logger
	publicURL       string
	strictResponses bool
	journalSize     int
	maxBody         int64
	scenarioDir     string
	scenarioPoll    time.Duration
	maxLatency      time.Duration
	webhookURL      string
	specs           *SpecCache
	corsOrigins     []string
	dataDir         string
	backend         state.Backend
	limits          state.Limits
}

func defaults() config {
	return config{
		clock:        clock.Real{},
		log:          slog.New(slog.DiscardHandler), // disabled at every level: no line is even formatted
		journalSize:  1000,
		maxBody:      1 << 20,
		scenarioPoll: time.Second,
		maxLatency:   30 * time.Second,
		corsOrigins:  []string{"*"},
	}
}

// WithCORS sets the origins whose pages may call the providers' APIs and
// buckets from a browser ("*" for any; none turns CORS off). Preflights are
// answered as an S3 bucket's CORS configuration answers them, with each
// provider's methods and exposed headers. Default: any origin. The control
// API never answers cross-origin requests.
func WithCORS(origins ...string) Option {
	return func(o *config) { o.corsOrigins = origins }
}

// WithClock sets the clock. Default: the wall clock (clock.Real). Pass
// clock.NewManual(start) for a clock that moves only through the control API
// or Emulator.Advance.
func WithClock(c clock.Clock) Option { return func(o *config) { o.clock = c } }

// WithSeed makes identifiers, tokens and fake identities reproducible.
// Default: a random seed, readable through Emulator.Seed.
func WithSeed(seed int64) Option {
	return func(o *config) { o.seed, o.seedSet = seed, true }
}

// WithLogger sets the structured logger. Default: discard.
func WithLogger(l *slog.Logger) Option { return func(o *config) { o.log = l } }

// WithPublicURL sets the base URL used in links the emulator hands out
// (upload URLs, hosted pages), e.g. "http://kycemu:8080". Default: built from
// each request's scheme and Host header.
func WithPublicURL(u string) Option { return func(o *config) { o.publicURL = u } }

// WithStrictResponses validates every API response against the provider's
// spec and replaces a response that breaks it with a 500 naming the break.
// Default: off (testkit turns it on).
func WithStrictResponses(on bool) Option { return func(o *config) { o.strictResponses = on } }

// WithJournalSize sets how many requests the journal keeps. Default: 1000.
func WithJournalSize(n int) Option { return func(o *config) { o.journalSize = n } }

// WithMaxBodyBytes caps API request bodies (not uploads, which follow their
// own policies). Default: 1 MiB.
func WithMaxBodyBytes(n int64) Option { return func(o *config) { o.maxBody = n } }

// WithScenarioDir loads scenario files from dir (every *.yaml and *.yml
// below it) at start-up, where a bad file makes New fail with every
// problem as "file:line:col: message", and reloads them when they change.
// Default: only the built-in scenarios.
func WithScenarioDir(dir string) Option { return func(o *config) { o.scenarioDir = dir } }

// WithScenarioPollInterval sets how often the scenario directory is checked
// for changes (real time). Default: one second.
func WithScenarioPollInterval(d time.Duration) Option {
	return func(o *config) {
		if d > 0 {
			o.scenarioPoll = d
		}
	}
}

// WithMaxFaultLatency caps the latency scenario faults add to a call or an
// upload. Latency is real time (a manual clock does not move while a call
// waits). Default: 30 seconds.
func WithMaxFaultLatency(d time.Duration) Option {
	return func(o *config) {
		if d > 0 {
			o.maxLatency = d
		}
	}
}

// WithWebhookURL sets the emulator-wide default webhook target: events of a
// tenant that configured no endpoint (PUT /_emulator/webhooks/endpoints) and
// carry no URL of their own go there. Default: none; such events are
// journaled as undeliverable.
func WithWebhookURL(url string) Option { return func(o *config) { o.webhookURL = url } }

// SpecCache shares parsed OpenAPI documents between the emulators of one
// process. Parsing every provider's document is most of what New costs
// (some 20 ms of CPU); emulators given the same cache parse each document
// once. Create one with NewSpecCache; it is safe for concurrent use.
type SpecCache struct{ c oas.Cache }

// NewSpecCache returns an empty cache.
func NewSpecCache() *SpecCache { return &SpecCache{} }

// WithSpecCache makes New take parsed documents from c. Default: each
// emulator parses its own (testkit shares one cache between its servers).
func WithSpecCache(c *SpecCache) Option { return func(o *config) { o.specs = c } }

// WithDataDir keeps all state in dir (a bbolt file, created when missing),
// so a restarted emulator carries on where it stopped: sessions, uploads,
// timelines, webhook retries, scenarios and settings. Only one process may
// use a directory at a time. Default: none; state lives in memory only.
func WithDataDir(dir string) Option { return func(o *config) { o.dataDir = dir } }

// WithStateBackend keeps state in b instead (memstore.New() lets a test
// restart an emulator in one process). It wins over WithDataDir.
func WithStateBackend(b state.Backend) Option { return func(o *config) { o.backend = b } }

// WithLimits bounds what the emulator keeps; zero fields keep their
// defaults (state.DefaultLimits), negative ones remove a bound.
func WithLimits(l state.Limits) Option { return func(o *config) { o.limits = l } }
