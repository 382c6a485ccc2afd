package state_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/kycemu/kycemu/emulator/clock"
	"github.com/kycemu/kycemu/emulator/internal/fake"
	"github.com/kycemu/kycemu/emulator/provider"
	"github.com/kycemu/kycemu/emulator/state"
	"github.com/kycemu/kycemu/emulator/state/boltstore"
	"github.com/kycemu/kycemu/emulator/state/memstore"
)

// A toy provider: checks go pending -> review -> approved | rejected;
// users have a phone (unique per tenant) and an email (unique across
// tenants).
var machine = provider.NewMachine("pending", map[string][]string{
	"pending": {"review", "expired"},
	"review":  {"approved", "rejected"},
})

type check struct {
	Name  string `json:"name"`
	Notes []string
}

type user struct {
	Phone string `json:"phone"`
}

type tenantData struct {
	Calls int `json:"calls"`
}

var start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

type rig struct {
	store *state.Store
	sp    *state.Space
	clock *clock.Mock
	fired []string
	mu    sync.Mutex
}

func newRig(t *testing.T, b state.Backend, lim state.Limits, c *clock.Mock) *rig {
	t.Helper()
	if c == nil {
		c = clock.NewManual(start)
	}
	rg := &rig{clock: c}
	rg.store = state.New(state.Config{Clock: c, Rand: fake.New(42), Backend: b, Limits: lim})
	rg.sp = rg.store.Space("toy", state.Spec{
		Tenant: func() any { return &tenantData{} },
		Kinds: []state.Kind{
			{Name: "check", New: func() any { return &check{} }, Machine: machine, Session: true,
				Indexes: map[string]state.Scope{"name": state.ProviderScope},
				Fire: func(tx *state.Tx, r *state.Record, st provider.Step) {
					rg.mu.Lock()
					rg.fired = append(rg.fired, r.ID+":"+st.Status)
					rg.mu.Unlock()
					if tx.Move(r, st.Status, "timeline", st.Reason) {
						c := state.Data[check](r)
						c.Notes = append(c.Notes, "moved to "+st.Status)
					}
				},
				Actions: func(r *state.Record) []string {
					if machine.Terminal(r.Status) {
						return nil
					}
					return []string{"approve"}
				},
				Act: func(tx *state.Tx, r *state.Record, a provider.Action) error {
					if a.Name != "approve" {
						return provider.Invalid("action", "unknown action").WithCode("unknown_action")
					}
					for _, st := range machine.Path(r.Status, "approved", map[string]string{"pending": "review"}) {
						tx.Move(r, st, "control", a.Reason)
					}
					return nil
				}},
			{Name: "user", New: func() any { return &user{} }, Indexes: map[string]state.Scope{"phone": state.TenantScope}},
		},
	})
	if err := rg.store.Load(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rg.store.Close() })
	return rg
}

// plan: review 1m after creation, approved 1m after review, expire after 1h.
func plan() *provider.Plan {
	return &provider.Plan{Scenario: "slow", Steps: []provider.Step{
		{After: time.Hour, Status: "expired"},
		{After: time.Minute, Status: "review"},
		{From: "review", After: time.Minute, Status: "approved"},
	}}
}

func (rg *rig) create(t *testing.T, tenant, id string, p *provider.Plan) {
	t.Helper()
	err := rg.sp.Update(tenant, func(tx *state.Tx) error {
		_, err := tx.Create(state.NewRecord{Kind: "check", ID: id, Data: &check{Name: id}, Status: "pending",
			By: "client", Plan: p, Index: map[string]string{"name": "n-" + id}})
		return err
	})
	if err != nil {
		t.Fatalf("create %s: %v", id, err)
	}
}

func (rg *rig) status(t *testing.T, tenant, id string) string {
	t.Helper()
	var st string
	_ = rg.sp.View(tenant, func(tx *state.Tx) error {
		if r := tx.Get("check", id); r != nil {
			st = r.Status
		}
		return nil
	})
	return st
}

func (rg *rig) advance(d time.Duration) { _, _ = rg.clock.Advance(d) }

