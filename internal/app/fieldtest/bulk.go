package fieldtest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"hotline/internal/sqldb"
)

// BulkArea fills a new compound of the demo's binyang area with generated
// places and people straight in SQL (a benchmark's fast path, not how the
// product writes): buildings × households × residents per household, a
// quarter of the residents care-tagged (elderly_alone), every building
// low-lying. Names are 居民 and a number; no ID numbers or phones. It
// returns the compound's code.
func BulkArea(t testing.TB, db *sqldb.DB, compound string, buildings, households, residents int) string {
	t.Helper()
	ctx := context.Background()
	series := func(n int) string {
		return fmt.Sprintf("WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < %d) ", n)
	}
	now := time.Now().UnixMicro()
	steps := []string{
		fmt.Sprintf("INSERT INTO compounds (code, name, committee, geojson) VALUES ('%s', '压测小区', 'binyang', '')", compound),
		series(buildings) + fmt.Sprintf("INSERT INTO buildings (compound, number, floors, low_lying) SELECT '%s', n || '号楼', 6, TRUE FROM s", compound),
		series(households) + fmt.Sprintf(`INSERT INTO households (area, compound, building_no, building, unit_no, room, kind, version, updated_at)
			SELECT 'binyang', b.compound, b.number, b.code, '', CAST(s.n AS TEXT), 'residential', 1, %d FROM buildings b CROSS JOIN s WHERE b.compound = '%s'`, now, compound),
		series(residents) + fmt.Sprintf(`INSERT INTO residents (household, area, compound, building, name, gender, relation, residence, tags, status, key_id, version, updated_at)
			SELECT h.id, h.area, h.compound, h.building, '居民' || h.id || '-' || s.n, 'f', 'head', 'registered',
				CASE WHEN (h.id + s.n) %% 4 = 0 THEN 1 ELSE 0 END, 'active', 0, 1, %d FROM households h CROSS JOIN s WHERE h.compound = '%s'`, now, compound),
	}
	if residents == 0 {
		steps = steps[:3]
	}
	for _, q := range steps {
		if _, err := db.W.ExecContext(ctx, q); err != nil {
			t.Fatalf("bulk: %v\n%s", err, q)
		}
	}
	if _, err := db.W.ExecContext(ctx, "ANALYZE"); err != nil {
		t.Fatal(err)
	}
	return compound
}
