package store

import (
	"context"
	"database/sql"
	"strconv"
	"time"

	"hotline/internal/apperr"
	"hotline/internal/order"
)

// Notification is order.Notification (an alias for older callers).
type Notification = order.Notification

// Notify stores a notification unless the same (order, kind, target,
// deadline) was stored before. The unique key is what makes a notification
// go out exactly once however many sweepers run. It reports whether this
// call stored it.
//
// A notification about a meeting's action is unique by (action, kind,
// target, deadline) instead (migration 0017).
func (s *Store) Notify(ctx context.Context, n Notification) (bool, error) {
	q := `INSERT INTO notifications (target, order_id, kind, deadline, message, created_at)
		VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (order_id, kind, target, deadline) DO NOTHING`
	args := []any{n.Target, mustID(n.OrderID), n.Kind, micros(n.Deadline), n.Message, micros(n.CreatedAt)}
	if n.ActionID != "" {
		q = `INSERT INTO notifications (target, action_id, meeting_id, kind, deadline, message, created_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT (action_id, kind, target, deadline) WHERE action_id IS NOT NULL DO NOTHING`
		args = []any{n.Target, mustID(n.ActionID), mustID(n.MeetingID), n.Kind, micros(n.Deadline), n.Message, micros(n.CreatedAt)}
	}
	res, err := s.w.ExecContext(ctx, q, args...)
	if err != nil {
		return false, mapErr(err)
	}
	k, _ := res.RowsAffected()
	if k == 1 {
		s.observeNotify(n.Kind)
	}
	return k == 1, nil
}

// Notifications lists a target's inbox, newest first.
func (s *Store) Notifications(ctx context.Context, targets []string, unreadOnly bool, limit int) ([]Notification, error) {
	return s.notifications(ctx, targets, unreadOnly, false, limit)
}

// ActionNotifications lists the targets' notices about meetings' actions
// only, newest first.
func (s *Store) ActionNotifications(ctx context.Context, targets []string, limit int) ([]Notification, error) {
	return s.notifications(ctx, targets, false, true, limit)
}

