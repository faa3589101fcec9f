package placedb

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"

	"hotline/internal/place"
	"hotline/internal/sqldb"
)

// NewHouseholdAt is one household of a bulk insert: the building (already
// read) and what the household is.
type NewHouseholdAt struct {
	Building place.Building
	place.NewHousehold
}

// bulkRows is how many rows one multi-row INSERT carries: far below
// SQLite's 32,766 and PostgreSQL's 65,535 bound parameters.
const bulkRows = 500

// InsertHouseholds writes many households inside the caller's write
// transaction with multi-row INSERTs and returns their ids in order. It is
// the demo's (and any bulk loader's) path: one statement per 500 rows
// instead of one round trip per household. Ids are reserved first
// (PostgreSQL from the identity sequence; SQLite after the largest id, its
// write lock being held by the transaction), so no RETURNING order is
// relied on.
func InsertHouseholds(ctx context.Context, db *sqldb.DB, tx *sql.Tx, hs []NewHouseholdAt, now time.Time) ([]int64, error) {
	ids, err := reserveIDs(ctx, db, tx, "households", len(hs))
	if err != nil {
		return nil, err
	}
	at := sqldb.Micros(now)
	for start := 0; start < len(hs); start += bulkRows {
		end := min(start+bulkRows, len(hs))
		var a []any
		var b strings.Builder
		b.WriteString(`INSERT INTO households (id, area, compound, building_no, building, unit_no, room, kind, updated_at, version) VALUES `)
		for i := start; i < end; i++ {
			h := hs[i]
			if i > start {
				b.WriteString(", ")
			}
			b.WriteString("(")
			for _, v := range []any{ids[i], h.Building.Area, h.Building.Compound, h.Building.Name, h.Building.Code, h.UnitNo, h.Room, string(h.Kind), at} {
				a = append(a, v)
				b.WriteString(placeholder(db.Dialect, len(a)) + ", ")
			}
			b.WriteString("1)")
		}
		if _, err := tx.ExecContext(ctx, b.String(), a...); err != nil {
			return nil, sqldb.MapErr(err)
		}
	}
	return ids, nil
}

// reserveIDs takes n ids of table inside a write transaction.
func reserveIDs(ctx context.Context, db *sqldb.DB, tx *sql.Tx, table string, n int) ([]int64, error) {
	ids := make([]int64, 0, n)
	if n == 0 {
		return ids, nil
	}
	if db.Dialect == sqldb.Postgres {
		rows, err := tx.QueryContext(ctx, `SELECT nextval(pg_get_serial_sequence('`+table+`', 'id')) FROM generate_series(1, $1)`, n)
		if err != nil {
			return nil, sqldb.MapErr(err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return nil, sqldb.MapErr(err)
			}
			ids = append(ids, id)
		}
		return ids, sqldb.MapErr(rows.Err())
	}
	var last int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM `+table).Scan(&last); err != nil {
		return nil, sqldb.MapErr(err)
	}
	for i := range n {
		ids = append(ids, last+1+int64(i))
	}
	return ids, nil
}

// Compounds lists an area's compounds by name ("" is every area).
func (s *Store) Compounds(ctx context.Context, area string) ([]place.Compound, error) {
	var a sqldb.Args
	q := `SELECT code, name, committee, geojson, lat, lng FROM compounds`
	if area != "" {
		q += ` WHERE committee = ` + a.Add(area)
	}
	return sqldb.Collect(ctx, s.db.R, q+` ORDER BY code`, a, func(sc sqldb.Scanner) (place.Compound, error) {
		var c place.Compound
		var lat, lng sql.NullFloat64
		err := sc.Scan(&c.Code, &c.Name, &c.Area, &c.GeoJSON, &lat, &lng)
		c.Lat, c.Lng = floatOf(lat), floatOf(lng)
		return c, err
	})
}

// placeholder is the n-th bound parameter: "?" on SQLite, whose lookup of
// numbered "$n" parameters is quadratic in their number, "$n" on
// PostgreSQL.
func placeholder(d sqldb.Dialect, n int) string {
	if d == sqldb.Postgres {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}

// PutBuildings creates or updates many buildings (floors, low-lying flag,
// point) inside the caller's transaction: a bulk loader's one commit
// instead of one per building.
func PutBuildings(ctx context.Context, db *sqldb.DB, tx *sql.Tx, bs []place.Building) error {
	for start := 0; start < len(bs); start += bulkRows {
		end := min(start+bulkRows, len(bs))
		var a []any
		var b strings.Builder
		b.WriteString(`INSERT INTO buildings (compound, number, floors, low_lying, lat, lng) VALUES `)
		for i := start; i < end; i++ {
			x := bs[i]
			if i > start {
				b.WriteString(", ")
			}
			var lat, lng any
			if x.Point != nil {
				lat, lng = x.Point.Lat, x.Point.Lng
			}
			b.WriteString("(")
			for j, v := range []any{x.Compound, x.Name, x.Floors, x.LowLying, lat, lng} {
				a = append(a, v)
				if j > 0 {
					b.WriteString(", ")
				}
				b.WriteString(placeholder(db.Dialect, len(a)))
			}
			b.WriteString(")")
		}
		b.WriteString(` ON CONFLICT (compound, number) DO UPDATE SET floors = excluded.floors, low_lying = excluded.low_lying, lat = excluded.lat, lng = excluded.lng`)
		if _, err := tx.ExecContext(ctx, b.String(), a...); err != nil {
			return sqldb.MapErr(err)
		}
	}
	return nil
}
