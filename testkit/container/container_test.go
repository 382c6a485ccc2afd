package container_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	mobycontainer "github.com/moby/moby/api/types/container"
	"github.com/testcontainers/testcontainers-go"

	"github.com/kycemu/kycemu/testkit/container"
	"github.com/kycemu/kycemu/testkit/control"
	"github.com/kycemu/kycemu/testkit/internal/gu1test"
	"github.com/kycemu/kycemu/testkit/internal/notustest"
	"github.com/kycemu/kycemu/testkit/providers/gu1"
	"github.com/kycemu/kycemu/testkit/providers/notus"
	"github.com/kycemu/kycemu/testkit/receiver"
)

// ImageEnv names the kycemu image the container tests run. .ci/run builds
// one from the Dockerfile (kycemu:ci) and sets it whenever a Docker engine
// answers; without it the tests skip.
const ImageEnv = "KYCEMU_TEST_IMAGE"

func TestMain(m *testing.M) {
	// No registry can be reached here, so testcontainers' reaper image
	// cannot be pulled; containers are terminated by CleanupContainer.
	if _, ok := os.LookupEnv("TESTCONTAINERS_RYUK_DISABLED"); !ok {
		os.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
	}
	os.Exit(m.Run())
}

// image returns the image under test, or skips the test.
func image(t *testing.T) string {
	t.Helper()
	img := os.Getenv(ImageEnv)
	if img == "" {
		t.Skipf("container tests skipped: %s is not set (.ci/run builds the image from the Dockerfile and sets it when a Docker engine answers)", ImageEnv)
	}
	testcontainers.SkipIfProviderIsNotHealthy(t)
	return img
}

func run(t *testing.T, opts ...testcontainers.ContainerCustomizer) *container.Container {
	t.Helper()
	img := image(t)
	start := time.Now()
	kc, err := container.Run(t.Context(), img, opts...)
	testcontainers.CleanupContainer(t, kc)
	if err != nil {
		t.Fatalf("start kycemu container: %v", err)
	}
	t.Logf("kycemu container created, started and healthy in %s", time.Since(start).Round(time.Millisecond))
	return kc
}

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

func TestNotusFlowInContainer(t *testing.T) {
	kc := run(t, container.WithManualClock(t0), container.WithSeed(11))
	kyc := kc.Harness(t)

	base := kyc.BaseURL("notus")
	root, err := kc.BaseURL(t.Context())
	if err != nil || !strings.HasPrefix(root, "http://") {
		t.Fatalf("BaseURL: %q %v", root, err)
	}
	if pu, err := kc.ProviderURL(t.Context(), "notus"); err != nil || pu != root+"/notus/api/v1" || base != pu {
		t.Fatalf("ProviderURL = %q (%v), harness says %q, want %q", pu, err, base, root+"/notus/api/v1")
	}
	if _, err := kc.ProviderURL(t.Context(), "onfido"); err == nil || !strings.Contains(err.Error(), "b2core, gatenox, gu1, kulipa, notus") {
		t.Fatalf("ProviderURL of an unknown provider: %v", err)
	}
	h, err := kc.Control().Health(t.Context())
	if err != nil || h.Seed != 11 || h.Clock.Mode != "manual" || !h.Clock.Now.Equal(t0) {
		t.Fatalf("health %+v %v", h, err)
	}

	notus := notustest.New(t, http.DefaultClient, base, "ci-key")
	// Upload URLs point at the container through the mapped port, because
	// kycemu builds them from the request's Host.
	s := notus.Submit("12345678900")
	if s.Status != "VERIFYING" {
		t.Fatalf("after process: %s", s.Status)
	}
	kyc.Advance(2 * time.Second)
	if status, got := notus.Get(s.ID); status != http.StatusOK || got.Status != "COMPLETED" || got.IndividualID == nil {
		t.Fatalf("after review: %d %+v", status, got)
	}

	rejected := notus.Submit("98765432100")
	if got := kyc.Reject(rejected.ID, "document expired"); got.Status != "FAILED" {
		t.Fatalf("forced reject: %s", got.Status)
	}
	if creates := kyc.Requests(control.RequestFilter{Operation: "createStandardIndividualSession"}); len(creates) != 2 || creates[0].Tenant != "ci-key" {
		t.Fatalf("journal: %+v", creates)
	}
	kyc.Reset()
	if status, _ := notus.Get(s.ID); status != http.StatusNotFound {
		t.Fatalf("after reset: %d, want 404", status)
	}
}

// A manual clock without a start begins at the wall-clock time, as in
// testkit, so wall-clock webhook verifiers accept what it signs.
func TestManualClockWithoutStartIsWallClock(t *testing.T) {
	before := time.Now().Add(-time.Second)
	kc := run(t, container.WithManualClock(time.Time{}))
	h, err := kc.Control().Health(t.Context())
	if err != nil || h.Clock.Mode != "manual" || h.Clock.Now.Before(before.Truncate(time.Second)) || h.Clock.Now.After(time.Now()) {
		t.Fatalf("health %+v %v, want a manual clock at the wall-clock time", h, err)
	}
}

