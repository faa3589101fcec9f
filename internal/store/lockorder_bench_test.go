package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hotline/internal/order"
	"hotline/internal/store"
	"hotline/internal/testenv"
)

// BenchmarkMixedCreates is issue 12's load at the store: 400 creates through
// the group commit and 100 feed creates (the single-order path), from 50
// goroutines at once, on PostgreSQL. It reports the creates refused (a
// deadlock victim is a 409 to its client) and the deadlocks PostgreSQL
// counted, per round of 500.
func BenchmarkMixedCreates(b *testing.B) {
	url := testenv.PostgresURL(b)
	st := openMigrated(b, url)
	ctx := context.Background()
	if err := st.PutFeedPlatform(ctx, store.FeedPlatform{Name: "shanghai", Secret: "plain:x", Active: true, UpdatedAt: time.Now()}); err != nil {
		b.Fatal(err)
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	deadlocks := func() int64 {
		var n int64
		if err := db.QueryRowContext(ctx, `SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()`).Scan(&n); err != nil {
			b.Fatal(err)
		}
		return n
	}
	d0 := deadlocks()
	var refused atomic.Int64
	seq := 0
	b.ResetTimer()
	for range b.N {
		var wg sync.WaitGroup
		for w := range 50 {
			wg.Add(1)
			base := seq + w*10
			go func() {
				defer wg.Done()
				for i := range 10 {
					k := base + i
					in := order.NewOrder{Type: order.Complaint, Source: order.SourceHotline, Title: fmt.Sprintf("小区门口路灯坏了 %d", k),
						Description: "居民反映宾阳路三江小区门口的路灯坏了三天，晚上很黑。"}
					feed := w%5 == 0
					if feed {
						in.Source, in.ExternalID = order.SourceCityPlatform, fmt.Sprintf("SH-%d", k)
					}
					o, ev, err := in.Build(order.Actor{Username: "operator", Role: order.RoleOperator}, order.CreateEnv{Now: time.Now()})
					if err != nil {
						b.Error(err)
						return
					}
					if feed {
						err = st.CreateFeedOrder(ctx, &o, ev, []string{"路灯"}, store.FeedLink{Platform: "shanghai", PlatformID: in.ExternalID})
					} else {
						err = st.CreateOrder(ctx, &o, ev, []string{"路灯"})
					}
					if err != nil {
						refused.Add(1)
					}
				}
			}()
		}
		wg.Wait()
		seq += 500
	}
	b.StopTimer()
	time.Sleep(1500 * time.Millisecond) // backends flush their statistics within a second or so
	b.ReportMetric(float64(refused.Load())/float64(b.N), "refused/op")
	b.ReportMetric(float64(deadlocks()-d0)/float64(b.N), "deadlocks/op")
}
