// Package testutil holds the helpers kycemu's own tests share.
package testutil

import (
	"testing"
	"time"
)

// Timeout is how long Eventually waits: webhook deliveries run on the
// engine's workers, so they land a moment after the clock moves.
const Timeout = 10 * time.Second

// Eventually polls cond every millisecond until it holds or Timeout passes,
// and reports whether it held.
func Eventually(cond func() bool) bool {
	deadline := time.Now().Add(Timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(time.Millisecond)
	}
	return true
}

// WaitFor fails t when cond does not hold within Timeout.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	if !Eventually(cond) {
		t.Fatalf("timed out waiting for %s", what)
	}
}
