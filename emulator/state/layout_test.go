package state

import (
	"fmt"
	"testing"
	"time"

	"github.com/kycemu/kycemu/emulator/clock"
	"github.com/kycemu/kycemu/emulator/provider"
)

// These tests look inside the store: what it holds on to after records
// leave, which no client can see but the garbage collector does.

var layoutMachine = provider.NewMachine("open", map[string][]string{"open": {"done"}})

func layoutStore(t *testing.T, lim Limits) (*Store, *Space) {
	t.Helper()
	s := New(Config{Clock: clock.NewManual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), Limits: lim})
	sp := s.Space("p", Spec{Kinds: []Kind{{Name: "s", New: func() any { return new(struct{}) }, Machine: layoutMachine,
		Session: true, Indexes: map[string]Scope{"token": ProviderScope, "ref": TenantScope}}}})
	if err := s.Load(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, sp
}

func layoutCreate(t *testing.T, sp *Space, tenant, id string) {
	t.Helper()
	plan := &provider.Plan{Steps: []provider.Step{{After: time.Hour, Status: "done"}}}
	if err := sp.Update(tenant, func(tx *Tx) error {
		_, err := tx.Create(NewRecord{Kind: "s", ID: id, Status: "open", Plan: plan,
			Index: map[string]string{"token": "t-" + id, "ref": "r-" + id}})
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

func ids(rs []*Record) string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return fmt.Sprint(out)
}

func TestListKeepsCreationOrderAndHandedOutSlices(t *testing.T) {
	_, sp := layoutStore(t, Limits{})
	for i := range 4 {
		layoutCreate(t, sp, "a", fmt.Sprint("s", i))
	}
	_ = sp.Update("a", func(tx *Tx) error {
		before := tx.List("s")
		tx.Delete(tx.Get("s", "s1"))
		if _, err := tx.Create(NewRecord{Kind: "s", ID: "s4"}); err != nil {
			t.Fatal(err)
		}
		if got := ids(before); got != "[s0 s1 s2 s3]" {
			t.Errorf("a slice handed out before changed: %s", got)
		}
		if got := ids(tx.List("s")); got != "[s0 s2 s3 s4]" || tx.Count("s") != 4 {
			t.Errorf("list after delete and create: %s (count %d)", got, tx.Count("s"))
		}
		if _, err := tx.Create(NewRecord{Kind: "s", ID: "s5"}); err != nil {
			t.Fatal(err)
		}
		return nil
	})
	_ = sp.View("a", func(tx *Tx) error {
		if got := ids(tx.List("s")); got != "[s0 s2 s3 s4 s5]" {
			t.Errorf("list in a view: %s", got)
		}
		return nil
	})
}

func TestDeletedRecordsAreLetGo(t *testing.T) {
	s, sp := layoutStore(t, Limits{RecordsPerTenant: 10})
	for i := range 2000 {
		layoutCreate(t, sp, "a", fmt.Sprint("s", i))
	}
	s.mu.Lock()
	slots, dead := len(s.sessions), s.deadSess
	held := 0
	for i := range s.sessions {
		if r := s.sessions[i].Load(); r != nil {
			held++
			if r.gone {
				t.Errorf("session slot %d holds the deleted %s", i, r.ID)
			}
			if r.spos != i {
				t.Errorf("%s in slot %d thinks it is in %d", r.ID, i, r.spos)
			}
		}
	}
	s.mu.Unlock()
	if held != 10 || slots-dead != 10 {
		t.Errorf("session slots: %d filled, %d in all, %d empty", held, slots, dead)
	}
	if slots > 2*1024+10 {
		t.Errorf("%d session slots for 10 sessions: never compacted", slots)
	}
	s.sched.mu.Lock()
	refs, heap := len(s.sched.refs), len(s.sched.h)
	s.sched.mu.Unlock()
	if refs != 10 {
		t.Errorf("the scheduler holds %d records, want the 10 kept", refs)
	}
	if heap > 2*1024+10 {
		t.Errorf("%d refs in the heap for 10 steps: never compacted", heap)
	}
	k := sp.kinds["s"]
	if len(k.recs) != 10 || len(k.global["token"]) != 10 {
		t.Errorf("kind maps: %d ids, %d tokens", len(k.recs), len(k.global["token"]))
	}
	if local := sp.tenant("a", false).kinds[k.slot].local["ref"]; len(local) != 10 {
		t.Errorf("tenant index: %d refs", len(local))
	}
}

func TestTimelineAfterCancelledSteps(t *testing.T) {
	s, sp := layoutStore(t, Limits{})
	c := s.clock.(*clock.Mock)
	for i := range 3 {
		layoutCreate(t, sp, "a", fmt.Sprint("s", i))
	}
	// s0's step is the earliest: deleting it re-arms the timer for s1's.
	_ = sp.Update("a", func(tx *Tx) error { tx.Delete(tx.Get("s", "s0")); return nil })
	_, _ = c.Advance(time.Hour)
	_ = sp.View("a", func(tx *Tx) error {
		for _, r := range tx.List("s") {
			if r.Status != "done" {
				t.Errorf("%s is %s an hour on", r.ID, r.Status)
			}
		}
		return nil
	})
}
