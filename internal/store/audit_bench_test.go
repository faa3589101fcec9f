package store_test

// BenchmarkAuditViews (issue 19, item 3): eight concurrent unmasked views,
// each audited durably before its answer: "commit-each" is store.Audit (one
// transaction per view, as before), "group" is store.AuditDurable (the views
// waiting at a moment share one lazy commit: on SQLite into its journal, on
// PostgreSQL into PostgreSQL itself), and on PostgreSQL "group-journal" is
// AuditDurable with a view journal (serve's default: a SQLite file on this
// machine, moved into PostgreSQL every 250 ms; the moves are in the
// figure). machine-µs/view is the whole machine's CPU per view from
// /proc/stat — this process, PostgreSQL's and anything else running — so
// run it on a quiet machine, and long enough for its 10 ms ticks:
//
//	go test -run '^$' -bench AuditViews -benchtime 20000x ./internal/store/

import (
	"context"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"hotline/internal/store"
)

func BenchmarkAuditViews(b *testing.B) {
	pace := time.Duration(0)
	if v := os.Getenv("HOTLINE_BENCH_VIEW_PACE"); v != "" {
		var err error
		if pace, err = time.ParseDuration(v); err != nil {
			b.Fatal("HOTLINE_BENCH_VIEW_PACE: ", err)
		}
	}
	benchDBs(b, func(b *testing.B, url string) {
		st := openMigrated(b, url)
		var journaled *store.Store
		if st.Dialect == store.Postgres {
			journaled = openMigratedJournal(b, url, b.TempDir()+"/views.log")
		}
		ctx := context.Background()
		var n atomic.Int64
		for _, mode := range []string{"commit-each", "group", "group-journal", "commit-each", "group", "group-journal"} {
			s := st
			if mode == "group-journal" {
				if journaled == nil {
					continue
				}
				s = journaled
			}
			b.Run(mode, func(b *testing.B) {
				b.SetParallelism(4) // 8 clients on 2 CPUs
				cpu0 := machineCPU(b)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						e := store.AuditEntry{At: time.Now(), Actor: "dispatcher", Action: "view_caller",
							Target: "order:" + strconv.FormatInt(n.Add(1), 10), Detail: "20261206000001"}
						var err error
						if mode == "commit-each" {
							err = s.Audit(ctx, e)
						} else {
							err = s.AuditDurable(ctx, e)
						}
						if err != nil {
							b.Error(err)
							return
						}
						if pace > 0 {
							time.Sleep(pace)
						}
					}
				})
				if mode == "group-journal" {
					// The moves of these views into PostgreSQL, which reading
					// the log makes at once.
					if _, err := s.AuditLog(ctx, "", "", "", 1); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64((machineCPU(b)-cpu0).Microseconds())/float64(b.N), "machine-µs/view")
			})
		}
	})
}

// openMigratedJournal opens a PostgreSQL store with a view journal.
func openMigratedJournal(t testing.TB, url, journal string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.UseViewJournal(journal); err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
}

// machineCPU is the CPU time the whole machine has spent busy so far (every
// state of /proc/stat's first line but idle and iowait).
func machineCPU(b *testing.B) time.Duration {
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		b.Skip("no /proc/stat: ", err)
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	var ticks int64
	for i, f := range strings.Fields(line)[1:] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		v, _ := strconv.ParseInt(f, 10, 64)
		ticks += v
	}
	return time.Duration(ticks) * 10 * time.Millisecond // USER_HZ is 100
}
