package campaignapi_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"hotline/internal/access"
	"hotline/internal/app/fieldtest"
	"hotline/internal/community/campaign"
	"hotline/internal/testenv"
)

// BenchmarkProgress reads a campaign's progress (by building and by
// collector) over 100,000 households, 60% of them visited, beside a
// baseline that only counts the campaign's households.
// HOTLINE_BENCH_DB=postgres for PostgreSQL.
func BenchmarkProgress(b *testing.B) {
	url := testenv.SQLiteURL(b)
	if os.Getenv("HOTLINE_BENCH_DB") == "postgres" {
		url = testenv.PostgresURL(b)
	}
	s := fieldtest.Start(b, url, true, nil)
	db := s.M.Store.DB()
	comp := fieldtest.BulkArea(b, db, "bench", 1000, 100, 0)
	ctx := context.Background()
	u := access.User{Username: "binyang", Role: access.RoleHandler, Unit: "binyang"}
	name := "普查"
	form := campaign.Form{Fields: []campaign.Field{{Code: "people", Label: "人数", Type: campaign.Number}}}
	var cols []campaign.Collector
	for i := range 20 { // 20 collectors of 50 buildings each
		var bs []string
		for j := 1; j <= 50; j++ {
			bs = append(bs, fmt.Sprintf("%s-%d", comp, i*50+j))
		}
		cols = append(cols, campaign.Collector{User: "volunteer", Buildings: bs})
		if i > 0 {
			cols[i].User = fmt.Sprintf("c%d", i)
			if _, err := s.M.Svc.CreateUser(ctx, cols[i].User, "demo12345", "volunteer", "binyang", cols[i].User); err != nil {
				b.Fatal(err)
			}
		}
	}
	c, err := s.M.Campaign.Create(ctx, u, campaign.Input{Name: &name, Form: &form, Scope: &campaign.Scope{Compounds: []string{comp}}, Collectors: &cols})
	if err != nil {
		b.Fatal(err)
	}
	if c.Households != 100000 {
		b.Fatalf("%d households", c.Households)
	}
	if _, err := db.W.ExecContext(ctx, fmt.Sprintf(`INSERT INTO campaign_latest (campaign_id, household, building, submission, outcome, collector, collected_at)
		SELECT campaign_id, household, building, household, CASE household %% 3 WHEN 0 THEN 'done' WHEN 1 THEN 'absent' ELSE 'refused' END, 'volunteer', %d
		FROM campaign_households WHERE campaign_id = $1 AND household %% 5 < 3`, time.Now().UnixMicro()), c.ID); err != nil {
		b.Fatal(err)
	}
	db.W.ExecContext(ctx, "ANALYZE")
	b.Run("progress", func(b *testing.B) {
		for b.Loop() {
			p, err := s.M.Campaign.Progress(ctx, u, c.ID)
			if err != nil || p.Total.Households != 100000 || p.Total.NotVisited != 40000 || len(p.ByCollector) != 20 {
				b.Fatalf("%+v %v", p.Total, err)
			}
		}
	})
	b.Run("count_baseline", func(b *testing.B) {
		for b.Loop() {
			var n int
			if err := db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM campaign_households WHERE campaign_id = $1", c.ID).Scan(&n); err != nil || n != 100000 {
				b.Fatal(n, err)
			}
		}
	})
}
