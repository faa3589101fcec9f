package store_test

// BenchmarkCommonWord (issue 19, item 2): the first page (20) of a
// newest-first search (Filter.Unranked, what GET /api/v1/orders?q= does)
// for a word in every order but a few (300,000 matches by default,
// HOTLINE_BENCH_COMMON_ORDERS) beside a word in 30 orders spread over the
// same database. Target on SQLite: common p95 < 10 ms and <= 2x rare.
//
//	go test -run '^$' -bench CommonWord -benchtime 200x ./internal/store/
//
// HOTLINE_BENCH_SEARCH_KEEP=1 keeps the loaded databases (searchBenchDBs).

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"hotline/internal/order"
	"hotline/internal/store"
)

func BenchmarkCommonWord(b *testing.B) {
	n := 300000
	if v := os.Getenv("HOTLINE_BENCH_COMMON_ORDERS"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	const rare = 30
	searchBenchDBs(b, n+1, func(b *testing.B, url string) {
		ctx := context.Background()
		st := openMigrated(b, url)
		have, err := st.CountOrders(ctx)
		if err != nil {
			b.Fatal(err)
		}
		at := time.Date(2025, 1, 1, 8, 0, 0, 0, time.UTC)
		actor := order.Actor{Username: "operator", Role: order.RoleOperator}
		every := n / rare
		for done := have; done < n; {
			var batch []store.BulkOrder
			for ; done < n && len(batch) < 5000; done++ {
				in := order.NewOrder{Type: order.Complaint, Source: order.SourceHotline, Title: "工地夜间打桩噪音扰民",
					Description: "居民反映附近工地夜间打桩，噪音很大。", Caller: &order.Caller{Name: "测试市民", Phone: "13800001234"}}
				tokens := []string{"工地", "夜间", "打桩", "噪音", "扰民", "居民", "反映"}
				if done%every == every/2 { // 30 orders about a sunken manhole cover, spread evenly
					in.Title, in.Description = "井盖塌陷", "路口井盖塌陷，行人易摔倒。"
					tokens = []string{"井盖", "塌陷", "路口", "行人"}
				}
				at = at.Add(30 * time.Second)
				o, ev, err := in.Build(actor, order.CreateEnv{Now: at})
				if err != nil {
					b.Fatal(err)
				}
				batch = append(batch, store.BulkOrder{Order: o, Event: ev, Tokens: tokens})
			}
			if _, err := st.BulkCreateOrders(ctx, batch); err != nil {
				b.Fatal(err)
			}
		}
		for _, w := range []struct{ name, word string }{{"rare", "塌陷"}, {"common", "打桩"}} {
			f := store.Filter{Tokens: []string{w.word}, Limit: 20, Unranked: true}
			list, _, err := st.ListOrders(ctx, f)
			if err != nil {
				b.Fatal(err)
			}
			if want := min(20, map[string]int{"rare": rare, "common": n - rare}[w.name]); len(list) != want {
				b.Fatalf("%s: %d orders on the first page, want %d", w.name, len(list), want)
			}
			b.Run(w.name, func(b *testing.B) {
				lat := make([]time.Duration, 0, b.N)
				for b.Loop() {
					t0 := time.Now()
					if _, _, err := st.ListOrders(ctx, f); err != nil {
						b.Fatal(err)
					}
					lat = append(lat, time.Since(t0))
				}
				reportLatency(b, lat)
			})
		}
	})
}
