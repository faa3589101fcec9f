package portal_test

import (
	"testing"

	"hotline/internal/testenv"
)

// TestMain lets up to 6 tests run at once: each drives a real server (or
// the binary's commands) over a real database and spends much of its time
// waiting on it, which left a core idle when they ran two at a time
// (issue 13).
func TestMain(m *testing.M) { testenv.RunParallel(m, 6) }
