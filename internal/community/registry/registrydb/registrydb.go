// Package registrydb is the residents' SQL on SQLite and PostgreSQL, and
// the one place their personal fields are sealed and opened (internal/seal):
// the associated data of each sealed value is its table, column and row id
// ("residents.phone:42"), so a ciphertext copied to another row or column
// does not open. Lists read the stored masks and never decrypt.
package registrydb

import (
	"context"
	"database/sql"
	"embed"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"hotline/internal/access"
	"hotline/internal/apperr"
	"hotline/internal/community/registry"
	"hotline/internal/seal"
	"hotline/internal/sqldb"
)

//go:embed migrations
var migrations embed.FS

// Migrations are the "registry" module's schema files.
func Migrations() fs.FS {
	sub, _ := fs.Sub(migrations, "migrations")
	return sub
}

// Blind-index domains: one per field, so the index of a phone can never
// be matched against an ID number's.
const (
	IndexIDNumber = "residents.id_number"
	IndexPhone    = "residents.phone"
)

// Store keeps residents. It needs the data key: there is no plaintext
// fallback.
type Store struct {
	db   *sqldb.DB
	keys *seal.Keys
}

// New returns a Store; keys must not be nil.
func New(db *sqldb.DB, keys *seal.Keys) (*Store, error) {
	if keys == nil {
		return nil, seal.ErrNoKey
	}
	return &Store{db: db, keys: keys}, nil
}

// Migrate applies the registry's migrations (after places').
func (s *Store) Migrate(ctx context.Context) error {
	return s.db.Migrate(ctx, "registry", Migrations())
}

// DB is the database the store writes (for the import, which shares its
// transaction).
func (s *Store) DB() *sqldb.DB { return s.db }

// Keys are the data keys.
func (s *Store) Keys() *seal.Keys { return s.keys }

func aad(field string, id int64) []byte {
	return []byte("residents." + field + ":" + strconv.FormatInt(id, 10))
}

// seal seals a non-empty value for row id; "" is stored as NULL.
func (s *Store) seal(k *seal.Keys, field string, id int64, v string) ([]byte, error) {
	if v == "" {
		return nil, nil
	}
	ct, err := k.Seal([]byte(v), aad(field, id))
	if err != nil {
		return nil, apperr.Wrap(err, "seal %s", field)
	}
	return ct, nil
}

func (s *Store) index(domain, v string) []byte {
	if v == "" {
		return nil
	}
	return s.keys.Index(domain, v)
}

const cols = `id, household, building, compound, area, name, gender, birth_date, id_number_mask, phone_mask,
	relation, residence, tags, notes IS NOT NULL, status, version, updated_at`

func scan(sc sqldb.Scanner) (registry.Resident, error) {
	var r registry.Resident
	var id, hh, tags, at int64
	var hasNotes bool
	err := sc.Scan(&id, &hh, &r.Building, &r.Compound, &r.Area, &r.Name, &r.Gender, &r.BirthDate, &r.IDNumber, &r.Phone,
		&r.Relation, &r.Residence, &tags, &hasNotes, &r.Status, &r.Version, &at)
	r.ID, r.Household = strconv.FormatInt(id, 10), strconv.FormatInt(hh, 10)
	r.CareTags = registry.TagsOf(tags)
	if hasNotes {
		r.Notes = registry.NotesMask
	}
	r.UpdatedAt = sqldb.FromMicros(at)
	return r, err
}

// Resident reads one resident, masked.
func (s *Store) Resident(ctx context.Context, id int64) (registry.Resident, error) {
	return s.resident(ctx, s.db.R, id)
}

func (s *Store) resident(ctx context.Context, q sqldb.Querier, id int64) (registry.Resident, error) {
	r, err := scan(q.QueryRowContext(ctx, `SELECT `+cols+` FROM residents WHERE id = $1`, id))
	if err == sql.ErrNoRows {
		return r, apperr.New(apperr.NotFound, "no resident %d", id)
	}
	return r, sqldb.MapErr(err)
}

