// Package container runs kycemu in a Docker container for tests, as a
// testcontainers-go module in the shape of the official ones: Run(ctx, img,
// opts...) with testcontainers.CustomizeRequestOption options, returning a
// container with accessors.
//
//	kc, err := container.Run(ctx, "kycemu:latest", container.WithManualClock(start))
//	testcontainers.CleanupContainer(t, kc)
//	if err != nil { t.Fatal(err) }
//	notusURL, err := kc.ProviderURL(ctx, "notus") // http://localhost:<port>/notus/api/v1
//	kyc := kc.Harness(t)                          // the helpers testkit.Server has
//	kyc.Advance(2 * time.Second)
//
// It does not import the emulator: tests that use it compile
// testcontainers-go and the small testkit/control client, nothing more.
//
// Inside a container (Docker-in-Docker, a devcontainer, a CI job in a
// container) it needs no settings: when the Docker engine runs in the test
// container's own network namespace, where testcontainers would look for
// published ports at the default gateway and time out, Run sets
// TESTCONTAINERS_HOST_OVERRIDE=localhost for the process (unless it is
// already set). Scenario files are copied into the container, not
// bind-mounted, so remote engines work too.
//
// Webhooks reach the test process through testcontainers' host port
// access: start a receiver first, open its port with WithWebhookReceiver,
// then route a tenant's webhooks to it:
//
//	rcv := receiver.New(t)
//	kc, err := container.Run(ctx, img, container.WithWebhookReceiver(rcv.URL))
//	err = kc.RouteWebhooks(ctx, rcv, "notus", apiKey)
//	ev := rcv.WaitEvent(10*time.Second, notus.EventKYCSessionCompleted)
//
// HostURL rewrites any URL of the test process into the one the container
// calls (http://host.testcontainers.internal:<port>/...).
package container

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"path"
	"path/filepath"
	"strconv"
	"time"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/kycemu/kycemu/testkit/control"
	"github.com/kycemu/kycemu/testkit/receiver"
)

// Port is the port kycemu listens on inside the container.
const Port = "8080/tcp"

// ScenarioDir is where WithScenarioDir copies the scenario files.
const ScenarioDir = "/scenarios"

// DataDir is where WithDataVolume mounts its volume.
const DataDir = "/data"

// HostInternal is the name under which a container reaches ports of the
// test process opened with WithHostAccess or WithWebhookReceiver.
const HostInternal = testcontainers.HostInternal

// startupTimeout bounds the wait for GET /_emulator/health.
const startupTimeout = 60 * time.Second

// Container is a running kycemu container.
type Container struct {
	testcontainers.Container
	ctl *control.Client
}

// Run starts a kycemu container from img and waits until its health
// endpoint answers. Strict response validation is on unless
// WithStrictResponses(false) is given; any testcontainers option works
// besides this package's. As with every testcontainers module, Run may
// return a non-nil container with an error: terminate it
// (testcontainers.CleanupContainer does).
func Run(ctx context.Context, img string, opts ...testcontainers.ContainerCustomizer) (*Container, error) {
	reachPublishedPorts(ctx)
	moduleOpts := []testcontainers.ContainerCustomizer{
		testcontainers.WithExposedPorts(Port),
		testcontainers.WithEnv(map[string]string{
			"KYCEMU_ADDR":             ":8080",
			"KYCEMU_STRICT_RESPONSES": "true",
			"KYCEMU_LOG_FORMAT":       "json",
		}),
		testcontainers.WithWaitStrategy(wait.ForHTTP("/_emulator/health").WithPort(Port).
			WithPollInterval(20 * time.Millisecond).WithStartupTimeout(startupTimeout)),
	}
	moduleOpts = append(moduleOpts, opts...)

	ctr, err := testcontainers.Run(ctx, img, moduleOpts...)
	var c *Container
	if ctr != nil {
		c = &Container{Container: ctr}
	}
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			err = fmt.Errorf("%w (kycemu never answered on its published port: if the tests run in a container, "+
				"set %s to the host that reaches the engine's published ports)", err, hostOverrideEnv)
		}
		return c, fmt.Errorf("run kycemu: %w", err)
	}
	endpoint, err := ctr.PortEndpoint(ctx, Port, "http")
	if err != nil {
		return c, fmt.Errorf("kycemu endpoint: %w", err)
	}
	c.ctl = control.New(endpoint)
	// Load the provider catalogue now, so ProviderURL and the helpers'
	// checks are answered from memory.
	if _, err := c.ctl.Providers(ctx); err != nil {
		return c, fmt.Errorf("kycemu provider catalogue: %w", err)
	}
	return c, nil
}

