package provider

import (
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"
)

// Machine is a status machine: the statuses a session may move between.
type Machine struct {
	Initial string
	edges   map[string][]string
}

// NewMachine builds a machine from its initial status and its edges.
func NewMachine(initial string, edges map[string][]string) *Machine {
	return &Machine{Initial: initial, edges: edges}
}

// Can reports whether a session may move from one status to another.
func (m *Machine) Can(from, to string) bool { return slices.Contains(m.edges[from], to) }

// Next returns the statuses reachable in one move from a status.
func (m *Machine) Next(from string) []string { return slices.Clone(m.edges[from]) }

// Path lists the statuses a session passes through to reach to from from,
// following the main line (each status's usual successor in forward) until
// the machine allows the final move; nil when to cannot be reached. Control
// actions use it to force an outcome the way a session would get there.
func (m *Machine) Path(from, to string, forward map[string]string) []string {
	var path []string
	for cur, seen := from, map[string]bool{}; !seen[cur]; {
		seen[cur] = true
		if m.Can(cur, to) {
			return append(path, to)
		}
		next, ok := forward[cur]
		if !ok {
			return nil
		}
		path = append(path, next)
		cur = next
	}
	return nil
}

// Outcomes are the control actions that force a session to a status. An
// action the machine does not allow directly walks the main line (Forward)
// through the statuses in between, each a move of its own (with its
// webhook), the way the session would have got there.
type Outcomes struct {
	Machine *Machine
	Forward map[string]string
	// Targets maps each action name, aliases included, to its status.
	Targets map[string]string
	// Listed are the actions offered, in the order they are listed.
	Listed []string
	// Noun names the session in messages ("validation", "KYC").
	Noun string
}

// Allowed lists the offered actions that are possible from status.
func (o Outcomes) Allowed(status string) []string {
	var out []string
	for _, a := range o.Listed {
		if o.Machine.Path(status, o.Targets[a], o.Forward) != nil {
			out = append(out, a)
		}
	}
	return out
}

// Walk moves from status to to along the main line, calling move for each
// status on the way (the reason goes with the last move). It moves nothing
// and reports false when to cannot be reached.
func (o Outcomes) Walk(status, to, reason string, move func(to, reason string)) bool {
	path := o.Machine.Path(status, to, o.Forward)
	if path == nil {
		return false
	}
	for i, st := range path {
		r := ""
		if i == len(path)-1 {
			r = reason
		}
		move(st, r)
	}
	return true
}

// Force applies a control action: an unknown one is a 400 naming the
// offered ones, one that cannot be reached from status a 409.
func (o Outcomes) Force(status string, a Action, move func(to, reason string)) error {
	to, known := o.Targets[a.Name]
	if !known {
		return Invalid("action", "unknown action; use %s", orList(o.Listed)).WithCode("unknown_action")
	}
	if !o.Walk(status, to, a.Reason, move) {
		return Errorf(KindConflict, "cannot %s a %s that is %s", a.Name, o.Noun, status).WithCode("action_not_allowed")
	}
	return nil
}

