package store

import (
	"context"
	"database/sql"
	"strconv"
	"time"

	"hotline/internal/order"
	"hotline/internal/textproc"
)

// OrderText is what the text intelligence learns from and indexes: an
// order's words and the decisions taken on it, never its caller.
type OrderText struct {
	ID          string
	Number      string
	Title       string
	Description string
	Category    string
	Unit        string
	Status      order.Status
	Source      order.Source
	Parent      string // the order it was merged into, if any
	Address     string
	ReplyText   string
	CreatedAt   time.Time
	// Private are the caller's name and phone: the hotspot clusterer cuts
	// them out of the text so they can never reach a cluster label.
	Private []string
}

// ForEachOrderText streams order texts to fn: open orders only, or closed
// orders only (the history the models learn from and the past cases
// operators consult), the newest limit of them. Closed orders come newest
// first; open ones oldest first, the order they arrived in, because the
// similar-order index finds candidates among each word's newest documents
// and takes "newest" from the order it was given them (textproc.Index).
func (s *Store) ForEachOrderText(ctx context.Context, open bool, limit int, fn func(OrderText) error) error {
	cond := "status NOT IN ('answered', 'closed', 'merged', 'invalid')"
	if !open {
		cond = "status = 'closed'"
	}
	return s.forEachOrderText(ctx, cond, limit, open, fn)
}

// ForEachMergedOrderText streams the orders merged into another since a
// time, newest first: a hotspot whose calls were merged into one case still
// shows that case (and whether it grew since) after a restart.
func (s *Store) ForEachMergedOrderText(ctx context.Context, since time.Time, limit int, fn func(OrderText) error) error {
	return s.forEachOrderText(ctx, "status = 'merged' AND created_at >= "+strconv.FormatInt(micros(since), 10), limit, false, fn)
}

// forEachOrderText streams the newest limit orders matching cond, newest
// first, or oldest first of those when oldestFirst is set.
func (s *Store) forEachOrderText(ctx context.Context, cond string, limit int, oldestFirst bool, fn func(OrderText) error) error {
	q := `SELECT id, number, title, description, category, COALESCE(unit, '') AS unit, status, reply_text, created_at,
		caller_name, caller_phone, source, COALESCE(parent, 0) AS parent, address FROM orders WHERE ` + cond + ` ORDER BY id DESC LIMIT ` + strconv.Itoa(limit)
	if oldestFirst {
		q = `SELECT * FROM (` + q + `) newest ORDER BY id`
	}
	rows, err := s.r.QueryContext(ctx, q)
	if err != nil {
		return mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var t OrderText
		var id, created, parent int64
		var st, name, phone, src string
		if err := rows.Scan(&id, &t.Number, &t.Title, &t.Description, &t.Category, &t.Unit, &st, &t.ReplyText, &created, &name, &phone, &src, &parent, &t.Address); err != nil {
			return mapErr(err)
		}
		t.Private = []string{name, phone}
		t.Source = order.Source(src)
		if parent != 0 {
			t.Parent = strconv.FormatInt(parent, 10)
		}
		t.ID, t.Status, t.CreatedAt = strconv.FormatInt(id, 10), order.Status(st), fromMicros(created)
		if err := fn(t); err != nil {
			return err
		}
	}
	return mapErr(rows.Err())
}

// ModelVersion is textproc.ModelVersion (an alias for older callers).
type ModelVersion = textproc.ModelVersion

// SaveModel stores a new model version.
func (s *Store) SaveModel(ctx context.Context, m *ModelVersion) error {
	var id int64
	// Through settingsTx: every instance then loads the new version
	// (service.Refresh → intel LoadCatalogue), not only the one that trained.
	err := s.settingsTx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO models (kind, trained_at, examples, held_out, accuracy, macro_f1, algorithm, data)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id`, m.Kind, micros(m.TrainedAt), m.Examples, m.HeldOut,
			floatPtr(m.Accuracy), floatPtr(m.MacroF1), m.Algorithm, m.Data).Scan(&id)
	})
	m.ID = strconv.FormatInt(id, 10)
	return err
}

// LatestModelID is the id of the newest model version of a kind (without
// its data: the cheap check before loading it).
func (s *Store) LatestModelID(ctx context.Context, kind string) (string, error) {
	var id int64
	err := s.r.QueryRowContext(ctx, `SELECT id FROM models WHERE kind = $1 ORDER BY id DESC LIMIT 1`, kind).Scan(&id)
	return strconv.FormatInt(id, 10), mapErr(err)
}

// Models lists model versions, newest first, without their data.
func (s *Store) Models(ctx context.Context, limit int) ([]ModelVersion, error) {
	return collect(ctx, s.r, `SELECT id, kind, trained_at, examples, held_out, accuracy, macro_f1, algorithm FROM models
		ORDER BY id DESC LIMIT `+strconv.Itoa(limit), nil, func(sc rowScanner) (ModelVersion, error) {
		var m ModelVersion
		var id, at int64
		var acc, f1 sql.NullFloat64
		err := sc.Scan(&id, &m.Kind, &at, &m.Examples, &m.HeldOut, &acc, &f1, &m.Algorithm)
		m.ID, m.TrainedAt, m.Accuracy, m.MacroF1 = strconv.FormatInt(id, 10), fromMicros(at), nullFloat(acc), nullFloat(f1)
		return m, err
	})
}

// LatestModel returns the newest model of a kind with its data, or
// NotFound.
func (s *Store) LatestModel(ctx context.Context, kind string) (ModelVersion, error) {
	var m ModelVersion
	var id, at int64
	var acc, f1 sql.NullFloat64
	err := s.r.QueryRowContext(ctx, `SELECT id, kind, trained_at, examples, held_out, accuracy, macro_f1, algorithm, data FROM models
		WHERE kind = $1 ORDER BY id DESC LIMIT 1`, kind).Scan(&id, &m.Kind, &at, &m.Examples, &m.HeldOut, &acc, &f1, &m.Algorithm, &m.Data)
	if err != nil {
		return m, mapErr(err)
	}
	m.ID, m.TrainedAt, m.Accuracy, m.MacroF1 = strconv.FormatInt(id, 10), fromMicros(at), nullFloat(acc), nullFloat(f1)
	return m, nil
}

// ClaimJobRun reports whether owner is the one instance to run job for
// period (e.g. "train", "2026-12-06"): the first to insert the row wins,
// every later call, from any instance, gets false. Issue 12 (same class as
// the outbox's double sends): every instance retrained at 02:00, each
// storing its own model versions.
func (s *Store) ClaimJobRun(ctx context.Context, job, period, owner string, now time.Time) (bool, error) {
	var n int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO job_runs (job, period, owner, started_at) VALUES ($1,$2,$3,$4)
			ON CONFLICT (job, period) DO NOTHING`, job, period, owner, micros(now))
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return n == 1, err
}
