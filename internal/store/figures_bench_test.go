package store_test

import (
	"context"
	"os"
	"testing"
	"time"

	"hotline/internal/store"
)

// BenchmarkBusinessFigures times what one /metrics scrape adds: the open
// orders by status and the overdue orders by unit (store.BusinessFigures),
// beside its first query alone (the open orders by status), on a database
// given by HOTLINE_BENCH_DB (made by `hotline bench generate`; skipped
// without one, as a benchmark on the empty test database says nothing).
func BenchmarkBusinessFigures(b *testing.B) {
	url := os.Getenv("HOTLINE_BENCH_DB")
	if url == "" {
		b.Skip("set HOTLINE_BENCH_DB to a database made by `hotline bench generate`")
	}
	ctx := context.Background()
	st, err := store.Open(ctx, url)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	b.Run("figures", func(b *testing.B) {
		for b.Loop() {
			if _, err := st.BusinessFigures(ctx, now); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("open-count-only", func(b *testing.B) {
		for b.Loop() {
			var n int
			if err := st.DB().R.QueryRowContext(ctx, `SELECT COUNT(*) FROM orders WHERE status IN ('received','dispatched','accepted','in_progress','return_requested','returned','replied','reviewed')`).Scan(&n); err != nil {
				b.Fatal(err)
			}
		}
	})
}