// BaseURL returns the emulator's base URL as the test process reaches it,
// such as http://localhost:32768 (the control API is under /_emulator).
func (c *Container) BaseURL(context.Context) (string, error) { return c.ctl.URL(), nil }

// ProviderURL returns the URL that replaces the named provider's real base
// URL, such as http://localhost:32768/notus/api/v1 for "notus". An unknown
// provider is an error listing the mounted ones.
func (c *Container) ProviderURL(ctx context.Context, provider string) (string, error) {
	return c.ctl.BaseURL(ctx, provider)
}

// Control returns the control API client, whose methods return errors.
func (c *Container) Control() *control.Client { return c.ctl }

// Harness returns the control helpers bound to t, the same set a
// testkit.Server has (BaseURL, Approve, Reject, Act, Advance, WaitStatus,
// Requests, Reset, ...), each failing t on error.
func (c *Container) Harness(t control.TB) *control.Harness { return control.NewHarness(t, c.ctl) }

// RouteWebhooks sends a tenant's webhooks of a provider to rcv, a receiver
// in the test process whose port was opened with WithWebhookReceiver(rcv.URL)
// when the container started. rcv then checks their signatures as the
// provider signs them (see receiver.ForTenant) and knows the provider's
// event names, so a WaitEvent for any other fails at once. A tenant not
// shaped like the provider's (control.CheckTenant) or a provider that sends
// no webhooks is refused before anything changes.
func (c *Container) RouteWebhooks(ctx context.Context, rcv *receiver.Receiver, provider, tenant string) error {
	target, err := HostURL(rcv.URL)
	if err != nil {
		return err
	}
	base, err := c.ctl.BaseURL(ctx, provider)
	if err != nil {
		return err
	}
	secret, err := c.ctl.RouteWebhooks(ctx, provider, tenant, target)
	if err != nil {
		return fmt.Errorf("route webhooks: %w", err)
	}
	v, err := receiver.ForTenant(provider, tenant, secret, base, nil)
	if err != nil {
		return err
	}
	p, err := c.ctl.Provider(ctx, provider)
	if err != nil {
		return err
	}
	rcv.SetVerifier(v)
	rcv.SetEvents(provider, p.Events...)
	return nil
}

// WithSeed makes ids, tokens and fake identities reproducible
// (KYCEMU_SEED). Default: a random seed.
func WithSeed(seed int64) testcontainers.CustomizeRequestOption {
	return testcontainers.WithEnv(map[string]string{"KYCEMU_SEED": strconv.FormatInt(seed, 10)})
}

// WithManualClock starts a manual clock at start (KYCEMU_CLOCK=manual):
// time moves only through the control API (Harness.Advance). A zero start
// sets no KYCEMU_CLOCK_START, so the clock starts at the wall-clock time,
// as in testkit. Default: the wall clock.
func WithManualClock(start time.Time) testcontainers.CustomizeRequestOption {
	env := map[string]string{"KYCEMU_CLOCK": "manual"}
	if !start.IsZero() {
		env["KYCEMU_CLOCK_START"] = start.UTC().Format(time.RFC3339)
	}
	return testcontainers.WithEnv(env)
}

// WithStrictResponses turns validation of every response against the
// provider's spec on or off (KYCEMU_STRICT_RESPONSES). Default: on.
func WithStrictResponses(on bool) testcontainers.CustomizeRequestOption {
	return testcontainers.WithEnv(map[string]string{"KYCEMU_STRICT_RESPONSES": strconv.FormatBool(on)})
}

