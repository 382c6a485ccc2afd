package scenario

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v4"
)

// maxNodes caps how many nodes one document may expand to (aliases
// included), so a few lines of anchors cannot make the loader walk
// billions of nodes.
const maxNodes = 20_000

// field is one key of a mapping with its value.
type field struct {
	key, val *yaml.Node
}

// reader walks yaml.Nodes and collects problems with their positions.
type reader struct {
	file   string
	errs   Errors
	budget int
	broke  bool // the budget ran out: stop reporting
}

func (r *reader) at(n *yaml.Node) Pos {
	if n == nil {
		return Pos{File: r.file, Line: 1, Col: 1}
	}
	return Pos{File: r.file, Line: max(n.Line, 1), Col: max(n.Column, 1)}
}

func (r *reader) errf(n *yaml.Node, path, format string, args ...any) {
	if r.broke {
		return
	}
	msg := fmt.Sprintf(format, args...)
	if path != "" {
		msg = path + ": " + msg
	}
	r.errs = append(r.errs, Error{Pos: r.at(n), Msg: msg})
}

// resolve follows aliases and charges the budget; nil when the budget is
// spent.
func (r *reader) resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode; i++ {
		if i > 100 {
			return nil
		}
		n = n.Alias
	}
	if n == nil {
		return nil
	}
	r.budget--
	if r.budget < 0 {
		if !r.broke {
			r.errs = append(r.errs, Error{Pos: r.at(n), Msg: fmt.Sprintf("the document expands to more than %d values; split it or use fewer aliases", maxNodes)})
			r.broke = true
		}
		return nil
	}
	return n
}

// describe names a node's type for messages.
func describe(n *yaml.Node) string {
	if n == nil {
		return "nothing"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.DocumentNode:
		return "a document"
	case yaml.AliasNode:
		return "an alias"
	}
	switch t := n.ShortTag(); t {
	case "!!str":
		return "a string"
	case "!!int":
		return "an integer"
	case "!!float":
		return "a number"
	case "!!bool":
		return "a boolean"
	case "!!null":
		return "null"
	case "!!timestamp":
		return "a timestamp"
	case "!!binary":
		return "binary data"
	default:
		return "a value tagged " + t
	}
}

// mapping reads a mapping's keys, reporting non-string, duplicate and
// unknown keys. allowed nil accepts any key.
func (r *reader) mapping(n *yaml.Node, path string, allowed []string) (map[string]field, []string, bool) {
	n = r.resolve(n)
	if n == nil {
		return nil, nil, false
	}
	if n.Kind != yaml.MappingNode {
		r.errf(n, path, "want a mapping, got %s", describe(n))
		return nil, nil, false
	}
	out := map[string]field{}
	var order []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := r.resolve(n.Content[i])
		v := n.Content[i+1]
		if k == nil {
			return out, order, false
		}
		if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" {
			if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
				r.errf(k, path, "merge keys (<<) are not supported; repeat the keys")
			} else {
				r.errf(k, path, "keys must be strings, got %s", describe(k))
			}
			continue
		}
		name := k.Value
		if prev, dup := out[name]; dup {
			r.errf(k, path, "duplicate key %q (first at line %d)", name, prev.key.Line)
			continue
		}
		if allowed != nil && !contains(allowed, name) {
			msg := fmt.Sprintf("unknown key %q", name)
			if s := suggest(name, allowed); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			} else {
				msg += "; known keys: " + strings.Join(allowed, ", ")
			}
			r.errf(k, path, "%s", msg)
			continue
		}
		out[name] = field{key: k, val: v}
		order = append(order, name)
	}
	return out, order, true
}

// sequence returns the items of a list.
func (r *reader) sequence(n *yaml.Node, path string) ([]*yaml.Node, bool) {
	n = r.resolve(n)
	if n == nil {
		return nil, false
	}
	if n.Kind != yaml.SequenceNode {
		r.errf(n, path, "want a list, got %s", describe(n))
		return nil, false
	}
	return n.Content, true
}

// scalar returns a resolved scalar node of one of the tags, or reports the
// type mismatch with want ("a string", "an integer").
func (r *reader) scalar(n *yaml.Node, path, want string, tags ...string) (*yaml.Node, bool) {
	n = r.resolve(n)
	if n == nil {
		return nil, false
	}
	if n.Kind == yaml.ScalarNode && contains(tags, n.ShortTag()) {
		return n, true
	}
	r.errf(n, path, "want %s, got %s", want, describe(n))
	return nil, false
}

func (r *reader) str(n *yaml.Node, path string) (string, *yaml.Node, bool) {
	s, ok := r.scalar(n, path, "a string", "!!str")
	if !ok {
		return "", s, false
	}
	return s.Value, s, true
}

