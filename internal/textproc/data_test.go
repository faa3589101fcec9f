package textproc

import (
	"errors"
	"os"
	"testing"

	"hotline/internal/textproc/textdata"
)

// sharedData returns the folder of the shared evaluation data: $HOTLINE_DATA,
// or the first shared/data found walking up from the working directory. The
// data is never copied into the repository (it holds real people's
// messages), so tests that need it skip when it is absent.
func sharedData(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		// Quality tests on the real data only compute: they run in the
		// plain step of make test, not again under the race detector.
		t.Skip("quality test on the shared data: skipped with -short (the race step)")
	}
	dir, err := textdata.Find(os.Getenv("HOTLINE_DATA"))
	if err != nil {
		t.Skip(err)
	}
	return dir
}

// loaded skips the test when a data file is missing and fails it when the
// file is there but unreadable.
func loaded[T any](t testing.TB, v T, err error) T {
	t.Helper()
	if errors.Is(err, textdata.ErrMissing) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// readCSV reads a data file relative to the shared data folder as a list of
// rows keyed by header; it skips the test when the file is missing.
func readCSV(t testing.TB, rel string) []map[string]string {
	t.Helper()
	rows, err := textdata.ReadCSV(sharedData(t), rel)
	return loaded(t, rows, err)
}

// beside marks a compute-only quality test on the shared data: it runs
// beside the package's other such tests, which share only corpora, models
// and clusterings made once and then read (teddyModelOnce, teddyMemo,
// bigIndexOnce). In make test they run in the last step, the tests the
// race step skipped, where one at a time they kept one core idle for most
// of it (issue 13). The tests that time themselves (TestPredictLatency,
// TestSegmenterLoadCost) stay serial, and go test runs them before the
// parallel ones start.
func beside(t *testing.T) {
	t.Parallel()
}
