// Package specs embeds the OpenAPI document of every emulated provider. Each
// document is written by the kycemu authors from the vendor's public facts
// and is the single source of that provider's HTTP surface. Beside them,
// control/openapi.yaml describes kycemu's own control API (/_emulator/).
package specs

import (
	_ "embed" // the documents
	"fmt"
	"unsafe"
)

// Control names the control API's document: Read(Control).
const Control = "control"

var (
	//go:embed b2core/openapi.yaml
	b2core string
	//go:embed control/openapi.yaml
	control string
	//go:embed gatenox/openapi.yaml
	gatenox string
	//go:embed gu1/openapi.yaml
	gu1 string
	//go:embed kulipa/openapi.yaml
	kulipa string
	//go:embed notus/openapi.yaml
	notus string
)

// docs is every embedded document by name (TestEveryDocumentIsEmbedded
// holds it to the directories here).
var docs = map[string]string{
	"b2core": b2core, Control: control, "gatenox": gatenox, "gu1": gu1, "kulipa": kulipa, "notus": notus,
}

// Read returns the document of the named provider, or Read(Control) the
// control API's. The bytes are the binary's own, read-only: every call for
// one name returns the same bytes, and nothing may modify them (a write
// faults). So no emulator copies a document into its heap, and a
// document's pages are read from the executable only once something
// parses or serves it.
func Read(provider string) ([]byte, error) {
	s, ok := docs[provider]
	if !ok {
		return nil, fmt.Errorf("read %s spec: no such document", provider)
	}
	return unsafe.Slice(unsafe.StringData(s), len(s)), nil
}

// MustRead is Read for providers whose document is known to be embedded.
func MustRead(provider string) []byte {
	b, err := Read(provider)
	if err != nil {
		panic(err)
	}
	return b
}
