// Package emergencydb stores emergency events (community.md §4) in SQLite
// and PostgreSQL through sqldb: the events, their check lists (generated in
// one INSERT … SELECT over the registry's residents and households), the
// applied op_ids, the rescue tasks and the history. It reads the registry's
// tables (residents, households, buildings, compounds) and writes only its
// own.
package emergencydb

import (
	"bytes"
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"hotline/internal/apperr"
	"hotline/internal/community/emergency"
	"hotline/internal/community/registry/registrydb"
	"hotline/internal/place/placedb"
	"hotline/internal/seal"
	"hotline/internal/sqldb"
)

//go:embed migrations
var migrations embed.FS

// Migrations is the module's schema, one folder per dialect.
func Migrations() fs.FS {
	sub, _ := fs.Sub(migrations, "migrations")
	return sub
}

// Store implements emergency.Store.
type Store struct{ db *sqldb.DB }

// New returns the module's store on db.
func New(db *sqldb.DB) *Store { return &Store{db: db} }

// Migrate creates or upgrades the module's tables. The check list is made
// from the registry's places and residents, so their migrations run first
// (each module's migrations run once, whoever asks first).
func (s *Store) Migrate(ctx context.Context) error {
	if err := s.db.Migrate(ctx, "place", placedb.Migrations()); err != nil {
		return err
	}
	if err := s.db.Migrate(ctx, "registry", registrydb.Migrations()); err != nil {
		return err
	}
	return s.db.Migrate(ctx, "emergency", Migrations())
}

var _ emergency.Store = (*Store)(nil)

// jsonList is the dialect's way of reading a JSON list parameter as rows.
func (s *Store) jsonList(ph string) string {
	if s.db.Dialect == sqldb.Postgres {
		return "SELECT jsonb_array_elements_text(" + ph + "::jsonb)"
	}
	return "SELECT value FROM json_each(" + ph + ")"
}

// inList is "col is one of vals" in the dialect's best form for long
// lists. On PostgreSQL a text[] parameter: the planner sees how many values
// there are and, for a whole area's thousands of buildings, reads the
// residents by a bitmap scan; behind "IN (SELECT jsonb_array_elements…)" it
// assumed 100 and walked the care index once per building (8.7 s instead of
// 1.3 s at a million residents). SQLite reads a JSON list.
func (s *Store) inList(a *sqldb.Args, col string, vals []string) string {
	if s.db.Dialect == sqldb.Postgres {
		if vals == nil {
			vals = []string{}
		}
		return col + " = ANY(CAST(" + a.Add(vals) + " AS text[]))"
	}
	return col + " IN (" + s.jsonList(a.Add(list(vals))) + ")"
}

// share locks the event row against a concurrent close on PostgreSQL (SQLite
// holds the write lock already).
func (s *Store) share() string {
	if s.db.Dialect == sqldb.Postgres {
		return " FOR SHARE"
	}
	return ""
}

