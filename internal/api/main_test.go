package api_test

import (
	"testing"

	"hotline/internal/testenv"
)

// TestMain lets up to 6 tests run at once: each drives a real server and
// spends most of its time waiting on it and on the database (91 s of wall
// for 15 s of CPU when they ran one at a time; issue 13).
func TestMain(m *testing.M) { testenv.RunParallel(m, 6) }
