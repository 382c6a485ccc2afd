package scenario

import (
	"bytes"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v4"
)

// Doc is the normalised form of a scenario: every key spelled one way,
// durations in canonical form, match values as lists. It marshals to YAML
// the loader reads back to the same Doc, and to JSON for the control API.
type Doc struct {
	Name        string              `yaml:"name" json:"name"`
	Provider    string              `yaml:"provider" json:"provider"`
	Description string              `yaml:"description,omitempty" json:"description,omitempty"`
	Kinds       []string            `yaml:"kinds,omitempty" json:"kinds,omitempty"`
	Match       map[string][]string `yaml:"match,omitempty" json:"match,omitempty"`
	// Timeline is nil when the scenario keeps the provider's default.
	Timeline *[]DocStep     `yaml:"timeline,omitempty" json:"timeline,omitempty"`
	Faults   []DocFault     `yaml:"faults,omitempty" json:"faults,omitempty"`
	Webhooks []DocWebhook   `yaml:"webhooks,omitempty" json:"webhooks,omitempty"`
	Options  map[string]any `yaml:"options,omitempty" json:"options,omitempty"`
	// Source is filled by the control API only.
	Source *DocSource `yaml:"-" json:"source,omitempty"`
}

// DocSource says where a scenario came from (control API only).
type DocSource struct {
	Origin Origin   `json:"origin"`
	File   string   `json:"file,omitempty"`
	Line   int      `json:"line,omitempty"`
	Hides  []Origin `json:"hides,omitempty"`
}

// DocStep is a normalised timeline step.
type DocStep struct {
	After  string `yaml:"after" json:"after"`
	From   string `yaml:"from,omitempty" json:"from,omitempty"`
	Status string `yaml:"status" json:"status"`
	Reason string `yaml:"reason,omitempty" json:"reason,omitempty"`
}

// DocFault is a normalised fault (API or upload).
type DocFault struct {
	Operation   []string    `yaml:"operation,omitempty" json:"operation,omitempty"`
	Upload      string      `yaml:"upload,omitempty" json:"upload,omitempty"`
	Slot        string      `yaml:"slot,omitempty" json:"slot,omitempty"`
	Skip        int         `yaml:"skip,omitempty" json:"skip,omitempty"`
	Times       int         `yaml:"times,omitempty" json:"times,omitempty"`
	Every       int         `yaml:"every,omitempty" json:"every,omitempty"`
	Probability float64     `yaml:"probability,omitempty" json:"probability,omitempty"`
	Latency     string      `yaml:"latency,omitempty" json:"latency,omitempty"`
	Respond     *DocRespond `yaml:"respond,omitempty" json:"respond,omitempty"`
	Drop        bool        `yaml:"drop,omitempty" json:"drop,omitempty"`
	RateLimit   *DocRate    `yaml:"rate_limit,omitempty" json:"rate_limit,omitempty"`
}

// DocRespond is a normalised scripted answer.
type DocRespond struct {
	Status     int               `yaml:"status" json:"status"`
	Code       string            `yaml:"code,omitempty" json:"code,omitempty"`
	Message    string            `yaml:"message,omitempty" json:"message,omitempty"`
	Body       any               `yaml:"body,omitempty" json:"body,omitempty"`
	Headers    map[string]string `yaml:"headers,omitempty" json:"headers,omitempty"`
	RetryAfter string            `yaml:"retry_after,omitempty" json:"retry_after,omitempty"`
}

// DocRate is a normalised rate limit.
type DocRate struct {
	Requests int    `yaml:"requests" json:"requests"`
	Per      string `yaml:"per" json:"per"`
}

// DocWebhook is a normalised webhook fault.
type DocWebhook struct {
	Event string `yaml:"event,omitempty" json:"event,omitempty"`
	Kind  string `yaml:"kind" json:"kind"`
	Delay string `yaml:"delay,omitempty" json:"delay,omitempty"`
	Times int    `yaml:"times,omitempty" json:"times,omitempty"`
}

func durOrEmpty(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return formatDuration(d)
}

