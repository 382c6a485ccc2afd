package emulator

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/kycemu/kycemu/emulator/scenario"
)

// Scenarios put through the control API, and tenants' default scenarios,
// are kept in the data directory: each put body once (by its hash), each
// live put scenario as a pointer to its body, each default as its name.
const (
	nsScenarioBodies = "scenario-bodies"
	nsScenarioPuts   = "scenario-puts"
	nsDefaults       = "scenario-defaults"
)

type scenarioPut struct {
	Seq  uint64 `json:"seq"`
	Body string `json:"body"` // the hash of its body
}

// scenarioStore mirrors the scenario engine's API layer into the state
// backend.
type scenarioStore struct {
	e        *Emulator
	mu       sync.Mutex
	seq      uint64
	defaults map[string]string // provider\x00tenant -> scenario, as stored
}

func pair(a, b string) string { return a + "\x00" + b }

// put stores the scenarios a body put.
func (ss *scenarioStore) put(body []byte, scs []*scenario.Scenario) {
	st := ss.e.store
	if !st.Durable() {
		return
	}
	sum := sha256.Sum256(body)
	h := hex.EncodeToString(sum[:])
	ss.mu.Lock()
	defer ss.mu.Unlock()
	st.Put(nsScenarioBodies, h, body)
	for _, sc := range scs {
		ss.seq++
		b, _ := json.Marshal(scenarioPut{Seq: ss.seq, Body: h})
		st.Put(nsScenarioPuts, pair(sc.Provider, sc.Name), b)
	}
	ss.syncDefaults()
}

// deleted forgets a deleted put scenario.
func (ss *scenarioStore) deleted(prov, name string) {
	if !ss.e.store.Durable() {
		return
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.e.store.Delete(nsScenarioPuts, pair(prov, name))
	ss.syncDefaults()
}

// defaultsChanged stores the tenants' defaults as they are now.
func (ss *scenarioStore) defaultsChanged() {
	if !ss.e.store.Durable() {
		return
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.syncDefaults()
}

// syncDefaults writes what changed since the last sync; the caller holds
// ss.mu.
func (ss *scenarioStore) syncDefaults() {
	now := map[string]string{}
	for _, d := range ss.e.scenarios.Defaults() {
		now[pair(d.Provider, d.Tenant)] = d.Scenario
	}
	for k := range ss.defaults {
		if _, ok := now[k]; !ok {
			ss.e.store.Delete(nsDefaults, k)
		}
	}
	for k, v := range now {
		if ss.defaults[k] != v {
			ss.e.store.Put(nsDefaults, k, []byte(v))
		}
	}
	ss.defaults = now
}

// restore puts the stored scenarios back, in the order they were put, then
// the defaults; bodies no longer used are dropped.
func (ss *scenarioStore) restore() error {
	st := ss.e.store
	if !st.Durable() {
		return nil
	}
	type entry struct {
		prov, name string
		scenarioPut
	}
	var puts []entry
	if err := st.Scan(nsScenarioPuts, func(k string, v []byte) error {
		var p scenarioPut
		if err := json.Unmarshal(v, &p); err != nil {
			return fmt.Errorf("decode stored scenario %q: %w", k, err)
		}
		prov, name, _ := strings.Cut(k, "\x00")
		puts = append(puts, entry{prov, name, p})
		return nil
	}); err != nil {
		return err
	}
	sort.Slice(puts, func(i, j int) bool { return puts[i].Seq < puts[j].Seq })
	used := map[string]bool{}
	for _, p := range puts {
		body, ok, err := st.Get(nsScenarioBodies, p.Body)
		if err != nil || !ok {
			return fmt.Errorf("stored scenario %s/%s lost its body", p.prov, p.name)
		}
		if err := ss.e.scenarios.Adopt("stored scenario", body, p.prov, p.name); err != nil {
			ss.e.cfg.log.Warn("a stored scenario no longer loads and was dropped", "provider", p.prov, "name", p.name, "error", err)
			st.Delete(nsScenarioPuts, pair(p.prov, p.name))
			continue
		}
		used[p.Body] = true
		ss.seq = max(ss.seq, p.Seq)
	}
	if err := st.Scan(nsScenarioBodies, func(k string, _ []byte) error {
		if !used[k] {
			st.Delete(nsScenarioBodies, k)
		}
		return nil
	}); err != nil {
		return err
	}
	ss.defaults = map[string]string{}
	return st.Scan(nsDefaults, func(k string, v []byte) error {
		prov, tenant, _ := strings.Cut(k, "\x00")
		if err := ss.e.scenarios.SetDefault(prov, tenant, string(v)); err != nil {
			st.Delete(nsDefaults, k)
			return nil
		}
		ss.defaults[k] = string(v)
		return nil
	})
}
