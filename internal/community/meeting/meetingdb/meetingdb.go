// Package meetingdb is the meetings module's storage on SQLite and
// PostgreSQL through sqldb. A meeting's links to orders are rows of
// meeting_orders (indexed both ways: a meeting's orders, an order's
// meetings); participants and decisions are JSON in the meeting's row,
// since they are only ever read with it.
package meetingdb

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"hotline/internal/apperr"
	"hotline/internal/community/meeting"
	"hotline/internal/sqldb"
)

//go:embed migrations
var migrations embed.FS

// Migrate applies the module's schema (after the orders' store migrated).
func Migrate(ctx context.Context, db *sqldb.DB) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	return db.Migrate(ctx, "meeting", sub)
}

// Store implements meeting.Store.
type Store struct{ DB *sqldb.DB }

var _ meeting.Store = (*Store)(nil)

func id(n int64) string { return strconv.FormatInt(n, 10) }

func parseID(what, s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		if len(s) > 40 {
			s = s[:40]
		}
		return 0, apperr.New(apperr.NotFound, "no %s %q", what, s)
	}
	return n, nil
}

func js(v any) string { b, _ := json.Marshal(v); return string(b) }

// Tx runs fn in a write transaction.
func (s *Store) Tx(ctx context.Context, fn func(tx *sql.Tx) error) error { return s.DB.Tx(ctx, fn) }

// CompoundArea returns a compound's residential area.
func (s *Store) CompoundArea(ctx context.Context, compound string) (string, error) {
	var area string
	err := s.DB.R.QueryRowContext(ctx, `SELECT committee FROM compounds WHERE code = $1`, compound).Scan(&area)
	return area, sqldb.MapErr(err)
}

// OwnerKnown reports whether owner is a login or a unit.
func (s *Store) OwnerKnown(ctx context.Context, owner string) (bool, error) {
	var n int
	err := s.DB.R.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM users WHERE username = $1) + (SELECT COUNT(*) FROM units WHERE code = $1)`, owner).Scan(&n)
	return n > 0, sqldb.MapErr(err)
}

const cols = `m.id, m.area, m.compound, m.kind, m.topic, m.starts_at, m.place, m.participants, m.minutes, m.decisions, m.status, m.version, m.created_by, m.created_at, m.updated_at`

func scan(r sqldb.Scanner) (meeting.Meeting, error) {
	var m meeting.Meeting
	var n, sa, ver, ca, ua int64
	var parts, decs string
	err := r.Scan(&n, &m.Area, &m.Compound, &m.Kind, &m.Topic, &sa, &m.Place, &parts, &m.Minutes, &decs, &m.Status, &ver, &m.CreatedBy, &ca, &ua)
	m.ID, m.StartsAt, m.Version, m.CreatedAt, m.UpdatedAt = id(n), sqldb.FromMicros(sa), ver, sqldb.FromMicros(ca), sqldb.FromMicros(ua)
	_ = json.Unmarshal([]byte(parts), &m.Participants)
	_ = json.Unmarshal([]byte(decs), &m.Decisions)
	if m.Participants == nil {
		m.Participants = []meeting.Participant{}
	}
	if m.Decisions == nil {
		m.Decisions = []string{}
	}
	m.Orders, m.Actions = []string{}, []meeting.Action{}
	return m, err
}

const actionCols = `id, meeting_id, text, owner, due, status, done_at, done_by, created_at`

func scanAction(r sqldb.Scanner) (meeting.Action, error) {
	var a meeting.Action
	var n, mid, due, ca int64
	var done sql.NullInt64
	err := r.Scan(&n, &mid, &a.Text, &a.Owner, &due, &a.Status, &done, &a.DoneBy, &ca)
	a.ID, a.Meeting, a.Due, a.DoneAt, a.CreatedAt = id(n), id(mid), sqldb.FromMicros(due), sqldb.FromNullMicros(done), sqldb.FromMicros(ca)
	return a, err
}

// attach reads the meetings' orders and actions.
func attach(ctx context.Context, q sqldb.Querier, ms []meeting.Meeting) error {
	if len(ms) == 0 {
		return nil
	}
	at := map[string]int{}
	var a sqldb.Args
	ph := make([]string, len(ms))
	for i, m := range ms {
		at[m.ID] = i
		n, _ := strconv.ParseInt(m.ID, 10, 64)
		ph[i] = a.Add(n)
	}
	in := strings.Join(ph, ",")
	type link struct{ m, o string }
	links, err := sqldb.Collect(ctx, q, `SELECT meeting_id, order_id FROM meeting_orders WHERE meeting_id IN (`+in+`) ORDER BY meeting_id, order_id`, a,
		func(r sqldb.Scanner) (link, error) {
			var m, o int64
			err := r.Scan(&m, &o)
			return link{id(m), id(o)}, err
		})
	if err != nil {
		return err
	}
	for _, l := range links {
		ms[at[l.m]].Orders = append(ms[at[l.m]].Orders, l.o)
	}
	acts, err := sqldb.Collect(ctx, q, `SELECT `+actionCols+` FROM meeting_actions WHERE meeting_id IN (`+in+`) ORDER BY meeting_id, id`, a, scanAction)
	if err != nil {
		return err
	}
	for _, x := range acts {
		ms[at[x.Meeting]].Actions = append(ms[at[x.Meeting]].Actions, x)
	}
	return nil
}

func orderIDs(field string, ids []string) ([]int64, error) {
	out := make([]int64, len(ids))
	for i, s := range ids {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			return nil, apperr.FieldProblem(field, apperr.NoOrder(s))
		}
		out[i] = n
	}
	return out, nil
}

func (s *Store) writeOrders(ctx context.Context, tx *sql.Tx, mid int64, orders []string) error {
	ids, err := orderIDs("orders", orders)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM meeting_orders WHERE meeting_id = $1`, mid); err != nil {
		return err
	}
	for _, o := range ids {
		if _, err := tx.ExecContext(ctx, `INSERT INTO meeting_orders (meeting_id, order_id) VALUES ($1, $2)`, mid, o); err != nil {
			if k := sqldb.MapErr(err); apperr.Is(k, apperr.Invalid) {
				return apperr.FieldProblem("orders", apperr.NoOrder(id(o)))
			}
			return err
		}
	}
	return nil
}

