package jsonx

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestAppendMillisIsWhatFormatWrites compares with time.Format at the
// edges of every field, in other zones, and at random instants over the
// four-digit years and beyond them.
func TestAppendMillisIsWhatFormatWrites(t *testing.T) {
	sp := time.FixedZone("BRT", -3*3600)
	times := []time.Time{
		{}, time.Unix(0, 0), time.Date(2026, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
		time.Date(2026, 1, 1, 0, 0, 0, 999_999, time.UTC), time.Date(2026, 1, 1, 1, 2, 3, 4_000_000, sp),
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999_000_000, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2028, 2, 29, 12, 0, 0, 500_000_000, time.Local),
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		times = append(times, time.Unix(r.Int64N(400_000_000_000)-62_000_000_000, r.Int64N(1e9)))
	}
	for _, tm := range times {
		if got, want := string(AppendMillis([]byte("x"), tm)), "x"+tm.UTC().Format(MillisLayout); got != want {
			t.Fatalf("%v: %s, want %s", tm, got, want)
		}
	}
}

func BenchmarkAppendMillis(b *testing.B) {
	tm := time.Date(2026, 12, 1, 15, 49, 56, 816_939_576, time.UTC)
	buf := make([]byte, 0, 32)
	b.Run("AppendMillis", func(b *testing.B) {
		for b.Loop() {
			buf = AppendMillis(buf[:0], tm)
		}
	})
	b.Run("AppendFormat", func(b *testing.B) {
		for b.Loop() {
			buf = tm.UTC().AppendFormat(buf[:0], MillisLayout)
		}
	})
}
