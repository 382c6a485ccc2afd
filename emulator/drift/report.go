package drift

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
)

// Report sums recorded exchanges per provider, operation and status.
type Report struct {
	Exchanges int            `json:"exchanges"`
	ByKind    map[string]int `json:"byKind"`
	// Drift is true when any group has a finding.
	Drift  bool    `json:"drift"`
	Groups []Group `json:"groups"`
}

// Group is one provider, operation (or webhook event, or unknown route)
// and status, with the findings of its exchanges.
type Group struct {
	Provider string `json:"provider"`
	// Operation is the operationId; "webhook <event>" for a webhook;
	// "METHOD /path" for a route the spec lacks; "link" for links.
	Operation string `json:"operation"`
	Status    int    `json:"status,omitempty"`
	Exchanges int    `json:"exchanges"`
	Findings  []Seen `json:"findings"`
}

// Seen is a finding with how often, and first where, it was seen.
type Seen struct {
	Finding
	Count int `json:"count"`
	// First is the sequence number of the first exchange that showed it.
	First int `json:"first"`
}

// Summarize builds the report of a recording.
func Summarize(xs []*Exchange) *Report {
	r := &Report{ByKind: map[string]int{}, Groups: []Group{}}
	type key struct {
		provider, op string
		status       int
	}
	groups := map[key]*Group{}
	seen := map[key]map[Finding]*Seen{}
	for _, x := range xs {
		r.Exchanges++
		r.ByKind[x.Kind]++
		k := key{x.Provider, label(x), x.Response.Status}
		if x.Kind == ExchangeWebhook {
			k.status = 0
		}
		g := groups[k]
		if g == nil {
			g = &Group{Provider: k.provider, Operation: k.op, Status: k.status, Findings: []Seen{}}
			groups[k] = g
			seen[k] = map[Finding]*Seen{}
		}
		g.Exchanges++
		for _, f := range x.Findings {
			if s := seen[k][f]; s != nil {
				s.Count++
				continue
			}
			seen[k][f] = &Seen{Finding: f, Count: 1, First: x.Seq}
		}
	}
	for k, g := range groups {
		for _, s := range seen[k] {
			g.Findings = append(g.Findings, *s)
		}
		sort.Slice(g.Findings, func(i, j int) bool {
			a, b := g.Findings[i], g.Findings[j]
			if a.First != b.First {
				return a.First < b.First
			}
			return a.Finding.String() < b.Finding.String()
		})
		r.Drift = r.Drift || len(g.Findings) > 0
		r.Groups = append(r.Groups, *g)
	}
	sort.Slice(r.Groups, func(i, j int) bool {
		a, b := r.Groups[i], r.Groups[j]
		if a.Provider != b.Provider {
			return a.Provider < b.Provider
		}
		if a.Operation != b.Operation {
			return a.Operation < b.Operation
		}
		return a.Status < b.Status
	})
	return r
}

func label(x *Exchange) string {
	switch x.Kind {
	case ExchangeAPI:
		return x.Operation
	case ExchangeWebhook:
		if x.Event == "" {
			return "webhook"
		}
		return "webhook " + x.Event
	case ExchangeLink:
		return "link"
	}
	return x.Request.Method + " " + templatePath(x.Request.Path)
}

// WriteText writes the report for people: a summary line, then each group
// with findings, one finding a line.
func (r *Report) WriteText(w io.Writer) error {
	kinds := make([]string, 0, len(r.ByKind))
	for k, n := range r.ByKind {
		kinds = append(kinds, fmt.Sprintf("%d %s", n, k))
	}
	sort.Strings(kinds)
	drifting := 0
	for _, g := range r.Groups {
		if len(g.Findings) > 0 {
			drifting++
		}
	}
	verdict := "no drift"
	if r.Drift {
		verdict = fmt.Sprintf("drift in %d of %d operation/status groups", drifting, len(r.Groups))
	}
	fmt.Fprintf(w, "%d exchanges (%s): %s\n", r.Exchanges, strings.Join(kinds, ", "), verdict)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	for _, g := range r.Groups {
		if len(g.Findings) == 0 {
			continue
		}
		status := "-"
		if g.Status != 0 {
			status = strconv.Itoa(g.Status)
		}
		fmt.Fprintf(tw, "\n%s %s %s (%d exchanges)\n", g.Provider, g.Operation, status, g.Exchanges)
		for _, s := range g.Findings {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%d× from #%d\n", s.Kind, s.In, dash(s.Path), s.Detail(), s.Count, s.First)
		}
	}
	return tw.Flush()
}

// Detail is what the spec says and what the real provider did, as the
// text report shows it: "spec: date-time; real: 2026-03-01".
func (f Finding) Detail() string {
	var parts []string
	if f.Want != "" {
		parts = append(parts, "spec: "+f.Want)
	}
	if f.Got != "" {
		parts = append(parts, "real: "+f.Got)
	}
	return strings.Join(parts, "; ")
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
