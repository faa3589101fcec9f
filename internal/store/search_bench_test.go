package store_test

// BenchmarkSearch measures a page of search results (50 orders) over
// HOTLINE_BENCH_SEARCH_ORDERS orders (default 100,000) made of the real
// Teddy messages (title and body, replayed), on SQLite and PostgreSQL:
// "ranked" is ListOrders with a query (any token matches, the newest
// DefaultRankWindow matches scored), "unranked" the baseline of the list
// before ranking (every token must match, newest first, Filter.Unranked).
//
//	HOTLINE_BENCH_SEARCH_ORDERS=100000 go test -run '^$' -bench Search -benchtime 120x ./internal/store/
//
// HOTLINE_BENCH_SEARCH_WINDOW sets Filter.RankWindow; HOTLINE_BENCH_SEARCH_KEEP=1
// keeps the loaded databases between runs; -v logs each query once.
//
// docs/benchmarks.md holds the figures.

import (
	"context"
	"database/sql"
	"encoding/csv"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"hotline/internal/order"
	"hotline/internal/store"
	"hotline/internal/testenv"
	"hotline/internal/textproc"
)

// benchQueries are what an operator types: a word, two words, a place and
// a problem, a whole title.
var benchQueries = []string{
	"噪音", "物业 收费", "三江小区 路灯", "油烟扰民", "小区停车位不足", "A市A3区房屋拆迁补偿标准问题",
}

