package store_test

import (
	"context"
	"database/sql"
	"sync"
	"testing"
	"time"

	"hotline/internal/order"
	"hotline/internal/testenv"
)

// TestHookedCreateKeepsBatch: a create with an in-transaction hook (a
// patrol finding's order) gathered in one committer batch with plain
// creates no longer drags them onto its one-by-one path: the plain creates
// commit in their own batch first. The first hooked create holds the
// committer so that a second hooked create and five plain ones queue into
// the same next batch; the second's hook then finds the five committed
// (read on another connection), which it could not while they shared its
// transaction.
func TestHookedCreateKeepsBatch(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, url string) {
		st := openMigrated(t, url)
		ctx := context.Background()
		release := make(chan struct{})
		entered := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { // H1: holds the committer until released
			defer wg.Done()
			o, ev := newOrder(t, 1, "")
			if err := st.CreateOrderWith(ctx, &o, ev, nil, func(ctx context.Context, tx *sql.Tx, _ *order.Order) error {
				close(entered)
				<-release
				return nil
			}); err != nil {
				t.Error(err)
			}
		}()
		<-entered
		seen := -1
		wg.Add(1)
		go func() { // H2: counts the plain creates committed when its hook runs
			defer wg.Done()
			o, ev := newOrder(t, 2, "")
			if err := st.CreateOrderWith(ctx, &o, ev, nil, func(ctx context.Context, tx *sql.Tx, _ *order.Order) error {
				return st.DB().R.QueryRowContext(ctx, `SELECT COUNT(*) FROM orders WHERE title LIKE '%plain'`).Scan(&seen)
			}); err != nil {
				t.Error(err)
			}
		}()
		time.Sleep(200 * time.Millisecond) // H2 queued first
		for i := range 5 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				o, ev := newOrder(t, 10+i, "")
				o.Title += " plain"
				if err := st.CreateOrder(ctx, &o, ev, nil); err != nil {
					t.Error(err)
				}
			}()
		}
		time.Sleep(300 * time.Millisecond) // all queued behind H1
		close(release)
		wg.Wait()
		if seen != 5 {
			t.Fatalf("the hooked create's transaction saw %d plain creates committed, want 5: they shared its one-by-one path", seen)
		}
	})
}