func TestTimelineFiresInOrderOnTheClock(t *testing.T) {
	rg := newRig(t, nil, state.Limits{}, nil)
	rg.create(t, "t1", "a", plan())
	rg.advance(30 * time.Second)
	rg.create(t, "t1", "b", plan())
	if got := rg.status(t, "t1", "a"); got != "pending" {
		t.Fatalf("a = %s before its first step", got)
	}
	rg.advance(2 * time.Minute)
	if a, b := rg.status(t, "t1", "a"), rg.status(t, "t1", "b"); a != "approved" || b != "approved" {
		t.Fatalf("after 2m30s: a=%s b=%s", a, b)
	}
	want := "[a:review b:review a:approved b:approved]"
	if fmt.Sprint(rg.fired) != want {
		t.Fatalf("fired %v, want %v", rg.fired, want)
	}
	rg.advance(2 * time.Hour) // the expiry steps were cancelled by the terminal move
	if fmt.Sprint(rg.fired) != want {
		t.Fatalf("steps after a terminal status fired: %v", rg.fired)
	}
	s, ok := rg.store.Session("a")
	if !ok || len(s.History) != 3 || s.History[0].By != "client" || s.History[2].By != "timeline" || s.Scenario != "slow" {
		t.Fatalf("session a = %+v", s)
	}
}