// Residents lists residents in id order after the cursor.
func (s *Store) Residents(ctx context.Context, f registry.Filter) ([]registry.Resident, error) {
	var a sqldb.Args
	q := `SELECT ` + cols + ` FROM residents WHERE id > ` + a.Add(f.AfterID)
	if !f.Scope.All {
		q += ` AND area = ` + a.Add(f.Scope.Area)
	}
	if f.Compound != "" {
		q += ` AND compound = ` + a.Add(f.Compound)
	}
	if f.Building != "" {
		q += ` AND building = ` + a.Add(f.Building)
	}
	if f.Household != 0 {
		q += ` AND household = ` + a.Add(f.Household)
	}
	if f.Tags != 0 {
		// "tags <> 0" lets the planner use the partial care index.
		p := a.Add(f.Tags)
		q += ` AND tags <> 0 AND (tags & ` + p + `) = ` + p
	}
	if f.Status != "" {
		q += ` AND status = ` + a.Add(string(f.Status))
	}
	if f.Name != "" {
		q += ` AND name >= ` + a.Add(f.Name) + ` AND name < ` + a.Add(f.Name+"\U0010FFFF")
	}
	if f.IDNumber != "" {
		q += ` AND id_number_ix = ` + a.Add(s.keys.Index(IndexIDNumber, f.IDNumber))
	}
	if f.Phone != "" {
		q += ` AND phone_ix = ` + a.Add(s.keys.Index(IndexPhone, f.Phone))
	}
	q += ` ORDER BY id LIMIT ` + a.Add(f.Limit)
	out, err := sqldb.Collect(ctx, s.db.R, q, a, scan)
	if out == nil {
		out = []registry.Resident{}
	}
	return out, err
}

