package scenario

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	pathpkg "path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v4"
)

// MaxFileSize caps a scenario file.
const MaxFileSize = 1 << 20

// File is one scenario source: a name for messages and its bytes.
type File struct {
	Name string
	Data []byte
}

var (
	topKeys      = []string{"name", "provider", "description", "kinds", "match", "timeline", "faults", "webhooks", "options"}
	stepKeys     = []string{"after", "from", "status", "reason"}
	faultKeys    = []string{"operation", "skip", "times", "every", "probability", "latency", "respond", "drop", "rate_limit", "upload", "slot"}
	respondKeys  = []string{"status", "code", "message", "body", "headers", "retry_after"}
	rateKeys     = []string{"requests", "per"}
	webhookKeys  = []string{"event", "kind", "delay", "times"}
	webhookKinds = []string{WebhookDelay, WebhookDuplicate, WebhookReorder, WebhookBadSignature, WebhookDrop}

	nameRE   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	headerRE = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
)

// Load reads every scenario of one file (YAML documents separated by ---)
// and checks it against the catalogue. Problems come back as Errors.
func Load(file string, data []byte, cat Catalog) ([]*Scenario, error) {
	return LoadFiles([]File{{Name: file, Data: data}}, cat)
}

// LoadFiles loads several files as one set: names must be unique per
// provider across all of them. Either every scenario loads, or the result
// is nil and the error holds every problem of every file.
func LoadFiles(files []File, cat Catalog) ([]*Scenario, error) {
	var all []*Scenario
	var errs Errors
	first := map[string]Pos{} // provider/name -> where it was first defined
	for _, f := range files {
		scs, ferrs := loadFile(f.Name, f.Data, cat)
		errs = append(errs, ferrs...)
		for _, sc := range scs {
			if sc.Name != "" && sc.Provider != "" {
				key := sc.Provider + "/" + sc.Name
				if p, dup := first[key]; dup {
					errs = append(errs, Error{Pos: sc.namePos, Msg: fmt.Sprintf("name: duplicate scenario name %q for provider %s (first defined at %s:%d:%d)",
						sc.Name, sc.Provider, p.File, p.Line, p.Col)})
					continue
				}
				first[key] = sc.namePos
			}
			if sc.valid {
				all = append(all, sc.Scenario)
			}
		}
	}
	if err := errs.err(); err != nil {
		return nil, err
	}
	return all, nil
}

// loaded is a decoded scenario with where its name was written; valid
// when the document had no problem.
type loaded struct {
	*Scenario
	namePos Pos
	valid   bool
}

var lineRE = regexp.MustCompile(`line (\d+)`)

func loadFile(file string, data []byte, cat Catalog) (out []loaded, errs Errors) {
	if len(data) > MaxFileSize {
		return nil, Errors{{Pos: Pos{file, 1, 1}, Msg: fmt.Sprintf("file is larger than %d bytes", MaxFileSize)}}
	}
	defer func() {
		// The YAML parser is third-party code: whatever it does with a
		// hostile file must not take the server down.
		if v := recover(); v != nil {
			out, errs = nil, Errors{{Pos: Pos{file, 1, 1}, Msg: "the file could not be parsed as YAML"}}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	docs := 0
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			errs = append(errs, syntaxError(file, data, err))
			break
		}
		if len(doc.Content) == 0 {
			continue
		}
		root := doc.Content[0]
		if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
			continue // an empty document between two ---
		}
		docs++
		r := &reader{file: file, budget: maxNodes}
		sc, namePos := r.scenario(root, cat)
		errs = append(errs, r.errs...)
		if sc != nil {
			out = append(out, loaded{Scenario: sc, namePos: namePos, valid: len(r.errs) == 0})
		}
	}
	if docs == 0 && len(errs) == 0 {
		errs = append(errs, Error{Pos: Pos{file, 1, 1}, Msg: "the file holds no scenario"})
	}
	return out, errs
}

