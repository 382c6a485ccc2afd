package scenario

import (
	"encoding/json"
	"strconv"
	"strings"
)

// matches reports whether a creating request's body fits every entry of
// the scenario's match block. A missing field fits nothing, not even "*".
func (s *Scenario) matches(body any) bool {
	if len(s.Match) == 0 {
		return false
	}
	for _, m := range s.Match {
		v, ok := lookup(body, strings.TrimPrefix(m.Path, "body."))
		if !ok {
			return false
		}
		text, scalar := scalarText(v)
		hit := false
		for _, g := range m.Globs {
			if g == "*" || (scalar && glob(g, text)) {
				hit = true
				break
			}
		}
		if !hit {
			return false
		}
	}
	return true
}

// decodeBody parses a JSON request body for matching; nil when it is not
// JSON.
func decodeBody(body []byte) any {
	if len(body) == 0 {
		return nil
	}
	var v any
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil
	}
	return v
}

// lookup follows a dot path through objects (by key) and arrays (by index).
func lookup(v any, path string) (any, bool) {
	for _, seg := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			next, ok := x[seg]
			if !ok {
				return nil, false
			}
			v = next
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// scalarText renders a JSON scalar as the text globs are matched against:
// strings as they are, numbers and booleans as JSON writes them, null as
// "null". Objects and arrays are not scalars.
func scalarText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		return strconv.FormatBool(x), true
	case nil:
		return "null", true
	}
	return "", false
}

// glob matches s against a pattern where * is any run of characters and ?
// is one character; everything else is literal and case-sensitive.
func glob(pattern, s string) bool {
	p, t := []rune(pattern), []rune(s)
	pi, ti := 0, 0
	star, mark := -1, 0
	for ti < len(t) {
		switch {
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, ti
			pi++
		case pi < len(p) && (p[pi] == '?' || p[pi] == t[ti]):
			pi++
			ti++
		case star >= 0:
			pi = star + 1
			mark++
			ti = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
