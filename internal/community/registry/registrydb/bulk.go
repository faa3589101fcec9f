package registrydb

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"time"

	"hotline/internal/apperr"
	"hotline/internal/community/registry"
	"hotline/internal/sqldb"
)

// Placed is a resident of a bulk insert with where its household is (area,
// compound and building code, copied onto the row as Insert does), so a
// bulk loader that just wrote the households need not read them back.
type Placed struct {
	registry.Person
	Area, Compound, Building string
}

// bulkRows is how many residents one multi-row INSERT carries (22 bound
// values each: far below either database's limit).
const bulkRows = 500

// InsertMany writes many residents inside the caller's write transaction:
// ids reserved at once (NextIDs), every personal field sealed and indexed
// exactly as Insert does (bound to its row and column), then one INSERT per
// 500 rows. It writes no audit row per resident: the caller audits the
// load as a whole. It returns the ids in order.
func (s *Store) InsertMany(ctx context.Context, tx *sql.Tx, ps []Placed, now time.Time) ([]int64, error) {
	ids, err := s.NextIDs(ctx, tx, len(ps))
	if err != nil {
		return nil, err
	}
	at, key := sqldb.Micros(now), int64(s.keys.PrimaryID())
	for start := 0; start < len(ps); start += bulkRows {
		end := min(start+bulkRows, len(ps))
		var a []any
		var b strings.Builder
		b.WriteString(`INSERT INTO residents (id, household, area, compound, building, name, gender, birth_date, relation, residence,
		tags, status, id_number, id_number_ix, id_number_mask, phone, phone_ix, phone_mask, notes, key_id, updated_at, version) VALUES `)
		for i := start; i < end; i++ {
			p, id := ps[i], ids[i]
			idn, err := s.seal(s.keys, registry.FieldIDNumber, id, p.IDNumber)
			if err != nil {
				return nil, err
			}
			ph, err := s.seal(s.keys, registry.FieldPhone, id, p.Phone)
			if err != nil {
				return nil, err
			}
			nt, err := s.seal(s.keys, registry.FieldNotes, id, p.Notes)
			if err != nil {
				return nil, err
			}
			if i > start {
				b.WriteString(", ")
			}
			vals := []any{id, p.Household, p.Area, p.Compound, p.Building, p.Name, p.Gender, p.BirthDate, p.Relation, p.Residence,
				p.Tags, string(p.Status), idn, s.index(IndexIDNumber, p.IDNumber), registry.MaskIDNumber(p.IDNumber),
				ph, s.index(IndexPhone, p.Phone), registry.MaskPhone(p.Phone), nt, key}
			b.WriteString("(")
			for _, v := range append(vals, at) {
				a = append(a, v)
				b.WriteString(placeholder(s.db.Dialect, len(a)) + ", ")
			}
			b.WriteString("1)")
		}
		if _, err := tx.ExecContext(ctx, b.String(), a...); err != nil {
			if sqldb.IsUnique(err) {
				return nil, apperr.Field("id_number", "two residents of one area with the same ID number")
			}
			return nil, sqldb.MapErr(err)
		}
	}
	return ids, nil
}

// placeholder is the n-th bound parameter: "?" on SQLite, whose lookup of
// numbered "$n" parameters is quadratic in their number (a 500-row insert
// spent most of its time there), "$n" on PostgreSQL.
func placeholder(d sqldb.Dialect, n int) string {
	if d == sqldb.Postgres {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}