// strOrList reads a string or a list of strings.
func (r *reader) strOrList(n *yaml.Node, path string) ([]string, []*yaml.Node, bool) {
	rn := r.resolve(n)
	if rn == nil {
		return nil, nil, false
	}
	if rn.Kind != yaml.SequenceNode {
		s, sn, ok := r.str(rn, path)
		if !ok {
			return nil, nil, false
		}
		return []string{s}, []*yaml.Node{sn}, true
	}
	if len(rn.Content) == 0 {
		r.errf(rn, path, "want a string or a non-empty list of strings, got an empty list")
		return nil, nil, false
	}
	var out []string
	var nodes []*yaml.Node
	ok := true
	for i, it := range rn.Content {
		s, sn, good := r.str(it, fmt.Sprintf("%s[%d]", path, i))
		if !good {
			ok = false
			continue
		}
		out = append(out, s)
		nodes = append(nodes, sn)
	}
	return out, nodes, ok
}

func (r *reader) integer(n *yaml.Node, path string, lo, hi int) (int, bool) {
	s, ok := r.scalar(n, path, "an integer", "!!int")
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseInt(strings.ReplaceAll(s.Value, "_", ""), 0, 64)
	if err != nil || v < int64(lo) || v > int64(hi) {
		r.errf(s, path, "must be an integer from %d to %d", lo, hi)
		return 0, false
	}
	return int(v), true
}

func (r *reader) number(n *yaml.Node, path string) (float64, *yaml.Node, bool) {
	s, ok := r.scalar(n, path, "a number", "!!float", "!!int")
	if !ok {
		return 0, s, false
	}
	var v float64
	if err := s.Decode(&v); err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		r.errf(s, path, "want a finite number")
		return 0, s, false
	}
	return v, s, true
}

func (r *reader) boolean(n *yaml.Node, path string) (bool, bool) {
	s, ok := r.scalar(n, path, "true or false", "!!bool")
	if !ok {
		return false, false
	}
	var v bool
	if err := s.Decode(&v); err != nil {
		r.errf(s, path, "want true or false")
		return false, false
	}
	return v, true
}

func (r *reader) duration(n *yaml.Node, path string) (time.Duration, *yaml.Node, bool) {
	rn := r.resolve(n)
	if rn == nil {
		return 0, nil, false
	}
	if rn.Kind != yaml.ScalarNode || rn.ShortTag() != "!!str" {
		r.errf(rn, path, "want a duration such as \"90s\", \"1h30m\" or \"2d\", got %s", describe(rn))
		return 0, rn, false
	}
	d, err := parseDuration(rn.Value)
	if err != nil {
		r.errf(rn, path, "%q is not a duration; write it like \"90s\", \"1h30m\", \"250ms\" or \"2d\" (at most 366d, not negative)", rn.Value)
		return 0, rn, false
	}
	return d, rn, true
}

// value converts a node to plain Go values (map[string]any, []any, string,
// int, float64, bool, nil) for options and scripted bodies.
func (r *reader) value(n *yaml.Node, path string) (any, bool) {
	n = r.resolve(n)
	if n == nil {
		return nil, false
	}
	switch n.Kind {
	case yaml.MappingNode:
		fields, order, ok := r.mapping(n, path, nil)
		out := make(map[string]any, len(order))
		for _, k := range order {
			v, good := r.value(fields[k].val, joinPath(path, k))
			ok = ok && good
			out[k] = v
		}
		return out, ok
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		ok := true
		for i, it := range n.Content {
			v, good := r.value(it, fmt.Sprintf("%s[%d]", path, i))
			ok = ok && good
			out = append(out, v)
		}
		return out, ok
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str", "!!timestamp", "!!binary":
			return n.Value, true
		case "!!null":
			return nil, true
		case "!!bool":
			var b bool
			if err := n.Decode(&b); err == nil {
				return b, true
			}
		case "!!int":
			var i int64
			if err := n.Decode(&i); err == nil {
				return i, true
			}
			var f float64
			if err := n.Decode(&f); err == nil && !math.IsInf(f, 0) {
				return f, true
			}
		case "!!float":
			var f float64
			if err := n.Decode(&f); err == nil {
				if math.IsNaN(f) || math.IsInf(f, 0) {
					r.errf(n, path, "want a finite number")
					return nil, false
				}
				return f, true
			}
		}
		r.errf(n, path, "unsupported value: %s", describe(n))
		return nil, false
	}
	r.errf(n, path, "unsupported value: %s", describe(n))
	return nil, false
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// suggest returns the closest of options to s when it is a likely typo.
func suggest(s string, options []string) string {
	best, bestD := "", 3
	for _, o := range options {
		if d := distance(strings.ToLower(s), strings.ToLower(o)); d < bestD {
			best, bestD = o, d
		}
	}
	return best
}

// distance is the Levenshtein distance, capped for long inputs.
func distance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		if a == b {
			return 0
		}
		return 64
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			c := 1
			if a[i-1] == b[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