func TestImageRunsAsNonRoot(t *testing.T) {
	kc := run(t)
	info, err := kc.Inspect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if u := info.Config.User; u == "" || strings.HasPrefix(u, "0") || strings.HasPrefix(u, "root") {
		t.Fatalf("image user %q, want a non-root numeric user", u)
	}
	if info.Config.Healthcheck == nil || len(info.Config.Healthcheck.Test) == 0 ||
		!strings.Contains(strings.Join(info.Config.Healthcheck.Test, " "), "/kycemu health") {
		t.Fatalf("healthcheck %+v, want one running /kycemu health", info.Config.Healthcheck)
	}
	// The healthcheck command works inside the image (no shell there).
	code, _, err := kc.Exec(t.Context(), []string{"/kycemu", "health"})
	if err != nil || code != 0 {
		t.Fatalf("/kycemu health in the container: exit %d, %v", code, err)
	}
}

func TestRealClockByDefault(t *testing.T) {
	kc := run(t)
	_, err := kc.Control().Advance(t.Context(), time.Minute)
	var ce *control.Error
	if !errors.As(err, &ce) || ce.Code != "clock_not_manual" {
		t.Fatalf("advance a real clock: %v", err)
	}
	kyc := kc.Harness(t)
	s := notustest.New(t, http.DefaultClient, kyc.BaseURL("notus"), "k").Submit("1")
	if got := kyc.WaitStatus(s.ID, 20*time.Second, notus.StatusCompleted, notus.StatusFailed); got.Status != notus.StatusCompleted {
		t.Fatalf("default outcome %s", got.Status)
	}
}

// TestContainerReachesTheHost proves the path webhooks take: the container
// calls a server in the test process at host.testcontainers.internal,
// through testcontainers' host port access.
func TestContainerReachesTheHost(t *testing.T) {
	rcv := receiver.New(t)
	kc := run(t, container.WithWebhookReceiver(rcv.URL))
	target, err := container.HostURL(rcv.URL + "/probe")
	if err != nil {
		t.Fatal(err)
	}
	// The image has no shell or curl; its own health command makes a GET.
	if _, _, err := kc.Exec(t.Context(), []string{"/kycemu", "health", target}); err != nil {
		t.Fatal(err)
	}
	ev := rcv.Wait(10*time.Second, func(e receiver.Event) bool { return e.Path == "/probe/_emulator/health" })
	if ev.Method != http.MethodGet {
		t.Fatalf("got %s %s", ev.Method, ev.Path)
	}
}

func TestRunFailsOnAMissingImage(t *testing.T) {
	image(t) // needs an engine
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	kc, err := container.Run(ctx, "kycemu-no-such-image:never")
	testcontainers.CleanupContainer(t, kc)
	if err == nil {
		t.Fatal("Run of a missing image succeeded")
	}
}

func TestHostURL(t *testing.T) {
	tests := []struct {
		in, want string
		err      bool
	}{
		{"http://127.0.0.1:41234/hooks/gu1", "http://host.testcontainers.internal:41234/hooks/gu1", false},
		{"http://localhost:8081", "http://host.testcontainers.internal:8081", false},
		{"http://[::1]:9000/x?y=1", "http://host.testcontainers.internal:9000/x?y=1", false},
		{"http://127.0.0.1/hooks", "", true},
		{"http://127.0.0.1:0/", "", true},
		{"::not a url", "", true},
	}
	for _, tt := range tests {
		got, err := container.HostURL(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("HostURL(%q) = %q, %v; want %q (error %v)", tt.in, got, err, tt.want, tt.err)
		}
	}
}

// TestSignedWebhookReachesTheHost is the whole loop: a Notus flow against
// the container, and its webhooks, signed with the tenant's secret,
// received and verified in the test process.
func TestSignedWebhookReachesTheHost(t *testing.T) {
	rcv := receiver.New(t)
	kc := run(t, container.WithManualClock(t0), container.WithWebhookReceiver(rcv.URL))
	if err := kc.RouteWebhooks(t.Context(), rcv, "gu1", "hooked"); err == nil || !strings.Contains(err.Error(), "a gu1 tenant is") {
		t.Fatalf("RouteWebhooks with a gu1 tenant without organization: %v", err)
	}
	if err := kc.RouteWebhooks(t.Context(), rcv, "notus", "hooked"); err != nil {
		t.Fatal(err)
	}
	// The receiver knows Notus's events now: a typo fails at once.
	if err := rcv.CheckEvent("kyc.session.complete"); err == nil || !strings.Contains(err.Error(), `notus sends "kyc.session.verifying"`) {
		t.Fatalf("CheckEvent of a typo: %v", err)
	}
	kyc := kc.Harness(t)
	s := notustest.New(t, http.DefaultClient, kyc.BaseURL("notus"), "hooked").Submit("5550001")
	kyc.Advance(2 * time.Second)

	ev := rcv.WaitEvent(20*time.Second, "kyc.session.completed")
	var body struct {
		SessionID string `json:"sessionId"`
		Status    string `json:"status"`
	}
	if err := ev.Decode(&body); err != nil || !ev.Verified || body.SessionID != s.ID || body.Status != "COMPLETED" {
		t.Fatalf("event %s verified=%v (%v)", ev.Body, ev.Verified, err)
	}
	if got := rcv.Rejected(); len(got) != 0 {
		t.Fatalf("%d deliveries failed verification: %v", len(got), got[0].Err)
	}
	ds := kyc.Deliveries(control.DeliveryFilter{SessionID: s.ID})
	if len(ds) == 0 || ds[0].URL == "" || !strings.HasPrefix(ds[0].URL, "http://"+container.HostInternal+":") {
		t.Fatalf("deliveries %+v", ds)
	}
}