// InsertMeeting writes a new meeting and its order links in tx.
func (s *Store) InsertMeeting(ctx context.Context, tx *sql.Tx, m meeting.Meeting) (string, error) {
	var n int64
	err := tx.QueryRowContext(ctx, `INSERT INTO meetings (area, compound, kind, topic, starts_at, place, participants, minutes, decisions, status, version, created_by, created_at, updated_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14) RETURNING id`,
		m.Area, m.Compound, m.Kind, m.Topic, sqldb.Micros(m.StartsAt), m.Place, js(m.Participants), m.Minutes, js(m.Decisions), m.Status, m.Version,
		m.CreatedBy, sqldb.Micros(m.CreatedAt), sqldb.Micros(m.UpdatedAt)).Scan(&n)
	if err != nil {
		return "", sqldb.MapErr(err)
	}
	return id(n), s.writeOrders(ctx, tx, n, m.Orders)
}

// LockMeeting reads a meeting locked in tx.
func (s *Store) LockMeeting(ctx context.Context, tx *sql.Tx, mid string) (meeting.Meeting, error) {
	return s.get(ctx, tx, mid, s.DB.ForUpdate())
}

func (s *Store) get(ctx context.Context, q sqldb.Querier, mid, lock string) (meeting.Meeting, error) {
	n, err := parseID("meeting", mid)
	if err != nil {
		return meeting.Meeting{}, err
	}
	m, err := scan(q.QueryRowContext(ctx, `SELECT `+cols+` FROM meetings m WHERE m.id = $1`+lock, n))
	if err != nil {
		return meeting.Meeting{}, sqldb.MapErr(err)
	}
	one := []meeting.Meeting{m}
	return one[0], attach(ctx, q, one)
}

// UpdateMeeting writes m at version prev (Conflict when stale).
func (s *Store) UpdateMeeting(ctx context.Context, tx *sql.Tx, m meeting.Meeting, prev int64) error {
	n, err := parseID("meeting", m.ID)
	if err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `UPDATE meetings SET kind=$1, topic=$2, starts_at=$3, place=$4, participants=$5, minutes=$6, decisions=$7, status=$8,
		version=$9, updated_at=$10 WHERE id=$11 AND version=$12`,
		m.Kind, m.Topic, sqldb.Micros(m.StartsAt), m.Place, js(m.Participants), m.Minutes, js(m.Decisions), m.Status, m.Version, sqldb.Micros(m.UpdatedAt), n, prev)
	if err != nil {
		return sqldb.MapErr(err)
	}
	if k, _ := res.RowsAffected(); k != 1 {
		return apperr.New(apperr.Conflict, "someone else changed this meeting; reload it").Because(apperr.ReasonStale)
	}
	return s.writeOrders(ctx, tx, n, m.Orders)
}

// Meeting reads one meeting with its orders and actions.
func (s *Store) Meeting(ctx context.Context, mid string) (meeting.Meeting, error) {
	return s.get(ctx, s.DB.R, mid, "")
}