// NextIDs reserves n resident ids inside a write transaction: PostgreSQL
// from the identity sequence, SQLite after the largest id (its write lock
// is held from BEGIN, so nobody else can take them). Ids are known before
// the insert because every sealed value is bound to its row id.
func (s *Store) NextIDs(ctx context.Context, tx *sql.Tx, n int) ([]int64, error) {
	ids := make([]int64, 0, n)
	if s.db.Dialect == sqldb.Postgres {
		rows, err := tx.QueryContext(ctx, `SELECT nextval(pg_get_serial_sequence('residents', 'id')) FROM generate_series(1, $1)`, n)
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
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM residents`).Scan(&last); err != nil {
		return nil, sqldb.MapErr(err)
	}
	for i := range n {
		ids = append(ids, last+1+int64(i))
	}
	return ids, nil
}

// place is where a household is: copied onto its residents.
type located struct{ area, compound, building string }

func householdPlace(ctx context.Context, q sqldb.Querier, hh int64) (located, error) {
	var p located
	err := q.QueryRowContext(ctx, `SELECT area, compound, building FROM households WHERE id = $1`, hh).Scan(&p.area, &p.compound, &p.building)
	if err == sql.ErrNoRows {
		return p, apperr.Field("household", "no household with this id")
	}
	return p, sqldb.MapErr(err)
}

// Insert writes a new resident with id (from NextIDs) inside tx.
func (s *Store) Insert(ctx context.Context, tx *sql.Tx, id int64, p registry.Person, now time.Time) error {
	where, err := householdPlace(ctx, tx, p.Household)
	if err != nil {
		return err
	}
	return s.insertBatch(ctx, tx, []newRow{{id: id, p: p, at: where}}, now)
}

// newRow is a resident to insert: its id, what it is, where it lives.
type newRow struct {
	id int64
	p  registry.Person
	at located
}

// insertCols are the columns insertBatch writes, version and updated_at
// last.
const insertCols = `id, household, area, compound, building, name, gender, birth_date, relation, residence,
	tags, status, id_number, id_number_ix, id_number_mask, phone, phone_ix, phone_mask, notes, key_id, version, updated_at`

// batchRows is how many residents one INSERT statement carries: 22
// parameters each stays far below both engines' limits, and a 10,000-row
// import is 25 round trips instead of 10,000.
const batchRows = 400

// insertBatch seals and inserts residents, batchRows per statement. A
// duplicate ID number in an area is a field error.
func (s *Store) insertBatch(ctx context.Context, tx *sql.Tx, rows []newRow, now time.Time) error {
	keyID := int64(s.keys.PrimaryID())
	for len(rows) > 0 {
		chunk := rows[:min(batchRows, len(rows))]
		rows = rows[len(chunk):]
		a := placeholders{positional: s.db.Dialect == sqldb.SQLite}
		var q strings.Builder
		q.WriteString(`INSERT INTO residents (` + insertCols + `) VALUES `)
		for i, r := range chunk {
			p := r.p
			var sealed [3][]byte
			for j, v := range [3]string{p.IDNumber, p.Phone, p.Notes} {
				var err error
				if sealed[j], err = s.seal(s.keys, registry.SealedFields[j], r.id, v); err != nil {
					return err
				}
			}
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(")
			for j, v := range []any{r.id, p.Household, r.at.area, r.at.compound, r.at.building, p.Name, p.Gender, p.BirthDate, p.Relation, p.Residence,
				p.Tags, string(p.Status), sealed[0], s.index(IndexIDNumber, p.IDNumber), registry.MaskIDNumber(p.IDNumber),
				sealed[1], s.index(IndexPhone, p.Phone), registry.MaskPhone(p.Phone), sealed[2], keyID, int64(1), sqldb.Micros(now)} {
				if j > 0 {
					q.WriteString(", ")
				}
				q.WriteString(a.Add(v))
			}
			q.WriteString(")")
		}
		_, err := tx.ExecContext(ctx, q.String(), a.args...)
		if sqldb.IsUnique(err) {
			return apperr.Field("id_number", "a resident with this ID number is already registered in this area")
		}
		if err != nil {
			return sqldb.MapErr(err)
		}
	}
	return nil
}

// Create registers a resident (audited) and returns it masked.
func (s *Store) Create(ctx context.Context, p registry.Person, actor string) (registry.Resident, error) {
	var r registry.Resident
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		ids, err := s.NextIDs(ctx, tx, 1)
		if err != nil {
			return err
		}
		if err := s.Insert(ctx, tx, ids[0], p, time.Now()); err != nil {
			return err
		}
		if err := sqldb.Audit(ctx, tx, actor, "resident.create", target(ids[0]), ""); err != nil {
			return err
		}
		r, err = s.resident(ctx, tx, ids[0])
		return err
	})
	return r, err
}

func target(id int64) string { return "resident:" + strconv.FormatInt(id, 10) }

// Update writes c over resident id (see registry.Store).
func (s *Store) Update(ctx context.Context, id, version int64, c registry.Change, actor, action string) (registry.Resident, error) {
	var r registry.Resident
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.UpdateTx(ctx, tx, id, version, c, time.Now()); err != nil {
			return err
		}
		if err := sqldb.Audit(ctx, tx, actor, action, target(id), ""); err != nil {
			return err
		}
		var err error
		r, err = s.resident(ctx, tx, id)
		return err
	})
	return r, err
}

// UpdateTx is Update inside the caller's transaction, without audit.
func (s *Store) UpdateTx(ctx context.Context, tx *sql.Tx, id, version int64, c registry.Change, now time.Time) error {
	var cur int64
	if err := tx.QueryRowContext(ctx, `SELECT version FROM residents WHERE id = $1`+s.db.ForUpdate(), id).Scan(&cur); err != nil {
		if err == sql.ErrNoRows {
			return apperr.New(apperr.NotFound, "no resident %d", id)
		}
		return sqldb.MapErr(err)
	}
	if version != 0 && version != cur {
		return apperr.New(apperr.Conflict, "someone else changed this resident (version %d, yours %d); reload and try again", cur, version).Because(apperr.ReasonStale)
	}
	where, err := householdPlace(ctx, tx, c.Household)
	if err != nil {
		return err
	}
	var a sqldb.Args
	set := `household = ` + a.Add(c.Household) + `, area = ` + a.Add(where.area) + `, compound = ` + a.Add(where.compound) +
		`, building = ` + a.Add(where.building) + `, name = ` + a.Add(c.Name) + `, gender = ` + a.Add(c.Gender) +
		`, birth_date = ` + a.Add(c.BirthDate) + `, relation = ` + a.Add(c.Relation) + `, residence = ` + a.Add(c.Residence) +
		`, tags = ` + a.Add(c.Tags) + `, status = ` + a.Add(string(c.Status)) + `, version = version + 1, updated_at = ` + a.Add(sqldb.Micros(now))
	if c.SetIDNumber || c.SetPhone || c.SetNotes {
		// A row is sealed under one key: re-seal all three under today's
		// primary so key_id stays true.
		idn, ph, nt := c.IDNumber, c.Phone, c.Notes
		var err error
		if !c.SetIDNumber {
			if idn, err = s.OpenTx(ctx, tx, id, registry.FieldIDNumber); err != nil {
				return err
			}
		}
		if !c.SetPhone {
			if ph, err = s.OpenTx(ctx, tx, id, registry.FieldPhone); err != nil {
				return err
			}
		}
		if !c.SetNotes {
			if nt, err = s.OpenTx(ctx, tx, id, registry.FieldNotes); err != nil {
				return err
			}
		}
		// The key id is read before sealing: should a rotation land in
		// between, the row is marked older than it is and merely re-sealed
		// once more, never marked current while under an older key.
		keyID := int64(s.keys.PrimaryID())
		sealed := [3][]byte{}
		for i, fv := range [3][2]string{{registry.FieldIDNumber, idn}, {registry.FieldPhone, ph}, {registry.FieldNotes, nt}} {
			if sealed[i], err = s.seal(s.keys, fv[0], id, fv[1]); err != nil {
				return err
			}
		}
		set += `, id_number = ` + a.Add(sealed[0]) + `, id_number_ix = ` + a.Add(s.index(IndexIDNumber, idn)) + `, id_number_mask = ` + a.Add(registry.MaskIDNumber(idn)) +
			`, phone = ` + a.Add(sealed[1]) + `, phone_ix = ` + a.Add(s.index(IndexPhone, ph)) + `, phone_mask = ` + a.Add(registry.MaskPhone(ph)) +
			`, notes = ` + a.Add(sealed[2]) + `, key_id = ` + a.Add(keyID)
	}
	_, err = tx.ExecContext(ctx, `UPDATE residents SET `+set+` WHERE id = `+a.Add(id), a...)
	if sqldb.IsUnique(err) {
		return apperr.Field("id_number", "a resident with this ID number is already registered in this area")
	}
	return sqldb.MapErr(err)
}

func column(field string) (string, error) {
	switch field {
	case registry.FieldIDNumber, registry.FieldPhone, registry.FieldNotes:
		return field, nil
	}
	return "", apperr.Field("field", "one of id_number, phone, notes")
}

// OpenTx opens a sealed field of a row ("" when it has none).
func (s *Store) OpenTx(ctx context.Context, q sqldb.Querier, id int64, field string) (string, error) {
	col, err := column(field)
	if err != nil {
		return "", err
	}
	var ct []byte
	if err := q.QueryRowContext(ctx, `SELECT `+col+` FROM residents WHERE id = $1`, id).Scan(&ct); err != nil {
		if err == sql.ErrNoRows {
			return "", apperr.New(apperr.NotFound, "no resident %d", id)
		}
		return "", sqldb.MapErr(err)
	}
	return s.open(field, id, ct)
}

func (s *Store) open(field string, id int64, ct []byte) (string, error) {
	if len(ct) == 0 {
		return "", nil
	}
	pt, err := s.keys.Open(ct, aad(field, id))
	if err != nil {
		return "", apperr.Wrap(err, "open resident %d's %s", id, field)
	}
	return string(pt), nil
}

// Open returns a sealed field in the clear (no audit; for checks).
func (s *Store) Open(ctx context.Context, id int64, field string) (string, error) {
	return s.OpenTx(ctx, s.db.R, id, field)
}

// Reveal opens a field and audits it in one transaction: the value is
// returned only once the audit row is committed.
func (s *Store) Reveal(ctx context.Context, id int64, field, actor, reason string) (string, error) {
	var v string
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if v, err = s.OpenTx(ctx, tx, id, field); err != nil {
			return err
		}
		return sqldb.Audit(ctx, tx, actor, "resident.reveal", target(id), "field="+field+" reason="+reason)
	})
	return v, err
}

// Summary counts places and active residents of a scope.
func (s *Store) Summary(ctx context.Context, sc access.Scope) (registry.Summary, error) {
	sum := registry.Summary{ByTag: map[registry.CareTag]int{}}
	for _, t := range registry.CareTags {
		sum.ByTag[t] = 0
	}
	var a sqldb.Args
	areaIs := func(col string) string {
		if sc.All {
			return ""
		}
		return ` AND ` + col + ` = $1`
	}
	if !sc.All {
		a.Add(sc.Area)
	}
	var low sql.NullInt64
	if err := s.db.R.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM compounds c WHERE 1=1`+areaIs("c.committee")+`),
		(SELECT count(*) FROM buildings b JOIN compounds c ON c.code = b.compound WHERE 1=1`+areaIs("c.committee")+`),
		(SELECT count(*) FROM buildings b JOIN compounds c ON c.code = b.compound WHERE b.low_lying`+areaIs("c.committee")+`),
		(SELECT count(*) FROM households WHERE 1=1`+areaIs("area")+`),
		(SELECT count(*) FROM residents WHERE status = 'active'`+areaIs("area")+`)`, a...).
		Scan(&sum.Compounds, &sum.Buildings, &low, &sum.Households, &sum.Residents); err != nil {
		return sum, sqldb.MapErr(err)
	}
	sum.LowLyingBuildings = int(low.Int64)
	type tagCount struct{ tags, n int64 }
	counts, err := sqldb.Collect(ctx, s.db.R, `SELECT tags, count(*) FROM residents WHERE tags <> 0 AND status = 'active'`+areaIs("area")+` GROUP BY tags`, a,
		func(sc sqldb.Scanner) (tagCount, error) {
			var c tagCount
			return c, sc.Scan(&c.tags, &c.n)
		})
	if err != nil {
		return sum, err
	}
	for _, c := range counts {
		for _, t := range registry.TagsOf(c.tags) {
			sum.ByTag[t] += int(c.n)
		}
	}
	return sum, nil
}

