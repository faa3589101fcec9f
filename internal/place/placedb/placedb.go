// Package placedb is the SQL of places: compounds and buildings (tables of
// the orders' store, extended here with a building code) and households
// (this package's migration "place"). It implements what the registry's
// service needs of places, on SQLite and PostgreSQL alike.
package placedb

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"strconv"
	"time"

	"hotline/internal/apperr"
	"hotline/internal/place"
	"hotline/internal/sqldb"
)

//go:embed migrations
var migrations embed.FS

// Migrations are the "place" module's schema files (migrations/<dialect>/).
func Migrations() fs.FS {
	sub, _ := fs.Sub(migrations, "migrations")
	return sub
}

// Store reads and writes places.
type Store struct{ db *sqldb.DB }

// New returns a Store over db.
func New(db *sqldb.DB) *Store { return &Store{db: db} }

// Migrate applies the place migrations (after the orders' store migrated).
func (s *Store) Migrate(ctx context.Context) error {
	return s.db.Migrate(ctx, "place", Migrations())
}

// HasHouseholds reports whether any household is registered (the demo
// loads its registry only into an empty one).
func HasHouseholds(ctx context.Context, q sqldb.Querier) (bool, error) {
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM households LIMIT 1`).Scan(&one)
	if err == sql.ErrNoRows {
		return false, nil
	}
	return err == nil, sqldb.MapErr(err)
}

// Compound returns one compound.
func (s *Store) Compound(ctx context.Context, code string) (place.Compound, error) {
	var c place.Compound
	var lat, lng sql.NullFloat64
	err := s.db.R.QueryRowContext(ctx, `SELECT code, name, committee, geojson, lat, lng FROM compounds WHERE code = $1`, code).
		Scan(&c.Code, &c.Name, &c.Area, &c.GeoJSON, &lat, &lng)
	if err != nil {
		if err == sql.ErrNoRows {
			return c, apperr.New(apperr.NotFound, "no compound %q", code)
		}
		return c, sqldb.MapErr(err)
	}
	c.Lat, c.Lng = floatOf(lat), floatOf(lng)
	return c, nil
}

func floatOf(v sql.NullFloat64) *float64 {
	if !v.Valid {
		return nil
	}
	return &v.Float64
}

const buildingCols = `b.code, b.number, b.compound, c.committee, b.floors, b.low_lying, b.lat, b.lng`

func scanBuilding(sc sqldb.Scanner) (place.Building, error) {
	var b place.Building
	var lat, lng sql.NullFloat64
	if err := sc.Scan(&b.Code, &b.Name, &b.Compound, &b.Area, &b.Floors, &b.LowLying, &lat, &lng); err != nil {
		return b, err
	}
	if lat.Valid && lng.Valid {
		b.Point = &place.Point{Lat: lat.Float64, Lng: lng.Float64}
	}
	return b, nil
}

// Buildings lists a compound's buildings by code.
func (s *Store) Buildings(ctx context.Context, compound string) ([]place.Building, error) {
	return sqldb.Collect(ctx, s.db.R, `SELECT `+buildingCols+` FROM buildings b JOIN compounds c ON c.code = b.compound
		WHERE b.compound = $1 ORDER BY length(b.number), b.number`, []any{compound}, scanBuilding)
}

// Building returns one building by its code.
func (s *Store) Building(ctx context.Context, code string) (place.Building, error) {
	b, err := scanBuilding(s.db.R.QueryRowContext(ctx, `SELECT `+buildingCols+` FROM buildings b JOIN compounds c ON c.code = b.compound
		WHERE b.code = $1`, code))
	if err == sql.ErrNoRows {
		return b, apperr.New(apperr.NotFound, "no building %q", code)
	}
	return b, sqldb.MapErr(err)
}

// UpdateBuilding applies an edit (only the fields it carries) and returns
// the building as stored.
func (s *Store) UpdateBuilding(ctx context.Context, code string, e place.BuildingEdit) (place.Building, error) {
	var a sqldb.Args
	set := ""
	add := func(col string, v any) {
		if set != "" {
			set += ", "
		}
		set += col + " = " + a.Add(v)
	}
	if e.Floors != nil {
		add("floors", *e.Floors)
	}
	if e.LowLying != nil {
		add("low_lying", *e.LowLying)
	}
	if e.Point != nil {
		add("lat", e.Point.Lat)
		add("lng", e.Point.Lng)
	}
	if set != "" {
		res, err := s.db.W.ExecContext(ctx, `UPDATE buildings SET `+set+` WHERE code = `+a.Add(code), a...)
		if err != nil {
			return place.Building{}, sqldb.MapErr(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return place.Building{}, apperr.New(apperr.NotFound, "no building %q", code)
		}
	}
	return s.Building(ctx, code)
}

const householdCols = `id, building, unit_no, room, kind, compound, area, version`

func scanHousehold(sc sqldb.Scanner) (place.Household, error) {
	var h place.Household
	var id int64
	err := sc.Scan(&id, &h.Building, &h.UnitNo, &h.Room, &h.Kind, &h.Compound, &h.Area, &h.Version)
	h.ID = strconv.FormatInt(id, 10)
	return h, err
}

// Households lists households in id order after the cursor.
func (s *Store) Households(ctx context.Context, f place.HouseholdFilter) ([]place.Household, error) {
	var a sqldb.Args
	q := `SELECT ` + householdCols + ` FROM households WHERE id > ` + a.Add(f.AfterID)
	if f.Area != "" {
		q += ` AND area = ` + a.Add(f.Area)
	}
	if f.Compound != "" {
		q += ` AND compound = ` + a.Add(f.Compound)
	}
	if f.Building != "" {
		q += ` AND building = ` + a.Add(f.Building)
	}
	q += ` ORDER BY id LIMIT ` + a.Add(f.Limit)
	return sqldb.Collect(ctx, s.db.R, q, a, scanHousehold)
}

// Household returns one household.
func (s *Store) Household(ctx context.Context, id int64) (place.Household, error) {
	h, err := scanHousehold(s.db.R.QueryRowContext(ctx, `SELECT `+householdCols+` FROM households WHERE id = $1`, id))
	if err == sql.ErrNoRows {
		return h, apperr.New(apperr.NotFound, "no household %d", id)
	}
	return h, sqldb.MapErr(err)
}

// CreateHousehold adds a household to building b (already read and
// checked by the caller). The same unit and room twice is a conflict.
func (s *Store) CreateHousehold(ctx context.Context, b place.Building, n place.NewHousehold) (place.Household, error) {
	return InsertHousehold(ctx, s.db.W, b, n, time.Now())
}

// InsertHousehold is CreateHousehold inside a caller's transaction (the
// registry's import creates households and residents in one).
func InsertHousehold(ctx context.Context, q sqldb.Querier, b place.Building, n place.NewHousehold, now time.Time) (place.Household, error) {
	h, err := scanHousehold(q.QueryRowContext(ctx, `INSERT INTO households (area, compound, building_no, building, unit_no, room, kind, version, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8) RETURNING `+householdCols,
		b.Area, b.Compound, b.Name, b.Code, n.UnitNo, n.Room, string(n.Kind), sqldb.Micros(now)))
	if err != nil {
		if sqldb.IsUnique(err) {
			return h, apperr.New(apperr.Conflict, "building %s already has unit %q room %q", b.Code, n.UnitNo, n.Room)
		}
		return h, sqldb.MapErr(err)
	}
	return h, nil
}

// UpdateHousehold applies an edit (already checked) to household id if it
// is still at e.Version, audited in the same transaction. Another
// household of the building with the same unit and room is a conflict.
func (s *Store) UpdateHousehold(ctx context.Context, id int64, e place.HouseholdEdit, actor string) (place.Household, error) {
	var h place.Household
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		h, err = scanHousehold(tx.QueryRowContext(ctx, `UPDATE households SET unit_no = $1, room = $2, kind = $3, version = version + 1, updated_at = $4
			WHERE id = $5 AND version = $6 RETURNING `+householdCols, e.UnitNo, e.Room, string(e.Kind), sqldb.Micros(time.Now()), id, e.Version))
		if err == sql.ErrNoRows {
			cur, err := scanHousehold(tx.QueryRowContext(ctx, `SELECT `+householdCols+` FROM households WHERE id = $1`, id))
			if err == sql.ErrNoRows {
				return apperr.New(apperr.NotFound, "no household %d", id)
			} else if err != nil {
				return sqldb.MapErr(err)
			}
			return apperr.New(apperr.Conflict, "someone else changed this household (version %d, yours %d); reload and try again", cur.Version, e.Version)
		}
		if err != nil {
			if sqldb.IsUnique(err) {
				return apperr.New(apperr.Conflict, "this building already has unit %q room %q", e.UnitNo, e.Room)
			}
			return sqldb.MapErr(err)
		}
		return sqldb.Audit(ctx, tx, actor, "household.update", "household:"+h.ID, fmt.Sprintf("unit_no=%s room=%s kind=%s", e.UnitNo, e.Room, e.Kind))
	})
	return h, err
}
