package main

import (
	"context"
	"testing"

	"hotline/internal/sqldb"
	"hotline/internal/testenv"
)

// `hotline migrate` creates the community modules' tables too (issue 16:
// emergencies and campaigns; patrols and meetings were left out until issue
// 13's template databases ran it), on both databases.
func TestMigrateCommunity(t *testing.T) {
	t.Parallel()
	testenv.ForEachDBParallel(t, func(t *testing.T, db string) {
		if code, out, errs := runCmd(t, "", "migrate", "--db", db); code != 0 {
			t.Fatalf("migrate: %d %s %s", code, out, errs)
		}
		d, err := sqldb.Open(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		for _, table := range []string{"emergency_checks", "emergency_ops", "campaign_submissions", "campaign_latest", "patrol_findings", "meetings"} {
			var n int
			if err := d.R.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
				t.Errorf("%s after migrate: %v", table, err)
			}
		}
	})
}
