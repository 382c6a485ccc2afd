package fake

import (
	"math/rand"
	"strings"
	"testing"
	"time"
)

func TestDeriveIsStableAndIndependent(t *testing.T) {
	a1, a2 := New(42).Derive("notus", "key-a"), New(42).Derive("notus", "key-a")
	b := New(42).Derive("notus", "key-b")
	for range 5 {
		x, y, z := a1.UUID(), a2.UUID(), b.UUID()
		if x != y {
			t.Fatalf("same seed and scope differ: %s %s", x, y)
		}
		if x == z {
			t.Fatalf("different scopes collide: %s", x)
		}
	}
	if New(42).Derive("a", "bc").UUID() == New(42).Derive("ab", "c").UUID() {
		t.Fatal("scope parts are not separated")
	}
}

func TestValues(t *testing.T) {
	s := New(1)
	if tok := s.String(Base58, 128); len(tok) != 128 || strings.ContainsAny(tok, "0OIl") {
		t.Fatalf("base58 token %q", tok)
	}
	u := s.UUID()
	if len(u) != 36 || u[14] != '4' {
		t.Fatalf("uuid v4 %q", u)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := s.Person(now)
	age := now.Sub(p.BirthDate).Hours() / 24 / 365.25
	if p.FirstName == "" || p.LastName == "" || age < 18 || age > 81 || !strings.HasSuffix(p.Email, "@example.com") {
		t.Fatalf("person %+v (age %.1f)", p, age)
	}
	if n := s.Intn(3); n < 0 || n > 2 {
		t.Fatalf("Intn(3) = %d", n)
	}
}

func TestResumeContinuesTheStream(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a := New(7).Derive("kulipa", "tenant")
	a.UUID()
	a.Person(now)
	a.String(Base58, 40)
	a.Intn(900000)
	b := Resume(a.Seed(), a.Draws())
	if b.Draws() != a.Draws() {
		t.Fatalf("resumed at %d draws, want %d", b.Draws(), a.Draws())
	}
	for i := range 20 {
		if x, y := a.UUID(), b.UUID(); x != y {
			t.Fatalf("draw %d after resume: %s, want %s", i, y, x)
		}
	}
	if New(7).Draws() != 0 {
		t.Fatal("a new source has drawn")
	}
}

// TestUUIDIsGofakeits holds UUID to gofakeit's, drawn from a second Source
// with the same seed, between other draws: the same ids, at the same
// places in the stream, so seeded runs keep their ids.
func TestUUIDIsGofakeits(t *testing.T) {
	for _, seed := range []int64{1, 7, 1 << 40} {
		s, ref := New(seed).Derive("notus", "t"), New(seed).Derive("notus", "t")
		for i := range 2000 {
			if got, want := s.UUID(), ref.f.UUID(); got != want {
				t.Fatalf("seed %d, draw %d: %s, want %s", seed, i, got, want)
			}
			if i%3 == 0 {
				s.String(Base58, 5)
				ref.String(Base58, 5)
			}
		}
		if s.Draws() != ref.Draws() {
			t.Fatalf("seed %d: %d draws, want %d", seed, s.Draws(), ref.Draws())
		}
	}
}

func BenchmarkUUID(b *testing.B) {
	s := New(1)
	b.ReportAllocs()
	for b.Loop() {
		s.UUID()
	}
}

// A source seeds its generator at its first draw; what it draws is what
// math/rand's generator seeded at once would give, and so is what it draws
// after Resume.
func TestLazySeedIsTheSameStream(t *testing.T) {
	const seed = 42
	fresh, ref := New(seed), rand.New(rand.NewSource(seed))
	for i := range 100 {
		if a, b := fresh.Intn(1000), ref.Intn(1000); a != b {
			t.Fatalf("draw %d: %d, math/rand seeded at once %d", i, a, b)
		}
	}
	r := Resume(seed, fresh.Draws())
	for i := range 10 {
		if a, b := r.Intn(1000), ref.Intn(1000); a != b {
			t.Fatalf("after Resume, draw %d: %d, want %d", i, a, b)
		}
	}
}
