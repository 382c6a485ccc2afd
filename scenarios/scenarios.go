// Package scenarios embeds kycemu's built-in scenarios, one directory per
// provider (scenarios/<provider>/<name>.yaml). They load at start-up in
// every emulator; GET /_emulator/scenarios lists them.
package scenarios

import (
	"embed"
	"io/fs"
)

//go:embed */*.yaml
var files embed.FS

// FS returns the built-in scenario files, laid out as <provider>/<name>.yaml.
func FS() fs.FS { return files }
