package control

import "testing"

// TB is what testing.TB offers (checked here, so the package itself does
// not link the testing package into programs that use it).
var _ TB = testing.TB(nil)
