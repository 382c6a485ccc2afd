// Package promtext exposes metrics in Prometheus' text format (0.0.4) and
// in OpenMetrics 1.0.0, without client_golang: counter vectors counted
// with one atomic add, and collectors that read their figures at scrape.
// Output is deterministic: families sorted by name, series by label
// values.
//
// Misuse that a test finds at once (an invalid name, the wrong number of
// label values, a family described twice) panics; what depends on data
// (two series with the same labels from a collector) fails the scrape
// with an error.
package promtext

import (
	"fmt"
	"slices"
	"strings"
)

// Type is a metric family's type.
type Type uint8

// The types kycemu exposes.
const (
	TypeCounter Type = iota + 1
	TypeGauge
	TypeSummary
)

func (t Type) String() string {
	switch t {
	case TypeCounter:
		return "counter"
	case TypeGauge:
		return "gauge"
	case TypeSummary:
		return "summary"
	}
	return fmt.Sprintf("Type(%d)", uint8(t))
}

// Desc describes a metric family: its name, help, type, optional unit and
// the names of its labels.
type Desc struct {
	name, help, unit string
	typ              Type
	labels           []string // as declared: the order values are given in
	order            []int    // indexes into labels, by label name: the order they are written in
}

// NewDesc describes a family. A counter's name ends in _total; names
// follow Prometheus' classic rules ([a-zA-Z_:][a-zA-Z0-9_:]*, labels
// without ':' and not starting with "__"); a summary has no label named
// quantile. It panics when they are broken.
func NewDesc(name, help string, t Type, labels ...string) *Desc {
	if !validName(name, true) {
		panic(fmt.Sprintf("promtext: invalid metric name %q", name))
	}
	switch t {
	case TypeCounter:
		if !strings.HasSuffix(name, "_total") || name == "_total" {
			panic(fmt.Sprintf("promtext: counter %q does not end in _total", name))
		}
	case TypeGauge, TypeSummary:
	default:
		panic(fmt.Sprintf("promtext: %s has no type", name))
	}
	d := &Desc{name: name, help: help, typ: t, labels: slices.Clone(labels), order: make([]int, len(labels))}
	for i, l := range labels {
		if !validName(l, false) || strings.HasPrefix(l, "__") || t == TypeSummary && l == "quantile" {
			panic(fmt.Sprintf("promtext: %s: invalid label name %q", name, l))
		}
		if slices.Index(labels, l) != i {
			panic(fmt.Sprintf("promtext: %s: label %q twice", name, l))
		}
		d.order[i] = i
	}
	slices.SortFunc(d.order, func(a, b int) int { return strings.Compare(labels[a], labels[b]) })
	return d
}

// WithUnit returns a copy of d with a unit, which OpenMetrics announces in
// a UNIT line. The family's name (before _total, for a counter) must end
// in _ and the unit.
func (d *Desc) WithUnit(unit string) *Desc {
	if unit == "" || !validName(unit, false) || !strings.HasSuffix(d.familyName(true), "_"+unit) {
		panic(fmt.Sprintf("promtext: %s cannot have unit %q", d.name, unit))
	}
	c := *d
	c.unit = unit
	return &c
}

// familyName is the name HELP, TYPE and UNIT lines carry: in OpenMetrics,
// a counter's without _total.
func (d *Desc) familyName(openMetrics bool) string {
	if openMetrics && d.typ == TypeCounter {
		return strings.TrimSuffix(d.name, "_total")
	}
	return d.name
}

// sorted returns label values given in declared order in the order they
// are written in.
func (d *Desc) sorted(values []string) []string {
	if len(values) != len(d.labels) {
		panic(fmt.Sprintf("promtext: %s has labels %v; given %d values", d.name, d.labels, len(values)))
	}
	if len(values) == 0 {
		return nil
	}
	s := make([]string, len(values))
	for i, j := range d.order {
		s[i] = values[j]
	}
	return s
}

func validName(s string, metric bool) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
		case c == ':' && metric:
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