// Meetings lists meetings by start time (newest first, or oldest for a
// thread), then id.
func (s *Store) Meetings(ctx context.Context, f meeting.Filter) ([]meeting.Meeting, string, error) {
	var a sqldb.Args
	q := `SELECT ` + cols + ` FROM meetings m WHERE 1=1`
	if !f.Scope.All {
		q += ` AND m.area = ` + a.Add(f.Scope.Area)
	}
	if f.Compound != "" {
		q += ` AND m.compound = ` + a.Add(f.Compound)
	}
	if len(f.Orders) > 0 {
		ids, err := orderIDs("order", f.Orders)
		if err != nil {
			return []meeting.Meeting{}, "", nil
		}
		ph := make([]string, len(ids))
		for i, n := range ids {
			ph[i] = a.Add(n)
		}
		q += ` AND m.id IN (SELECT meeting_id FROM meeting_orders WHERE order_id IN (` + strings.Join(ph, ",") + `))`
	}
	if f.From != nil {
		q += ` AND m.starts_at >= ` + a.Add(sqldb.Micros(*f.From))
	}
	if f.To != nil {
		q += ` AND m.starts_at < ` + a.Add(sqldb.Micros(*f.To))
	}
	cmp, dir := "<", "DESC"
	if f.Oldest {
		cmp, dir = ">", "ASC"
	}
	if f.Cursor != "" {
		at, mid, ok := strings.Cut(f.Cursor, ".")
		t, err1 := strconv.ParseInt(at, 10, 64)
		n, err2 := strconv.ParseInt(mid, 10, 64)
		if !ok || err1 != nil || err2 != nil {
			return nil, "", apperr.Field("cursor", "not a cursor this list gave")
		}
		q += ` AND (m.starts_at ` + cmp + ` ` + a.Add(t) + ` OR (m.starts_at = ` + a.Add(t) + ` AND m.id ` + cmp + ` ` + a.Add(n) + `))`
	}
	q += ` ORDER BY m.starts_at ` + dir + `, m.id ` + dir + ` LIMIT ` + strconv.Itoa(f.Limit+1)
	ms, err := sqldb.Collect(ctx, s.DB.R, q, a, scan)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(ms) > f.Limit {
		ms = ms[:f.Limit]
		last := ms[f.Limit-1]
		next = strconv.FormatInt(sqldb.Micros(last.StartsAt), 10) + "." + last.ID
	}
	if ms == nil {
		ms = []meeting.Meeting{}
	}
	return ms, next, attach(ctx, s.DB.R, ms)
}

// AddAction writes an action after check accepted the meeting, locked.
func (s *Store) AddAction(ctx context.Context, mid string, a meeting.Action, check func(meeting.Meeting) error) (meeting.Action, error) {
	err := s.DB.Tx(ctx, func(tx *sql.Tx) error {
		m, err := s.LockMeeting(ctx, tx, mid)
		if err != nil {
			return err
		}
		if err := check(m); err != nil {
			return err
		}
		n, _ := strconv.ParseInt(m.ID, 10, 64)
		var aid int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO meeting_actions (meeting_id, text, owner, due, status, created_at) VALUES ($1,$2,$3,$4,$5,$6) RETURNING id`,
			n, a.Text, a.Owner, sqldb.Micros(a.Due), a.Status, sqldb.Micros(a.CreatedAt)).Scan(&aid); err != nil {
			return err
		}
		a.ID, a.Meeting = id(aid), m.ID
		return nil
	})
	return a, err
}

// Action reads one action.
func (s *Store) Action(ctx context.Context, aid string) (meeting.Action, error) {
	n, err := parseID("action", aid)
	if err != nil {
		return meeting.Action{}, err
	}
	a, err := scanAction(s.DB.R.QueryRowContext(ctx, `SELECT `+actionCols+` FROM meeting_actions WHERE id = $1`, n))
	return a, sqldb.MapErr(err)
}

// DoneAction marks an open action done (Conflict when it already is).
func (s *Store) DoneAction(ctx context.Context, aid string, at time.Time, by string) (meeting.Action, error) {
	n, err := parseID("action", aid)
	if err != nil {
		return meeting.Action{}, err
	}
	var out meeting.Action
	err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE meeting_actions SET status='done', done_at=$1, done_by=$2 WHERE id=$3 AND status='open'`, sqldb.Micros(at), by, n)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k != 1 {
			var st string
			if err := tx.QueryRowContext(ctx, `SELECT status FROM meeting_actions WHERE id=$1`, n).Scan(&st); err != nil {
				return err
			}
			return apperr.New(apperr.Conflict, "the action is already %s", st)
		}
		out, err = scanAction(tx.QueryRowContext(ctx, `SELECT `+actionCols+` FROM meeting_actions WHERE id = $1`, n))
		return err
	})
	return out, err
}

// Overdue lists open actions past their due whose owner has no notice for
// that due yet in the staff's inbox (the notifications table, where the
// orders' service stores them). The owner is a unit when a unit has its
// code, else a login.
func (s *Store) Overdue(ctx context.Context, now time.Time, limit int) ([]meeting.Overdue, error) {
	return sqldb.Collect(ctx, s.DB.R, `SELECT a.id, a.meeting_id, a.owner, EXISTS (SELECT 1 FROM units u WHERE u.code = a.owner), a.due, m.topic, a.text
		FROM meeting_actions a JOIN meetings m ON m.id = a.meeting_id
		WHERE a.status = 'open' AND a.due < $1
		AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.action_id = a.id AND n.kind = 'action_overdue' AND n.deadline = a.due)
		ORDER BY a.due, a.id LIMIT `+strconv.Itoa(limit), []any{sqldb.Micros(now)}, func(r sqldb.Scanner) (meeting.Overdue, error) {
		var o meeting.Overdue
		var aid, mid, due int64
		err := r.Scan(&aid, &mid, &o.Owner, &o.OwnerIsUnit, &due, &o.Topic, &o.Text)
		o.Action, o.Meeting, o.Due = id(aid), id(mid), sqldb.FromMicros(due)
		return o, err
	})
}