func BenchmarkSearch(b *testing.B) {
	n := 100000
	if v := os.Getenv("HOTLINE_BENCH_SEARCH_ORDERS"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	dir := testenv.DataDir(b)
	type msg struct{ title, body string }
	var msgs []msg
	for _, f := range []string{"hotspot_messages_train.csv", "messages_labeled_train.csv"} {
		fh, err := os.Open(filepath.Join(dir, "teddy2020c", f))
		if err != nil {
			b.Fatal(err)
		}
		r := csv.NewReader(fh)
		r.FieldsPerRecord = -1
		rows, err := r.ReadAll()
		fh.Close()
		if err != nil {
			b.Fatal(err)
		}
		col := map[string]int{}
		for i, h := range rows[0] {
			col[h] = i
		}
		for _, row := range rows[1:] {
			body := []rune(row[col["留言详情"]])
			if len(body) > 300 {
				body = body[:300]
			}
			msgs = append(msgs, msg{row[col["留言主题"]], string(body)})
		}
	}
	window := 0 // store.DefaultRankWindow
	if v := os.Getenv("HOTLINE_BENCH_SEARCH_WINDOW"); v != "" {
		window, _ = strconv.Atoi(v)
	}
	seg := textproc.Default()
	tokens := make([][]string, len(msgs))
	for i, m := range msgs {
		tokens[i] = seg.SearchTokens(m.title + "\n" + m.body)
	}
	searchBenchDBs(b, n, func(b *testing.B, url string) {
		ctx := context.Background()
		st := openMigrated(b, url)
		have, err := st.CountOrders(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if have > 0 && have != n {
			b.Fatalf("the kept database holds %d orders, not %d", have, n)
		}
		if err := st.PutUnit(ctx, store.Unit{Code: "binyang", Name: "宾阳路居委会", Kind: "committee", Active: true}); err != nil {
			b.Fatal(err)
		}
		if err := st.PutCompound(ctx, store.Compound{Code: "sanjiang", Name: "三江小区", Committee: "binyang"}); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		at := time.Date(2025, 1, 1, 8, 0, 0, 0, time.UTC)
		actor := order.Actor{Username: "operator", Role: order.RoleOperator}
		for done := have; done < n; {
			var batch []store.BulkOrder
			for ; done < n && len(batch) < 5000; done++ {
				m := msgs[done%len(msgs)]
				in := order.NewOrder{Type: order.Complaint, Source: order.SourceHotline, Title: m.title, Description: m.body,
					Caller: &order.Caller{Name: "测试市民", Phone: "13800001234"}}
				if done%100 == 0 {
					in.Compound = "sanjiang"
				}
				at = at.Add(30 * time.Second)
				o, ev, err := in.Build(actor, order.CreateEnv{Now: at})
				if err != nil {
					b.Fatal(err)
				}
				batch = append(batch, store.BulkOrder{Order: o, Event: ev, Tokens: tokens[done%len(msgs)]})
			}
			if _, err := st.BulkCreateOrders(ctx, batch); err != nil {
				b.Fatal(err)
			}
		}
		if have == 0 {
			b.Logf("%d orders loaded in %s", n, time.Since(start).Round(time.Second))
		}
		// page2: the second page of a ranked search (the window is
		// rebuilt from the cursor); the first page is not timed.
		for _, mode := range []string{"unranked", "ranked", "ranked-page2"} {
			b.Run(mode, func(b *testing.B) {
				i := 0
				lat := make([]time.Duration, 0, b.N)
				for b.Loop() {
					q := benchQueries[i%len(benchQueries)]
					i++
					f := store.Filter{Tokens: seg.QueryTokens(q), Query: q, Limit: 50, Unranked: mode == "unranked", RankWindow: window}
					if mode == "ranked-page2" {
						b.StopTimer()
						_, next, err := st.ListOrders(ctx, f)
						if err != nil {
							b.Fatal(err)
						}
						f.Cursor = next
						b.StartTimer()
					}
					t0 := time.Now()
					if _, _, err := st.ListOrders(ctx, f); err != nil {
						b.Fatal(err)
					}
					lat = append(lat, time.Since(t0))
				}
				reportLatency(b, lat)
			})
		}
		// Per query, for the record: matches (any token) and latency.
		if testing.Verbose() {
			for _, q := range benchQueries {
				for _, unranked := range []bool{true, false} {
					f := store.Filter{Tokens: seg.QueryTokens(q), Query: q, Limit: 50, Unranked: unranked, RankWindow: window}
					t0 := time.Now()
					list, _, err := st.ListOrders(ctx, f)
					if err != nil {
						b.Fatal(err)
					}
					b.Logf("q=%s unranked=%v: %d on page 1, %s", q, unranked, len(list), time.Since(t0).Round(time.Microsecond))
				}
			}
		}
	})
}

// searchBenchDBs runs fn on SQLite and PostgreSQL databases. With
// HOTLINE_BENCH_SEARCH_KEEP=1 they are kept between runs (a file in the temp
// folder, a database on the test server, named by the order count), so the
// orders are loaded once; otherwise each run loads fresh ones.
func searchBenchDBs(b *testing.B, n int, fn func(b *testing.B, url string)) {
	if os.Getenv("HOTLINE_BENCH_SEARCH_KEEP") == "" {
		benchDBs(b, fn)
		return
	}
	b.Run("sqlite", func(b *testing.B) {
		fn(b, "sqlite:"+filepath.Join(os.TempDir(), "hotline-search-bench-"+strconv.Itoa(n)+".db"))
	})
	b.Run("postgres", func(b *testing.B) {
		base := os.Getenv(testenv.PGEnv)
		if base == "" {
			b.Skip("no " + testenv.PGEnv)
		}
		name := "hotline_search_bench_" + strconv.Itoa(n)
		admin, err := sql.Open("pgx", base)
		if err != nil {
			b.Fatal(err)
		}
		defer admin.Close()
		var exists bool
		if err := admin.QueryRow("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
			b.Fatal(err)
		}
		if !exists {
			if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
				b.Fatal(err)
			}
		}
		u, err := url.Parse(base)
		if err != nil {
			b.Fatal(err)
		}
		u.Path = "/" + name
		fn(b, u.String())
	})
}

// reportLatency reports the median and 95th percentile of the calls.
func reportLatency(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	s := append([]time.Duration(nil), lat...)
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	b.ReportMetric(float64(s[len(s)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(s[len(s)*95/100].Microseconds())/1000, "p95-ms")
}
