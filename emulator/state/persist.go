package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"
	"unique"

	"github.com/kycemu/kycemu/emulator/provider"
)

var errClosed = errors.New("state: the store is closed")

// Keys: NUL-separated parts. The parts are also inside the values, so a
// key is never parsed.
func recordKey(k Key) []byte {
	return []byte(k.Provider + "\x00" + k.Tenant + "\x00" + k.Kind + "\x00" + k.ID)
}

func tenantKey(provider, tenant string) []byte { return []byte(provider + "\x00" + tenant) }

func blobKey(k Key, name string) []byte { return append(recordKey(k), append([]byte{0}, name...)...) }

// planJSON is the stored part of a plan: everything but the scenario
// engine's upload fault counters (Config.RestorePlan re-attaches them).
type planJSON struct {
	Scenario     string                  `json:"scenario,omitempty"`
	Steps        []provider.Step         `json:"steps,omitempty"`
	Options      map[string]any          `json:"options,omitempty"`
	Webhooks     []provider.WebhookFault `json:"webhooks,omitempty"`
	DefaultSteps bool                    `json:"defaultSteps,omitempty"`
}

type recordJSON struct {
	Key
	Seq     uint64                `json:"seq"`
	Status  string                `json:"status,omitempty"`
	Plan    *planJSON             `json:"plan,omitempty"`
	Created time.Time             `json:"created"`
	Updated time.Time             `json:"updated"`
	Ended   time.Time             `json:"ended,omitzero"`
	History []provider.Transition `json:"history,omitempty"`
	Due     []Due                 `json:"due,omitempty"`
	Index   map[string]string     `json:"index,omitempty"`
	Blobs   map[string]int64      `json:"blobs,omitempty"`
	// Data is the provider's data when encoding, a *json.RawMessage when
	// decoding (the kind, hence the type, is known only once decoded).
	Data any `json:"data"`
}

type tenantJSON struct {
	Provider string            `json:"provider"`
	Tenant   string            `json:"tenant"`
	Data     json.RawMessage   `json:"data,omitempty"`
	Draws    map[string]uint64 `json:"draws,omitempty"`
}

func encodeJSON(v any) ([]byte, error) { return json.Marshal(v) }

// encodeRecord encodes r; the caller holds its tenant lock.
func encodeRecord(r *Record) ([]byte, error) {
	out := recordJSON{Key: r.Key, Seq: r.Seq, Status: r.Status, Created: r.Created, Updated: r.Updated,
		Ended: r.Ended, History: r.History, Due: r.Due, Data: r.Data}
	if len(r.index) > 0 {
		out.Index = make(map[string]string, len(r.index))
		for _, iv := range r.index {
			out.Index[iv.name] = iv.value
		}
	}
	if p := r.Plan; p != nil {
		out.Plan = &planJSON{Scenario: p.Scenario, Steps: p.Steps, Options: p.Options, Webhooks: p.Webhooks,
			DefaultSteps: p.DefaultSteps}
	}
	if len(r.blobs) > 0 {
		out.Blobs = r.Blobs()
	}
	return json.Marshal(out)
}

// encodeTenant encodes a tenant's data and stream positions; the caller
// holds its lock.
func encodeTenant(t *tenant) ([]byte, error) {
	out := tenantJSON{Provider: t.sp.name, Tenant: t.name, Draws: map[string]uint64{}}
	for k, n := range t.draws {
		out.Draws[k] = n
	}
	for k, r := range t.rands {
		out.Draws[k] = r.Draws()
	}
	if t.data != nil {
		b, err := json.Marshal(t.data)
		if err != nil {
			return nil, err
		}
		out.Data = b
	}
	return json.Marshal(out)
}

func deleteOps(r *Record) []Op { return []Op{{NS: nsRecords, Key: recordKey(r.Key)}} }

