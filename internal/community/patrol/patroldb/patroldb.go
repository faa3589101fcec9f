// Package patroldb is the patrol module's storage: volunteers, teams,
// shifts, attendance and the patrol log, on SQLite and PostgreSQL through
// sqldb. A volunteer's phone is sealed here, bound to the row and field
// ("volunteers.phone:<id>"), with a blind index for exact lookup and the
// masked form kept beside it so that lists never open a ciphertext.
//
// A shift's volunteers are rows of patrol_shift_volunteers carrying the
// shift's times, so "is this volunteer already on a shift then?" is one
// index range per volunteer; the writes that add volunteers to shifts lock
// those volunteers' rows first (PostgreSQL; SQLite's IMMEDIATE transaction
// holds the write lock), so two concurrent plans cannot double-book anyone.
package patroldb

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"io/fs"
	"strconv"
	"strings"

	"hotline/internal/access"
	"hotline/internal/apperr"
	"hotline/internal/community/patrol"
	"hotline/internal/order"
	"hotline/internal/seal"
	"hotline/internal/sqldb"
)

//go:embed migrations
var migrations embed.FS

// Migrate applies the module's schema (after the orders' store migrated:
// its tables refer to units, compounds and orders).
func Migrate(ctx context.Context, db *sqldb.DB) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	return db.Migrate(ctx, "patrol", sub)
}

// Store implements patrol.Store.
type Store struct {
	DB   *sqldb.DB
	Keys *seal.Keys
}

// New returns the store; keys seal volunteers' phones (a phone cannot be
// stored without them).
func New(db *sqldb.DB, keys *seal.Keys) *Store { return &Store{DB: db, Keys: keys} }

var _ patrol.Store = (*Store)(nil)

func parseID(field, id string) (int64, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return 0, apperr.New(apperr.NotFound, "no %s %q", field, truncate(id, 40))
	}
	return n, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func id(n int64) string { return strconv.FormatInt(n, 10) }

// AreaKind returns a unit's kind, "" when there is no such unit.
func (s *Store) AreaKind(ctx context.Context, unit string) (string, error) {
	var kind string
	err := s.DB.R.QueryRowContext(ctx, `SELECT kind FROM units WHERE code = $1`, unit).Scan(&kind)
	if err == sql.ErrNoRows {
		return "", nil
	}
	return kind, sqldb.MapErr(err)
}

// UserRole returns a login's role.
func (s *Store) UserRole(ctx context.Context, username string) (access.Role, error) {
	var role string
	err := s.DB.R.QueryRowContext(ctx, `SELECT role FROM users WHERE username = $1`, username).Scan(&role)
	return access.Role(role), sqldb.MapErr(err)
}

// CompoundArea returns the residential area a compound belongs to.
func (s *Store) CompoundArea(ctx context.Context, compound string) (string, error) {
	var area string
	err := s.DB.R.QueryRowContext(ctx, `SELECT committee FROM compounds WHERE code = $1`, compound).Scan(&area)
	return area, sqldb.MapErr(err)
}

// Compounds lists the compounds of a scope, by code.
func (s *Store) Compounds(ctx context.Context, sc access.Scope) ([]patrol.Compound, error) {
	var a sqldb.Args
	q := `SELECT code, name, committee FROM compounds`
	if !sc.All {
		q += ` WHERE committee = ` + a.Add(sc.Area)
	}
	q += ` ORDER BY code`
	return sqldb.Collect(ctx, s.DB.R, q, a, func(r sqldb.Scanner) (patrol.Compound, error) {
		var c patrol.Compound
		return c, r.Scan(&c.Code, &c.Name, &c.Area)
	})
}

