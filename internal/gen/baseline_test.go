package gen_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"hotline/internal/gen"
	"hotline/internal/order"
	"hotline/internal/store"
	"hotline/internal/testenv"
)

// TestBaselineInsert writes more rows than one statement holds (so the
// prepared full-size statement and the shorter last one both run) and
// finds every row, on both databases.
func TestBaselineInsert(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, url string) {
		ctx := context.Background()
		st, err := store.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if err := st.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		now := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
		var batch []store.BulkOrder
		for i := 0; i < 450; i++ {
			o, ev, err := order.NewOrder{Type: order.Complaint, Source: order.SourceHotline, Urgency: order.Normal,
				Title: "路灯不亮 " + strconv.Itoa(i), Description: "小区门口路灯坏了"}.Build(order.Actor{Username: "operator", Role: order.RoleOperator}, order.CreateEnv{Now: now})
			if err != nil {
				t.Fatal(err)
			}
			batch = append(batch, store.BulkOrder{Order: o, Event: ev})
		}
		if err := gen.BaselineInsert(ctx, st.DB(), batch); err != nil {
			t.Fatal(err)
		}
		var n, maxID int
		if err := st.DB().R.QueryRowContext(ctx, "SELECT COUNT(*), MAX(id) FROM bulk_baseline").Scan(&n, &maxID); err != nil || n != 450 || maxID != 450 {
			t.Fatalf("bulk_baseline has %d rows, max id %d (%v); want 450", n, maxID, err)
		}
	})
}
