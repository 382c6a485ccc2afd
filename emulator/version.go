package emulator

import "runtime/debug"

// version is set at link time: -ldflags "-X github.com/kycemu/kycemu/emulator.version=v1.2.3".
var version = ""

// Version returns the build's version: the link-time value, else the module
// version, else "devel".
func Version() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}
