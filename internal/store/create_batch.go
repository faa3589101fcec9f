package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"hotline/internal/apperr"
	"hotline/internal/calendar"
	"hotline/internal/order"
)

// errPerOrder sends a batch to the per-order path.
var errPerOrder = errors.New("batch needs the per-order path")

// unknownOutcome is a batch failure after which the batch may or may not
// have committed: commitBatch answers it to every order and redoes nothing.
type unknownOutcome struct{ err error }

func (u *unknownOutcome) Error() string { return "create batch outcome unknown: " + u.err.Error() }
func (u *unknownOutcome) Unwrap() error { return u.err }

// createBatch writes a whole batch of creates in one transaction with a
// handful of statements, however many orders it holds: the ids and each
// day's serial numbers are reserved once for the batch, the hashes computed
// in Go, and each table written in one go. It is all or nothing; commitBatch
// redoes a failed batch one order at a time. A batch with an order that
// carries extra rows (after) goes to the per-order path directly.
func (s *Store) createBatch(batch []*createReq) error {
	for _, r := range batch {
		if r.after != nil {
			return errPerOrder
		}
	}
	ctx := context.WithoutCancel(batch[0].ctx)
	evs := make([]*order.Event, len(batch))
	for i, r := range batch {
		evs[i] = &r.ev
	}
	if err := s.ensureTerms(ctx, evs...); err != nil {
		return err
	}
	if s.Dialect == Postgres {
		return s.createBatchPostgres(ctx, batch)
	}
	if err := s.prepareCreate(ctx); err != nil {
		return err
	}
	// The statements this batch ran uncompiled (the rollup upserts of keys
	// not seen before) are compiled after it, for the next batches.
	defer s.wstmts.prepareWanted(ctx)
	return s.tx(ctx, func(tx *sql.Tx) error {
		x := txStmts{tx, s.wstmts}
		var maxID int64
		// The writer holds SQLite's write lock until commit: the ids after
		// the current maximum are ours.
		if err := x.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM orders`).Scan(&maxID); err != nil {
			return err
		}
		ids := make([]int64, len(batch))
		for k := range ids {
			ids[k] = maxID + int64(k) + 1
		}
		days, perDay := batchDays(batch)
		last := map[string]int{}
		for _, d := range days {
			var err error
			if last[d], err = reserveSerials(ctx, x, d, perDay[d]); err != nil {
				return err
			}
		}
		w, err := s.batchRows(batch, ids, last, perDay)
		if err != nil {
			return err
		}
		for _, t := range w.tables() {
			q := multiInsert(t.name, t.cols, 1)
			for _, r := range t.rows {
				if _, err := x.ExecContext(ctx, q, r...); err != nil {
					return err
				}
			}
		}
		return s.applyDelta(ctx, x, w.delta) // dashboards (store/rollup.go)
	})
}

// createBatchPostgres is createBatch on PostgreSQL in two round trips,
// pipelined on one connection: the first opens the transaction and reserves
// the ids and serials (the hashes need the ids); the second sends every
// INSERT, the rollup upserts and the COMMIT at once. Statement by statement
// through database/sql, a batch cost about fifteen round trips, and the day's
// serial-number row stayed locked through all of them.
func (s *Store) createBatchPostgres(ctx context.Context, batch []*createReq) error {
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		ok := false
		defer func() {
			if !ok { // whatever failed, leave the connection outside any transaction
				pc.Exec(context.Background(), "ROLLBACK")
			}
		}()
		days, perDay := batchDays(batch)
		first := &pgx.Batch{}
		first.Queue("BEGIN")
		first.Queue(`SELECT nextval(pg_get_serial_sequence('orders', 'id')) FROM generate_series(1, $1)`, len(batch))
		for _, d := range days {
			first.Queue(`INSERT INTO day_serials(day, last) VALUES ($1, $2)
				ON CONFLICT(day) DO UPDATE SET last = day_serials.last + $2 RETURNING last`, d, perDay[d])
		}
		var ids []int64
		last := map[string]int{}
		br := pc.SendBatch(ctx, first)
		err := func() error {
			if _, err := br.Exec(); err != nil { // BEGIN
				return err
			}
			rows, err := br.Query()
			if err != nil {
				return err
			}
			if ids, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
				return err
			}
			for _, d := range days {
				var n int
				if err := br.QueryRow().Scan(&n); err != nil {
					return err
				}
				last[d] = n
			}
			return nil
		}()
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		w, err := s.batchRows(batch, ids, last, perDay)
		if err != nil {
			return err
		}
		q := &pgQueue{}
		for _, t := range w.tables() {
			per := max(1, 30000/len(t.cols))
			for rows := t.rows; len(rows) > 0; rows = rows[min(per, len(rows)):] {
				n := min(per, len(rows))
				args := make([]any, 0, n*len(t.cols))
				for _, r := range rows[:n] {
					args = append(args, r...)
				}
				q.Queue(numberedInsert(t.name, t.cols, n), args...)
			}
		}
		if err := s.applyDelta(ctx, q, w.delta); err != nil { // dashboards (store/rollup.go)
			return err
		}
		q.Queue("COMMIT")
		br = pc.SendBatch(ctx, &q.Batch)
		var pgErr *pgconn.PgError
		for i := range q.Len() {
			if _, err = br.Exec(); err != nil {
				// A statement the server refused aborts the transaction and
				// the batch may be redone; any other failure (the COMMIT's
				// own, a lost connection) leaves its outcome unknown, and a
				// redo could store the orders twice.
				if i == q.Len()-1 || !errors.As(err, &pgErr) {
					err = &unknownOutcome{err}
				}
				break
			}
		}
		if cerr := br.Close(); err == nil && cerr != nil {
			err = &unknownOutcome{cerr}
		}
		ok = err == nil
		return err
	})
}

// pgQueue gathers statements for one pipelined round trip; it is the
// execer the rollup code writes through (its results are not read).
type pgQueue struct{ pgx.Batch }

func (q *pgQueue) ExecContext(_ context.Context, query string, args ...any) (sql.Result, error) {
	q.Queue(query, args...)
	return driver.RowsAffected(0), nil
}

// batchDays counts a batch's orders per day of creation (Shanghai time),
// the days in ascending order: their day_serials rows are locked in that
// order (the lock order of createOrderTx, store/orders.go).
func batchDays(batch []*createReq) (days []string, perDay map[string]int) {
	perDay = map[string]int{}
	for _, r := range batch {
		d := serialDay(r.o)
		if perDay[d] == 0 {
			days = append(days, d)
		}
		perDay[d]++
	}
	slices.Sort(days)
	return days, perDay
}

// batchWrite is what a create batch writes: a table's rows each, and the
// rollup changes.
type batchWrite struct {
	orders, events, fts, audits [][]any
	ordersCols                  []string
	delta                       *rollDelta
}

type tableRows struct {
	name string
	cols []string
	rows [][]any
}

func (w *batchWrite) tables() []tableRows {
	return []tableRows{
		{"orders", w.ordersCols, w.orders},
		{"order_events", eventCols, w.events},
		{"order_fts", []string{"rowid", "tokens"}, w.fts},
		{"audit_log", auditCols, w.audits},
	}
}

var auditCols = []string{"at", "actor", "action", "target", "detail"}

// batchRows gives each order of the batch its id and number (last is each
// day's last reserved serial), seals its first event, and builds the rows.
func (s *Store) batchRows(batch []*createReq, ids []int64, last, perDay map[string]int) (*batchWrite, error) {
	if len(ids) != len(batch) {
		return nil, fmt.Errorf("reserved %d ids for %d orders", len(ids), len(batch))
	}
	next := map[string]int{}
	for d, n := range perDay {
		if last[d] > 99999 {
			return nil, apperr.New(apperr.Conflict, "more than 99999 orders on %s: the day's numbers are used up", d)
		}
		next[d] = last[d] - n + 1
	}
	w := &batchWrite{ordersCols: bulkCols, delta: newDelta()}
	if s.Dialect == Postgres {
		w.ordersCols = append(bulkCols[:len(bulkCols):len(bulkCols)], "search_text")
	}
	for i, r := range batch {
		o := r.o
		d := o.CreatedAt.In(calendar.Shanghai).Format("20060102")
		o.Number = fmt.Sprintf("%s%05d", d, next[d])
		next[d]++
		o.ID = strconv.FormatInt(ids[i], 10)
		b := BulkOrder{Order: *o, Event: r.ev}
		b.Event.OrderID = o.ID
		b.Event.Seal(1, order.GenesisHash)
		row := bulkOrderValues(&b, ids[i])
		if s.Dialect == Postgres {
			row = append(row, searchText(r.tokens))
		} else {
			w.fts = append(w.fts, []any{ids[i], searchText(r.tokens)})
		}
		w.orders = append(w.orders, row)
		ev, err := s.bulkEventValues(&b.Event, ids[i])
		if err != nil {
			return nil, err
		}
		w.events = append(w.events, ev)
		for _, a := range r.audit {
			w.audits = append(w.audits, []any{micros(a.At), a.Actor, a.Action, strings.ReplaceAll(a.Target, "{id}", o.ID), a.Detail})
		}
		w.delta.order(o, 1)
	}
	return w, nil
}

// prepareCreate compiles, once, SQLite's single-row INSERTs of a create
// batch on the writer connection (stmtcache.go): a multi-row INSERT's
// compile grows with its rows and cost more than running it. It runs before
// the batch's transaction begins: the writer pool's one connection is the
// transaction's.
func (s *Store) prepareCreate(ctx context.Context) error {
	w := batchWrite{ordersCols: bulkCols}
	for _, t := range w.tables() {
		q := multiInsert(t.name, t.cols, 1)
		st, err := s.wstmts.prepared(ctx, q)
		if err != nil {
			return err
		}
		s.wstmts.closeIfUncached(q, st)
	}
	return nil
}
