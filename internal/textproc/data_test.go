package textproc

import (
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
	if d := os.Getenv("HOTLINE_DATA"); d != "" {
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		cand := filepath.Join(dir, "shared", "data")
		if st, err := os.Stat(cand); err == nil && st.IsDir() {
			return cand
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("shared data not found: set HOTLINE_DATA or place the data in a shared/data folder above the repository")
		}
		dir = parent
	}
}

// readCSV reads a data file relative to the shared data folder as a list of
// rows keyed by header; it skips the test when the file is missing.
func readCSV(t testing.TB, rel string) []map[string]string {
	t.Helper()
	path := filepath.Join(sharedData(t), rel)
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("data file %s not available: %v", path, err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff")
	}
	var rows []map[string]string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		m := make(map[string]string, len(header))
		for i, h := range header {
			if i < len(rec) {
				m[h] = rec[i]
			}
		}
		rows = append(rows, m)
	}
	return rows
}
