package scenario

import (
	"container/heap"
	"fmt"
	"strings"
	"time"

	"github.com/kycemu/kycemu/emulator/provider"
)

// maxSimEvents bounds the simulation of a timeline whose anchored steps
// loop through a cycle of the machine.
const maxSimEvents = 1000

// checkMachine rejects a timeline that breaks the provider's status
// machine. It replays the timeline as the state layer runs it:
//
//   - From creation, with no client action: steps anchored at creation
//     (and at the initial status, entered at creation) fire in time order
//     and schedule the steps anchored at each status they enter. Every
//     creation-anchored step must be a move the machine allows from the
//     status the session is in at that moment, whichever anchor's step put
//     it there.
//   - From each status a step is anchored at (which a client or the
//     control API may enter at any time): that status must be reachable
//     and not final, and its steps, replayed from the moment it is
//     entered, must each be allowed from the status the earlier ones left.
//
// A step that fails either replay could never happen as written. Each
// distinct machine of the scenario's kinds is checked.
func (r *reader) checkMachine(sc *Scenario, nodes []stepNode, p *ProviderInfo) {
	machines := p.machines(sc.Kinds)
	kinds := sc.Kinds
	if len(kinds) == 0 {
		kinds = p.Kinds()
	}
	reported := map[int]bool{}
	for _, m := range machines {
		label := ""
		if len(machines) > 1 {
			for _, k := range kinds {
				if p.Machines[k] == m {
					label = "for " + k + " sessions, "
					break
				}
			}
		}
		sim := &simulation{r: r, sc: sc, nodes: nodes, p: p, m: m, label: label, reported: reported}
		sim.run("")
		anchors := map[string]bool{}
		reach := reachable(m)
		for i, st := range sc.Timeline {
			if st.From == "" || anchors[st.From] {
				continue
			}
			anchors[st.From] = true
			switch {
			case !reach[st.From]:
				r.errf(nodes[i].from, fmt.Sprintf("timeline[%d].from", i), "%sa %s session can never be %s, so this step could never happen", label, p.Name, st.From)
				markAnchor(sc, st.From, reported)
			case m.Terminal(st.From):
				r.errf(nodes[i].from, fmt.Sprintf("timeline[%d].from", i), "%s%s is a final status: nothing can follow it", label, st.From)
				markAnchor(sc, st.From, reported)
			default:
				sim.run(st.From)
			}
		}
	}
}

func markAnchor(sc *Scenario, anchor string, reported map[int]bool) {
	for i, st := range sc.Timeline {
		if st.From == anchor {
			reported[i] = true
		}
	}
}

// reachable returns the statuses a session can ever be in.
func reachable(m *provider.Machine) map[string]bool {
	seen := map[string]bool{m.Initial: true}
	queue := []string{m.Initial}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for _, n := range m.Next(s) {
			if !seen[n] {
				seen[n] = true
				queue = append(queue, n)
			}
		}
	}
	return seen
}

type simulation struct {
	r        *reader
	sc       *Scenario
	nodes    []stepNode
	p        *ProviderInfo
	m        *provider.Machine
	label    string
	reported map[int]bool
}

type simEvent struct {
	at   time.Duration
	seq  int
	step int
}

type simQueue []simEvent

func (q simQueue) Len() int { return len(q) }
func (q simQueue) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q simQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *simQueue) Push(x any)   { *q = append(*q, x.(simEvent)) }
func (q *simQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

// run replays the timeline from creation (anchor "") or from entering
// anchor, and reports blocked steps of that anchor.
func (s *simulation) run(anchor string) {
	var q simQueue
	seq := 0
	schedule := func(from string, at time.Duration) {
		for i, st := range s.sc.Timeline {
			if st.From == from {
				heap.Push(&q, simEvent{at: at + st.After, seq: seq, step: i})
				seq++
			}
		}
	}
	cur, by := s.m.Initial, -1
	if anchor == "" {
		schedule("", 0)
		schedule(s.m.Initial, 0)
	} else {
		cur = anchor
		schedule(anchor, 0)
	}
	owned := func(st Step) bool {
		if anchor == "" {
			return st.From == "" || st.From == s.m.Initial
		}
		return st.From == anchor
	}
	for n := 0; q.Len() > 0 && n < maxSimEvents; n++ {
		e := heap.Pop(&q).(simEvent)
		st := s.sc.Timeline[e.step]
		if s.m.Can(cur, st.Status) {
			cur, by = st.Status, e.step
			schedule(cur, e.at)
			continue
		}
		if !owned(st) || s.reported[e.step] {
			continue
		}
		s.reported[e.step] = true
		s.r.errf(s.nodes[e.step].status, fmt.Sprintf("timeline[%d].status", e.step), "%s", s.blocked(anchor, e, cur, by))
	}
}

func (s *simulation) blocked(anchor string, e simEvent, cur string, by int) string {
	st := s.sc.Timeline[e.step]
	when := formatDuration(e.at) + " after creation"
	if anchor != "" {
		when = formatDuration(e.at) + " after entering " + anchor
	}
	where := "would still be " + cur
	if by >= 0 {
		where = fmt.Sprintf("would be %s (moved there by timeline[%d] at line %d)", cur, by, s.sc.Timeline[by].Pos.Line)
	}
	if s.m.Terminal(cur) {
		return fmt.Sprintf("%sat %s the session %s, a final status, so this step could never happen", s.label, when, where)
	}
	return fmt.Sprintf("%sat %s the session %s, and %s does not allow %s -> %s (from %s it can move to %s)",
		s.label, when, where, s.p.Name, cur, st.Status, cur, strings.Join(s.m.Next(cur), ", "))
}