func list(v []string) string {
	if v == nil {
		v = []string{}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// Compounds returns the area of each known compound and their buildings.
func (s *Store) Compounds(ctx context.Context, codes []string) (map[string]string, []emergency.Building, error) {
	var a sqldb.Args
	in := a.Add(list(codes))
	areas := map[string]string{}
	type ca struct{ code, area string }
	rows, err := sqldb.Collect(ctx, s.db.R, "SELECT code, committee FROM compounds WHERE code IN ("+s.jsonList(in)+")", a,
		func(r sqldb.Scanner) (ca, error) { var c ca; return c, r.Scan(&c.code, &c.area) })
	if err != nil {
		return nil, nil, err
	}
	for _, c := range rows {
		areas[c.code] = c.area
	}
	bs, err := sqldb.Collect(ctx, s.db.R, `SELECT b.code, b.compound, c.committee, b.low_lying FROM buildings b JOIN compounds c ON c.code = b.compound
		WHERE b.compound IN (`+s.jsonList(in)+`) ORDER BY b.compound, b.code`, a,
		func(r sqldb.Scanner) (emergency.Building, error) {
			var b emergency.Building
			return b, r.Scan(&b.Code, &b.Compound, &b.Area, &b.LowLying)
		})
	return areas, bs, err
}

// MissingUsers returns the usernames that are not active users.
func (s *Store) MissingUsers(ctx context.Context, names []string) ([]string, error) {
	var a sqldb.Args
	found, err := sqldb.Collect(ctx, s.db.R, "SELECT username FROM users WHERE active AND username IN ("+s.jsonList(a.Add(list(names)))+")", a,
		func(r sqldb.Scanner) (string, error) { var n string; return n, r.Scan(&n) })
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, n := range names {
		if !contains(found, n) {
			missing = append(missing, n)
		}
	}
	return missing, nil
}

func contains(v []string, s string) bool {
	for _, x := range v {
		if x == s {
			return true
		}
	}
	return false
}

func (s *Store) history(ctx context.Context, tx *sql.Tx, id int64, at time.Time, actor, action, target string, detail map[string]any) (int64, error) {
	d := "{}"
	if detail != nil {
		b, _ := json.Marshal(detail)
		d = string(b)
	}
	var seq int64
	err := tx.QueryRowContext(ctx, `INSERT INTO emergency_history (emergency_id, at, actor, action, target, detail)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING seq`, id, sqldb.Micros(at), actor, action, target, d).Scan(&seq)
	return seq, sqldb.MapErr(err)
}

// Create inserts the event and generates its check list from the registry:
// every active resident with a care tag in the chosen buildings, and with
// all_households every household there that is not vacant, each in one
// INSERT … SELECT.
func (s *Store) Create(ctx context.Context, ev *emergency.Event, actor string) (int64, error) {
	var seq int64
	now := time.Now().UTC()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO emergencies (area, kind, name, level, started_at, compounds, buildings, all_households, status, created_by, created_at, version)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'active', $9, $10, 1) RETURNING id`,
			ev.Area, ev.Kind, ev.Name, ev.Level, sqldb.Micros(ev.StartedAt), list(ev.Compounds), list(ev.Buildings),
			ev.AllHouseholds, actor, sqldb.Micros(now)).Scan(&id)
		if err != nil {
			return err
		}
		for _, v := range ev.Volunteers {
			if _, err := tx.ExecContext(ctx, "INSERT INTO emergency_volunteers (emergency_id, username) VALUES ($1, $2)", id, v); err != nil {
				return err
			}
		}
		if s.db.Dialect == sqldb.Postgres {
			// The check list is sorted by building and household so that
			// its ids follow the stairwells; at a district's million
			// residents that is 250,000 rows, which spill to disk at the
			// default 4 MB work_mem (a second of the declaration).
			if _, err := tx.ExecContext(ctx, "SET LOCAL work_mem = '64MB'"); err != nil {
				return err
			}
		}
		var a sqldb.Args
		eid := a.Add(id)
		res, err := tx.ExecContext(ctx, `INSERT INTO emergency_checks (emergency_id, resident, household, building, status, version)
			SELECT `+eid+`, r.id, r.household, r.building, 'unchecked', 1 FROM residents r
			WHERE r.area = `+a.Add(ev.Area)+` AND `+s.inList(&a, "r.building", ev.Buildings)+` AND r.tags <> 0 AND r.status = 'active'
			ORDER BY r.building, r.household, r.id`, a...)
		if err != nil {
			return err
		}
		residents, _ := res.RowsAffected()
		var households int64
		if ev.AllHouseholds {
			var b sqldb.Args
			eid := b.Add(id)
			res, err := tx.ExecContext(ctx, `INSERT INTO emergency_checks (emergency_id, resident, household, building, status, version)
				SELECT `+eid+`, NULL, h.id, h.building, 'unchecked', 1 FROM households h
				WHERE h.area = `+b.Add(ev.Area)+` AND `+s.inList(&b, "h.building", ev.Buildings)+` AND h.kind <> 'vacant'
				ORDER BY h.building, h.id`, b...)
			if err != nil {
				return err
			}
			households, _ = res.RowsAffected()
		}
		ev.ID = strconv.FormatInt(id, 10)
		ev.Version = 1
		seq, err = s.history(ctx, tx, id, now, actor, "declare", "", map[string]any{
			"kind": ev.Kind, "level": ev.Level, "buildings": ev.Buildings, "resident_checks": residents, "household_checks": households})
		return err
	})
	return seq, err
}

const eventCols = "id, area, kind, name, level, started_at, compounds, buildings, all_households, status, closed_at, created_by, version"

func scanEvent(r sqldb.Scanner) (emergency.Event, error) {
	var e emergency.Event
	var id, started int64
	var comps, blds string
	var closed sql.NullInt64
	if err := r.Scan(&id, &e.Area, &e.Kind, &e.Name, &e.Level, &started, &comps, &blds, &e.AllHouseholds, &e.Status, &closed, &e.CreatedBy, &e.Version); err != nil {
		return e, err
	}
	e.ID = strconv.FormatInt(id, 10)
	e.StartedAt = sqldb.FromMicros(started)
	e.ClosedAt = sqldb.FromNullMicros(closed)
	_ = json.Unmarshal([]byte(comps), &e.Compounds)
	_ = json.Unmarshal([]byte(blds), &e.Buildings)
	e.Volunteers = []string{}
	return e, nil
}

// Head reads an event with its volunteers.
func (s *Store) Head(ctx context.Context, id int64) (emergency.Event, error) {
	e, err := scanEvent(s.db.R.QueryRowContext(ctx, "SELECT "+eventCols+" FROM emergencies WHERE id = $1", id))
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return e, apperr.New(apperr.NotFound, "no such emergency")
		}
		return e, sqldb.MapErr(err)
	}
	e.Volunteers, err = s.volunteers(ctx, id)
	return e, err
}

// Event reads an event with its volunteers, counts and counts by building.
func (s *Store) Event(ctx context.Context, id int64) (emergency.Event, error) {
	e, err := s.Head(ctx, id)
	if err != nil {
		return e, err
	}
	e.Counts = map[emergency.CheckStatus]int{}
	for _, st := range emergency.CheckStatuses {
		e.Counts[st] = 0
	}
	e.ByBuilding = map[string]map[emergency.CheckStatus]int{}
	for _, b := range e.Buildings {
		e.ByBuilding[b] = map[emergency.CheckStatus]int{}
	}
	type cnt struct {
		b  string
		st emergency.CheckStatus
		n  int
	}
	rows, err := sqldb.Collect(ctx, s.db.R, "SELECT building, status, COUNT(*) FROM emergency_checks WHERE emergency_id = $1 GROUP BY building, status", []any{id},
		func(r sqldb.Scanner) (cnt, error) { var c cnt; return c, r.Scan(&c.b, &c.st, &c.n) })
	if err != nil {
		return e, err
	}
	for _, c := range rows {
		e.Counts[c.st] += c.n
		if e.ByBuilding[c.b] == nil {
			e.ByBuilding[c.b] = map[emergency.CheckStatus]int{}
		}
		e.ByBuilding[c.b][c.st] = c.n
	}
	return e, nil
}

func (s *Store) volunteers(ctx context.Context, id int64) ([]string, error) {
	v, err := sqldb.Collect(ctx, s.db.R, "SELECT username FROM emergency_volunteers WHERE emergency_id = $1 ORDER BY username", []any{id},
		func(r sqldb.Scanner) (string, error) { var n string; return n, r.Scan(&n) })
	if v == nil {
		v = []string{}
	}
	return v, err
}

// Events lists events newest first (without counts).
func (s *Store) Events(ctx context.Context, f emergency.Filter) ([]emergency.Event, error) {
	var a sqldb.Args
	var where []string
	if !f.Scope.All {
		where = append(where, "area = "+a.Add(f.Scope.Area))
	}
	if f.Volunteer != "" {
		where = append(where, "id IN (SELECT emergency_id FROM emergency_volunteers WHERE username = "+a.Add(f.Volunteer)+")")
	}
	if f.Status != "" {
		where = append(where, "status = "+a.Add(string(f.Status)))
	}
	if f.After > 0 {
		where = append(where, "id < "+a.Add(f.After))
	}
	q := "SELECT " + eventCols + " FROM emergencies"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC LIMIT " + a.Add(f.Limit)
	evs, err := sqldb.Collect(ctx, s.db.R, q, a, scanEvent)
	if err != nil {
		return nil, err
	}
	for i := range evs {
		n, _ := strconv.ParseInt(evs[i].ID, 10, 64)
		if evs[i].Volunteers, err = s.volunteers(ctx, n); err != nil {
			return nil, err
		}
	}
	if evs == nil {
		evs = []emergency.Event{}
	}
	return evs, nil
}

const checkCols = `c.id, c.resident, COALESCE(r.name, ''), COALESCE(r.tags, 0), c.household, COALESCE(h.unit_no, ''), COALESCE(h.room, ''),
	c.building, c.status, c.note, c.checked_by, c.checked_at, c.version`

const checkFrom = ` FROM emergency_checks c LEFT JOIN residents r ON r.id = c.resident LEFT JOIN households h ON h.id = c.household`

func scanCheck(r sqldb.Scanner) (emergency.CheckRow, error) {
	var c emergency.CheckRow
	var id, household int64
	var resident, checked sql.NullInt64
	var unit, room string
	if err := r.Scan(&id, &resident, &c.ResidentName, &c.Tags, &household, &unit, &room, &c.Building, &c.Status, &c.Sealed, &c.CheckedBy, &checked, &c.Version); err != nil {
		return c, err
	}
	c.ID = strconv.FormatInt(id, 10)
	if resident.Valid {
		rs := strconv.FormatInt(resident.Int64, 10)
		c.Resident = &rs
	}
	c.Household = strconv.FormatInt(household, 10)
	c.Room = room
	if unit != "" {
		c.Room = unit + "-" + room
	}
	c.CheckedAt = sqldb.FromNullMicros(checked)
	return c, nil
}

// Checks lists an event's checks in id order.
func (s *Store) Checks(ctx context.Context, id int64, f emergency.CheckFilter) ([]emergency.CheckRow, error) {
	var a sqldb.Args
	q := "SELECT " + checkCols + checkFrom + " WHERE c.emergency_id = " + a.Add(id)
	if f.Status != "" {
		q += " AND c.status = " + a.Add(string(f.Status))
	}
	if f.Building != "" {
		q += " AND c.building = " + a.Add(f.Building)
	}
	if f.After > 0 {
		q += " AND c.id > " + a.Add(f.After)
	}
	q += " ORDER BY c.id LIMIT " + a.Add(f.Limit)
	return sqldb.Collect(ctx, s.db.R, q, a, scanCheck)
}

// errReplay asks UpdateCheck to run again: a concurrent request stored the
// same op_id first, so this one is now a replay.
var errReplay = errors.New("op stored concurrently")

// UpdateCheck applies a check's change once per op_id.
func (s *Store) UpdateCheck(ctx context.Context, id, check int64, opID string, digest []byte, actor string,
	decide func(cur emergency.CheckRow, status emergency.Status) (emergency.CheckWrite, error)) (emergency.CheckRow, int64, bool, error) {
	for attempt := 0; ; attempt++ {
		row, seq, replayed, err := s.updateCheck(ctx, id, check, opID, digest, actor, decide)
		if errors.Is(err, errReplay) && attempt == 0 {
			continue
		}
		if errors.Is(err, errReplay) {
			err = apperr.New(apperr.Conflict, "concurrent change; try again")
		}
		return row, seq, replayed, err
	}
}

func (s *Store) lockCheck() string {
	if s.db.Dialect == sqldb.Postgres {
		return " FOR UPDATE OF c"
	}
	return ""
}

func (s *Store) updateCheck(ctx context.Context, id, check int64, opID string, digest []byte, actor string,
	decide func(cur emergency.CheckRow, status emergency.Status) (emergency.CheckWrite, error)) (row emergency.CheckRow, seq int64, replayed bool, err error) {
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		var opCheck, at, version int64
		var d, note []byte
		var status emergency.CheckStatus
		var by string
		err := tx.QueryRowContext(ctx, `SELECT check_id, digest, status, note, checked_by, checked_at, version FROM emergency_ops
			WHERE emergency_id = $1 AND op_id = $2`, id, opID).Scan(&opCheck, &d, &status, &note, &by, &at, &version)
		switch {
		case err == nil:
			if opCheck != check || !bytes.Equal(d, digest) {
				return apperr.New(apperr.Conflict, "this op_id was already used for a different change")
			}
			cur, err := scanCheck(tx.QueryRowContext(ctx, "SELECT "+checkCols+checkFrom+" WHERE c.id = $1", check))
			if err != nil {
				return err
			}
			cur.Status, cur.Sealed, cur.CheckedBy, cur.Version = status, note, by, version
			t := sqldb.FromMicros(at)
			cur.CheckedAt = &t
			row, replayed = cur, true
			return nil
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		var evStatus emergency.Status
		if err := tx.QueryRowContext(ctx, "SELECT status FROM emergencies WHERE id = $1"+s.share(), id).Scan(&evStatus); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return apperr.New(apperr.NotFound, "no such emergency")
			}
			return err
		}
		cur, err := scanCheck(tx.QueryRowContext(ctx, "SELECT "+checkCols+checkFrom+" WHERE c.id = $1 AND c.emergency_id = $2"+s.lockCheck(), check, id))
		if err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return apperr.New(apperr.NotFound, "no such check in this emergency")
			}
			return err
		}
		w, err := decide(cur, evStatus)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE emergency_checks SET status = $1, note = $2, checked_by = $3, checked_at = $4, version = version + 1, key_id = $7
			WHERE id = $5 AND version = $6`, w.Status, w.Note, w.CheckedBy, sqldb.Micros(w.CheckedAt), check, cur.Version, keyID(w.Note))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.New(apperr.Conflict, "concurrent change; try again")
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO emergency_ops (emergency_id, op_id, check_id, digest, status, note, checked_by, checked_at, version, key_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, id, opID, check, digest, w.Status, w.Note, w.CheckedBy, sqldb.Micros(w.CheckedAt), cur.Version+1, keyID(w.Note)); err != nil {
			if sqldb.IsUnique(err) {
				return errReplay
			}
			return err
		}
		from := cur.Status
		cur.Status, cur.Sealed, cur.CheckedBy, cur.Version = w.Status, w.Note, w.CheckedBy, cur.Version+1
		t := w.CheckedAt
		cur.CheckedAt = &t
		row = cur
		seq, err = s.history(ctx, tx, id, time.Now().UTC(), actor, "check", cur.ID, map[string]any{
			"from": from, "to": w.Status, "op_id": opID, "at": w.CheckedAt, "building": cur.Building, "noted": len(w.Note) > 0})
		return err
	})
	return row, seq, replayed, err
}

