package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"hotline/internal/apperr"
)

// AuditDurable appends entries to the audit log and returns once they are
// committed, like Audit, but group-committed: the entries of every request
// waiting at that moment are written in one statement, by view committers
// of their own (viewLoop), so that views do not queue behind a batch of
// creates (nor creates behind views). The service calls it before it
// answers with the data the entries record, so a view that was sent is a
// view that was logged, whatever happens to the process afterwards.
//
// The commit is a lazy one (sqldb.ExecLazy): it does not wait for the
// fsync. Issue 19 asked for dispatchers (every fetch an unmasked, audited
// view) to read at 0.8× a leader's rate at 8 clients; with each view
// waiting for a 1.7 ms fsync they read at 0.49× (SQLite) and 0.55×
// (PostgreSQL) even with eight views per commit, which is the bound 8 /
// (read + flush) sets. The entry still survives the server being killed
// (TestSIGKILLMidViews); what a power cut may take is the views of the last
// few milliseconds (SQLite, LazyFlushWithin) or 600 ms (PostgreSQL) — after
// data that was shown on a screen, not data of record.
//
// On SQLite the entries are committed to the journal (sqldb.DB.Lazy, a
// file of its own: a commit to the main file would empty every reader's
// page cache) and moved into the main audit_log within viewMoveEvery, and
// at once before the log is read (AuditLog), at start-up (Migrate) and at
// Close (moveViews).
func (s *Store) AuditDurable(ctx context.Context, entries ...AuditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	req := &createReq{ctx: ctx, audit: entries, done: make(chan error, 1)}
	s.startCommitters()
	select {
	case <-s.closing:
		return apperr.New(apperr.Internal, "the database is closing")
	default:
	}
	select {
	case s.views <- req:
	case <-ctx.Done():
		return apperr.Wrap(ctx.Err(), "request cancelled")
	case <-s.closing:
		return apperr.New(apperr.Internal, "the database is closing")
	}
	return <-req.done
}

// viewCommitters is how many goroutines commit audited views. When each
// view's commit waited for a WAL flush, four of them let concurrent flushes
// overlap on PostgreSQL; with lazy commits (no flush to wait for) fewer,
// larger batches cost less per view: 8 concurrent views took 82–129 µs each
// with four committers, 41–106 µs with one and 58–92 µs with two
// (BenchmarkAuditViews/postgres/group, alternated, load 6–8), and through
// the API at 8 clients the leader's CPU per fetch over the dispatcher's was
// 0.781–0.792 with one against 0.724–0.749 with two (createload, issue
// 19's fourth round). SQLite's journal has one connection anyway.
const viewCommitters = 1

// viewMoveEvery is how long, on SQLite, a view's entry may wait in the
// journal before it is moved into the main file's audit_log: each move is
// one commit of record (an fsync) and empties the readers' page caches
// once, so a few moves a second cost the readers nothing they notice.
const viewMoveEvery = 250 * time.Millisecond

// startViewCommitters starts the view committers (and on SQLite the
// journal's mover); it runs once, inside startCommitters, before any view
// is queued.
func (s *Store) startViewCommitters() {
	if s.Dialect == SQLite {
		s.committers.Add(1)
		go s.moveLoop()
	}
	for range viewCommitters {
		s.committers.Add(1)
		go s.viewLoop()
	}
}

// viewLoop commits the audited views waiting when it is free, up to
// maxBatch at a time, until the store closes.
func (s *Store) viewLoop() {
	defer s.committers.Done()
	for {
		batch, ok := s.nextBatch(s.views)
		if !ok {
			return
		}
		s.commitViews(batch)
	}
}

// commitViews writes the entries of a batch of views in one statement and
// answers them.
func (s *Store) commitViews(views []*createReq) {
	rows := make([][]any, 0, len(views))
	for _, r := range views {
		for _, a := range r.audit {
			rows = append(rows, []any{micros(a.At), a.Actor, a.Action, a.Target, a.Detail})
		}
	}
	err := s.writeAuditRows(context.WithoutCancel(views[0].ctx), rows)
	if err != nil {
		err = apperr.Wrap(mapErr(err), "the audit log was not written")
	} else if s.Dialect == SQLite {
		select {
		case s.viewsMoved <- struct{}{}:
		default: // a move is pending: it will take these rows too
		}
	}
	for _, r := range views {
		r.done <- err
	}
}