// BuildingKnown reports whether a compound has a building of that number.
func (s *Store) BuildingKnown(ctx context.Context, compound, building string) (bool, error) {
	var n int
	err := s.DB.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM buildings WHERE compound = $1 AND number = $2`, compound, building).Scan(&n)
	return n > 0, sqldb.MapErr(err)
}

// ResidentStatus reads a registry resident's area and status (the
// registry's table; nothing personal is read).
func (s *Store) ResidentStatus(ctx context.Context, rid string) (string, string, error) {
	n, err := strconv.ParseInt(rid, 10, 64)
	if err != nil || n <= 0 {
		return "", "", apperr.New(apperr.NotFound, "no such resident")
	}
	var area, status string
	err = s.DB.R.QueryRowContext(ctx, `SELECT area, status FROM residents WHERE id = $1`, n).Scan(&area, &status)
	return area, status, sqldb.MapErr(err)
}

// CreateTeam stores a team.
func (s *Store) CreateTeam(ctx context.Context, t patrol.Team) (patrol.Team, error) {
	var n int64
	err := s.DB.W.QueryRowContext(ctx, `INSERT INTO volunteer_teams (name, area, created_at) VALUES ($1, $2, $3) RETURNING id`,
		t.Name, t.Area, sqldb.Micros(t.CreatedAt)).Scan(&n)
	if err != nil {
		return patrol.Team{}, sqldb.MapErr(err)
	}
	t.ID = id(n)
	t.CreatedAt = sqldb.FromMicros(sqldb.Micros(t.CreatedAt))
	return t, nil
}

func scanTeam(r sqldb.Scanner) (patrol.Team, error) {
	var t patrol.Team
	var n, at int64
	err := r.Scan(&n, &t.Name, &t.Area, &at)
	t.ID, t.CreatedAt = id(n), sqldb.FromMicros(at)
	return t, err
}

// Team reads one team.
func (s *Store) Team(ctx context.Context, tid string) (patrol.Team, error) {
	n, err := parseID("team", tid)
	if err != nil {
		return patrol.Team{}, err
	}
	t, err := scanTeam(s.DB.R.QueryRowContext(ctx, `SELECT id, name, area, created_at FROM volunteer_teams WHERE id = $1`, n))
	return t, sqldb.MapErr(err)
}

func cursorID(cursor string) (int64, error) {
	if cursor == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(cursor, 10, 64)
	if err != nil || n < 0 {
		return 0, apperr.Field("cursor", "not a cursor this list gave")
	}
	return n, nil
}

// Teams lists teams by id.
func (s *Store) Teams(ctx context.Context, sc access.Scope, limit int, cursor string) ([]patrol.Team, string, error) {
	after, err := cursorID(cursor)
	if err != nil {
		return nil, "", err
	}
	var a sqldb.Args
	q := `SELECT id, name, area, created_at FROM volunteer_teams WHERE id > ` + a.Add(after)
	if !sc.All {
		q += ` AND area = ` + a.Add(sc.Area)
	}
	q += ` ORDER BY id LIMIT ` + strconv.Itoa(limit+1)
	ts, err := sqldb.Collect(ctx, s.DB.R, q, a, scanTeam)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(ts) > limit {
		ts = ts[:limit]
		next = ts[limit-1].ID
	}
	if ts == nil {
		ts = []patrol.Team{}
	}
	return ts, next, nil
}

const volCols = `id, name, phone_masked, party_member, skills, team, area, resident, username, unavailable, version, created_at, updated_at`

// scanVolunteer reads a row; the phone stays masked (lists never open a
// ciphertext): Volunteer.Phone carries the masked form.
func scanVolunteer(r sqldb.Scanner) (patrol.Volunteer, error) {
	var v patrol.Volunteer
	var n, ver, ca, ua int64
	var masked, skills, unav string
	var team sql.NullInt64
	var resident, user sql.NullString
	err := r.Scan(&n, &v.Name, &masked, &v.PartyMember, &skills, &team, &v.Area, &resident, &user, &unav, &ver, &ca, &ua)
	if err != nil {
		return v, err
	}
	v.ID, v.Version, v.CreatedAt, v.UpdatedAt = id(n), ver, sqldb.FromMicros(ca), sqldb.FromMicros(ua)
	v.Phone = seal.Secret(masked)
	if team.Valid {
		v.Team = id(team.Int64)
	}
	if resident.Valid {
		v.Resident = &resident.String
	}
	if user.Valid {
		v.User = &user.String
	}
	_ = json.Unmarshal([]byte(skills), &v.Skills)
	_ = json.Unmarshal([]byte(unav), &v.Unavailable)
	if v.Skills == nil {
		v.Skills = []string{}
	}
	if v.Unavailable == nil {
		v.Unavailable = []string{}
	}
	return v, nil
}

func js(v any) string { b, _ := json.Marshal(v); return string(b) }

func nullStr(p *string) any {
	if p == nil {
		return nil
	}
	return *p
}

func teamArg(t string) (any, error) {
	if t == "" {
		return nil, nil
	}
	return parseID("team", t)
}

// sealPhone seals a phone for a volunteer row: ciphertext, blind index and
// masked form (all nil/"" for no phone).
func (s *Store) sealPhone(vid int64, p seal.Secret) (ct, idx any, masked string, err error) {
	if p.Reveal() == "" {
		return nil, nil, "", nil
	}
	if s.Keys == nil {
		return nil, nil, "", apperr.Wrap(seal.ErrNoKey, "volunteers' phones need a data key")
	}
	c, err := s.Keys.Seal([]byte(p.Reveal()), []byte("volunteers.phone:"+id(vid)))
	if err != nil {
		return nil, nil, "", apperr.Wrap(err, "seal a phone")
	}
	return c, s.Keys.Index("volunteers.phone", p.Reveal()), order.MaskPhone(p.Reveal()), nil
}

// CreateVolunteer stores a volunteer, its phone sealed.
func (s *Store) CreateVolunteer(ctx context.Context, v patrol.Volunteer) (patrol.Volunteer, error) {
	team, err := teamArg(v.Team)
	if err != nil {
		return v, err
	}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var n int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO volunteers (name, party_member, skills, team, area, resident, username, unavailable, version, created_at, updated_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) RETURNING id`,
			v.Name, v.PartyMember, js(v.Skills), team, v.Area, nullStr(v.Resident), nullStr(v.User), js(v.Unavailable), v.Version,
			sqldb.Micros(v.CreatedAt), sqldb.Micros(v.UpdatedAt)).Scan(&n); err != nil {
			return err
		}
		v.ID = id(n)
		ct, idx, masked, err := s.sealPhone(n, v.Phone)
		if err != nil {
			return err
		}
		if ct != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE volunteers SET phone_sealed=$1, phone_index=$2, phone_masked=$3 WHERE id=$4`, ct, idx, masked, n); err != nil {
				return err
			}
		}
		v.Phone = seal.Secret(masked)
		return nil
	})
	return v, err
}

// UpdateVolunteer writes a volunteer at prevVersion (Conflict when stale).
// A phone that is still the masked form read from the row is left alone.
func (s *Store) UpdateVolunteer(ctx context.Context, v patrol.Volunteer, prev int64) (patrol.Volunteer, error) {
	n, err := parseID("volunteer", v.ID)
	if err != nil {
		return v, err
	}
	team, err := teamArg(v.Team)
	if err != nil {
		return v, err
	}
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		var cur string
		if err := tx.QueryRowContext(ctx, `SELECT phone_masked FROM volunteers WHERE id=$1`+s.DB.ForUpdate(), n).Scan(&cur); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE volunteers SET name=$1, party_member=$2, skills=$3, team=$4, area=$5, resident=$6, username=$7,
			unavailable=$8, version=$9, updated_at=$10 WHERE id=$11 AND version=$12`,
			v.Name, v.PartyMember, js(v.Skills), team, v.Area, nullStr(v.Resident), nullStr(v.User), js(v.Unavailable), v.Version,
			sqldb.Micros(v.UpdatedAt), n, prev)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k != 1 {
			return apperr.New(apperr.Conflict, "someone else changed this volunteer; reload it").Because(apperr.ReasonStale)
		}
		if v.Phone.Reveal() != cur {
			ct, idx, masked, err := s.sealPhone(n, v.Phone)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE volunteers SET phone_sealed=$1, phone_index=$2, phone_masked=$3 WHERE id=$4`, ct, idx, masked, n); err != nil {
				return err
			}
			v.Phone = seal.Secret(masked)
		}
		return nil
	})
	return v, err
}

// Volunteer reads one volunteer (phone masked).
func (s *Store) Volunteer(ctx context.Context, vid string) (patrol.Volunteer, error) {
	n, err := parseID("volunteer", vid)
	if err != nil {
		return patrol.Volunteer{}, err
	}
	v, err := scanVolunteer(s.DB.R.QueryRowContext(ctx, `SELECT `+volCols+` FROM volunteers WHERE id=$1`, n))
	return v, sqldb.MapErr(err)
}

// VolunteerByUser finds the volunteer linked to a login.
func (s *Store) VolunteerByUser(ctx context.Context, username string) (patrol.Volunteer, error) {
	v, err := scanVolunteer(s.DB.R.QueryRowContext(ctx, `SELECT `+volCols+` FROM volunteers WHERE username=$1`, username))
	return v, sqldb.MapErr(err)
}

// VolunteersByID reads several volunteers.
func (s *Store) VolunteersByID(ctx context.Context, ids []string) (map[string]patrol.Volunteer, error) {
	out := map[string]patrol.Volunteer{}
	var a sqldb.Args
	var ph []string
	for _, x := range ids {
		if n, err := strconv.ParseInt(x, 10, 64); err == nil && n > 0 {
			ph = append(ph, a.Add(n))
		}
	}
	if len(ph) == 0 {
		return out, nil
	}
	vs, err := sqldb.Collect(ctx, s.DB.R, `SELECT `+volCols+` FROM volunteers WHERE id IN (`+strings.Join(ph, ",")+`)`, a, scanVolunteer)
	for _, v := range vs {
		out[v.ID] = v
	}
	return out, err
}

// Volunteers lists volunteers by id: area, team, and q (a name's part, or
// a phone matched exactly through its blind index).
func (s *Store) Volunteers(ctx context.Context, f patrol.VolunteerFilter) ([]patrol.Volunteer, string, error) {
	after, err := cursorID(f.Cursor)
	if err != nil {
		return nil, "", err
	}
	var a sqldb.Args
	q := `SELECT ` + volCols + ` FROM volunteers WHERE id > ` + a.Add(after)
	if !f.Scope.All {
		q += ` AND area = ` + a.Add(f.Scope.Area)
	}
	if f.Team != "" {
		n, err := strconv.ParseInt(f.Team, 10, 64)
		if err != nil {
			return []patrol.Volunteer{}, "", nil
		}
		q += ` AND team = ` + a.Add(n)
	}
	if qq := strings.TrimSpace(f.Q); qq != "" {
		cond := `name LIKE ` + a.Add("%"+escapeLike(qq)+"%") + ` ESCAPE '\'`
		if s.Keys != nil && patrol.ValidPhone(qq) {
			cond += ` OR phone_index = ` + a.Add(s.Keys.Index("volunteers.phone", qq))
		}
		q += ` AND (` + cond + `)`
	}
	q += ` ORDER BY id LIMIT ` + strconv.Itoa(f.Limit+1)
	vs, err := sqldb.Collect(ctx, s.DB.R, q, a, scanVolunteer)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(vs) > f.Limit {
		vs = vs[:f.Limit]
		next = vs[f.Limit-1].ID
	}
	if vs == nil {
		vs = []patrol.Volunteer{}
	}
	return vs, next, nil
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
