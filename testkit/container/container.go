// Package container runs kycemu in a Docker container for tests, as a
// testcontainers-go module in the style of the official ones:
//
//	kc, err := container.Run(ctx, "kycemu:latest", container.WithManualClock(start))
//	testcontainers.CleanupContainer(t, kc)
//	kyc := kc.Harness(t)              // the same helpers testkit.Server has
//	notusURL := kyc.BaseURL("notus")  // http://localhost:<port>/notus/api/v1
//
// It does not import the emulator: tests that use it compile
// testcontainers-go and the small testkit/control client, nothing more.
//
// Webhooks reach the test process through testcontainers' host port
// access: start a receiver first, open its port with WithWebhookReceiver,
// then route a tenant's webhooks to it:
//
//	rcv := receiver.New(t)
//	kc, err := container.Run(ctx, img, container.WithWebhookReceiver(rcv.URL))
//	err = kc.RouteWebhooks(ctx, rcv, "notus", apiKey)
//	ev := rcv.WaitEvent(10*time.Second, "kyc.session.completed")
//
// HostURL rewrites any URL of the test process into the one the container
// calls (http://host.testcontainers.internal:<port>/...).
package container

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/kycemu/kycemu/testkit/control"
	"github.com/kycemu/kycemu/testkit/receiver"
)

// Port is the port kycemu listens on inside the container.
const Port = "8080/tcp"

// ScenarioMount is where WithScenarioDir mounts the scenario directory.
const ScenarioMount = "/scenarios"

// HostInternal is the name under which a container reaches ports of the
// test process opened with WithHostAccess or WithWebhookReceiver.
const HostInternal = testcontainers.HostInternal

// Container is a running kycemu container.
type Container struct {
	testcontainers.Container
	url string
	ctl *control.Client
}

// Run starts a kycemu container from img and waits until its health
// endpoint answers. Strict response validation is on unless
// WithStrictResponses(false) is given. As with every testcontainers module,
// Run may return a non-nil container with an error: terminate it
// (testcontainers.CleanupContainer does).
func Run(ctx context.Context, img string, opts ...testcontainers.ContainerCustomizer) (*Container, error) {
	moduleOpts := []testcontainers.ContainerCustomizer{
		testcontainers.WithExposedPorts(Port),
		testcontainers.WithEnv(map[string]string{
			"KYCEMU_ADDR":             ":8080",
			"KYCEMU_STRICT_RESPONSES": "true",
			"KYCEMU_LOG_FORMAT":       "json",
		}),
		testcontainers.WithWaitStrategy(wait.ForHTTP("/_emulator/health").WithPort(Port).
			WithPollInterval(20 * time.Millisecond).WithStartupTimeout(60 * time.Second)),
	}
	moduleOpts = append(moduleOpts, opts...)

	ctr, err := testcontainers.Run(ctx, img, moduleOpts...)
	var c *Container
	if ctr != nil {
		c = &Container{Container: ctr}
	}
	if err != nil {
		return c, fmt.Errorf("run kycemu: %w", err)
	}
	endpoint, err := ctr.PortEndpoint(ctx, Port, "http")
	if err != nil {
		return c, fmt.Errorf("kycemu endpoint: %w", err)
	}
	c.url = endpoint
	c.ctl = control.New(endpoint)
	// Load the provider catalogue now, so BaseURL is answered from memory.
	if _, err := c.ctl.BaseURL(ctx, "notus"); err != nil {
		return c, fmt.Errorf("kycemu provider catalogue: %w", err)
	}
	return c, nil
}

// URL returns the base URL of the emulator as seen from the test process,
// such as http://localhost:32768.
func (c *Container) URL() string { return c.url }

// BaseURL returns the URL that replaces the named provider's real base URL,
// such as http://localhost:32768/notus/api/v1 for "notus".
func (c *Container) BaseURL(ctx context.Context, provider string) (string, error) {
	return c.ctl.BaseURL(ctx, provider)
}

// Control returns the control API client.
func (c *Container) Control() *control.Client { return c.ctl }

// Harness returns the control helpers bound to t, the same set a
// testkit.Server has (BaseURL, Approve, Reject, Act, Advance, Requests,
// Reset, ...).
func (c *Container) Harness(t control.TB) *control.Harness { return control.NewHarness(t, c.ctl) }

// RouteWebhooks sends a tenant's webhooks of a provider to rcv, a receiver
// in the test process whose port was opened with WithWebhookReceiver(rcv.URL)
// when the container started, and makes rcv check their signatures as the
// provider signs them (see receiver.ForTenant).
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
	rcv.SetVerifier(v)
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

// WithScenarioDir bind-mounts a directory of scenario files read-only at
// /scenarios and loads it (KYCEMU_SCENARIOS); kycemu reloads files that
// change. The directory must be on the Docker host. Default: built-in
// scenarios only.
func WithScenarioDir(dir string) testcontainers.CustomizeRequestOption {
	return func(req *testcontainers.GenericContainerRequest) error {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return fmt.Errorf("scenario dir: %w", err)
		}
		if err := testcontainers.WithEnv(map[string]string{"KYCEMU_SCENARIOS": ScenarioMount})(req); err != nil {
			return err
		}
		return testcontainers.WithHostConfigModifier(func(hc *container.HostConfig) {
			hc.Binds = append(hc.Binds, abs+":"+ScenarioMount+":ro")
		})(req)
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