// writeAuditRows writes the entries as lazy writes (sqldb.ExecLazy):
// committed, visible and kept if the process dies, but without waiting for
// the disk — see AuditDurable for why views may and orders may not. On
// SQLite they go to the journal's audit_log.
func (s *Store) writeAuditRows(ctx context.Context, rows [][]any) error {
	if err := s.ensureJournal(ctx); err != nil {
		return err
	}
	// One statement is atomic by itself: one round trip, one commit. Chunks
	// stay under both engines' limit on parameters.
	per := 30000 / len(auditCols)
	for len(rows) > 0 {
		n := min(per, len(rows))
		args := make([]any, 0, n*len(auditCols))
		for _, r := range rows[:n] {
			args = append(args, r...)
		}
		if err := s.execLazy(ctx, numberedInsert("audit_log", auditCols, n), n, args); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// maxCachedViews is the largest batch of views whose INSERT stays compiled
// on SQLite's journal (one statement per batch size; larger batches are
// rare: more views at once than clients in flight).
const maxCachedViews = 32

// execLazy runs an INSERT of n rows as a lazy write; on SQLite the
// statement for each batch size up to maxCachedViews stays compiled on the
// journal's connection (compiling was a sixth of a view's commit).
func (s *Store) execLazy(ctx context.Context, q string, n int, args []any) error {
	if s.Dialect != SQLite || n > maxCachedViews {
		return s.db.ExecLazy(ctx, q, args...)
	}
	st, err := s.jstmts.prepared(ctx, q)
	if err != nil {
		return mapErr(err)
	}
	if _, err := st.ExecContext(ctx, args...); err != nil {
		return mapErr(err)
	}
	s.db.LazyWritten()
	return nil
}

// journalSchema is the journal's one table, audit_log as in the main file
// but AUTOINCREMENT: a moved row's id is never given again, so the mark of
// the last id moved (journalMark) cannot skip a newer row.
const journalSchema = `CREATE TABLE IF NOT EXISTS audit_log (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      INTEGER NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    target  TEXT NOT NULL,
    detail  TEXT NOT NULL DEFAULT ''
)`

// journalMark is the key in the main file's settings of the last journal id
// moved into its audit_log, written in the same transaction as the rows.
const journalMark = "audit_journal_moved"

// ensureJournal creates the journal's table on SQLite, once, and keeps its
// ids above the mark (a journal file removed and made anew starts at 1).
func (s *Store) ensureJournal(ctx context.Context) error {
	if s.Dialect != SQLite {
		return nil
	}
	s.journalMu.Lock()
	defer s.journalMu.Unlock()
	if s.journalReady {
		return nil
	}
	j, err := s.db.Lazy()
	if err != nil {
		return err
	}
	if _, err := j.ExecContext(ctx, journalSchema); err != nil {
		return mapErr(err)
	}
	s.jstmts = newStmtCache(j)
	mark, err := s.journalMoved(ctx)
	if err != nil {
		return err
	}
	if _, err := j.ExecContext(ctx, `UPDATE sqlite_sequence SET seq = $1 WHERE name = 'audit_log' AND seq < $1`, mark); err != nil {
		return mapErr(err)
	}
	if _, err := j.ExecContext(ctx, `INSERT INTO sqlite_sequence (name, seq) SELECT 'audit_log', $1 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'audit_log')`, mark); err != nil {
		return mapErr(err)
	}
	s.journalReady = true
	return nil
}

// journalMoved reads the mark: the last journal id moved (0: none).
func (s *Store) journalMoved(ctx context.Context) (int64, error) {
	var raw string
	err := s.w.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = $1`, journalMark).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, mapErr(err)
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return 0, apperr.Wrap(err, "the setting %s", journalMark)
	}
	return n, nil
}

func (s *Store) journalOpened() bool {
	s.journalMu.Lock()
	defer s.journalMu.Unlock()
	return s.journalReady
}

// moveLoop moves the journal's entries into the main file viewMoveEvery
// after a view was committed to it, until the store closes (Close moves
// what is left).
func (s *Store) moveLoop() {
	defer s.committers.Done()
	for {
		select {
		case <-s.viewsMoved:
		case <-s.closing:
			return
		}
		select {
		case <-time.After(viewMoveEvery):
		case <-s.closing:
			return
		}
		if err := s.moveViews(context.Background()); err != nil {
			s.moveFailures.Add(1) // retried at the next move; the rows stay in the journal
		}
	}
}

// moveBatch bounds the rows one move commits at a time.
const moveBatch = 2000

// moveViews moves the journal's entries (SQLite) into the main file's
// audit_log, oldest first, in commits of record, and deletes them from the
// journal. The main file's ids are given in the journal's order when the
// entries move, so a view waits up to viewMoveEvery for its id (and may get
// a higher one than a write of record committed meanwhile; at is the time
// of the view).
//
// Each move holds the journal's write lock from its read to its delete
// (BEGIN IMMEDIATE), so two movers — the server's and a command run beside
// it — never move the same rows; and it writes the last id it moved
// (journalMark) in the main file's transaction, so rows a killed process
// moved but could not delete from the journal are deleted, not moved
// again, by the next move.
func (s *Store) moveViews(ctx context.Context) error {
	if s.Dialect != SQLite {
		return nil
	}
	if err := s.ensureJournal(ctx); err != nil {
		return err
	}
	s.moveMu.Lock()
	defer s.moveMu.Unlock()
	for {
		more, err := s.moveSome(ctx)
		if err != nil || !more {
			return err
		}
	}
}

// moveSome moves up to moveBatch rows; more says there may be others.
func (s *Store) moveSome(ctx context.Context) (more bool, err error) {
	j, err := s.db.Lazy()
	if err != nil {
		return false, err
	}
	jtx, err := j.BeginTx(ctx, nil) // IMMEDIATE: the journal's write lock
	if err != nil {
		return false, mapErr(err)
	}
	defer jtx.Rollback()
	mark, err := s.journalMoved(ctx)
	if err != nil {
		return false, err
	}
	var last int64
	rows, err := collect(ctx, jtx, "SELECT id, at, actor, action, target, detail FROM audit_log WHERE id > $1 ORDER BY id LIMIT "+strconv.Itoa(moveBatch), []any{mark},
		func(sc rowScanner) ([]any, error) {
			var at int64
			var actor, action, target, detail string
			err := sc.Scan(&last, &at, &actor, &action, &target, &detail)
			return []any{at, actor, action, target, detail}, err
		})
	if err != nil {
		return false, err
	}
	if len(rows) > 0 {
		// One statement compiled once and run per row: a multi-row INSERT
		// of 2,000 rows spent most of its time in SQLite's lookups of its
		// 10,000 numbered parameters, which grow with their square.
		err = s.tx(ctx, func(tx *sql.Tx) error {
			stmt, err := tx.PrepareContext(ctx, `INSERT INTO audit_log (at, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5)`)
			if err != nil {
				return err
			}
			defer stmt.Close()
			for _, r := range rows {
				if _, err := stmt.ExecContext(ctx, r...); err != nil {
					return err
				}
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
				journalMark, strconv.FormatInt(last, 10))
			return err
		})
		if err != nil {
			return false, err
		}
		mark = last
	}
	// Also the rows a killed mover had moved (ids up to the mark).
	if _, err := jtx.ExecContext(ctx, "DELETE FROM audit_log WHERE id <= $1", mark); err != nil {
		return false, mapErr(err)
	}
	if err := jtx.Commit(); err != nil {
		return false, mapErr(err)
	}
	s.db.LazyWritten()
	return len(rows) == moveBatch, nil
}

// ViewMoveFailures counts the moves of the journal's entries into the main
// file that failed (SQLite); each is retried at the next move.
func (s *Store) ViewMoveFailures() int64 { return s.moveFailures.Load() }