// Doc returns the scenario's normalised form.
func (s *Scenario) Doc() Doc {
	d := Doc{Name: s.Name, Provider: s.Provider, Description: s.Description, Kinds: s.Kinds, Options: s.Options}
	if len(s.Match) > 0 {
		d.Match = map[string][]string{}
		for _, m := range s.Match {
			d.Match[m.Path] = m.Globs
		}
	}
	if s.HasTimeline {
		steps := make([]DocStep, 0, len(s.Timeline))
		for _, st := range s.Timeline {
			steps = append(steps, DocStep{After: formatDuration(st.After), From: st.From, Status: st.Status, Reason: st.Reason})
		}
		d.Timeline = &steps
	}
	for _, f := range s.Faults {
		df := DocFault{Operation: f.Operations, Skip: f.Skip, Times: f.Times, Every: f.Every, Probability: f.Probability,
			Latency: durOrEmpty((f.Latency)), Drop: f.Drop}
		if r := f.Respond; r != nil {
			df.Respond = &DocRespond{Status: r.Status, Code: r.Code, Message: r.Message, Headers: r.Headers,
				RetryAfter: durOrEmpty((r.RetryAfter))}
			if r.HasBody {
				df.Respond.Body = r.Body
			}
		}
		if rl := f.RateLimit; rl != nil {
			df.RateLimit = &DocRate{Requests: rl.Requests, Per: formatDuration(rl.Per)}
		}
		d.Faults = append(d.Faults, df)
	}
	for _, u := range s.Uploads {
		d.Faults = append(d.Faults, DocFault{Upload: u.Kind, Slot: u.Slot, Skip: u.Skip, Times: u.Times, Every: u.Every,
			Probability: u.Probability, Latency: durOrEmpty((u.Latency))})
	}
	for _, w := range s.Webhooks {
		d.Webhooks = append(d.Webhooks, DocWebhook{Event: w.Event, Kind: w.Kind, Delay: durOrEmpty((w.Delay)), Times: w.Times})
	}
	return d
}

// YAML returns the normalised form as YAML.
func (s *Scenario) YAML() []byte {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	_ = enc.Encode(toNode(reflect.ValueOf(s.Doc())))
	_ = enc.Close()
	return b.Bytes()
}

// toNode builds the YAML node of a value, honouring yaml struct tags. The
// YAML library's own encoding is not used because it does not always read
// back to the same strings (a block scalar loses a leading blank line);
// here every string with a line break, a tab or edge spaces is written
// double-quoted.
func toNode(v reflect.Value) *yaml.Node {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
		}
		return toNode(v.Elem())
	case reflect.Struct:
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("yaml")
			if !f.IsExported() || tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			fv := v.Field(i)
			if opts == "omitempty" && empty(fv) {
				continue
			}
			n.Content = append(n.Content, scalar("!!str", name), toNode(fv))
		}
		return n
	case reflect.Map:
		n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		for _, k := range keys {
			n.Content = append(n.Content, toNode(k), toNode(v.MapIndex(k)))
		}
		return n
	case reflect.Slice, reflect.Array:
		n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
		for i := range v.Len() {
			n.Content = append(n.Content, toNode(v.Index(i)))
		}
		return n
	case reflect.String:
		sn := scalar("!!str", v.String())
		if strings.ContainsAny(sn.Value, "\n\r\t") || strings.TrimSpace(sn.Value) != sn.Value {
			sn.Style = yaml.DoubleQuotedStyle
		}
		return sn
	case reflect.Bool:
		return scalar("!!bool", strconv.FormatBool(v.Bool()))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return scalar("!!int", strconv.FormatInt(v.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return scalar("!!int", strconv.FormatUint(v.Uint(), 10))
	case reflect.Float32, reflect.Float64:
		f := v.Float()
		if f == math.Trunc(f) && math.Abs(f) < 1e15 {
			return scalar("!!float", strconv.FormatFloat(f, 'f', 1, 64))
		}
		return scalar("!!float", strconv.FormatFloat(f, 'g', -1, 64))
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}
}

func scalar(tag, value string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value}
}

// empty is yaml's omitempty: zero values, and empty slices and maps.
func empty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Slice, reflect.Map:
		return v.Len() == 0
	}
	return v.IsZero()
}