// Reseal re-encrypts up to batch residents not sealed under k's primary key
// (seal.Resealer). Each batch is one write transaction that locks its rows,
// so an edit running at the same time is never overwritten with older data.
func (s *Store) Reseal(ctx context.Context, k *seal.Keys, batch int) (int, error) {
	primary := int64(k.PrimaryID())
	n := 0
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		type row struct {
			id     int64
			sealed [3][]byte
		}
		rows, err := sqldb.Collect(ctx, tx, `SELECT id, id_number, phone, notes FROM residents WHERE key_id <> $1 ORDER BY id LIMIT $2`+s.db.ForUpdate(),
			[]any{primary, batch}, func(sc sqldb.Scanner) (row, error) {
				var r row
				return r, sc.Scan(&r.id, &r.sealed[0], &r.sealed[1], &r.sealed[2])
			})
		if err != nil {
			return err
		}
		for _, r := range rows {
			var out [3][]byte
			for i, field := range registry.SealedFields {
				if len(r.sealed[i]) == 0 {
					continue
				}
				pt, err := k.Open(r.sealed[i], aad(field, r.id))
				if err != nil {
					return apperr.Wrap(err, "re-encrypt resident %d's %s", r.id, field)
				}
				if out[i], err = k.Seal(pt, aad(field, r.id)); err != nil {
					return apperr.Wrap(err, "re-encrypt resident %d's %s", r.id, field)
				}
			}
			if _, err := tx.ExecContext(ctx, `UPDATE residents SET id_number = $1, phone = $2, notes = $3, key_id = $4 WHERE id = $5`,
				out[0], out[1], out[2], primary, r.id); err != nil {
				return err
			}
		}
		n = len(rows)
		return nil
	})
	return n, err
}

// placeholders is sqldb.Args for statements with thousands of parameters:
// SQLite looks each "$n" name up in a list (quadratic in their number:
// 37% of a 10,000-row import's CPU), so there they are anonymous "?".
type placeholders struct {
	positional bool
	args       []any
}

func (p *placeholders) Add(v any) string {
	p.args = append(p.args, v)
	if p.positional {
		return "?"
	}
	return "$" + strconv.Itoa(len(p.args))
}
