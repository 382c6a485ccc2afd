package oas

import (
	"bytes"
	"context"
	"fmt"
	"hash/maphash"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// Load parses and validates an OpenAPI 3.0 document.
func Load(spec []byte) (*Doc, error) {
	t, err := parse(spec)
	if err != nil {
		return nil, err
	}
	if err := t.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("validate openapi document: %w", err)
	}
	return newDoc(t, spec), nil
}

// LoadValid parses a document already known to be valid: one of the
// documents embedded in the binary, which the specs' tests validate
// (TestEmbeddedDocumentsAreValid). It skips openapi3's T.Validate, a fifth
// of what loading costs, which would only repeat at every start what those
// tests established. Documents from anywhere else go through Load.
func LoadValid(spec []byte) (*Doc, error) {
	t, err := parse(spec)
	if err != nil {
		return nil, err
	}
	return newDoc(t, spec), nil
}

func parse(spec []byte) (*openapi3.T, error) {
	t, err := openapi3.NewLoader().LoadFromData(spec)
	if err != nil {
		return nil, fmt.Errorf("parse openapi document: %w", err)
	}
	return t, nil
}

// newDoc makes the document of t, parsed from spec, ready at once.
func newDoc(t *openapi3.T, spec []byte) *Doc {
	d := &Doc{raw: spec, outline: outlineOf(t, len(spec))}
	d.ops = d.outlineOps()
	d.parseOnce.Do(func() { d.attach(t) })
	return d
}

// attach makes t the parsed form of d: it sets the validation options and
// gives each operation of the outline its route.
func (d *Doc) attach(t *openapi3.T) {
	d.formats = map[string]openapi3.StringFormatValidator{
		"uuid":  uuidFormat{},
		"email": openapi3.NewRegexpFormatValidator(emailRE),
	}
	formats := openapi3.WithStringFormatValidators(d.formats)
	schemaOpts := []openapi3.SchemaValidationOption{formats, openapi3.EnableFormatValidation()}
	d.t = t
	d.reqOpts = &openapi3filter.Options{
		AuthenticationFunc:      openapi3filter.NoopAuthenticationFunc,
		MultiError:              false,
		SchemaValidationOptions: schemaOpts,
		SkipSettingDefaults:     true,
		// Bodies are checked by validateBody, with bodyOpts.
		ExcludeRequestBody: true,
	}
	// As openapi3filter.ValidateRequestBody puts them together for the
	// options above (no defaults set, one error, no customizations).
	d.bodyOpts = append([]openapi3.SchemaValidationOption{openapi3.VisitAsRequest()}, schemaOpts...)
	if t.IsOpenAPI31OrLater() {
		d.bodyOpts = append(d.bodyOpts, openapi3.EnableJSONSchema2020())
	} else {
		// The fast path models OpenAPI 3.0's validator only.
		d.fastBodies = true
	}
	d.respOpts = &openapi3filter.Options{
		IncludeResponseStatus:   true,
		SchemaValidationOptions: schemaOpts,
	}
	for _, op := range d.ops {
		item := t.Paths.Value(op.Path)
		op.route = &routers.Route{Spec: t, Path: op.Path, PathItem: item, Method: op.Method, Operation: item.GetOperation(op.Method)}
	}
	d.ready.Store(true)
}

// Cache shares loaded documents between emulators in one process, keyed by
// the document's bytes. A Doc is read-only once loaded (one emulator's
// requests already share it across goroutines), so sharing is safe. Each
// document is loaded once, by whichever of Load and LoadValid is asked for
// it first; different documents load in parallel. The zero value is ready
// to use.
//
// Documents are found by a maphash of their bytes and then compared in
// full: both run at memory speed, so a hit costs microseconds where a
// cryptographic hash of the same 300 KB would cost a large part of a
// millisecond at every start.
type Cache struct {
	mu      sync.Mutex
	seed    maphash.Seed
	entries map[uint64][]*cacheEntry
}

type cacheEntry struct {
	raw  []byte
	once sync.Once
	doc  *Doc
	err  error
}

// Load returns the cached document for spec, loading it with Load on first
// use.
func (c *Cache) Load(spec []byte) (*Doc, error) { return c.load(spec, Load) }

// LoadValid is Load for documents known to be valid (see LoadValid).
func (c *Cache) LoadValid(spec []byte) (*Doc, error) { return c.load(spec, LoadValid) }

// LoadEmbedded is Load for the embedded document of the given name (see
// LoadEmbedded): the emulators sharing it share its parse too.
func (c *Cache) LoadEmbedded(name string, spec []byte) (*Doc, error) {
	return c.load(spec, func(raw []byte) (*Doc, error) { return LoadEmbedded(name, raw) })
}

func (c *Cache) load(spec []byte, load func([]byte) (*Doc, error)) (*Doc, error) {
	en := c.entry(spec)
	en.once.Do(func() { en.doc, en.err = load(en.raw) })
	return en.doc, en.err
}

// entry finds or adds the entry of spec; its document is loaded outside
// the lock, so that one document's parse does not hold up another's.
func (c *Cache) entry(spec []byte) *cacheEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.seed = maphash.MakeSeed()
		c.entries = map[uint64][]*cacheEntry{}
	}
	key := maphash.Bytes(c.seed, spec)
	for _, en := range c.entries[key] {
		if bytes.Equal(en.raw, spec) {
			return en
		}
	}
	en := &cacheEntry{raw: spec}
	c.entries[key] = append(c.entries[key], en)
	return en
}
