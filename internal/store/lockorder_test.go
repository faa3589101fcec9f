package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"hotline/internal/order"
	"hotline/internal/store"
	"hotline/internal/testenv"
)

// TestCreatePathsShareOneLockOrder runs the three create paths at once on
// one database, as a busy instance does: group-committed batches
// (CreateOrder), the one-by-one redo (CreatePublicOrder always takes it:
// its extra rows need the per-order path), and the single-order feed create
// (CreateFeedOrder, its own transaction). All of them take the day's serial
// row and the same rollup rows (same day, unit, category, type). Issue 12:
// the single path took the rollups before the serial, the batch the other
// way round, and PostgreSQL aborted one side of each crossing as a deadlock
// (a 409 to the client). Every create must succeed, the day's numbers must
// run without gap or repeat, the rollups must count every order, and
// PostgreSQL must have detected no deadlock.
func TestCreatePathsShareOneLockOrder(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, url string) {
		t.Parallel() // own database; sqlite and postgres overlap
		st := openMigrated(t, url)
		ctx := context.Background()
		if err := st.PutFeedPlatform(ctx, store.FeedPlatform{Name: "shanghai", Secret: "plain:x", Active: true, UpdatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		deadlocks := func() int64 {
			if st.Dialect != store.Postgres {
				return 0
			}
			// The counter is flushed by each backend within a second or so.
			time.Sleep(1500 * time.Millisecond)
			db, err := sql.Open("pgx", url)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var n int64
			if err := db.QueryRowContext(ctx, `SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		before := deadlocks()
		const workers, each = 40, 8
		var wg sync.WaitGroup
		var mu sync.Mutex
		var numbers []string
		var failed []string
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					k := w*each + i
					var o order.Order
					var ev order.Event
					var err error
					switch w % 4 {
					case 0, 1: // the batch path
						o, ev = newOrder(t, k, "")
						err = st.CreateOrder(ctx, &o, ev, []string{"路灯"})
					case 2: // the one-by-one redo
						o, ev = newOrder(t, k, "")
						o.Source = order.SourceWeb
						err = st.CreatePublicOrder(ctx, &o, ev, []string{"路灯"},
							store.PublicMeta{Channel: order.SourceWeb, TrackingHash: fmt.Sprintf("track-%d", k), CreatedAt: o.CreatedAt}, nil)
					default: // the single-order feed create
						o, ev = newOrder(t, k, fmt.Sprintf("SH-%d", k))
						err = st.CreateFeedOrder(ctx, &o, ev, []string{"路灯"}, store.FeedLink{Platform: "shanghai", PlatformID: fmt.Sprintf("SH-%d", k)})
					}
					mu.Lock()
					if err != nil {
						failed = append(failed, fmt.Sprintf("worker %d order %d: %v", w, i, err))
					} else {
						numbers = append(numbers, o.Number)
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		for _, f := range failed {
			t.Error(f)
		}
		if len(failed) > 0 {
			t.Fatalf("%d of %d creates failed", len(failed), workers*each)
		}
		slices.Sort(numbers)
		day := numbers[0][:8]
		for i, num := range numbers {
			if want := fmt.Sprintf("%s%05d", day, i+1); num != want {
				t.Fatalf("numbers: #%d is %s, want %s (a gap or a repeat)", i, num, want)
			}
		}
		today := store.DayOf(time.Now())
		totals, err := st.DayTotals(ctx, store.RollupFilter{FromDay: today - 1, ToDay: today + 1})
		if err != nil {
			t.Fatal(err)
		}
		var in int64
		for _, d := range totals {
			in += d.In
		}
		if in != workers*each {
			t.Errorf("rollups count %d orders created, want %d", in, workers*each)
		}
		if n := deadlocks() - before; n != 0 {
			t.Errorf("PostgreSQL detected %d deadlocks", n)
		}
	})
}
