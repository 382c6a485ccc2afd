package specs

import "sort"

// Names lists the providers whose document is embedded, sorted (not the
// control API's own document, Control).
func Names() []string {
	var out []string
	for name := range docs {
		if name != Control {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}