const taskCols = "id, what, building, household, assignee, status, created_by, created_at, updated_at, version"

func scanTask(r sqldb.Scanner) (emergency.Task, error) {
	var t emergency.Task
	var id, created, updated int64
	var household sql.NullInt64
	if err := r.Scan(&id, &t.What, &t.Building, &household, &t.Assignee, &t.Status, &t.CreatedBy, &created, &updated, &t.Version); err != nil {
		return t, err
	}
	t.ID = strconv.FormatInt(id, 10)
	if household.Valid {
		h := strconv.FormatInt(household.Int64, 10)
		t.Household = &h
	}
	t.CreatedAt, t.UpdatedAt = sqldb.FromMicros(created), sqldb.FromMicros(updated)
	return t, nil
}

func (s *Store) eventStatus(ctx context.Context, tx *sql.Tx, id int64, lock string) (emergency.Status, []string, error) {
	var st emergency.Status
	var comps string
	if err := tx.QueryRowContext(ctx, "SELECT status, compounds FROM emergencies WHERE id = $1"+lock, id).Scan(&st, &comps); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return "", nil, apperr.New(apperr.NotFound, "no such emergency")
		}
		return "", nil, err
	}
	var c []string
	_ = json.Unmarshal([]byte(comps), &c)
	return st, c, nil
}