func TestScenarioDirIsCopied(t *testing.T) {
	// Private files in a private directory, with a subdirectory: a bind
	// mount would leave them unreadable to the image's user (UID 65532) and
	// would not reach a remote engine; copies are readable and travel.
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "notus"), 0o700); err != nil {
		t.Fatal(err)
	}
	yaml := "name: ci-reject\nprovider: notus\ntimeline:\n  - from: VERIFYING\n    after: 1m\n    status: FAILED\n    reason: rejected by the CI scenario\n"
	if err := os.WriteFile(filepath.Join(dir, "notus", "ci-reject.yaml"), []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	kc := run(t, container.WithManualClock(t0), container.WithScenarioDir(dir))
	info, err := kc.Inspect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range info.Mounts {
		if m.Destination == container.ScenarioDir {
			t.Fatalf("the scenario dir is mounted (%s), not copied", m.Type)
		}
	}
	kyc := kc.Harness(t)
	kyc.UseScenario("notus", "qa", "ci-reject")
	s := notustest.New(t, http.DefaultClient, kyc.BaseURL("notus"), "qa").Submit("77")
	kyc.Advance(time.Minute)
	got := kyc.Session(s.ID)
	if got.Status != "FAILED" || got.Scenario != "ci-reject" {
		t.Fatalf("session %+v", got)
	}
	if scs := kyc.Scenarios("notus"); !slices.ContainsFunc(scs, func(sc control.Scenario) bool {
		return sc.Name == "ci-reject" && sc.Source.Origin == "file"
	}) {
		t.Fatalf("ci-reject is not loaded from a file: %+v", scs)
	}
}

func TestScenarioDirMustHoldFiles(t *testing.T) {
	image(t)
	kc, err := container.Run(t.Context(), os.Getenv(ImageEnv), container.WithScenarioDir(t.TempDir()))
	testcontainers.CleanupContainer(t, kc)
	if err == nil || !strings.Contains(err.Error(), "holds no files") {
		t.Fatalf("Run with an empty scenario dir: %v", err)
	}
}

func TestDataVolumeKeepsStateAcrossContainers(t *testing.T) {
	volume := fmt.Sprintf("kycemu-test-data-%d", time.Now().UnixNano())
	img := image(t)
	start := func() *container.Container {
		kc, err := container.Run(t.Context(), img, container.WithManualClock(t0), container.WithDataVolume(volume))
		if err != nil {
			testcontainers.CleanupContainer(t, kc, testcontainers.RemoveVolumes(volume))
			t.Fatalf("start kycemu container: %v", err)
		}
		return kc
	}
	first := start()
	info, err := first.Inspect(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(info.Mounts, func(m mobycontainer.MountPoint) bool {
		return m.Destination == container.DataDir && m.Name == volume && m.RW
	}) {
		t.Fatalf("volume %s is not mounted read-write at %s: %+v", volume, container.DataDir, info.Mounts)
	}
	kyc := first.Harness(t)
	id := gu1test.Validation(t, http.DefaultClient, kyc.BaseURL(gu1.Name), "gk_kept", "org_kept")
	kyc.Approve(id)
	kyc.Advance(time.Hour)
	if err := testcontainers.TerminateContainer(first); err != nil {
		t.Fatal(err)
	}

	// A new container on the same volume (which the image's user writes)
	// carries on: the validation with its history, and the clock.
	second := start()
	testcontainers.CleanupContainer(t, second, testcontainers.RemoveVolumes(volume))
	kyc = second.Harness(t)
	if got := kyc.Session(id); got.Status != gu1.StatusApproved || got.Tenant != gu1.Tenant("gk_kept", "org_kept") || len(got.History) < 2 {
		t.Fatalf("after the restart: %+v", got)
	}
	if now := kyc.Now(); !now.Equal(t0.Add(time.Hour)) {
		t.Fatalf("clock after the restart: %s, want %s", now, t0.Add(time.Hour))
	}
	if _, err := container.Run(t.Context(), img, container.WithDataVolume("")); err == nil {
		t.Fatal("an empty volume name was accepted")
	}
}
