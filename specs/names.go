package specs

import (
	"io/fs"
	"sort"
)

// Names lists the providers whose document is embedded, sorted (not the
// control API's own document, Control).
func Names() []string {
	entries, _ := fs.ReadDir(files, ".")
	var out []string
	for _, e := range entries {
		if e.IsDir() && e.Name() != Control {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out
}