// WithScenarioDir copies the files of a local directory (and its
// subdirectories) into the container at /scenarios before it starts, and
// loads them (KYCEMU_SCENARIOS). The copies are readable by the image's
// user (UID 65532) whatever the local modes, and work with a remote engine.
// Later changes to the local files do not reach the container: put a
// scenario with Control().PutScenario instead, or copy a file in
// (CopyToContainer) and call Control().ReloadScenarios. Default: built-in
// scenarios only.
func WithScenarioDir(dir string) testcontainers.CustomizeRequestOption {
	return func(req *testcontainers.GenericContainerRequest) error {
		root, err := filepath.Abs(dir)
		if err != nil {
			return fmt.Errorf("scenario dir: %w", err)
		}
		var files []testcontainers.ContainerFile
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return err
			}
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			files = append(files, testcontainers.ContainerFile{HostFilePath: p,
				ContainerFilePath: path.Join(ScenarioDir, filepath.ToSlash(rel)), FileMode: 0o644})
			return nil
		})
		if err != nil {
			return fmt.Errorf("scenario dir: %w", err)
		}
		if len(files) == 0 {
			return fmt.Errorf("scenario dir %s holds no files", dir)
		}
		if err := testcontainers.WithFiles(files...)(req); err != nil {
			return err
		}
		return testcontainers.WithEnv(map[string]string{"KYCEMU_SCENARIOS": ScenarioDir})(req)
	}
}

// WithDataVolume keeps kycemu's state in the named Docker volume, mounted
// at /data (KYCEMU_DATA_DIR=/data, kycemu's --data-dir): a container
// started again with the same volume finds the sessions, journal and
// webhook deliveries of the last one. The volume is created when missing
// and outlives the container; remove it with docker volume rm. Default:
// state lives in memory and ends with the container.
func WithDataVolume(volume string) testcontainers.CustomizeRequestOption {
	return func(req *testcontainers.GenericContainerRequest) error {
		if volume == "" {
			return errors.New("data volume: empty volume name")
		}
		if err := testcontainers.WithMounts(testcontainers.VolumeMount(volume, DataDir))(req); err != nil {
			return err
		}
		return testcontainers.WithEnv(map[string]string{"KYCEMU_DATA_DIR": DataDir})(req)
	}
}

// WithHostAccess opens ports of the test process to the container, which
// reaches them at host.testcontainers.internal:<port> (testcontainers' host
// port access, through its sshd container).
func WithHostAccess(ports ...int) testcontainers.CustomizeRequestOption {
	return testcontainers.WithHostPortAccess(ports...)
}

// WithWebhookReceiver opens the port of a webhook receiver running in the
// test process (a receiver.Receiver's URL, or any http://127.0.0.1:<port>
// URL) to the container. Give the container HostURL(receiverURL) wherever
// a provider takes a webhook URL.
func WithWebhookReceiver(receiverURL string) testcontainers.CustomizeRequestOption {
	return func(req *testcontainers.GenericContainerRequest) error {
		port, err := portOf(receiverURL)
		if err != nil {
			return err
		}
		return testcontainers.WithHostPortAccess(port)(req)
	}
}

// HostURL rewrites the URL of a server in the test process (such as a
// webhook receiver on http://127.0.0.1:41234/hooks) into the URL a
// container started with WithHostAccess or WithWebhookReceiver uses to
// reach it (http://host.testcontainers.internal:41234/hooks).
func HostURL(hostURL string) (string, error) {
	u, err := url.Parse(hostURL)
	if err != nil {
		return "", fmt.Errorf("host URL: %w", err)
	}
	port, err := portOf(hostURL)
	if err != nil {
		return "", err
	}
	u.Host = net.JoinHostPort(HostInternal, strconv.Itoa(port))
	return u.String(), nil
}

func portOf(raw string) (int, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return 0, fmt.Errorf("parse %q: %w", raw, err)
	}
	p := u.Port()
	if p == "" {
		return 0, fmt.Errorf("URL %q names no port", raw)
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("URL %q has a bad port", raw)
	}
	return n, nil
}
