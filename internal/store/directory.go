package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"hotline/internal/org"
	"hotline/internal/place"
)

// The directory's types moved to domain packages (org, place) so the doors
// stop importing storage to name them; these aliases keep older callers
// compiling.
type (
	// Unit is org.Unit.
	Unit = org.Unit
	// Category is org.Category.
	Category = org.Category
	// Compound is place.OrderCompound.
	Compound = place.OrderCompound
	// Building is place.OrderBuilding.
	Building = place.OrderBuilding
)

// UnitKinds are the kinds of unit (org.UnitKinds).
var UnitKinds = org.UnitKinds

// PutUnit creates or updates a unit.
func (s *Store) PutUnit(ctx context.Context, u Unit) error {
	return s.settingsTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO units (code, name, name_en, kind, active) VALUES ($1,$2,$3,$4,$5)
		ON CONFLICT(code) DO UPDATE SET name=excluded.name, name_en=excluded.name_en, kind=excluded.kind, active=excluded.active`,
			u.Code, u.Name, u.NameEN, u.Kind, u.Active)
		return err
	})
}

// Units lists all units.
func (s *Store) Units(ctx context.Context) ([]Unit, error) {
	return collect(ctx, s.r, `SELECT code, name, name_en, kind, active FROM units ORDER BY
		CASE kind WHEN 'center' THEN 0 WHEN 'committee' THEN 1 ELSE 2 END, code`, nil, func(sc rowScanner) (Unit, error) {
		var u Unit
		err := sc.Scan(&u.Code, &u.Name, &u.NameEN, &u.Kind, &u.Active)
		return u, err
	})
}

// PutCategory creates or updates a category.
func (s *Store) PutCategory(ctx context.Context, c Category) error {
	attrs := string(c.Attributes)
	if attrs == "" {
		attrs = "[]"
	}
	return s.settingsTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO categories (code, name, name_en, parent, unit, attributes, keywords, sort, active)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)
		ON CONFLICT(code) DO UPDATE SET name=excluded.name, name_en=excluded.name_en, parent=excluded.parent, unit=excluded.unit,
		attributes=excluded.attributes, keywords=excluded.keywords, sort=excluded.sort, active=excluded.active`,
			c.Code, c.Name, c.NameEN, c.Parent, c.Unit, attrs, c.Keywords, c.Sort, c.Active)
		return err
	})
}

// Categories lists the catalogue, parents before children.
func (s *Store) Categories(ctx context.Context) ([]Category, error) {
	return collect(ctx, s.r, `SELECT code, name, name_en, parent, unit, attributes, keywords, sort, active
		FROM categories ORDER BY sort, code`, nil, func(sc rowScanner) (Category, error) {
		var c Category
		var attrs string
		err := sc.Scan(&c.Code, &c.Name, &c.NameEN, &c.Parent, &c.Unit, &attrs, &c.Keywords, &c.Sort, &c.Active)
		c.Attributes = json.RawMessage(attrs)
		return c, err
	})
}

// PutCompound creates or updates a compound.
func (s *Store) PutCompound(ctx context.Context, c Compound) error {
	return s.settingsTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO compounds (code, name, committee, geojson, lat, lng) VALUES ($1,$2,$3,$4,$5,$6)
		ON CONFLICT(code) DO UPDATE SET name=excluded.name, committee=excluded.committee, geojson=excluded.geojson, lat=excluded.lat, lng=excluded.lng`,
			c.Code, c.Name, c.Committee, c.GeoJSON, floatPtr(c.Lat), floatPtr(c.Lng))
		return err
	})
}

// PutBuilding creates or updates a building.
func (s *Store) PutBuilding(ctx context.Context, b Building) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO buildings (compound, number, floors, low_lying, lat, lng) VALUES ($1,$2,$3,$4,$5,$6)
		ON CONFLICT(compound, number) DO UPDATE SET floors=excluded.floors, low_lying=excluded.low_lying, lat=excluded.lat, lng=excluded.lng`,
		b.Compound, b.Number, b.Floors, b.LowLying, floatPtr(b.Lat), floatPtr(b.Lng))
	return mapErr(err)
}

// Compounds lists compounds, optionally of one committee.
func (s *Store) Compounds(ctx context.Context, committee string) ([]Compound, error) {
	q := `SELECT code, name, committee, geojson, lat, lng FROM compounds`
	var args []any
	if committee != "" {
		q += ` WHERE committee = $1`
		args = append(args, committee)
	}
	return collect(ctx, s.r, q+` ORDER BY code`, args, func(sc rowScanner) (Compound, error) {
		var c Compound
		var lat, lng sql.NullFloat64
		err := sc.Scan(&c.Code, &c.Name, &c.Committee, &c.GeoJSON, &lat, &lng)
		c.Lat, c.Lng = nullFloat(lat), nullFloat(lng)
		return c, err
	})
}

// Buildings lists the buildings of a compound.
func (s *Store) Buildings(ctx context.Context, compound string) ([]Building, error) {
	return collect(ctx, s.r, `SELECT compound, number, floors, low_lying, lat, lng FROM buildings WHERE compound=$1 ORDER BY number`,
		[]any{compound}, func(sc rowScanner) (Building, error) {
			var b Building
			var lat, lng sql.NullFloat64
			err := sc.Scan(&b.Compound, &b.Number, &b.Floors, &b.LowLying, &lat, &lng)
			b.Lat, b.Lng = nullFloat(lat), nullFloat(lng)
			return b, err
		})
}

// CountOrders returns how many orders are stored (demo seeding checks it).
func (s *Store) CountOrders(ctx context.Context) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM orders`).Scan(&n)
	return n, mapErr(err)
}

func floatPtr(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

func nullFloat(f sql.NullFloat64) *float64 {
	if !f.Valid {
		return nil
	}
	v := f.Float64
	return &v
}
