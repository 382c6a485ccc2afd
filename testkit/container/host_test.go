package container

import (
	"net/netip"
	"os"
	"testing"
)

func TestLocalInterfaceIn(t *testing.T) {
	loop := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	if !localInterfaceIn("lo", loop) {
		t.Skip("no lo interface with 127.0.0.1 here")
	}
	if localInterfaceIn("lo", []netip.Prefix{netip.MustParsePrefix("10.200.0.0/16")}) {
		t.Error("lo is not in 10.200.0.0/16")
	}
	if localInterfaceIn("kycemu-no-such-if", loop) {
		t.Error("a missing interface was found")
	}
}

func TestAHostOverrideIsKept(t *testing.T) {
	t.Setenv(hostOverrideEnv, "docker.example.test")
	reachPublishedPorts(t.Context())
	if got := os.Getenv(hostOverrideEnv); got != "docker.example.test" {
		t.Fatalf("%s = %q, want the user's setting kept", hostOverrideEnv, got)
	}
}
