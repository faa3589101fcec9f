package store

import (
	"context"
	"os"
	"testing"
)

// openForTest opens the store at url for an internal test, closed when the
// test ends, migrated to the latest schema when migrate is set. (The
// external tests have openMigrated in create_test.go.)
func openForTest(t testing.TB, url string, migrate bool) *Store {
	t.Helper()
	s, err := Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if migrate {
		if err := s.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// openBigDB opens the generated database named by HOTLINE_BIG_DB, or skips.
func openBigDB(t testing.TB, migrate bool) *Store {
	t.Helper()
	url := os.Getenv("HOTLINE_BIG_DB")
	if url == "" {
		t.Skip("HOTLINE_BIG_DB not set")
	}
	return openForTest(t, url, migrate)
}
