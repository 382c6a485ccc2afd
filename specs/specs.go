// Package specs embeds the OpenAPI document of every emulated provider. Each
// document is written by the kycemu authors from the vendor's public facts
// and is the single source of that provider's HTTP surface. Beside them,
// control/openapi.yaml describes kycemu's own control API (/_emulator/).
package specs

import (
	"embed"
	"fmt"
	"sync"
)

//go:embed */openapi.yaml
var files embed.FS

// Control names the control API's document: Read(Control).
const Control = "control"

// Read returns the document of the named provider, or Read(Control) the
// control API's. Every call for one name returns the same bytes, read from
// the binary once: they are shared, so they must not be modified. (Each
// emulator a test binary starts would otherwise copy all the documents.)
func Read(provider string) ([]byte, error) {
	read.Lock()
	defer read.Unlock()
	if b, ok := read.docs[provider]; ok {
		return b, nil
	}
	b, err := files.ReadFile(provider + "/openapi.yaml")
	if err != nil {
		return nil, fmt.Errorf("read %s spec: %w", provider, err)
	}
	if read.docs == nil {
		read.docs = map[string][]byte{}
	}
	read.docs[provider] = b
	return b, nil
}

// read keeps the documents Read has read.
var read struct {
	sync.Mutex
	docs map[string][]byte
}

// MustRead is Read for providers whose document is known to be embedded.
func MustRead(provider string) []byte {
	b, err := Read(provider)
	if err != nil {
		panic(err)
	}
	return b
}