// AddTask inserts a rescue task.
func (s *Store) AddTask(ctx context.Context, id int64, t *emergency.Task, decide func(emergency.Status, []string, string, string) error) (int64, error) {
	var seq int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		st, comps, err := s.eventStatus(ctx, tx, id, s.share())
		if err != nil {
			return err
		}
		var bc, hb string
		if err := tx.QueryRowContext(ctx, "SELECT compound FROM buildings WHERE code = $1", t.Building).Scan(&bc); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		var household any
		if t.Household != nil {
			h, _ := strconv.ParseInt(*t.Household, 10, 64)
			household = h
			if err := tx.QueryRowContext(ctx, "SELECT building FROM households WHERE id = $1", h).Scan(&hb); err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		if err := decide(st, comps, bc, hb); err != nil {
			return err
		}
		var tid int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO emergency_tasks (emergency_id, what, building, household, assignee, status, created_by, created_at, updated_at, version)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, 1) RETURNING id`, id, t.What, t.Building, household, t.Assignee, t.Status, t.CreatedBy, sqldb.Micros(t.CreatedAt)).Scan(&tid); err != nil {
			return err
		}
		t.ID = strconv.FormatInt(tid, 10)
		seq, err = s.history(ctx, tx, id, t.CreatedAt, t.CreatedBy, "task", t.ID, map[string]any{
			"to": t.Status, "building": t.Building, "assignee": t.Assignee})
		return err
	})
	return seq, err
}

// Tasks lists an event's tasks (open: only those not done).
func (s *Store) Tasks(ctx context.Context, id int64, open bool) ([]emergency.Task, error) {
	q := "SELECT " + taskCols + " FROM emergency_tasks WHERE emergency_id = $1"
	if open {
		q += " AND status <> 'done'"
	}
	t, err := sqldb.Collect(ctx, s.db.R, q+" ORDER BY id", []any{id}, scanTask)
	if t == nil {
		t = []emergency.Task{}
	}
	return t, err
}

// UpdateTask changes a task's status.
func (s *Store) UpdateTask(ctx context.Context, id, task int64, actor string, decide func(emergency.Task, emergency.Status) (emergency.TaskStatus, error)) (emergency.Task, int64, error) {
	var t emergency.Task
	var seq int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		st, _, err := s.eventStatus(ctx, tx, id, s.share())
		if err != nil {
			return err
		}
		t, err = scanTask(tx.QueryRowContext(ctx, "SELECT "+taskCols+" FROM emergency_tasks WHERE id = $1 AND emergency_id = $2"+s.db.ForUpdate(), task, id))
		if err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return apperr.New(apperr.NotFound, "no such task in this emergency")
			}
			return err
		}
		to, err := decide(t, st)
		if err != nil {
			return err
		}
		now := time.Now().UTC().Truncate(time.Microsecond)
		if _, err := tx.ExecContext(ctx, "UPDATE emergency_tasks SET status = $1, updated_at = $2, version = version + 1 WHERE id = $3",
			to, sqldb.Micros(now), task); err != nil {
			return err
		}
		from := t.Status
		t.Status, t.UpdatedAt, t.Version = to, now, t.Version+1
		seq, err = s.history(ctx, tx, id, now, actor, "task", t.ID, map[string]any{"from": from, "to": to})
		return err
	})
	return t, seq, err
}

// History lists an event's changes after a sequence number.
func (s *Store) History(ctx context.Context, id int64, limit int, after int64) ([]emergency.HistoryEntry, error) {
	h, err := sqldb.Collect(ctx, s.db.R, `SELECT seq, at, actor, action, target, detail FROM emergency_history
		WHERE emergency_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`, []any{id, after, limit},
		func(r sqldb.Scanner) (emergency.HistoryEntry, error) {
			var e emergency.HistoryEntry
			var at int64
			var d string
			if err := r.Scan(&e.Seq, &at, &e.Actor, &e.Action, &e.Target, &d); err != nil {
				return e, err
			}
			e.At = sqldb.FromMicros(at)
			_ = json.Unmarshal([]byte(d), &e.Detail)
			return e, nil
		})
	if h == nil {
		h = []emergency.HistoryEntry{}
	}
	return h, err
}

// HistoryStats counts an event's history and finds its last seq.
func (s *Store) HistoryStats(ctx context.Context, id int64) (int64, int64, error) {
	var n, last int64
	err := s.db.R.QueryRowContext(ctx, "SELECT COUNT(*), COALESCE(MAX(seq), 0) FROM emergency_history WHERE emergency_id = $1", id).Scan(&n, &last)
	return n, last, sqldb.MapErr(err)
}

// Close freezes an active event.
func (s *Store) Close(ctx context.Context, id, version int64, actor string, at time.Time) (int64, error) {
	var seq int64
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var st emergency.Status
		var v int64
		if err := tx.QueryRowContext(ctx, "SELECT status, version FROM emergencies WHERE id = $1"+s.db.ForUpdate(), id).Scan(&st, &v); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return apperr.New(apperr.NotFound, "no such emergency")
			}
			return err
		}
		if st == emergency.Closed {
			return apperr.New(apperr.Conflict, "the emergency is already closed")
		}
		if version > 0 && version != v {
			return apperr.New(apperr.Conflict, "the emergency changed since you read it (version %d now)", v).Because(apperr.ReasonStale)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE emergencies SET status = 'closed', closed_at = $1, version = version + 1 WHERE id = $2", sqldb.Micros(at), id); err != nil {
			return err
		}
		var err error
		seq, err = s.history(ctx, tx, id, at, actor, "close", "", nil)
		return err
	})
	return seq, err
}

// keyID is the key a sealed value is under, for the key_id columns (0 when
// there is none).
func keyID(ct []byte) int64 {
	id, _ := seal.KeyID(ct)
	return int64(id)
}

// Reseal re-encrypts up to batch notes not sealed under primary, first the
// checks' then the ops' copies (a replayed op answers with its stored
// note), rewriting each with reseal, which opens and seals again under the
// note's own context (event and check). One transaction that locks its
// rows, so a check marked at the same time is never overwritten with its
// older note (on PostgreSQL a row changed while we waited is read again and
// dropped when its new note is already current).
func (s *Store) Reseal(ctx context.Context, primary int64, batch int, reseal func(event, check int64, ct []byte) ([]byte, error)) (int, error) {
	n := 0
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		type row struct {
			event, check int64
			op           string
			ct           []byte
		}
		scan := func(sc sqldb.Scanner) (row, error) {
			var r row
			return r, sc.Scan(&r.event, &r.check, &r.op, &r.ct)
		}
		rows, err := sqldb.Collect(ctx, tx, `SELECT emergency_id, id, '', note FROM emergency_checks
			WHERE note IS NOT NULL AND key_id <> $1 ORDER BY key_id, id LIMIT $2`+s.db.ForUpdate(), []any{primary, batch}, scan)
		if err != nil {
			return err
		}
		if len(rows) < batch {
			ops, err := sqldb.Collect(ctx, tx, `SELECT emergency_id, check_id, op_id, note FROM emergency_ops
				WHERE note IS NOT NULL AND key_id <> $1 LIMIT $2`+s.db.ForUpdate(), []any{primary, batch - len(rows)}, scan)
			if err != nil {
				return err
			}
			rows = append(rows, ops...)
		}
		for _, r := range rows {
			ct, err := reseal(r.event, r.check, r.ct)
			if err != nil {
				return err
			}
			if r.op == "" {
				_, err = tx.ExecContext(ctx, "UPDATE emergency_checks SET note = $1, key_id = $2 WHERE id = $3", ct, keyID(ct), r.check)
			} else {
				_, err = tx.ExecContext(ctx, "UPDATE emergency_ops SET note = $1, key_id = $2 WHERE emergency_id = $3 AND op_id = $4", ct, keyID(ct), r.event, r.op)
			}
			if err != nil {
				return err
			}
		}
		n = len(rows)
		return nil
	})
	return n, err
}
