package main

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"
)

// TestReleaseConfig checks what .goreleaser.yaml promises beyond what
// `goreleaser check` (run by .ci/run) validates: static binaries for
// linux, darwin and windows on amd64 and arm64, stamped with the version
// the way the Dockerfile stamps it, and a multi-arch image whose
// Dockerfile copies the binary of its platform.
func TestReleaseConfig(t *testing.T) {
	raw, err := os.ReadFile("../../.goreleaser.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Builds []struct {
			Main    string   `yaml:"main"`
			Env     []string `yaml:"env"`
			Goos    []string `yaml:"goos"`
			Goarch  []string `yaml:"goarch"`
			Ldflags []string `yaml:"ldflags"`
		} `yaml:"builds"`
		Dockers []struct {
			Dockerfile string   `yaml:"dockerfile"`
			Platforms  []string `yaml:"platforms"`
			Images     []string `yaml:"images"`
		} `yaml:"dockers_v2"`
	}
	if err := yaml.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	if len(cfg.Builds) != 1 {
		t.Fatalf("%d builds; want 1", len(cfg.Builds))
	}
	b := cfg.Builds[0]
	if b.Main != "./cmd/kycemu" || !slices.Contains(b.Env, "CGO_ENABLED=0") {
		t.Errorf("build: main %q, env %v; want ./cmd/kycemu with CGO_ENABLED=0", b.Main, b.Env)
	}
	slices.Sort(b.Goos)
	slices.Sort(b.Goarch)
	if !slices.Equal(b.Goos, []string{"darwin", "linux", "windows"}) || !slices.Equal(b.Goarch, []string{"amd64", "arm64"}) {
		t.Errorf("targets %v × %v", b.Goos, b.Goarch)
	}
	if !strings.Contains(strings.Join(b.Ldflags, " "), "-X github.com/kycemu/kycemu/emulator.version=") {
		t.Errorf("ldflags %v do not stamp emulator.version", b.Ldflags)
	}
	dockerfile, _ := os.ReadFile("../../Dockerfile")
	if !strings.Contains(string(dockerfile), "-X github.com/kycemu/kycemu/emulator.version=") {
		t.Error("the Dockerfile no longer stamps emulator.version: keep both stamps the same")
	}
	if len(cfg.Dockers) != 1 {
		t.Fatalf("%d dockers_v2 images; want 1", len(cfg.Dockers))
	}
	d := cfg.Dockers[0]
	slices.Sort(d.Platforms)
	if !slices.Equal(d.Platforms, []string{"linux/amd64", "linux/arm64"}) || len(d.Images) == 0 || !strings.HasPrefix(d.Images[0], "ghcr.io/") {
		t.Errorf("image: platforms %v, images %v", d.Platforms, d.Images)
	}
	df, err := os.ReadFile("../../" + d.Dockerfile)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`COPY ${TARGETPLATFORM}/kycemu /kycemu`, "FROM scratch", "USER 65532:65532", `HEALTHCHECK`, `ENTRYPOINT ["/kycemu"]`} {
		if !strings.Contains(string(df), want) {
			t.Errorf("%s lacks %q", d.Dockerfile, want)
		}
	}
	// The variable the ldflags set exists.
	src, _ := os.ReadFile("../../emulator/version.go")
	if !regexp.MustCompile(`(?m)^var version = ""`).Match(src) {
		t.Error("emulator/version.go has no `var version` for the ldflags to set")
	}
}
