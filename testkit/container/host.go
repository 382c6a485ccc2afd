package container

import (
	"context"
	"net"
	"net/netip"
	"os"
	"strings"

	"github.com/testcontainers/testcontainers-go"
	tclog "github.com/testcontainers/testcontainers-go/log"
)

// hostOverrideEnv is testcontainers' setting for the host at which the test
// process reaches published container ports.
const hostOverrideEnv = "TESTCONTAINERS_HOST_OVERRIDE"

// reachPublishedPorts makes testcontainers look for published ports where
// they are when the tests run inside a container whose network namespace
// holds the Docker engine itself (Docker-in-Docker in one container, a
// devcontainer or CI job on the host network): there, testcontainers would
// look for them at the default gateway, which is a different machine, and
// time out. The ports are on localhost, so it sets
// TESTCONTAINERS_HOST_OVERRIDE=localhost for this process, as a user would
// by hand. It changes nothing when the setting is already made, outside a
// container, with a remote engine (DOCKER_HOST=tcp://...), or when the
// engine's bridge is not local (the socket of another machine's engine
// mounted into a devcontainer, where testcontainers' gateway guess is
// right).
func reachPublishedPorts(ctx context.Context) {
	if _, set := os.LookupEnv(hostOverrideEnv); set || !inContainer() {
		return
	}
	p, err := testcontainers.NewDockerProvider()
	if err != nil {
		return
	}
	defer p.Close()
	if !strings.HasPrefix(p.Client().DaemonHost(), "unix://") {
		return
	}
	nw, err := p.GetNetwork(ctx, testcontainers.NetworkRequest{Name: "bridge"})
	if err != nil {
		return
	}
	var subnets []netip.Prefix
	for _, c := range nw.IPAM.Config {
		if c.Subnet.IsValid() {
			subnets = append(subnets, c.Subnet)
		}
	}
	name := nw.Options["com.docker.network.bridge.name"]
	if name == "" {
		name = "docker0"
	}
	if !localInterfaceIn(name, subnets) {
		return
	}
	if os.Setenv(hostOverrideEnv, "localhost") == nil {
		tclog.Printf("kycemu: the Docker engine runs in this container's network namespace (interface %s): %s=localhost", name, hostOverrideEnv)
	}
}

// inContainer reports whether this process runs in a container, the way
// testcontainers and Docker tell: /.dockerenv (Docker), /run/.containerenv
// (Podman), or a container runtime in PID 1's cgroup.
func inContainer() bool {
	for _, f := range []string{"/.dockerenv", "/run/.containerenv"} {
		if _, err := os.Stat(f); err == nil {
			return true
		}
	}
	b, err := os.ReadFile("/proc/1/cgroup")
	if err != nil {
		return false
	}
	s := string(b)
	return strings.Contains(s, "docker") || strings.Contains(s, "containerd") || strings.Contains(s, "kubepods")
}

// localInterfaceIn reports whether this network namespace has the named
// interface with an address in one of subnets: the engine's bridge is here.
func localInterfaceIn(name string, subnets []netip.Prefix) bool {
	ifc, err := net.InterfaceByName(name)
	if err != nil {
		return false
	}
	addrs, err := ifc.Addrs()
	if err != nil {
		return false
	}
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		ip, ok := netip.AddrFromSlice(ipn.IP)
		if !ok {
			continue
		}
		for _, s := range subnets {
			if s.Contains(ip.Unmap()) {
				return true
			}
		}
	}
	return false
}
