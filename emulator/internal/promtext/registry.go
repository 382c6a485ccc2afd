package promtext

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Registry holds counter vectors and collectors; each scrape reads them
// all. The zero value is not ready: use NewRegistry.
type Registry struct {
	mu         sync.Mutex
	names      map[string]bool // families of the vectors
	vecs       []*CounterVec
	collectors []func(*Scrape)
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{names: map[string]bool{}} }

// CounterVec registers a counter family whose series are made on first use.
// It panics when d is not a counter or its name is registered already.
func (r *Registry) CounterVec(d *Desc) *CounterVec {
	if d.typ != TypeCounter {
		panic(fmt.Sprintf("promtext: %s is a %s, not a counter", d.name, d.typ))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.names[d.name] {
		panic(fmt.Sprintf("promtext: %s registered twice", d.name))
	}
	r.names[d.name] = true
	v := &CounterVec{desc: d, series: map[string]*Counter{}}
	r.vecs = append(r.vecs, v)
	return v
}

// Register adds a collector, called at every scrape to add the series it
// reads then. Collectors may be called concurrently (two scrapes at once).
func (r *Registry) Register(collect func(*Scrape)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.collectors = append(r.collectors, collect)
}

// GaugeFunc registers a gauge without labels whose value f reads at each
// scrape.
func (r *Registry) GaugeFunc(d *Desc, f func() float64) {
	if d.typ != TypeGauge || len(d.labels) > 0 {
		panic(fmt.Sprintf("promtext: %s is not a gauge without labels", d.name))
	}
	r.Register(func(s *Scrape) { s.Add(d, f()) })
}

// gather reads every vector and collector.
func (r *Registry) gather() *Scrape {
	r.mu.Lock()
	vecs, collectors := r.vecs, r.collectors // later registrations append past these lengths
	r.mu.Unlock()
	s := &Scrape{fams: make(map[string]*family, len(vecs)+len(collectors))}
	for _, v := range vecs {
		v.collect(s)
	}
	for _, c := range collectors {
		c(s)
	}
	return s
}

// CounterVec is a counter family with labels.
type CounterVec struct {
	desc   *Desc
	mu     sync.RWMutex
	series map[string]*Counter // by the label values, each followed by 0xff
}

// Counter is one series of a CounterVec: counting is an atomic add.
type Counter struct {
	n      atomic.Uint64
	values []string // label values in written order
}

// Inc adds one.
func (c *Counter) Inc() { c.n.Add(1) }

// Add adds n.
func (c *Counter) Add(n uint64) { c.n.Add(n) }

// Value is the count so far.
func (c *Counter) Value() uint64 { return c.n.Load() }

// With returns the series of the label values, given in the order the
// family's labels were declared, making it (from zero) on first use.
// Callers on a hot path keep the *Counter rather than calling With each
// time.
func (v *CounterVec) With(values ...string) *Counter {
	if len(values) != len(v.desc.labels) {
		panic(fmt.Sprintf("promtext: %s has labels %v; given %d values", v.desc.name, v.desc.labels, len(values)))
	}
	var buf [128]byte
	key := buf[:0]
	for _, s := range values {
		key = append(append(key, s...), 0xff)
	}
	v.mu.RLock()
	c := v.series[string(key)] // no allocation: the compiler looks up without converting
	v.mu.RUnlock()
	if c != nil {
		return c
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if c = v.series[string(key)]; c == nil {
		c = &Counter{values: v.desc.sorted(values)}
		v.series[string(key)] = c
	}
	return c
}

func (v *CounterVec) collect(s *Scrape) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	if len(v.series) == 0 {
		return // like client_golang: a family without series is not written
	}
	f := s.family(v.desc)
	f.series = slices.Grow(f.series, len(v.series))
	for _, c := range v.series {
		f.series = append(f.series, series{values: c.values, value: float64(c.Value())})
	}
}

// Scrape gathers the series of one scrape; collectors add theirs to it.
type Scrape struct {
	fams map[string]*family
}

type family struct {
	desc   *Desc
	series []series
}

type series struct {
	values    []string // label values in written order
	value     float64  // a summary's sum
	count     uint64   // a summary's count
	quantiles []Quantile
}

// Quantile is one quantile of a summary.
type Quantile struct {
	Quantile, Value float64
}

// Add adds a counter's or gauge's series, its label values in the order
// the family's labels were declared.
func (s *Scrape) Add(d *Desc, value float64, labelValues ...string) {
	if d.typ == TypeSummary {
		panic(fmt.Sprintf("promtext: %s is a summary: use AddSummary", d.name))
	}
	f := s.family(d)
	f.series = append(f.series, series{values: d.sorted(labelValues), value: value})
}

// AddSummary adds a summary's series: its count, sum and quantiles.
func (s *Scrape) AddSummary(d *Desc, count uint64, sum float64, quantiles []Quantile, labelValues ...string) {
	if d.typ != TypeSummary {
		panic(fmt.Sprintf("promtext: %s is a %s, not a summary", d.name, d.typ))
	}
	f := s.family(d)
	f.series = append(f.series, series{values: d.sorted(labelValues), value: sum, count: count,
		quantiles: slices.SortedFunc(slices.Values(quantiles), func(a, b Quantile) int {
			return cmpFloat(a.Quantile, b.Quantile)
		})})
}

func (s *Scrape) family(d *Desc) *family {
	f := s.fams[d.name]
	if f == nil {
		f = &family{desc: d}
		s.fams[d.name] = f
	} else if f.desc != d {
		panic(fmt.Sprintf("promtext: family %s described twice", d.name))
	}
	return f
}

// sorted returns the families by name, each with its series by label
// values, or an error when a family has two series with the same labels.
func (s *Scrape) sorted() ([]*family, error) {
	fams := make([]*family, 0, len(s.fams))
	for _, f := range s.fams {
		fams = append(fams, f)
		slices.SortFunc(f.series, func(a, b series) int { return slices.Compare(a.values, b.values) })
		for i := 1; i < len(f.series); i++ {
			if slices.Equal(f.series[i-1].values, f.series[i].values) {
				return nil, fmt.Errorf("promtext: %s has two series with labels %s", f.desc.name, labelText(f.desc, f.series[i].values))
			}
		}
	}
	slices.SortFunc(fams, func(a, b *family) int { return strings.Compare(a.desc.name, b.desc.name) })
	return fams, nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func labelText(d *Desc, values []string) string {
	return string(appendLabels(nil, d, values, "", 0, false))
}