// syntaxError turns a YAML parser error into a positioned problem: the
// position where the parser found the problem (not the start of the block
// around it), and the parser's context ("while parsing a block mapping
// that starts at 3:1") when it gives one.
func syntaxError(file string, data []byte, err error) Error {
	var le *yaml.LoadError
	if errors.As(err, &le) && le.Mark.Line > 0 {
		msg := le.Message
		if charAt(data, le.Mark.Line, le.Mark.Column) == '\t' {
			msg += " (a tab: YAML indents with spaces)"
		}
		if le.ContextMsg != "" && le.ContextMark.Line > 0 && le.ContextMark != le.Mark {
			msg += fmt.Sprintf(" (%s that starts at %d:%d)", le.ContextMsg, le.ContextMark.Line, max(le.ContextMark.Column, 1))
		}
		return Error{Pos: Pos{file, le.Mark.Line, max(le.Mark.Column, 1)}, Msg: "invalid YAML: " + msg}
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 1
	if m := lineRE.FindStringSubmatch(msg); m != nil {
		if n, e := strconv.Atoi(m[1]); e == nil && n > 0 {
			line = n
		}
		msg = strings.TrimSpace(strings.Replace(msg, m[0]+":", "", 1))
	}
	return Error{Pos: Pos{file, line, 1}, Msg: "invalid YAML: " + msg}
}

// charAt is the character at a 1-based line and column, or 0.
func charAt(data []byte, line, col int) rune {
	for i := 1; i < line; i++ {
		nl := bytes.IndexByte(data, '\n')
		if nl < 0 {
			return 0
		}
		data = data[nl+1:]
	}
	if nl := bytes.IndexByte(data, '\n'); nl >= 0 {
		data = data[:nl]
	}
	if rs := []rune(string(data)); col >= 1 && col <= len(rs) {
		return rs[col-1]
	}
	return 0
}

// scenario decodes and checks one document.
func (r *reader) scenario(root *yaml.Node, cat Catalog) (*Scenario, Pos) {
	if rr := r.resolve(root); rr != nil && rr.Kind != yaml.MappingNode {
		r.errf(rr, "", "a scenario is a mapping with name, provider and timeline or faults; got %s", describe(rr))
		return nil, Pos{}
	}
	f, _, _ := r.mapping(root, "", topKeys)
	if f == nil {
		return nil, Pos{}
	}
	sc := &Scenario{Pos: r.at(root)}
	var namePos Pos
	need := func(key string) bool {
		if _, ok := f[key]; !ok {
			r.errf(root, "", "missing %q", key)
			return false
		}
		return true
	}
	if need("name") {
		if s, n, ok := r.str(f["name"].val, "name"); ok {
			namePos = r.at(n)
			if !nameRE.MatchString(s) {
				r.errf(n, "name", "must be 1 to 64 letters, digits, \".\", \"_\" or \"-\", starting with a letter or digit")
			}
			sc.Name = s
		}
	}
	var p *ProviderInfo
	if need("provider") {
		if s, n, ok := r.str(f["provider"].val, "provider"); ok {
			sc.Provider = s
			p = cat[s]
			if p == nil {
				r.errf(n, "provider", "unknown provider %q; want one of: %s", s, strings.Join(cat.Names(), ", "))
			}
		}
	}
	if fl, ok := f["description"]; ok {
		sc.Description, _, _ = r.str(fl.val, "description")
	}
	if fl, ok := f["kinds"]; ok {
		r.kinds(sc, fl, p)
	}
	if fl, ok := f["match"]; ok {
		r.match(sc, fl)
	}
	if fl, ok := f["timeline"]; ok {
		r.timeline(sc, fl, p)
	}
	if fl, ok := f["faults"]; ok {
		r.faults(sc, fl, p)
	}
	if fl, ok := f["webhooks"]; ok {
		r.webhooks(sc, fl)
	}
	if fl, ok := f["options"]; ok {
		r.options(sc, fl, p)
	}
	return sc, namePos
}

func (r *reader) kinds(sc *Scenario, fl field, p *ProviderInfo) {
	list, nodes, ok := r.strOrList(fl.val, "kinds")
	if !ok {
		return
	}
	seen := map[string]bool{}
	for i, k := range list {
		path := fmt.Sprintf("kinds[%d]", i)
		if seen[k] {
			r.errf(nodes[i], path, "duplicate kind %q", k)
			continue
		}
		seen[k] = true
		if p != nil {
			if len(p.Machines) == 0 {
				r.errf(nodes[i], path, "%s has no session kinds", p.Name)
				continue
			}
			if _, known := p.Machines[k]; !known {
				r.errf(nodes[i], path, "unknown kind %q for %s; want one of: %s", k, p.Name, strings.Join(p.Kinds(), ", "))
				continue
			}
		}
		sc.Kinds = append(sc.Kinds, k)
	}
}

func (r *reader) match(sc *Scenario, fl field) {
	f, order, ok := r.mapping(fl.val, "match", nil)
	if !ok {
		return
	}
	if len(order) == 0 {
		r.errf(fl.val, "match", "want at least one entry, such as body.documentCountry: BRAZIL")
	}
	for _, key := range order {
		kv := f[key]
		path := "match." + key
		rest, isBody := strings.CutPrefix(key, "body.")
		if !isBody || rest == "" || slicesContainsEmpty(strings.Split(rest, ".")) {
			r.errf(kv.key, "match", "%q is not a dot path into the creating request; write it like body.documentCountry or body.owners.0.documentId", key)
			continue
		}
		m := Match{Path: key}
		rv := r.resolve(kv.val)
		if rv == nil {
			continue
		}
		items := []*yaml.Node{rv}
		if rv.Kind == yaml.SequenceNode {
			items = rv.Content
			if len(items) == 0 {
				r.errf(rv, path, "want a glob or a non-empty list of globs, got an empty list")
				continue
			}
		}
		for i, it := range items {
			ip := path
			if rv.Kind == yaml.SequenceNode {
				ip = fmt.Sprintf("%s[%d]", path, i)
			}
			s, good := r.scalar(it, ip, "a glob (a string, number or boolean)", "!!str", "!!int", "!!float", "!!bool")
			if !good {
				continue
			}
			m.Globs = append(m.Globs, s.Value)
		}
		if len(m.Globs) > 0 {
			sc.Match = append(sc.Match, m)
		}
	}
}

func sorted(list []string) []string {
	out := slices.Clone(list)
	slices.Sort(out)
	return out
}

func slicesContainsEmpty(parts []string) bool {
	for _, p := range parts {
		if p == "" {
			return true
		}
	}
	return false
}

// stepNode keeps the nodes of a step for the machine check's messages.
type stepNode struct {
	from, status *yaml.Node
}

func (r *reader) timeline(sc *Scenario, fl field, p *ProviderInfo) {
	items, ok := r.sequence(fl.val, "timeline")
	if !ok {
		return
	}
	sc.HasTimeline = true
	if p != nil && len(p.Machines) == 0 {
		r.errf(fl.key, "timeline", "%s sessions have no status machine, so they take no timeline", p.Name)
		p = nil
	}
	var nodes []stepNode
	good := true
	known := []string(nil)
	if p != nil {
		known = p.statuses(sc.Kinds)
	}
	checkStatus := func(n *yaml.Node, path, s string) bool {
		if p == nil || contains(known, s) {
			return true
		}
		msg := fmt.Sprintf("unknown status %q for %s; want one of: %s", s, p.Name, strings.Join(known, ", "))
		for _, k := range known {
			if strings.EqualFold(k, s) {
				msg = fmt.Sprintf("unknown status %q for %s; did you mean %q? (statuses are case-sensitive)", s, p.Name, k)
			}
		}
		r.errf(n, path, "%s", msg)
		return false
	}
	for i, it := range items {
		path := fmt.Sprintf("timeline[%d]", i)
		f, _, ok := r.mapping(it, path, stepKeys)
		if !ok {
			good = false
			continue
		}
		st := Step{Pos: r.at(r.resolve(it))}
		var sn stepNode
		if fv, ok := f["after"]; ok {
			d, _, good2 := r.duration(fv.val, path+".after")
			good = good && good2
			st.After = d
		} else {
			r.errf(it, path, "missing %q", "after")
			good = false
		}
		if fv, ok := f["status"]; ok {
			s, n, good2 := r.str(fv.val, path+".status")
			if good2 {
				good2 = checkStatus(n, path+".status", s)
			}
			good = good && good2
			st.Status, sn.status = s, n
		} else {
			r.errf(it, path, "missing %q", "status")
			good = false
		}
		if fv, ok := f["from"]; ok {
			s, n, good2 := r.str(fv.val, path+".from")
			if good2 {
				good2 = checkStatus(n, path+".from", s)
			}
			good = good && good2
			st.From, sn.from = s, n
		}
		if fv, ok := f["reason"]; ok {
			st.Reason, _, _ = r.str(fv.val, path+".reason")
		}
		sc.Timeline = append(sc.Timeline, st)
		nodes = append(nodes, sn)
	}
	if good && p != nil {
		r.checkMachine(sc, nodes, p)
	}
}

func (r *reader) trigger(f map[string]field, path string) (Trigger, bool) {
	var t Trigger
	ok := true
	if fv, has := f["skip"]; has {
		v, good := r.integer(fv.val, path+".skip", 0, 1_000_000_000)
		t.Skip, ok = v, ok && good
	}
	if fv, has := f["times"]; has {
		v, good := r.integer(fv.val, path+".times", 1, 1_000_000_000)
		t.Times, ok = v, ok && good
	}
	if fv, has := f["every"]; has {
		v, good := r.integer(fv.val, path+".every", 1, 1_000_000_000)
		t.Every, ok = v, ok && good
	}
	if fv, has := f["probability"]; has {
		v, n, good := r.number(fv.val, path+".probability")
		if good && (v <= 0 || v > 1) {
			r.errf(n, path+".probability", "must be more than 0 and at most 1")
			good = false
		}
		t.Probability, ok = v, ok && good
	}
	if _, e := f["every"]; e {
		if fv, p := f["probability"]; p {
			r.errf(fv.key, path, "give either every or probability, not both")
			ok = false
		}
	}
	return t, ok
}

func (r *reader) faults(sc *Scenario, fl field, p *ProviderInfo) {
	items, ok := r.sequence(fl.val, "faults")
	if !ok {
		return
	}
	for i, it := range items {
		path := fmt.Sprintf("faults[%d]", i)
		f, _, ok := r.mapping(it, path, faultKeys)
		if !ok {
			continue
		}
		pos := r.at(r.resolve(it))
		trig, _ := r.trigger(f, path)
		if up, isUpload := f["upload"]; isUpload {
			r.uploadFault(sc, f, up, path, pos, trig, p)
			continue
		}
		if fv, has := f["slot"]; has {
			r.errf(fv.key, path, "slot only applies to upload faults")
		}
		ft := Fault{Trigger: trig, Pos: pos}
		if fv, has := f["operation"]; has {
			ops, nodes, good := r.strOrList(fv.val, path+".operation")
			if good {
				for j, op := range ops {
					if p != nil && !p.hasOperation(op) {
						msg := fmt.Sprintf("unknown operation %q for %s", op, p.Name)
						if s := suggest(op, p.Operations); s != "" {
							msg += fmt.Sprintf("; did you mean %q?", s)
						} else {
							msg += "; want an operationId of its spec: " + strings.Join(sorted(p.Operations), ", ")
						}
						r.errf(nodes[j], path+".operation", "%s", msg)
					}
				}
				ft.Operations = ops
			}
		}
		if fv, has := f["latency"]; has {
			ft.Latency = r.latency(fv.val, path+".latency")
		}
		dropOK := false
		if fv, has := f["drop"]; has {
			ft.Drop, dropOK = r.boolean(fv.val, path+".drop")
		}
		if fv, has := f["respond"]; has {
			ft.Respond = r.respond(fv.val, path+".respond")
		}
		if fv, has := f["rate_limit"]; has {
			ft.RateLimit = r.rateLimit(fv.val, path+".rate_limit")
		}
		_, hasLatency := f["latency"]
		_, hasRespond := f["respond"]
		_, hasDrop := f["drop"]
		_, hasRate := f["rate_limit"]
		switch {
		case !hasLatency && !hasRespond && !hasDrop && !hasRate:
			r.errf(it, path, "the fault does nothing: give respond, latency, drop or rate_limit")
		case dropOK && !ft.Drop && !hasLatency && !hasRespond && !hasRate:
			r.errf(f["drop"].val, path+".drop", "drop: false does nothing; remove the fault or set drop: true")
		}
		if hasDrop && ft.Drop && (hasRespond || hasRate) {
			r.errf(f["drop"].key, path, "a dropped connection has no answer: drop cannot be combined with respond or rate_limit")
		}
		if hasRate {
			for _, k := range []string{"skip", "times", "every", "probability"} {
				if fv, has := f[k]; has {
					r.errf(fv.key, path, "%s cannot be combined with rate_limit, which counts every matching call", k)
				}
			}
		}
		sc.Faults = append(sc.Faults, ft)
	}
}

func (r *reader) uploadFault(sc *Scenario, f map[string]field, up field, path string, pos Pos, trig Trigger, p *ProviderInfo) {
	for _, k := range []string{"operation", "respond", "drop", "rate_limit"} {
		if fv, has := f[k]; has {
			r.errf(fv.key, path, "%s does not apply to upload faults", k)
		}
	}
	uf := UploadFault{Trigger: trig, Pos: pos}
	kind, n, ok := r.str(up.val, path+".upload")
	if ok {
		all := []string{UploadPolicyExpired, UploadTooLarge, UploadSlow}
		switch {
		case !contains(all, kind):
			r.errf(n, path+".upload", "unknown upload fault %q; want one of: %s", kind, strings.Join(all, ", "))
		case p != nil && len(p.UploadKinds) == 0:
			r.errf(n, path+".upload", "%s takes no uploads", p.Name)
		case p != nil && !contains(p.UploadKinds, kind):
			r.errf(n, path+".upload", "%s does not support the upload fault %q; it supports: %s", p.Name, kind, strings.Join(p.UploadKinds, ", "))
		}
		uf.Kind = kind
	}
	if fv, has := f["slot"]; has {
		uf.Slot, _, _ = r.str(fv.val, path+".slot")
	}
	if fv, has := f["latency"]; has {
		uf.Latency = r.latency(fv.val, path+".latency")
	} else if kind == UploadSlow {
		r.errf(up.key, path, "a slow upload needs a latency")
	}
	sc.Uploads = append(sc.Uploads, uf)
}

// latency reads a latency, which must be longer than zero.
func (r *reader) latency(n *yaml.Node, path string) time.Duration {
	d, dn, ok := r.duration(n, path)
	if ok && d <= 0 {
		r.errf(dn, path, "must be longer than 0s (leave it out for none)")
	}
	return d
}

func (r *reader) respond(n *yaml.Node, path string) *Respond {
	f, _, ok := r.mapping(n, path, respondKeys)
	if !ok {
		return nil
	}
	out := &Respond{}
	if fv, has := f["status"]; has {
		out.Status, _ = r.integer(fv.val, path+".status", 400, 599)
	} else {
		r.errf(n, path, "missing %q", "status")
	}
	if fv, has := f["code"]; has {
		out.Code, _, _ = r.str(fv.val, path+".code")
	}
	if fv, has := f["message"]; has {
		out.Message, _, _ = r.str(fv.val, path+".message")
	}
	if fv, has := f["body"]; has {
		out.Body, _ = r.value(fv.val, path+".body")
		out.HasBody = true
		for _, k := range []string{"code", "message"} {
			if kv, has := f[k]; has {
				r.errf(kv.key, path, "%s fills the provider's error envelope and cannot be combined with body", k)
			}
		}
	}
	if fv, has := f["headers"]; has {
		hf, order, ok := r.mapping(fv.val, path+".headers", nil)
		if ok {
			out.Headers = map[string]string{}
			for _, k := range order {
				if !headerRE.MatchString(k) {
					r.errf(hf[k].key, path+".headers", "%q is not a valid header name", k)
					continue
				}
				v, good := r.scalar(hf[k].val, path+".headers."+k, "a string", "!!str", "!!int", "!!float", "!!bool")
				if !good {
					continue
				}
				if strings.ContainsAny(v.Value, "\r\n\x00") {
					r.errf(v, path+".headers."+k, "header values cannot hold line breaks")
					continue
				}
				out.Headers[http.CanonicalHeaderKey(k)] = v.Value
			}
		}
	}
	if fv, has := f["retry_after"]; has {
		out.RetryAfter, _, _ = r.duration(fv.val, path+".retry_after")
	}
	return out
}

func (r *reader) rateLimit(n *yaml.Node, path string) *RateLimit {
	f, _, ok := r.mapping(n, path, rateKeys)
	if !ok {
		return nil
	}
	out := &RateLimit{}
	if fv, has := f["requests"]; has {
		out.Requests, _ = r.integer(fv.val, path+".requests", 1, 1_000_000_000)
	} else {
		r.errf(n, path, "missing %q", "requests")
	}
	if fv, has := f["per"]; has {
		d, dn, good := r.duration(fv.val, path+".per")
		if good && d <= 0 {
			r.errf(dn, path+".per", "must be longer than 0s")
		}
		out.Per = d
	} else {
		r.errf(n, path, "missing %q", "per")
	}
	return out
}

func (r *reader) webhooks(sc *Scenario, fl field) {
	items, ok := r.sequence(fl.val, "webhooks")
	if !ok {
		return
	}
	for i, it := range items {
		path := fmt.Sprintf("webhooks[%d]", i)
		f, _, ok := r.mapping(it, path, webhookKeys)
		if !ok {
			continue
		}
		wf := WebhookFault{Pos: r.at(r.resolve(it))}
		if fv, has := f["event"]; has {
			ev, n, good := r.str(fv.val, path+".event")
			if _, err := pathpkg.Match(ev, ""); good && err != nil {
				r.errf(n, path+".event", "%q is not a valid glob (* ? [a-z] \\ escapes)", ev)
			}
			wf.Event = ev
		}
		if fv, has := f["kind"]; has {
			k, n, good := r.str(fv.val, path+".kind")
			if good && !contains(webhookKinds, k) {
				r.errf(n, path+".kind", "unknown webhook fault %q; want one of: %s", k, strings.Join(webhookKinds, ", "))
			}
			wf.Kind = k
		} else {
			r.errf(it, path, "missing %q", "kind")
		}
		if fv, has := f["delay"]; has {
			d, dn, good := r.duration(fv.val, path+".delay")
			if good && wf.Kind != "" && wf.Kind != WebhookDelay && wf.Kind != WebhookReorder {
				r.errf(fv.key, path, "delay only applies to the kinds %s and %s", WebhookDelay, WebhookReorder)
			} else if good && d <= 0 {
				r.errf(dn, path+".delay", "must be longer than 0s (leave it out for the default)")
			}
			wf.Delay = d
		}
		if fv, has := f["times"]; has {
			wf.Times, _ = r.integer(fv.val, path+".times", 1, 1_000_000_000)
		}
		sc.Webhooks = append(sc.Webhooks, wf)
	}
}

func (r *reader) options(sc *Scenario, fl field, p *ProviderInfo) {
	v, ok := r.value(fl.val, "options")
	if !ok {
		return
	}
	m, isMap := v.(map[string]any)
	if !isMap {
		r.errf(r.resolve(fl.val), "options", "want a mapping, got %s", describe(r.resolve(fl.val)))
		return
	}
	sc.Options = m
	if p == nil {
		return
	}
	if p.CheckOptions == nil {
		if len(m) > 0 {
			r.errf(fl.key, "options", "%s takes no options", p.Name)
		}
		return
	}
	kinds := sc.Kinds
	if len(kinds) == 0 {
		kinds = p.Kinds()
	}
	if len(kinds) == 0 {
		kinds = []string{""}
	}
	seen := map[string]bool{}
	for _, k := range kinds {
		if err := p.CheckOptions(k, m); err != nil && !seen[err.Error()] {
			seen[err.Error()] = true
			msg, path := err.Error(), "options"
			if strings.HasPrefix(msg, "options") {
				path = "" // the provider named the place itself
			}
			if len(kinds) > 1 {
				msg = "for " + k + " sessions: " + msg
			}
			r.errf(fl.key, path, "%s", msg)
		}
	}
}
