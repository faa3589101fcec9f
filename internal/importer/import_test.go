package importer_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"hotline/internal/importer"
	"hotline/internal/intel"
	"hotline/internal/service"
	"hotline/internal/store"
	"hotline/internal/testenv"
)

// newService opens a migrated database with the real segmenter; the store
// is for the checks the service does not offer (hash chains, baselines).
func newService(t testing.TB, db string) (*service.Service, *store.Store) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	svc, err := service.New(ctx, st, intel.New(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return svc, st
}

func importFile(t testing.TB, svc *service.Service, format, path string) (importer.Stats, []importer.RowError) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	src, err := importer.NewSource(format, f)
	if err != nil {
		t.Fatal(err)
	}
	var bad []importer.RowError
	st, err := importer.Run(context.Background(), svc, src, importer.Options{OnError: func(e importer.RowError) { bad = append(bad, e) }})
	if err != nil {
		t.Fatalf("import %s: %v", path, err)
	}
	return st, bad
}

func TestImportRealData(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(testenv.DataDir(t), "us311")
	testenv.ForEachDBParallel(t, func(t *testing.T, db string) {
		svc, st := newService(t, db)
		for _, c := range []struct{ format, file string }{{"la311", "la311_requests_train.csv"}, {"nyc311", "nyc311_requests_train.csv"}} {
			path := filepath.Join(dir, c.file)
			if _, err := os.Stat(path); err != nil {
				t.Logf("%s missing in the shared data: skipped", c.file)
				continue
			}
			st, bad := importFile(t, svc, c.format, path)
			t.Logf("%s: %+v, first bad rows %v", c.format, st, bad[:min(3, len(bad))])
			if st.Imported == 0 || st.Bad > st.Rows/100 {
				t.Fatalf("%s: %+v", c.format, st)
			}
			again, _ := importFile(t, svc, c.format, path)
			if again.Imported != 0 || again.Existing != st.Imported {
				t.Fatalf("re-import of %s is not idempotent: %+v after %+v", c.format, again, st)
			}
		}
		n, brk, err := st.VerifyChains(context.Background())
		if err != nil || brk != nil {
			t.Fatalf("verify after import: %v %+v", err, brk)
		}
		t.Logf("%d orders verified", n)
	})
}
