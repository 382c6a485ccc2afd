package oas

import (
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"weak"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
)

//go:generate go run ./genoutline

// Outline is what an emulator needs of a document before it can listen:
// the operations to route and to check handlers and scenarios against,
// the base paths they are mounted under, and the title. Parsing a
// provider's document takes milliseconds; the outline of every embedded
// document is generated at build time (outlines.go, go generate), so that
// an emulator routes at once and parses in the background (LoadEmbedded).
type Outline struct {
	// Size is the length of the document the outline was made from: a
	// document of another size cannot be the one outlined.
	Size       int
	Title      string
	Version    string
	BasePaths  []string
	Operations []OutlineOp
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
	return o
}

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
// is parsed in the background, normally done before the first request
// comes: a caller needing it sooner parses it then (or waits for the
// background parse under way), and only that document. A document
// with no outline, or not the size outlined, is parsed before LoadEmbedded
// returns, as LoadValid does.
func LoadEmbedded(name string, spec []byte) (*Doc, error) {
	o, ok := outlines[name]
	if !ok || o.Size != len(spec) {
		return LoadValid(spec)
	}
	d := lazyDoc(o, spec)
	parseLater(d)
	return d, nil
}

// background holds the documents LoadEmbedded returned unparsed, for the
// one goroutine that parses them, one after the other, while it has any.
// One, not one a document: the process is starting up, and what it has to
// do before it serves comes first; a second processor is left to it.
//
// The queue holds its documents weakly: a test binary that starts many
// emulators without a shared cache queues documents faster than they
// parse, and those of the emulators already gone are then skipped rather
// than kept alive and parsed for no one.
var background struct {
	sync.Mutex
	queue   []weak.Pointer[Doc]
	running bool
}

// parseLater queues d for the background parse.
func parseLater(d *Doc) {
	background.Lock()
	defer background.Unlock()
	background.queue = append(background.queue, weak.Make(d))
	if !background.running {
		background.running = true
		go parseQueued()
	}
}

// parseQueued parses the queued documents until there are none left.
// A document someone needed before its turn is already parsed then (or
// being parsed), and waited for here.
func parseQueued() {
	for {
		background.Lock()
		if len(background.queue) == 0 {
			background.queue = nil
			background.running = false
			background.Unlock()
			return
		}
		d := background.queue[0].Value()
		background.queue = background.queue[1:]
		background.Unlock()
		if d != nil {
			// Not d.parsed: should the parse fail, it is the caller
			// needing the document that panics, not this goroutine.
			d.parseOnce.Do(d.parse)
		}
	}
}

// lazyDoc is LoadEmbedded with the outline o of spec, without the parse
// started.
func lazyDoc(o *Outline, spec []byte) *Doc {
	d := &Doc{raw: spec, outline: o}
	d.ops = d.outlineOps()
	return d
}

// Wait returns once the document is parsed, parsing it now if its turn
// in the background has not come yet.
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
		slices.Equal(o.BasePaths, p.BasePaths) && slices.Equal(o.Operations, p.Operations)
}

// kin returns the operation's route in its parsed document, waiting for
// the parse.
func (op *Operation) kin() *routers.Route {
	op.doc.parsed()
	return op.route
}
