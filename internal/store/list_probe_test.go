package store_test

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"hotline/internal/order"
	"hotline/internal/store"
	"hotline/internal/testenv"
)

// TestNewestFirstSearchPages pages newest-first text searches through
// words of every density — in every order, in every other one, in five
// spread out, with and without a unit filter — and checks each page against
// the matches worked out here. On PostgreSQL the first try of every page
// is a walk of the newest orders before the cursor (listNewestProbe), which
// succeeds for the dense words and falls back to the planner's plan for
// the sparse ones and at the end of the dense ones: either way the pages
// must be the same, each match once, newest first.
func TestNewestFirstSearchPages(t *testing.T) {
	testenv.SkipUnderRace(t, "search pages checked against every match")
	testenv.ForEachDB(t, func(t *testing.T, url string) {
		t.Parallel() // own database; sqlite and postgres overlap
		ctx := context.Background()
		st := openMigrated(t, url)
		actor := order.Actor{Username: "operator", Role: order.RoleOperator}
		at := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
		const n = 700
		type row struct {
			tokens []string
			unit   string
		}
		rows := make([]row, n)
		var batch []store.BulkOrder
		for i := range n {
			r := row{tokens: []string{"噪音"}, unit: "unit-a"}
			if i%2 == 0 {
				r.tokens = append(r.tokens, "打桩")
			}
			if i%140 == 70 {
				r.tokens = append(r.tokens, "塌陷")
			}
			if i%3 == 0 {
				r.unit = "unit-b"
			}
			rows[i] = r
			at = at.Add(time.Minute)
			o, ev, err := order.NewOrder{Type: order.Complaint, Source: order.SourceHotline, Title: "测试工单" + strconv.Itoa(i),
				Description: "测试内容。"}.Build(actor, order.CreateEnv{Now: at})
			if err != nil {
				t.Fatal(err)
			}
			o.Unit = r.unit
			batch = append(batch, store.BulkOrder{Order: o, Event: ev, Tokens: r.tokens})
		}
		if _, err := st.BulkCreateOrders(ctx, batch); err != nil {
			t.Fatal(err)
		}
		// Ids grow with creation; map each created order to its row.
		all, _, err := st.ListOrders(ctx, store.Filter{Tokens: []string{"噪音"}, Limit: 200, Unranked: true})
		if err != nil || len(all) != 200 {
			t.Fatalf("first 200 of every order: %d, %v", len(all), err)
		}
		newest, _ := strconv.ParseInt(all[0].ID, 10, 64)
		idOf := func(i int) string { return strconv.FormatInt(newest-int64(n-1-i), 10) }
		for _, c := range []struct {
			word, unit string
			limit      int
		}{{"噪音", "", 50}, {"打桩", "", 20}, {"打桩", "unit-b", 20}, {"塌陷", "", 20}, {"塌陷", "unit-a", 3}, {"打桩", "", 200}} {
			var want []string
			for i := n - 1; i >= 0; i-- {
				if slices.Contains(rows[i].tokens, c.word) && (c.unit == "" || rows[i].unit == c.unit) {
					want = append(want, idOf(i))
				}
			}
			var got []string
			f := store.Filter{Tokens: []string{c.word}, Unit: c.unit, Limit: c.limit, Unranked: true}
			for pages := 0; ; pages++ {
				if pages > n {
					t.Fatalf("%s/%s: paging does not end", c.word, c.unit)
				}
				list, next, err := st.ListOrders(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				if len(list) > c.limit {
					t.Fatalf("%s/%s: %d on a page of %d", c.word, c.unit, len(list), c.limit)
				}
				for _, o := range list {
					got = append(got, o.ID)
				}
				if next == "" {
					break
				}
				f.Cursor = next
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s/%s (pages of %d): %d orders %v…, want %d %v…", c.word, c.unit, c.limit,
					len(got), got[:min(5, len(got))], len(want), want[:min(5, len(want))])
			}
		}
	})
}
