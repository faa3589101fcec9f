package store

import (
	"context"
	"fmt"
	"testing"

	"hotline/internal/testenv"
)

// VerifyChains reads orders a chunk at a time: with chunks of 2 over 7
// orders, every order is still counted once, and a changed event (in a
// middle chunk) or a deleted one (in the last) is found at the right order,
// with the orders checked up to it.
func TestVerifyChainsAcrossChunks(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dbURL string) {
		t.Parallel() // own database; sqlite and postgres overlap
		ctx := context.Background()
		s := openForTest(t, dbURL, true)
		var ids []int64
		for i := range 7 {
			ids = append(ids, createTestOrder(t, s, i))
		}
		for _, chunk := range []int{1, 2, 3, 1000} {
			if n, brk, err := s.verifyChains(ctx, chunk); err != nil || brk != nil || n != 7 {
				t.Fatalf("chunk %d, untouched: %d checked, break %+v, err %v", chunk, n, brk, err)
			}
		}
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := s.w.ExecContext(ctx, q, args...); err != nil {
				t.Fatal(err)
			}
		}
		// Order 4 (second chunk of 2, its first order): a changed event.
		exec(`INSERT INTO event_actors (code, name) VALUES (9999, 'mallory')`)
		exec(`UPDATE order_events SET actor = 9999 WHERE order_id = $1 AND seq = 1`, ids[3])
		if n, brk, err := s.verifyChains(ctx, 2); err != nil || brk == nil || brk.OrderID != fmt.Sprint(ids[3]) || brk.Seq != 1 || n != 4 {
			t.Fatalf("changed event: %d checked, break %+v, err %v", n, brk, err)
		}
		exec(`UPDATE order_events SET actor = (SELECT code FROM event_actors WHERE name = 'operator') WHERE order_id = $1 AND seq = 1`, ids[3])
		// Order 7 (the last chunk, alone in it): its only event deleted.
		exec(`DELETE FROM order_events WHERE order_id = $1`, ids[6])
		if n, brk, err := s.verifyChains(ctx, 2); err != nil || brk == nil || brk.OrderID != fmt.Sprint(ids[6]) || n != 7 {
			t.Fatalf("deleted event: %d checked, break %+v, err %v", n, brk, err)
		}
	})
}

// Migration 0010: PostgreSQL's full-text index has no pending list, so no
// create pays for merging other orders' tokens (the p99 at 200 creates/s,
// docs/benchmarks.md). If a later migration rebuilt the index with the
// default, the tail would come back without any other test noticing.
func TestSearchIndexHasNoPendingList(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dbURL string) {
		t.Parallel() // own database; sqlite and postgres overlap
		s := openForTest(t, dbURL, true)
		if s.Dialect != Postgres {
			t.Skip("FTS5 has no pending list")
		}
		var opts string
		if err := s.r.QueryRowContext(context.Background(),
			`SELECT COALESCE(array_to_string(reloptions, ','), '') FROM pg_class WHERE relname = 'orders_search'`).Scan(&opts); err != nil {
			t.Fatal(err)
		}
		if opts != "fastupdate=off" {
			t.Fatalf("orders_search options %q, want fastupdate=off", opts)
		}
	})
}