// orList writes "a, b or c".
func orList(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

// Terminal reports whether no move leaves a status.
func (m *Machine) Terminal(status string) bool { return len(m.edges[status]) == 0 }

// Statuses returns every status the machine knows, sorted.
func (m *Machine) Statuses() []string {
	seen := map[string]bool{m.Initial: true}
	for from, tos := range m.edges {
		seen[from] = true
		for _, to := range tos {
			seen[to] = true
		}
	}
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// Step is one scheduled status change of a session's plan.
type Step struct {
	// After is the delay from the anchor.
	After time.Duration
	// From anchors the delay: "" counts from the session's creation, a
	// status name counts from the moment the session enters that status.
	From string
	// Status is the status to move to. The move happens only if the
	// session's machine allows it at that moment; otherwise it is skipped.
	Status string
	// Reason is recorded with the move (a rejection reason, say).
	Reason string
}

// Plan is what a session will live through unless a client or the control
// API changes its course.
type Plan struct {
	// Scenario names the scenario the plan came from ("" for the
	// provider's built-in default).
	Scenario string
	Steps    []Step
	// Options carries provider-specific settings of the scenario (for
	// example the wizard steps of B2Core), decoded by the provider.
	Options map[string]any
	// Webhooks alters the delivery of the session's events; providers copy
	// it into every Event they send for the session.
	Webhooks []WebhookFault
	// Uploads decides scripted faults on uploads of the session's files;
	// nil means none. Providers that store uploads ask it once per upload.
	Uploads UploadFaults
	// DefaultSteps reports that the scenario has no timeline of its own:
	// Steps hold the provider's DefaultPlan steps (when it has one), and a
	// provider whose default depends on the request (gu1's sandbox taxIds)
	// may replace them with what it would have chosen without a scenario.
	DefaultSteps bool
}

// UploadFaults decides, upload by upload, whether a scripted fault hits.
type UploadFaults interface {
	// Upload is called once for each upload of the file a session names
	// slot ("front", "back", "owners.0.front"); it returns the fault to
	// apply, or nil. It is safe for concurrent use.
	Upload(slot string) *UploadFault
}

// Upload fault kinds.
const (
	// UploadPolicyExpired answers as if the upload policy had expired.
	UploadPolicyExpired = "policy_expired"
	// UploadTooLarge answers as if the file were over the size limit.
	UploadTooLarge = "too_large"
	// UploadSlow holds the answer back for Latency, then stores the file.
	UploadSlow = "slow"
)

// UploadFault is a fault on one upload. The upload is refused (policy
// expired, too large) or delayed (slow); a refused upload stores nothing.
type UploadFault struct {
	Kind string
	// Latency is how long to hold the answer back, in real time; the
	// scenario engine has already capped it. Any kind may carry one.
	Latency time.Duration
}

// Uploader is implemented by providers that store uploaded files and
// honour upload faults; the scenario loader accepts only the kinds listed.
type Uploader interface {
	UploadFaultKinds() []string
}

// DefaultPlans is implemented by providers whose sessions follow a plan of
// their own when no scenario applies. A scenario without a timeline keeps
// the provider's default steps, and the catalogue shows them.
type DefaultPlans interface {
	DefaultPlan(kind string) *Plan
}

// OptionChecker is implemented by providers whose scenarios take options
// (Plan.Options): the loader calls it for each session kind the scenario
// applies to and reports the error at the scenario's options block.
type OptionChecker interface {
	CheckOptions(kind string, options map[string]any) error
}

// Scenarios chooses the plan of a new session.
type Scenarios interface {
	// Plan returns the plan for a session of the given kind that tenant is
	// creating, chosen by the X-Kycemu-Scenario header (name), the creating
	// request's body, the tenant's default, or nil for the provider's own
	// default. An unknown name is an *Error.
	Plan(provider, kind, tenant, name string, body []byte) (*Plan, *Error)
}

// NoScenarios always answers nil: providers use their defaults.
type NoScenarios struct{}

// Plan returns nil.
func (NoScenarios) Plan(_, _, _, name string, _ []byte) (*Plan, *Error) {
	if name != "" {
		return nil, Invalid("header."+ScenarioHeader, "unknown scenario")
	}
	return nil, nil
}

// Webhooks delivers outbound events.
type Webhooks interface {
	Send(e Event)
}

// Event is an outbound webhook.
type Event struct {
	Provider string
	Tenant   string
	// URL is the explicit target; "" means the tenant's configured one.
	URL       string
	Name      string
	SessionID string
	Body      []byte
	// Sign returns the headers that authenticate body sent at the given
	// time, using the tenant's webhook secret (nil for unsigned vendors).
	Sign func(secret string, body []byte, at time.Time) http.Header
	// Faults come from the session's plan.
	Faults []WebhookFault
	// Retry is the vendor's retry schedule: the waits after the first,
	// second, ... failed attempt (len(Retry)+1 attempts in all). nil means
	// the webhook engine's default schedule.
	Retry []time.Duration
}

// WebhookSigner is implemented by providers whose webhooks are signed. The
// webhook engine signs every attempt through it, by provider name, so a
// delivery retried after a restart is signed as its first attempt was: the
// signature may depend only on the tenant, the secret, the body and the time.
type WebhookSigner interface {
	SignWebhook(tenant, secret string, body []byte, at time.Time) http.Header
}

// NoWebhooks drops every event.
type NoWebhooks struct{}

// Send does nothing.
func (NoWebhooks) Send(Event) {}

// Machines is implemented by providers whose sessions follow status
// machines; the scenario loader checks timelines against them.
type Machines interface {
	// Machines maps each session kind (the kind passed to Scenarios.Plan)
	// to its status machine.
	Machines() map[string]*Machine
}

// CallScenario is implemented by providers so that a scenario's faults
// follow its session: for a call that touches an existing session, it
// returns the name of the scenario attached to that session ("" when the
// call touches none or the session has no scenario). It runs before the
// handler and must change nothing; for an unauthenticated call it may set
// c.Tenant to the session's owner, so faults are counted (and the call
// journaled) under that tenant.
type CallScenario interface {
	ScenarioOf(c *Call) string
}

// WebhookFault alters the delivery of a session's outbound events.
type WebhookFault struct {
	// Event is a glob on the event name; "" matches every event.
	Event string
	// Kind is delay, duplicate, reorder, bad_signature or drop.
	Kind string
	// Delay is how long a delayed event waits (on the emulator clock).
	Delay time.Duration
	// Times limits the fault to the first N matching events (0 = all).
	Times int
}

// wrongSecretPrefix marks the secret of an attempt a bad_signature fault hit.
const wrongSecretPrefix = "kycemu-bad-signature:"

// WrongSecret returns the secret the webhook engine hands Event.Sign for an
// attempt a bad_signature fault hit: a different secret, so HMAC signatures
// do not verify.
func WrongSecret(secret string) string { return wrongSecretPrefix + secret }

// IsWrongSecret reports whether secret came from WrongSecret. Providers that
// sign with a key rather than the secret (Kulipa's ECDSA) use it to sign
// with a key they never publish.
func IsWrongSecret(secret string) bool { return strings.HasPrefix(secret, wrongSecretPrefix) }