// Load rebuilds the store from its backend: every space must be
// registered first. Timeline steps still due are re-armed (those whose
// time has passed fire at once, in order), and the bounds are applied.
// Without a backend it only marks the store ready.
func (s *Store) Load() error {
	if !s.loaded.CompareAndSwap(false, true) {
		return errors.New("state: Load called twice")
	}
	b := s.cfg.Backend
	if b == nil {
		return nil
	}
	if err := s.loadShared(b); err != nil {
		return err
	}
	if err := b.Scan(nsTenants, func(_, val []byte) error {
		var tj tenantJSON
		if err := json.Unmarshal(val, &tj); err != nil {
			return fmt.Errorf("decode tenant: %w", err)
		}
		sp := s.spaces[tj.Provider]
		if sp == nil {
			return nil // a provider this build does not have
		}
		t := sp.tenant(tj.Tenant, true)
		if t.data != nil && len(tj.Data) > 0 {
			if err := json.Unmarshal(tj.Data, t.data); err != nil {
				return fmt.Errorf("decode %s tenant data: %w", tj.Provider, err)
			}
		}
		t.draws = tj.Draws
		return nil
	}); err != nil {
		return fmt.Errorf("load tenants: %w", err)
	}
	var recs []*Record
	var blobs []map[string]int64
	if err := b.Scan(nsRecords, func(_, val []byte) error {
		var raw json.RawMessage
		rj := recordJSON{Data: &raw}
		if err := json.Unmarshal(val, &rj); err != nil {
			return fmt.Errorf("decode record: %w", err)
		}
		sp := s.spaces[rj.Provider]
		if sp == nil {
			return nil
		}
		k, ok := sp.kinds[rj.Kind]
		if !ok {
			s.log.Warn("state: a stored record of an unknown kind was skipped", "provider", rj.Provider, "kind", rj.Kind)
			return nil
		}
		data := k.spec.New()
		if raw != nil { // nil for "data": null, which leaves the zero value
			if err := json.Unmarshal(raw, data); err != nil {
				return fmt.Errorf("decode %s %s %s: %w", rj.Provider, rj.Kind, rj.ID, err)
			}
		}
		t := sp.tenant(rj.Tenant, true)
		// The names a store repeats in every record point at one copy each,
		// as they do for records created since the start.
		rj.Provider, rj.Tenant, rj.Kind, rj.Status = sp.name, t.name, k.spec.Name, intern(rj.Status)
		for i := range rj.History {
			h := &rj.History[i]
			// Not the reason: a client's free text, as likely unique as not.
			h.From, h.To, h.By = intern(h.From), intern(h.To), intern(h.By)
		}
		for i := range rj.Due {
			internStep(&rj.Due[i].Step)
		}
		r := k.newRecord()
		r.Key, r.Seq, r.Status, r.Created, r.Updated, r.Ended = rj.Key, rj.Seq, rj.Status, rj.Created, rj.Updated, rj.Ended
		r.History, r.Due, r.Data, r.t = rj.History, rj.Due, data, t
		if pj := rj.Plan; pj != nil {
			for i := range pj.Steps {
				internStep(&pj.Steps[i])
			}
			r.Plan = &provider.Plan{Scenario: intern(pj.Scenario), Steps: pj.Steps, Options: pj.Options,
				Webhooks: pj.Webhooks, DefaultSteps: pj.DefaultSteps}
			if s.cfg.RestorePlan != nil {
				s.cfg.RestorePlan(rj.Provider, rj.Kind, rj.Tenant, r.Plan)
			}
		}
		for name, v := range rj.Index {
			for declared := range k.indexes {
				if declared == name {
					r.index = append(r.index, indexValue{declared, v})
				}
			}
		}
		recs = append(recs, r)
		blobs = append(blobs, rj.Blobs)
		return nil
	}); err != nil {
		return fmt.Errorf("load records: %w", err)
	}
	order := make([]int, len(recs))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return recs[order[a]].Seq < recs[order[b]].Seq })
	var ended []*Record
	for _, i := range order {
		r := recs[i]
		s.restore(r, blobs[i])
		if !r.Ended.IsZero() {
			ended = append(ended, r)
		}
	}
	sort.SliceStable(ended, func(a, b int) bool { return ended[a].Ended.Before(ended[b].Ended) })
	s.mu.Lock()
	for _, r := range ended {
		if r.k.spec.Anchor {
			continue
		}
		r.t.live.remove(r)
		s.live.remove(r)
		r.ended, r.endedAt = true, r.Ended.UnixNano()
		s.ended.push(r)
		r.t.ended.push(r)
	}
	s.armRetention()
	s.mu.Unlock()
	for _, sp := range s.spaceOrder {
		for _, t := range sp.tenantList() {
			s.enforce(t)
		}
	}
	return nil
}

// restore puts a record read back from the backend in place.
func (s *Store) restore(r *Record, blobs map[string]int64) {
	t := r.t
	t.kinds[r.k.slot].add(r)
	r.k.recs[r.ID] = r
	for _, iv := range r.index {
		t.values(r.k, iv.name, true)[iv.value] = r
	}
	if r.Seq > s.seq.Load() {
		s.seq.Store(r.Seq)
	}
	s.linkNew(r)
	names := make([]string, 0, len(blobs))
	for name := range blobs {
		names = append(names, name)
	}
	sort.Strings(names)
	s.mu.Lock()
	for _, name := range names {
		s.blobs.gen++
		ref := blobRef{r: r, name: name, gen: s.blobs.gen}
		if r.blobs == nil {
			r.blobs = map[string]blob{}
		}
		r.blobs[name] = blob{size: blobs[name], gen: ref.gen}
		s.blobBytes += blobs[name]
		t.blobBytes += blobs[name]
		s.blobs.push(ref)
		t.blobs.push(ref)
	}
	s.mu.Unlock()
	for _, d := range r.Due {
		if d.N > s.dueSeq.Load() {
			s.dueSeq.Store(d.N)
		}
		s.sched.push(d.At, d.N, r)
	}
}

// intern returns the one copy of a string read back from the backend;
// statuses, actors and reasons are few, and each record decoded would
// otherwise hold its own copies.
func intern(s string) string {
	if s == "" {
		return ""
	}
	return unique.Make(s).Value()
}

func internStep(st *provider.Step) {
	st.From, st.Status, st.Reason = intern(st.From), intern(st.Status), intern(st.Reason)
}

func (s *Store) loadShared(b Backend) error {
	for _, sp := range s.spaceOrder {
		if sp.spec.Shared == nil {
			continue
		}
		val, err := b.Get(nsMeta, sharedKey(sp.name))
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("load %s settings: %w", sp.name, err)
		}
		if err := json.Unmarshal(val, sp.shared); err != nil {
			return fmt.Errorf("decode %s settings: %w", sp.name, err)
		}
	}
	return nil
}
