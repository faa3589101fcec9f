package store_test

// BenchmarkAuditViews (issue 19, item 3): eight concurrent unmasked views,
// each audited durably before its answer: "commit-each" is store.Audit (one
// transaction per view, as before), "group" is store.AuditDurable (the views
// waiting at a moment share the create committer's transaction).
//
//	go test -run '^$' -bench AuditViews -benchtime 2000x ./internal/store/

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"hotline/internal/store"
)

func BenchmarkAuditViews(b *testing.B) {
	benchDBs(b, func(b *testing.B, url string) {
		st := openMigrated(b, url)
		ctx := context.Background()
		var n atomic.Int64
		for _, mode := range []string{"commit-each", "group", "commit-each", "group"} {
			b.Run(mode, func(b *testing.B) {
				b.SetParallelism(4) // 8 clients on 2 CPUs
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						e := store.AuditEntry{At: time.Now(), Actor: "dispatcher", Action: "view_caller",
							Target: "order:" + strconv.FormatInt(n.Add(1), 10), Detail: "20261206000001"}
						var err error
						if mode == "group" {
							err = st.AuditDurable(ctx, e)
						} else {
							err = st.Audit(ctx, e)
						}
						if err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		}
	})
}
