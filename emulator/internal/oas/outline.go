package oas

import (
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
)

//go:generate go run ./genoutline

// Outline is what an emulator needs of a document before it can listen:
// the operations to route and to check handlers and scenarios against,
// the base paths they are mounted under, and the title. Parsing a
// provider's document takes milliseconds; the outline of every embedded
// document is generated at build time (outlines.go, go generate), so that
// an emulator routes at once and parses a document only once it is needed
// (LoadEmbedded).
type Outline struct {
	// Size is the length of the document the outline was made from: a
	// document of another size cannot be the one outlined.
	Size       int
	Title      string
	Version    string
	BasePaths  []string
	Operations []OutlineOp
	// Events are the webhook event names the document declares
	// (WebhookEvents).
	Events []string
}

// OutlineOp is an operation as the outline knows it: an Operation before
// its document is parsed.
type OutlineOp struct {
	ID, Method, Path  string
	Secured, JSONBody bool
}

// Outline returns the document's outline.
func (d *Doc) Outline() Outline { return *d.outline }

// outlineOf makes the outline of a parsed document of size bytes.
func outlineOf(t *openapi3.T, size int) *Outline {
	o := &Outline{Size: size, BasePaths: basePaths(t)}
	if t.Info != nil {
		o.Title, o.Version = t.Info.Title, t.Info.Version
	}
	for _, path := range t.Paths.InMatchingOrder() {
		for method, op := range t.Paths.Value(path).Operations() {
			sec := op.Security
			if sec == nil {
				sec = &t.Security
			}
			jsonBody := false
			if rb := op.RequestBody; rb != nil && rb.Value != nil && len(rb.Value.Content) == 1 {
				jsonBody = rb.Value.Content.Get("application/json") != nil
			}
			o.Operations = append(o.Operations, OutlineOp{
				ID: op.OperationID, Method: method, Path: path,
				Secured: len(*sec) > 0, JSONBody: jsonBody,
			})
		}
	}
	sort.Slice(o.Operations, func(i, j int) bool {
		a, b := o.Operations[i], o.Operations[j]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Method < b.Method
	})
	o.Events = webhookEvents(t)
	return o
}

// webhookSchemas are the component schemas a provider's document
// describes its webhook bodies with; eventFields are the body fields that
// name the event (the ones a receiver reads).
var (
	webhookSchemas = []string{"WebhookEvent", "Webhook"}
	eventFields    = []string{"event", "eventName", "type"}
)

// webhookEvents lists the event names of the first webhook schema that
// declares any, or nil.
func webhookEvents(t *openapi3.T) []string {
	for _, s := range webhookSchemas {
		if ev := propertyEnum(t, s, eventFields...); len(ev) > 0 {
			return ev
		}
	}
	return nil
}

// WebhookEvents lists the webhook event names the document declares (the
// enum of the event field of its WebhookEvent or Webhook schema), nil for
// a document without webhooks. It is part of the outline: listing a
// provider's events parses nothing.
func (d *Doc) WebhookEvents() []string { return d.outline.Events }

// Parsed reports whether the document behind the outline has been parsed
// yet (for tests of what parses it, and when).
func (d *Doc) Parsed() bool { return d.ready.Load() }

// basePaths returns the path part of every server URL ("" for a server
// at the root), deduplicated, in document order.
func basePaths(t *openapi3.T) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range t.Servers {
		p := ""
		if u, err := url.Parse(s.URL); err == nil {
			p = strings.TrimSuffix(u.Path, "/")
		}
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		out = []string{""}
	}
	return out
}

// outlineOps makes the operations of d's outline; their routes are set
// when d is parsed (attach).
func (d *Doc) outlineOps() []*Operation {
	ops := make([]*Operation, len(d.outline.Operations))
	for i, o := range d.outline.Operations {
		ops[i] = &Operation{ID: o.ID, Method: o.Method, Path: o.Path, Secured: o.Secured, JSONBody: o.JSONBody, doc: d}
	}
	return ops
}

// LoadEmbedded loads the embedded document of the given name (a provider's,
// or the control API's), which its tests have validated (see LoadValid).
// The document comes back at once, made from its generated outline, and
// is parsed when something first needs more than the outline: in an
// emulator, the first request to its provider. Parsing takes milliseconds
// to tens of milliseconds a document, and its parsed form stays in memory
// for good, so a provider no one calls never costs either. A document with
// no outline, or not the size outlined, is parsed before LoadEmbedded
// returns, as LoadValid does.
func LoadEmbedded(name string, spec []byte) (*Doc, error) {
	o, ok := outlines[name]
	if !ok || o.Size != len(spec) {
		return LoadValid(spec)
	}
	return lazyDoc(o, spec), nil
}

// lazyDoc is the document of spec known by its outline o only, until
// something needs its parse.
func lazyDoc(o *Outline, spec []byte) *Doc {
	d := &Doc{raw: spec, outline: o}
	d.ops = d.outlineOps()
	return d
}

// Wait returns once the document is parsed, parsing it now if no one has
// yet.
func (d *Doc) Wait() { d.parsed() }

// parsed returns d once its document is parsed, parsing it if no one has
// started to. The parse of an embedded document cannot fail, nor differ
// from its outline, in a binary whose tests pass (TestOutlinesAreCurrent);
// if it does all the same, the build is broken and parsed panics.
func (d *Doc) parsed() *Doc {
	d.parseOnce.Do(d.parse)
	if d.parseErr != nil {
		panic(d.parseErr)
	}
	return d
}

func (d *Doc) parse() {
	t, err := parse(d.raw)
	if err != nil {
		d.parseErr = fmt.Errorf("embedded document %q: %w", d.outline.Title, err)
		return
	}
	if got := outlineOf(t, len(d.raw)); !got.equal(d.outline) {
		d.parseErr = fmt.Errorf("embedded document %q does not match its outline: run go generate ./emulator/internal/oas", d.outline.Title)
		return
	}
	d.attach(t)
}

func (o *Outline) equal(p *Outline) bool {
	return o.Size == p.Size && o.Title == p.Title && o.Version == p.Version &&
		slices.Equal(o.BasePaths, p.BasePaths) && slices.Equal(o.Operations, p.Operations) &&
		slices.Equal(o.Events, p.Events)
}

// kin returns the operation's route in its parsed document, waiting for
// the parse.
func (op *Operation) kin() *routers.Route {
	op.doc.parsed()
	return op.route
}
