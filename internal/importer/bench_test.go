package importer_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"hotline/internal/gen"
	"hotline/internal/importer"
	"hotline/internal/service"
	"hotline/internal/store"
	"hotline/internal/testenv"
)

// writeReplay writes n la311 rows by replaying the shared la311 file with
// every pass shifted by 30 days and given fresh request numbers.
func writeReplay(t testing.TB, path string, n int) {
	t.Helper()
	src := filepath.Join(testenv.DataDir(t), "us311", "la311_requests_train.csv")
	f, err := os.Open(src)
	if err != nil {
		t.Skipf("la311 data missing: %v", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	head, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	var rows [][]string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, rec)
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	w := csv.NewWriter(out)
	w.Write(head)
	shift := func(v string, pass int) string {
		tm, err := time.Parse("2006-01-02 15:04:05", v)
		if err != nil {
			return v
		}
		return tm.AddDate(0, 0, -30*pass).Format("2006-01-02 15:04:05")
	}
	for i := 0; i < n; i++ {
		pass := i / len(rows)
		rec := append([]string(nil), rows[i%len(rows)]...)
		rec[col["srnumber"]] = fmt.Sprintf("%s-r%d", rec[col["srnumber"]], pass)
		for _, c := range []string{"createddate", "updateddate", "servicedate", "closeddate"} {
			rec[col[c]] = shift(rec[col[c]], pass)
		}
		w.Write(rec)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
}

// TestImport100k is the benchmark of docs/benchmarks.md: 100,000 orders
// through the whole import (parse, validate, segment, hash, write) against
// the raw database writing the same rows into a plain table. It runs when
// HOTLINE_BENCH_IMPORT is set (it takes about a minute), and fails above
// 20 s.
func TestImport100k(t *testing.T) {
	if os.Getenv("HOTLINE_BENCH_IMPORT") == "" {
		t.Skip("set HOTLINE_BENCH_IMPORT=1 to run the 100,000-order import benchmark")
	}
	const n = 100_000
	file := filepath.Join(t.TempDir(), "la311_100k.csv")
	writeReplay(t, file, n)
	if out := os.Getenv("HOTLINE_BENCH_REPLAY_OUT"); out != "" {
		writeReplay(t, out, n)
	}
	testenv.ForEachDB(t, func(t *testing.T, db string) {
		svc, orders := newService(t, db)
		svc.Intel.Tokens("warm up the segmenter") // load the dictionary outside the timing
		runtime.GC()
		st, bad := importFile(t, svc, "la311", file)
		if st.Imported != n || len(bad) != 0 {
			t.Fatalf("imported %+v, bad %v", st, bad[:min(3, len(bad))])
		}
		ctx := context.Background()
		vs := time.Now()
		checked, brk, err := orders.VerifyChains(ctx)
		if err != nil || brk != nil || checked != n {
			t.Fatalf("verify: %d %v %+v", checked, err, brk)
		}
		verifyTime := time.Since(vs)

		// The baseline: the same rows, prepared outside the timing, written
		// by plain multi-row INSERTs into an unindexed table.
		f, _ := os.Open(file)
		defer f.Close()
		src, _ := importer.NewSource("la311", f)
		var all []store.BulkOrder
		for {
			var rows []service.ImportRow
			for len(rows) < 5000 {
				r, err := src.Next()
				if err != nil {
					break
				}
				rows = append(rows, r)
			}
			if len(rows) == 0 {
				break
			}
			b, _ := svc.PrepareImport(rows)
			all = append(all, b.Orders()...)
		}
		runtime.GC()
		bs := time.Now()
		if err := gen.BaselineInsert(ctx, orders.DB(), all); err != nil {
			t.Fatal(err)
		}
		base := time.Since(bs)
		t.Logf("BENCH %s: import %d orders in %.2fs (%.0f orders/s); baseline plain multi-row INSERT %.2fs (%.0f rows/s); ratio %.1fx; verify %.2fs",
			orders.Dialect, n, st.Elapsed.Seconds(), float64(n)/st.Elapsed.Seconds(), base.Seconds(), float64(n)/base.Seconds(),
			st.Elapsed.Seconds()/base.Seconds(), verifyTime.Seconds())
		if st.Elapsed > 20*time.Second {
			t.Errorf("import took %v, the target is 20 s", st.Elapsed)
		}
	})
}
