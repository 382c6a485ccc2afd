// Package fake is the emulator's only source of randomness: identifiers,
// tokens and fake identities. Every Source is seeded, and Derive gives each
// tenant its own stream, so a seeded run yields the same ids for the same
// requests whatever other tenants do at the same time.
package fake

import (
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"math/rand"
	"strings"
	"sync"
	"time"

	"github.com/brianvoe/gofakeit/v6"
)

// Source produces seeded random values. It is safe for concurrent use.
//
// A Source counts the draws it has made from its generator, so its position
// in the stream can be saved (Draws) and a Source resumed at that position
// after a restart (Resume): the values that follow are the ones the first
// Source would have produced.
type Source struct {
	seed int64
	mu   sync.Mutex
	src  *counted
	f    *gofakeit.Faker
}

// counted is the generator under a Source, counting its steps. Every value
// gofakeit and math/rand draw takes whole steps of it (no bytes are kept
// back between calls), so replaying the count restores the stream exactly.
//
// The generator itself is made at the first draw: seeding math/rand's
// takes microseconds, and an emulator derives a source for every provider
// and tenant, many of which never draw. The stream is the same either way.
type counted struct {
	seed int64
	src  rand.Source64 // nil until the first draw
	n    uint64
}

func (c *counted) gen() rand.Source64 {
	if c.src == nil {
		c.src = rand.NewSource(c.seed).(rand.Source64)
	}
	return c.src
}

func (c *counted) Int63() int64    { c.n++; return c.gen().Int63() }
func (c *counted) Uint64() uint64  { c.n++; return c.gen().Uint64() }
func (c *counted) Seed(seed int64) { c.seed, c.src, c.n = seed, nil, 0 }

// New returns a Source for seed.
func New(seed int64) *Source {
	if seed == 0 {
		seed = 1 // gofakeit treats 0 as "random"; keep runs reproducible.
	}
	c := &counted{seed: seed}
	return &Source{seed: seed, src: c, f: gofakeit.NewCustom(c)}
}

// Resume returns the Source for seed positioned after draws steps, as
// reported by Draws.
func Resume(seed int64, draws uint64) *Source {
	s := New(seed)
	for range draws {
		s.src.gen().Int63()
	}
	s.src.n = draws
	return s
}

// Seed returns the seed the source was built from.
func (s *Source) Seed() int64 { return s.seed }

// Draws returns how many steps the source has taken since it was built.
func (s *Source) Draws() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.src.n
}

// Derive returns an independent Source whose stream depends only on this
// source's seed and the given scope, e.g. Derive("notus", tenant).
func (s *Source) Derive(scope ...string) *Source {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d", s.seed)
	for _, p := range scope {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	return New(int64(h.Sum64() &^ (1 << 63)))
}

// UUID returns a version 4 UUID: the one gofakeit's UUID would draw, as
// it draws it (sixteen Rand.Intn(256), one step of the generator each, of
// which Intn keeps bits 32 to 39), without its sixteen calls through
// math/rand and its buffers. Every request draws one, for its id.
func (s *Source) UUID() string {
	var raw [16]byte
	s.mu.Lock()
	for i := range raw {
		raw[i] = byte(s.src.Int63() >> 32)
	}
	s.mu.Unlock()
	raw[6] = raw[6]&0x0f | 0x40 // version 4
	raw[8] = raw[8]&0xbf | 0x80 // variant, as gofakeit sets it
	var b [36]byte
	hex.Encode(b[0:8], raw[0:4])
	hex.Encode(b[9:13], raw[4:6])
	hex.Encode(b[14:18], raw[6:8])
	hex.Encode(b[19:23], raw[8:10])
	hex.Encode(b[24:], raw[10:])
	b[8], b[13], b[18], b[23] = '-', '-', '-', '-'
	return string(b[:])
}

const (
	// Base58 is Bitcoin's alphabet: no 0, O, I or l.
	Base58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
	// Hex is lowercase hexadecimal.
	Hex = "0123456789abcdef"
	// Alnum is ASCII letters and digits.
	Alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	// Digits is 0-9.
	Digits = "0123456789"
)

// String returns n characters drawn from alphabet.
func (s *Source) String(alphabet string, n int) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	b.Grow(n)
	for range n {
		b.WriteByte(alphabet[s.f.Rand.Intn(len(alphabet))])
	}
	return b.String()
}

// Intn returns a number in [0, n).
func (s *Source) Intn(n int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f.Rand.Intn(n)
}

// Float64 returns a number in [0, 1).
func (s *Source) Float64() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.f.Rand.Float64()
}

// Person is a fake identity.
type Person struct {
	FirstName string
	LastName  string
	BirthDate time.Time // a date, midnight UTC
	Email     string
	Phone     string
	Street    string
	City      string
	Postcode  string
}

// Person returns a fake adult born between 18 and 80 years before now.
func (s *Source) Person(now time.Time) Person {
	s.mu.Lock()
	defer s.mu.Unlock()
	start := now.AddDate(-80, 0, 0)
	end := now.AddDate(-18, 0, 0)
	dob := s.f.DateRange(start, end).UTC()
	first, last := s.f.FirstName(), s.f.LastName()
	return Person{
		FirstName: first,
		LastName:  last,
		BirthDate: time.Date(dob.Year(), dob.Month(), dob.Day(), 0, 0, 0, 0, time.UTC),
		Email:     strings.ToLower(first+"."+last) + "@example.com",
		Phone:     "+1" + s.f.Numerify("##########"),
		Street:    s.f.Street(),
		City:      s.f.City(),
		Postcode:  s.f.Zip(),
	}
}