func TestIndexes(t *testing.T) {
	rg := newRig(t, nil, state.Limits{}, nil)
	rg.create(t, "t1", "a", nil)
	// Provider scope: another tenant cannot take the value, and Find answers it.
	err := rg.sp.Update("t2", func(tx *state.Tx) error {
		_, err := tx.Create(state.NewRecord{Kind: "check", ID: "b", Data: &check{}, Index: map[string]string{"name": "n-a"}})
		return err
	})
	if !errors.Is(err, state.ErrExists) {
		t.Fatalf("taken provider-scoped value: %v", err)
	}
	if tn, id, ok := rg.sp.Find("check", "name", "n-a"); !ok || tn != "t1" || id != "a" {
		t.Fatalf("find = %s %s %v", tn, id, ok)
	}
	// The id of the refused record was not left reserved.
	rg.create(t, "t2", "b", nil)
	// Tenant scope: the same phone in two tenants is fine, twice in one is not.
	for _, tn := range []string{"t1", "t2"} {
		if err := rg.sp.Update(tn, func(tx *state.Tx) error {
			_, err := tx.Create(state.NewRecord{Kind: "user", ID: "u-" + tn, Data: &user{Phone: "+1"}, Index: map[string]string{"phone": "+1"}})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	_ = rg.sp.Update("t1", func(tx *state.Tx) error {
		if _, err := tx.Create(state.NewRecord{Kind: "user", ID: "u-x", Data: &user{}, Index: map[string]string{"phone": "+1"}}); !errors.Is(err, state.ErrExists) {
			t.Errorf("duplicate phone in a tenant: %v", err)
		}
		r := tx.Lookup("user", "phone", "+1")
		if r == nil || r.ID != "u-t1" {
			t.Fatalf("lookup = %v", r)
		}
		if err := tx.SetIndex(r, "phone", "+2"); err != nil {
			t.Fatal(err)
		}
		if tx.Lookup("user", "phone", "+1") != nil || tx.Lookup("user", "phone", "+2") != r {
			t.Error("index not moved to the new value")
		}
		if tx.Lookup("check", "name", "n-b") != nil {
			t.Error("lookup found another tenant's record")
		}
		return nil
	})
}

func TestControlSessionsActAndPaging(t *testing.T) {
	rg := newRig(t, nil, state.Limits{}, nil)
	for i := range 7 {
		rg.create(t, fmt.Sprintf("t%d", i%2), fmt.Sprintf("c%d", i), nil)
	}
	page, next, total := rg.store.Sessions(state.Filter{}, 0, 3)
	if len(page) != 3 || total != 7 || next == 0 || page[0].ID != "c0" {
		t.Fatalf("page 1: %d items, total %d, next %d", len(page), total, next)
	}
	var ids []string
	for after := uint64(0); ; {
		pg, nx, _ := rg.store.Sessions(state.Filter{Tenant: "t1"}, after, 2)
		for _, s := range pg {
			ids = append(ids, s.ID)
		}
		if nx == 0 {
			break
		}
		after = nx
	}
	if fmt.Sprint(ids) != "[c1 c3 c5]" {
		t.Fatalf("t1 pages: %v", ids)
	}
	s, err := rg.store.Act("c3", provider.Action{Name: "approve", Reason: "ok"})
	if err != nil || s.Status != "approved" || len(s.History) != 3 || len(s.Actions) != 0 {
		t.Fatalf("act: %+v %v", s, err)
	}
	if _, err := rg.store.Act("c4", provider.Action{Name: "fly"}); err == nil || !strings.Contains(err.Error(), "unknown action") {
		t.Fatalf("unknown action: %v", err)
	}
	var pe *provider.Error
	if _, err := rg.store.Act("nope", provider.Action{Name: "approve"}); !errors.As(err, &pe) || pe.Status != 404 {
		t.Fatalf("act on unknown id: %v", err)
	}
	if _, _, n := rg.store.Sessions(state.Filter{Status: "APPROVED"}, 0, 0); n != 1 {
		t.Fatalf("status filter: %d", n)
	}
	// Counts tallies without summaries; the last page has no next cursor.
	counts := rg.store.Counts(state.Filter{})
	if counts[state.Tally{Provider: "toy", Tenant: "t1", Status: "approved"}] != 1 ||
		counts[state.Tally{Provider: "toy", Tenant: "t1", Status: "pending"}] != 2 ||
		counts[state.Tally{Provider: "toy", Tenant: "t0", Status: "pending"}] != 4 || len(counts) != 3 {
		t.Fatalf("counts: %v", counts)
	}
	if c := rg.store.Counts(state.Filter{Tenant: "t1", Status: "PENDING"}); len(c) != 1 {
		t.Fatalf("filtered counts: %v", c)
	}
	if pg, nx, total := rg.store.Sessions(state.Filter{}, next, 10); len(pg) != 4 || nx != 0 || total != 7 {
		t.Fatalf("last page: %d items, next %d, total %d", len(pg), nx, total)
	}
	if prov, tenant, ok := rg.store.Owner("c3"); !ok || prov != "toy" || tenant != "t1" {
		t.Fatalf("owner of c3: %s %s %v", prov, tenant, ok)
	}
	if _, _, ok := rg.store.Owner("nope"); ok {
		t.Fatal("owner of an unknown id")
	}
	// The journal asks for the owner of every request's session.
	if n := testing.AllocsPerRun(100, func() { rg.store.Owner("c3") }); n != 0 {
		t.Fatalf("Owner allocates %v times", n)
	}
	rg.store.Reset("t1")
	if _, _, n := rg.store.Sessions(state.Filter{}, 0, 0); n != 4 {
		t.Fatalf("after reset of t1: %d sessions", n)
	}
	if _, ok := rg.store.Session("c1"); ok {
		t.Fatal("reset tenant's session still answers")
	}
}

func TestBoundsEvictFinishedFirst(t *testing.T) {
	rg := newRig(t, nil, state.Limits{Records: 5, RecordsPerTenant: 3, Tenants: 3}, nil)
	rg.create(t, "a", "a1", nil)
	rg.create(t, "a", "a2", nil)
	rg.create(t, "a", "a3", nil)
	if _, err := rg.store.Act("a2", provider.Action{Name: "approve"}); err != nil {
		t.Fatal(err)
	}
	rg.create(t, "a", "a4", nil) // over the tenant bound: the finished a2 goes, not the older a1
	if _, ok := rg.store.Session("a2"); ok {
		t.Fatal("finished a2 kept")
	}
	if _, ok := rg.store.Session("a1"); !ok {
		t.Fatal("live a1 evicted before the finished a2")
	}
	rg.create(t, "a", "a5", nil) // no finished one left: the oldest live goes
	if _, ok := rg.store.Session("a1"); ok {
		t.Fatal("oldest live a1 kept over the tenant bound")
	}
	rg.create(t, "b", "b1", nil)
	rg.create(t, "b", "b2", nil)
	rg.create(t, "b", "b3", nil) // 6 records > 5: the oldest live overall (a3) goes
	if st := rg.store.Stats(); st.Records != 5 || st.Evicted["tenant_records"] != 2 || st.Evicted["records"] != 1 {
		t.Fatalf("stats %+v", st)
	}
	// Tenants: a is least recently used once b, c, d are touched.
	rg.create(t, "c", "c1", nil)
	_ = rg.sp.View("b", func(*state.Tx) error { return nil })
	rg.create(t, "d", "d1", nil)
	if got := rg.sp.Tenants(); fmt.Sprint(got) != "[b c d]" {
		t.Fatalf("tenants %v", got)
	}
	if _, ok := rg.store.Session("a4"); ok {
		t.Fatal("evicted tenant's record answers")
	}
}

func TestRetention(t *testing.T) {
	rg := newRig(t, nil, state.Limits{Retention: time.Hour}, nil)
	rg.create(t, "t", "done", nil)
	rg.create(t, "t", "live", nil)
	if _, err := rg.store.Act("done", provider.Action{Name: "approve"}); err != nil {
		t.Fatal(err)
	}
	rg.advance(59 * time.Minute)
	if _, ok := rg.store.Session("done"); !ok {
		t.Fatal("finished record dropped before its retention")
	}
	rg.advance(2 * time.Minute)
	if _, ok := rg.store.Session("done"); ok {
		t.Fatal("finished record kept after its retention")
	}
	rg.advance(48 * time.Hour)
	if _, ok := rg.store.Session("live"); !ok {
		t.Fatal("live record dropped by retention")
	}
	if rg.store.Stats().Evicted["retention"] != 1 {
		t.Fatalf("stats %+v", rg.store.Stats())
	}
}

func TestBlobs(t *testing.T) {
	for name, b := range map[string]state.Backend{"memory": nil, "memstore": memstore.New()} {
		t.Run(name, func(t *testing.T) {
			rg := newRig(t, b, state.Limits{BlobBytes: 250, BlobBytesPerTenant: 200}, nil)
			rg.create(t, "t", "a", nil)
			rg.create(t, "u", "b", nil)
			put := func(tenant, id, blob string, n int) error {
				return rg.sp.Update(tenant, func(tx *state.Tx) error {
					return tx.PutBlob(tx.Get("check", id), blob, []byte(strings.Repeat(blob[:1], n)))
				})
			}
			read := func(tenant, id, blob string) string {
				var out string
				_ = rg.sp.View(tenant, func(tx *state.Tx) error {
					if b, ok := tx.Blob(tx.Get("check", id), blob); ok {
						out = string(b)
					}
					return nil
				})
				return out
			}
			if err := put("t", "a", "front", 300); !errors.Is(err, state.ErrTooLarge) {
				t.Fatalf("blob over the tenant budget: %v", err)
			}
			if err := put("t", "a", "front", 100); err != nil {
				t.Fatal(err)
			}
			if err := put("t", "a", "back", 90); err != nil {
				t.Fatal(err)
			}
			if got := read("t", "a", "front"); len(got) != 100 {
				t.Fatalf("front = %d bytes", len(got))
			}
			if err := put("t", "a", "selfie", 50); err != nil { // 240 > 200 for the tenant: front goes
				t.Fatal(err)
			}
			if read("t", "a", "front") != "" || len(read("t", "a", "back")) != 90 {
				t.Fatal("the tenant's oldest blob was not the one dropped")
			}
			if err := put("u", "b", "xray", 150); err != nil { // 290 > 250 in all: back goes
				t.Fatal(err)
			}
			if read("t", "a", "back") != "" || len(read("u", "b", "xray")) != 150 {
				t.Fatal("the store's oldest blob was not the one dropped")
			}
			if st := rg.store.Stats(); st.BlobBytes != 200 || st.BlobsEvicted != 2 {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

// restart closes a store and builds a new one over the same backend and
// clock, as a new process would.
func restart(t *testing.T, rg *rig, b func() state.Backend) *rig {
	t.Helper()
	if err := rg.store.Close(); err != nil {
		t.Fatal(err)
	}
	return newRig(t, b(), state.Limits{}, clock.NewManual(rg.clock.Now()))
}

func TestRestart(t *testing.T) {
	dir := t.TempDir()
	backends := map[string]func() state.Backend{
		"memstore": func() state.Backend { return sharedMem },
		"bolt": func() state.Backend {
			b, err := boltstore.Open(dir, time.Second)
			if err != nil {
				t.Fatal(err)
			}
			return b
		},
	}
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			rg := newRig(t, open(), state.Limits{}, nil)
			rg.create(t, "t1", "a", plan())
			rg.create(t, "t1", "done", nil)
			var drawn string
			_ = rg.sp.Update("t1", func(tx *state.Tx) error {
				tx.Data().(*tenantData).Calls = 7
				drawn = tx.Rand().UUID()
				r := tx.Get("check", "done")
				return tx.PutBlob(r, "front", []byte("jpeg bytes"))
			})
			if _, err := rg.store.Act("done", provider.Action{Name: "approve"}); err != nil {
				t.Fatal(err)
			}
			rg.advance(90 * time.Second) // a: pending -> review; approved is due at 2m
			var next string
			_ = rg.sp.Update("t1", func(tx *state.Tx) error { next = tx.Rand().UUID(); return nil })

			rg2 := restart(t, rg, open)
			if got := rg2.status(t, "t1", "a"); got != "review" {
				t.Fatalf("after restart a = %s", got)
			}
			s, _ := rg2.store.Session("done")
			if s.Status != "approved" || len(s.History) != 3 || s.History[2].By != "control" {
				t.Fatalf("done after restart: %+v", s)
			}
			_ = rg2.sp.Update("t1", func(tx *state.Tx) error {
				if n := tx.Data().(*tenantData).Calls; n != 7 {
					t.Errorf("tenant data after restart: %d", n)
				}
				if b, ok := tx.Blob(tx.Get("check", "done"), "front"); !ok || string(b) != "jpeg bytes" {
					t.Errorf("blob after restart: %q %v", b, ok)
				}
				if tx.Lookup("check", "name", "n-a") == nil {
					t.Error("index lost on restart")
				}
				// The stream continues where it stopped: the third value of
				// the tenant's stream, not the first again.
				ref := fake.New(42).Derive("toy", "t1")
				seq := []string{ref.UUID(), ref.UUID(), ref.UUID()}
				if drawn != seq[0] || next != seq[1] {
					t.Fatalf("the tenant's stream is not Derive(provider, tenant): %s %s", drawn, next)
				}
				if u := tx.Rand().UUID(); u != seq[2] {
					t.Errorf("after restart the stream gave %s, want %s", u, seq[2])
				}
				return nil
			})
			rg2.advance(time.Minute) // the due step fires in the new process
			if got := rg2.status(t, "t1", "a"); got != "approved" {
				t.Fatalf("due step after restart: a = %s", got)
			}
			if fmt.Sprint(rg2.fired) != "[a:approved]" {
				t.Fatalf("fired after restart: %v", rg2.fired)
			}
			rg2.store.Reset("")
			rg3 := restart(t, rg2, open)
			if _, _, n := rg3.store.Sessions(state.Filter{}, 0, 0); n != 0 {
				t.Fatalf("%d sessions after a reset and restart", n)
			}
		})
	}
}

var sharedMem = memstore.New()

func TestPastDueStepsFireAtOnceInOrder(t *testing.T) {
	b := memstore.New()
	c := clock.NewManual(start)
	rg := newRig(t, b, state.Limits{}, c)
	rg.create(t, "t", "x", plan())
	rg.create(t, "t", "y", plan())
	_ = rg.store.Close()
	// The new process starts 3 minutes later on a clock of its own.
	later := clock.NewManual(start.Add(3 * time.Minute))
	rg2 := newRig(t, b, state.Limits{}, later)
	rg2.advance(0)
	if fmt.Sprint(rg2.fired) != "[x:review y:review]" {
		t.Fatalf("fired %v", rg2.fired)
	}
	// Steps anchored at review count from when the records entered it:
	// now, in the new process.
	rg2.advance(time.Minute)
	if fmt.Sprint(rg2.fired) != "[x:review y:review x:approved y:approved]" {
		t.Fatalf("fired %v", rg2.fired)
	}
}

func TestBackendFailureIsA503AndKeepsServing(t *testing.T) {
	b := memstore.New()
	rg := newRig(t, b, state.Limits{}, nil)
	rg.create(t, "t", "ok", nil)
	b.Fail(errors.New("disk full"))
	err := rg.sp.Update("t", func(tx *state.Tx) error {
		_, err := tx.Create(state.NewRecord{Kind: "check", ID: "lost", Data: &check{}})
		return err
	})
	var pe *provider.Error
	if !errors.As(err, &pe) || pe.Status != 503 {
		t.Fatalf("write on a failing backend: %v", err)
	}
	b.Fail(nil)
	rg.create(t, "t", "after", nil)
	if rg.store.Stats().CommitErrors != 1 {
		t.Fatalf("stats %+v", rg.store.Stats())
	}
}

func TestPanicInFireIsContained(t *testing.T) {
	c := clock.NewManual(start)
	s := state.New(state.Config{Clock: c})
	sp := s.Space("p", state.Spec{Kinds: []state.Kind{{Name: "k", New: func() any { return &check{} }, Machine: machine,
		Fire: func(*state.Tx, *state.Record, provider.Step) { panic("boom") }}}})
	_ = s.Load()
	_ = sp.Update("t", func(tx *state.Tx) error {
		_, err := tx.Create(state.NewRecord{Kind: "k", ID: "1", Data: &check{}, Status: "pending",
			Plan: &provider.Plan{Steps: []provider.Step{{After: time.Second, Status: "review"}, {After: 2 * time.Second, Status: "expired"}}}})
		return err
	})
	_, _ = c.Advance(5 * time.Second)
	if err := sp.Update("t", func(tx *state.Tx) error { tx.Get("k", "1"); return nil }); err != nil {
		t.Fatalf("tenant unusable after a panic: %v", err)
	}
}

func TestConcurrentTenants(t *testing.T) {
	rg := newRig(t, memstore.New(), state.Limits{RecordsPerTenant: 20}, nil)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				tn := fmt.Sprintf("t%d", (w+i)%4)
				id := fmt.Sprintf("w%d-%d", w, i)
				rg.create(t, tn, id, plan())
				_, _ = rg.store.Act(id, provider.Action{Name: "approve"})
				rg.store.Sessions(state.Filter{Tenant: tn}, 0, 5)
			}
		}()
	}
	go func() {
		for range 20 {
			rg.advance(time.Minute)
		}
	}()
	wg.Wait()
	if st := rg.store.Stats(); st.Records != 80 {
		t.Fatalf("stats %+v", st)
	}
}

func TestAnchorsGoOnlyWithTheirTenant(t *testing.T) {
	c := clock.NewManual(start)
	s := state.New(state.Config{Clock: c, Limits: state.Limits{RecordsPerTenant: 3}})
	sp := s.Space("p", state.Spec{Kinds: []state.Kind{
		{Name: "account", New: func() any { return &user{} }, Anchor: true},
		{Name: "check", New: func() any { return &check{} }, Machine: machine, Session: true},
	}})
	_ = s.Load()
	create := func(kind, id string) {
		t.Helper()
		if err := sp.Update("t", func(tx *state.Tx) error {
			_, err := tx.Create(state.NewRecord{Kind: kind, ID: id, Data: &check{}, Status: map[string]string{"check": "pending"}[kind]})
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	create("account", "me")
	for i := range 4 {
		create("check", fmt.Sprint(i))
	}
	_ = sp.View("t", func(tx *state.Tx) error {
		if tx.Get("account", "me") == nil {
			t.Error("the anchor was evicted by the record bound")
		}
		if tx.Get("check", "0") != nil || tx.Get("check", "1") != nil || tx.Get("check", "3") == nil {
			t.Error("the oldest checks were not the ones evicted")
		}
		return nil
	})
	s.Reset("t")
	if n := s.Stats().Records; n != 0 {
		t.Fatalf("%d records after the tenant's reset", n)
	}
}

func TestPeekDoesNotRewrite(t *testing.T) {
	b := memstore.New()
	rg := newRig(t, b, state.Limits{}, nil)
	rg.create(t, "t", "a", nil)
	size := func() int64 { n, _ := b.Size(); return n }
	_ = rg.store.Flush()
	before := size()
	_ = rg.sp.Update("t", func(tx *state.Tx) error {
		if tx.Peek("check", "a") == nil || tx.PeekData() == nil {
			t.Error("peek found nothing")
		}
		state.Data[check](tx.Peek("check", "a")).Notes = []string{"not stored"}
		return nil
	})
	_ = rg.store.Flush()
	var stored []byte
	_ = b.Scan("records", func(_, v []byte) error { stored = v; return nil })
	if strings.Contains(string(stored), "not stored") || size() != before {
		t.Fatalf("a peeked record was written: %s", stored)
	}
}

func TestDeleteAndCreateOneKeySurvivesARestart(t *testing.T) {
	b := memstore.New()
	rg := newRig(t, b, state.Limits{}, nil)
	rg.create(t, "t", "a", nil)
	_ = rg.sp.Update("t", func(tx *state.Tx) error {
		tx.Delete(tx.Get("check", "a"))
		_, err := tx.Create(state.NewRecord{Kind: "check", ID: "a", Data: &check{Name: "second"}, Status: "approved"})
		return err
	})
	rg2 := restart(t, rg, func() state.Backend { return b })
	s, ok := rg2.store.Session("a")
	if !ok || s.Status != "approved" {
		t.Fatalf("the re-created record after a restart: %+v %v", s, ok)
	}
	// Created straight in a terminal status, it is finished: retention
	// drops it.
	rg2.advance(8 * 24 * time.Hour)
	if _, ok := rg2.store.Session("a"); ok {
		t.Fatal("a record born finished was kept past its retention")
	}
}

func TestRecordsWithoutDataSurviveARestart(t *testing.T) {
	b := memstore.New()
	open := func() (*state.Store, *state.Space) {
		s := state.New(state.Config{Clock: clock.NewManual(start), Backend: b})
		sp := s.Space("p", state.Spec{Kinds: []state.Kind{{Name: "s", New: func() any { return new(user) }}}})
		if err := s.Load(); err != nil {
			t.Fatal(err)
		}
		return s, sp
	}
	s, sp := open()
	if err := sp.Update("a", func(tx *state.Tx) error {
		_, err := tx.Create(state.NewRecord{Kind: "s", ID: "x"}) // no Data: stored as null
		return err
	}); err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	s, sp = open()
	defer s.Close()
	_ = sp.View("a", func(tx *state.Tx) error {
		if r := tx.Get("s", "x"); r == nil || state.Data[user](r).Phone != "" {
			t.Errorf("after the restart: %+v", r)
		}
		return nil
	})
}

func TestRecordsReadBackShareTheirNames(t *testing.T) {
	b := memstore.New()
	rg := newRig(t, b, state.Limits{}, nil)
	rg.create(t, "a", "c1", plan())
	rg.create(t, "a", "c2", plan())
	rg = restart(t, rg, func() state.Backend { return b })
	var rs []*state.Record
	_ = rg.sp.View("a", func(tx *state.Tx) error { rs = append(rs, tx.Get("check", "c1"), tx.Get("check", "c2")); return nil })
	same := func(what, x, y string) {
		if x != y || unsafe.StringData(x) != unsafe.StringData(y) {
			t.Errorf("%s: %q and %q are two copies", what, x, y)
		}
	}
	a, c := rs[0], rs[1]
	same("provider", a.Provider, c.Provider)
	same("tenant", a.Tenant, c.Tenant)
	same("kind", a.Kind, c.Kind)
	same("status", a.Status, c.Status)
	same("history", a.History[0].To, c.History[0].To)
	same("due", a.Due[0].Step.Status, c.Due[0].Step.Status)
	same("plan", a.Plan.Steps[0].Status, c.Plan.Steps[0].Status)
}