func (s *Store) notifications(ctx context.Context, targets []string, unreadOnly, actions bool, limit int) ([]Notification, error) {
	if len(targets) == 0 {
		return nil, nil
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	var args []any
	q := `SELECT n.id, n.target, n.order_id, o.number, n.action_id, n.meeting_id, n.kind, n.deadline, n.message, n.created_at, n.read_at
		FROM notifications n LEFT JOIN orders o ON o.id = n.order_id WHERE n.target IN (` + placeholders(&args, targets) + ")"
	if unreadOnly {
		q += " AND n.read_at IS NULL"
	}
	if actions {
		q += " AND n.action_id IS NOT NULL"
	}
	q += " ORDER BY n.id DESC LIMIT " + strconv.Itoa(limit)
	return collect(ctx, s.r, q, args, func(sc rowScanner) (Notification, error) {
		var n Notification
		var id, deadline, created int64
		var read, oid, aid, mid sql.NullInt64
		var number sql.NullString
		err := sc.Scan(&id, &n.Target, &oid, &number, &aid, &mid, &n.Kind, &deadline, &n.Message, &created, &read)
		n.ID, n.Number = strconv.FormatInt(id, 10), number.String
		for _, x := range []struct {
			v  sql.NullInt64
			to *string
		}{{oid, &n.OrderID}, {aid, &n.ActionID}, {mid, &n.MeetingID}} {
			if x.v.Valid {
				*x.to = strconv.FormatInt(x.v.Int64, 10)
			}
		}
		n.Deadline, n.CreatedAt, n.ReadAt = fromMicros(deadline), fromMicros(created), fromNullMicros(read)
		return n, err
	})
}

// UnreadCount counts unread notifications of the targets.
func (s *Store) UnreadCount(ctx context.Context, targets []string) (int, error) {
	if len(targets) == 0 {
		return 0, nil
	}
	var args []any
	q := `SELECT COUNT(*) FROM notifications WHERE read_at IS NULL AND target IN (` + placeholders(&args, targets) + ")"
	var n int
	err := s.r.QueryRowContext(ctx, q, args...).Scan(&n)
	return n, mapErr(err)
}

// MarkRead marks a notification read, only within the given targets.
func (s *Store) MarkRead(ctx context.Context, id string, targets []string, now time.Time) error {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil {
		return apperr.New(apperr.NotFound, "no notification %s", truncate(id, 20))
	}
	args := []any{micros(now), n}
	q := `UPDATE notifications SET read_at = $1 WHERE id = $2 AND read_at IS NULL AND target IN (` + placeholders(&args, targets) + ")"
	_, err = s.w.ExecContext(ctx, q, args...)
	return mapErr(err)
}

// DeadlineCandidate is an open order whose reply deadline is near or past.
type DeadlineCandidate struct {
	OrderID string
	Number  string
	Unit    string
	Due     time.Time
}

// DueBefore lists open orders, not yet replied, whose due is at or before
// t, ordered by (due, id) and starting after the given candidate (keyset
// paging; pass nil for the first page).
//
// Orders already notified for this deadline and stage are left out, so a
// sweep over a large backlog of overdue orders costs one indexed query.
func (s *Store) DueBefore(ctx context.Context, t, now time.Time, after *DeadlineCandidate, limit int) ([]DeadlineCandidate, error) {
	afterDue, afterID := int64(-1<<62), int64(0)
	if after != nil {
		afterDue, afterID = micros(after.Due), mustID(after.OrderID)
	}
	return collect(ctx, s.r, `SELECT id, number, COALESCE(unit, ''), due FROM orders
		WHERE status IN ('dispatched', 'accepted', 'in_progress', 'return_requested') AND due IS NOT NULL AND due <= $1
		AND (due > $2 OR (due = $2 AND id > $3))
		AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.order_id = orders.id AND n.deadline = orders.due
			AND n.target = CASE WHEN orders.due <= $4 THEN 'center' ELSE COALESCE(orders.unit, '') END
			AND n.kind = CASE WHEN orders.due <= $4 THEN 'overdue' ELSE 'warning' END)
		ORDER BY due, id LIMIT `+strconv.Itoa(limit), []any{micros(t), afterDue, afterID, micros(now)}, func(sc rowScanner) (DeadlineCandidate, error) {
		var c DeadlineCandidate
		var id, due int64
		err := sc.Scan(&id, &c.Number, &c.Unit, &due)
		c.OrderID, c.Due = strconv.FormatInt(id, 10), fromMicros(due)
		return c, err
	})
}

// AuditEntry is one line of the audit log: who saw or did what.
type AuditEntry struct {
	ID     string    `json:"id"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"` // e.g. view_caller, login, export
	Target string    `json:"target"`
	Detail string    `json:"detail"`
}

type execer interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
}

func insertAudit(ctx context.Context, x execer, a AuditEntry) error {
	_, err := x.ExecContext(ctx, `INSERT INTO audit_log (at, actor, action, target, detail) VALUES ($1,$2,$3,$4,$5)`,
		micros(a.At), a.Actor, a.Action, a.Target, a.Detail)
	return err
}

// Audit appends entries to the audit log.
func (s *Store) Audit(ctx context.Context, entries ...AuditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, a := range entries {
			if err := insertAudit(ctx, tx, a); err != nil {
				return err
			}
		}
		return nil
	})
}

// AuditLog lists audit entries newest first, optionally filtered by actor or
// action, paged by id.
func (s *Store) AuditLog(ctx context.Context, actor, action, before string, limit int) ([]AuditEntry, error) {
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	// Views still in this instance's journal first (view_journal.go): the
	// log shows every view it answered.
	if err := s.moveViews(ctx); err != nil {
		return nil, err
	}
	q := `SELECT id, at, actor, action, target, detail FROM audit_log WHERE 1=1`
	var args []any
	if actor != "" {
		args = append(args, actor)
		q += " AND actor = $" + strconv.Itoa(len(args))
	}
	if action != "" {
		args = append(args, action)
		q += " AND action = $" + strconv.Itoa(len(args))
	}
	if before != "" {
		b, err := strconv.ParseInt(before, 10, 64)
		if err != nil {
			return nil, apperr.Field("before", "not an audit entry id")
		}
		args = append(args, b)
		q += " AND id < $" + strconv.Itoa(len(args))
	}
	return collect(ctx, s.r, q+" ORDER BY id DESC LIMIT "+strconv.Itoa(limit), args, func(sc rowScanner) (AuditEntry, error) {
		var a AuditEntry
		var id, at int64
		err := sc.Scan(&id, &at, &a.Actor, &a.Action, &a.Target, &a.Detail)
		a.ID, a.At = strconv.FormatInt(id, 10), fromMicros(at)
		return a, err
	})
}
