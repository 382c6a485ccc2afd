// Package scenario is kycemu's outcome language: YAML files that script how
// a provider's sessions live (a timeline of status changes on the emulator
// clock), which calls fail and how (faults), and how webhooks misbehave.
//
// The loader is strict: unknown keys, wrong types, bad durations, unknown
// providers, statuses and operations, timelines the provider's status
// machine forbids and duplicate names are all reported as
// "file:line:col: message", every problem at once. The Engine keeps the
// loaded scenarios (built-in, from a directory, put through the control
// API), picks the one a new session follows and decides the faults of each
// call. It implements provider.Scenarios and never imports the emulator: the
// emulator hands it a Catalog of its providers.
package scenario

import (
	"time"

	"github.com/kycemu/kycemu/emulator/provider"
)

// Origin says where a scenario came from. Higher origins shadow lower ones
// of the same name: an API-put scenario hides a file's, a file's hides a
// built-in.
type Origin string

// Origins, lowest first.
const (
	OriginBuiltin Origin = "builtin"
	OriginFile    Origin = "file"
	OriginAPI     Origin = "api"
)

// Pos is a position in a scenario file.
type Pos struct {
	File string
	Line int
	Col  int
}

// Scenario is one loaded, validated scenario.
type Scenario struct {
	Name        string
	Provider    string
	Description string
	// Kinds restricts the scenario to some session kinds of the provider;
	// empty means every kind.
	Kinds []string
	// Match makes the scenario apply to a new session whose creating
	// request fits every entry, without being named.
	Match []Match
	// Timeline is the scripted life of a session. When HasTimeline is
	// false the provider's default timeline is used.
	Timeline    []Step
	HasTimeline bool
	Faults      []Fault
	Uploads     []UploadFault
	Webhooks    []WebhookFault
	// Options are provider-specific settings passed through as
	// provider.Plan.Options.
	Options map[string]any

	Origin Origin
	Pos    Pos // where the scenario's document starts
}

// Match is one entry of a scenario's match block: a dot path into the
// creating request ("body.documentCountry") and the globs its value may
// fit (any of them).
type Match struct {
	Path  string
	Globs []string
}

// Step is one scripted status change.
type Step struct {
	After  time.Duration
	From   string // "" = from the session's creation
	Status string
	Reason string
	Pos    Pos
}

// Trigger says which of the matching calls a fault hits. Skip lets the
// first calls through; then, without Every or Probability, every call is
// hit; Every hits every Nth; Probability hits at random from the
// emulator's seeded source. Times caps how often the fault fires (0 = no
// cap), so "times: 2" alone hits the first two calls.
type Trigger struct {
	Skip        int
	Times       int
	Every       int
	Probability float64
}

// Fault alters calls to some operations of the provider's API.
type Fault struct {
	// Operations are operationIds of the provider's spec; empty means
	// every operation.
	Operations []string
	Trigger
	// Latency holds the answer back this long (real time, capped).
	Latency time.Duration
	// Respond answers instead of the handler.
	Respond *Respond
	// Drop closes the connection without an answer.
	Drop bool
	// RateLimit answers 429 once the tenant has made more than Requests
	// matching calls in the current window.
	RateLimit *RateLimit
	Pos       Pos
}

// Respond is a scripted answer.
type Respond struct {
	Status int
	// Code and Message fill the provider's error envelope.
	Code    string
	Message string
	// Body replaces the envelope when HasBody: a string is sent as is
	// (text/plain unless Headers set Content-Type), anything else as JSON.
	Body    any
	HasBody bool
	Headers map[string]string
	// RetryAfter sets Retry-After (whole seconds, rounded up). A 429 gets
	// one second when it is not given.
	RetryAfter time.Duration
}

// RateLimit is a per-tenant limit of Requests calls per window of Per, on
// the emulator clock.
type RateLimit struct {
	Requests int
	Per      time.Duration
}

// Upload fault kinds, as provider.UploadFault spells them.
const (
	UploadPolicyExpired = provider.UploadPolicyExpired
	UploadTooLarge      = provider.UploadTooLarge
	UploadSlow          = provider.UploadSlow
)

// UploadFault alters uploads of a session's documents.
type UploadFault struct {
	Kind string
	// Slot is a glob on the provider's name of the uploaded file ("front",
	// "back", "owners.0.front"); "" matches every file.
	Slot    string
	Latency time.Duration // for slow
	Trigger
	Pos Pos
}

// Webhook fault kinds, as provider.WebhookFault spells them.
const (
	WebhookDelay        = "delay"
	WebhookDuplicate    = "duplicate"
	WebhookReorder      = "reorder"
	WebhookBadSignature = "bad_signature"
	WebhookDrop         = "drop"
)

// WebhookFault alters the delivery of the session's webhooks.
type WebhookFault struct {
	Event string // glob on the event name; "" = every event
	Kind  string
	Delay time.Duration
	Times int
	Pos   Pos
}

// AppliesTo reports whether the scenario may drive a session of kind.
func (s *Scenario) AppliesTo(kind string) bool {
	if len(s.Kinds) == 0 {
		return true
	}
	for _, k := range s.Kinds {
		if k == kind {
			return true
		}
	}
	return false
}
