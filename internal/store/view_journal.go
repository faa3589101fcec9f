package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"hotline/internal/apperr"
	"hotline/internal/sqldb"
)

// SQLite's journal of views (PATH.views beside the main file, a SQLite
// database of its own): audited views are committed to it (writeAuditRows)
// and moved from it into the main file's audit_log in commits of record
// (moveViews). PostgreSQL's counterpart is the view log (viewlog.go).

// journalSchema is the journal's one table, audit_log as in the main file.
// A moved row's id must never be given again, or the mark of the last id
// moved (journalMark) would skip a newer row: a move leaves the last row it
// moved in place, emptied (its id is the mark; SQLite gives the next row
// the largest id plus one), and a journal made anew gets such a
// placeholder at the mark (ensureJournal). Journals made before kept their ids with
// AUTOINCREMENT, which cost each commit a second page (sqlite_sequence's).
const journalSchema = `CREATE TABLE IF NOT EXISTS audit_log (
    id      INTEGER PRIMARY KEY,
    at      INTEGER NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    target  TEXT NOT NULL,
    detail  TEXT NOT NULL DEFAULT ''
)`

// journalMark is the key in the database's settings of the last journal id
// moved into its audit_log, written in the same transaction as the rows. On
// PostgreSQL, where each instance may keep a view log of its own, the key is
// journalMark:ID, ID the log file's own, and the value a position in it.
const journalMark = "audit_journal_moved"

// UseViewJournal makes a PostgreSQL store keep the audited views it answers
// in a log file on this machine, at path, and move them into PostgreSQL's
// audit_log every viewMoveEvery (viewlog.go; README § "Audited views").
// Call it before Migrate: Migrate moves what a killed process left in the
// file. SQLite keeps its journal beside its file and takes no other.
func (s *Store) UseViewJournal(path string) error {
	if s.Dialect != Postgres {
		return apperr.New(apperr.Invalid, "a view journal is chosen only for PostgreSQL; SQLite keeps it beside its file (%s)", s.db.Journal())
	}
	if path == "" {
		return apperr.New(apperr.Invalid, "the view journal needs a file path")
	}
	l, err := openViewLog(path, sqldb.Identity(s.url))
	if err != nil {
		return err
	}
	s.viewLog = l
	return nil
}

// hasJournal says whether views wait somewhere before they move into the
// database: SQLite's journal or PostgreSQL's view log.
func (s *Store) hasJournal() bool { return s.db.Journal() != "" || s.viewLog != nil }

// ensureJournal creates the journal's table, once, reads which mark is the
// journal's, and keeps its ids above the mark (a journal file removed and
// made anew starts at 1).
func (s *Store) ensureJournal(ctx context.Context) error {
	if s.db.Journal() == "" {
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
	mark, err := s.markAt(ctx, journalMark)
	if err != nil {
		return err
	}
	// The placeholder at the mark (never moved: moves take ids above it).
	if _, err := j.ExecContext(ctx, `INSERT INTO audit_log (id, at, actor, action, target) SELECT $1, 0, '', '', '' WHERE $1 > 0 AND NOT EXISTS (SELECT 1 FROM audit_log WHERE id >= $1)`, mark); err != nil {
		return mapErr(err)
	}
	s.journalReady = true
	return nil
}

// markAt reads a mark: the last journal id moved, or the view log's
// position moved up to (0: none).
func (s *Store) markAt(ctx context.Context, key string) (int64, error) {
	var raw string
	err := s.w.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = $1`, key).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, mapErr(err)
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return 0, apperr.Wrap(err, "the setting %s", key)
	}
	return n, nil
}

func (s *Store) journalOpened() bool {
	s.journalMu.Lock()
	defer s.journalMu.Unlock()
	return s.journalReady
}

// moveLoop moves the journal's entries into the database viewMoveEvery
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

// moveViews moves the journal's entries into the database's audit_log, oldest first, in commits of record, and deletes them from the
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
	if s.viewLog != nil {
		return s.viewLog.move(ctx, s)
	}
	if s.db.Journal() == "" {
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
	mark, err := s.markAt(ctx, journalMark)
	if err != nil {
		return false, err
	}
	var last int64
	rows, err := collect(ctx, jtx, "SELECT id, at, actor, action, target, detail FROM audit_log WHERE id > $1 AND actor <> '' ORDER BY id LIMIT "+strconv.Itoa(moveBatch), []any{mark},
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
		if err := s.commitMoved(ctx, journalMark, rows, last); err != nil {
			return false, err
		}
		mark = last
	}
	// Also the rows a killed mover had moved (ids up to the mark), all but
	// the one at the mark, which is emptied into the placeholder that keeps
	// the next id above it.
	if _, err := jtx.ExecContext(ctx, "DELETE FROM audit_log WHERE id < $1", mark); err != nil {
		return false, mapErr(err)
	}
	if _, err := jtx.ExecContext(ctx, "UPDATE audit_log SET at = 0, actor = '', action = '', target = '', detail = '' WHERE id = $1 AND actor <> ''", mark); err != nil {
		return false, mapErr(err)
	}
	if err := jtx.Commit(); err != nil {
		return false, mapErr(err)
	}
	s.db.LazyWritten()
	return len(rows) == moveBatch, nil
}

// commitMoved writes a move's rows into the database's audit_log and the
// mark (key: last, the journal id of the last row or the log's position
// after it) in one commit of record.
// SQLite: one INSERT compiled once and run per row (a multi-row INSERT of
// 2,000 rows spent most of its time in SQLite's lookups of its 10,000
// numbered parameters, which grow with their square). PostgreSQL: COPY.
func (s *Store) commitMoved(ctx context.Context, key string, rows [][]any, last int64) error {
	const setMark = `INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`
	markValue := strconv.FormatInt(last, 10)
	if s.Dialect == Postgres {
		return s.pgxTx(ctx, func(tx pgx.Tx) error {
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{"audit_log"}, auditCols, pgx.CopyFromRows(rows)); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, setMark, key, markValue)
			return err
		})
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
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
		_, err = tx.ExecContext(ctx, setMark, key, markValue)
		return err
	})
}

// moveJournalLeft moves what the journal holds, if its file exists: the
// views a process logged and could not move before it stopped (killed, or
// a failed move). Migrate and Backup call it.
func (s *Store) moveJournalLeft(ctx context.Context) error {
	if s.viewLog != nil {
		return s.moveViews(ctx)
	}
	j := s.db.Journal()
	if j == "" {
		return nil
	}
	if _, err := os.Stat(j); err != nil {
		return nil
	}
	return s.moveViews(ctx)
}

// ViewMoveFailures counts the moves of the journal's entries into the
// database that failed; each is retried at the next move.
func (s *Store) ViewMoveFailures() int64 { return s.moveFailures.Load() }
