package store_test

import (
	"context"
	"strings"
	"testing"

	"hotline/internal/testenv"
)

// TestOrdersReanalysedSoon checks migration 0018: on PostgreSQL the orders
// table is re-analysed after 1% of it changes, so a word that floods the
// hotline (a mass complaint) does not keep a stale row estimate that makes
// the first search page fetch and sort every match.
func TestOrdersReanalysedSoon(t *testing.T) {
	st := openMigrated(t, testenv.PostgresURL(t))
	var opts string
	if err := st.DB().R.QueryRowContext(context.Background(),
		`SELECT COALESCE(array_to_string(reloptions, ','), '') FROM pg_class WHERE relname = 'orders'`).Scan(&opts); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"autovacuum_analyze_scale_factor=0.01", "autovacuum_analyze_threshold=500"} {
		if !strings.Contains(opts, want) {
			t.Errorf("orders reloptions %q lack %s", opts, want)
		}
	}
}
