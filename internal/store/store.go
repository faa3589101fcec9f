// Package store is the only package that speaks SQL. It persists the domain
// of internal/order (and the directory, users, notifications and audit) in
// SQLite (modernc, the zero-set-up default) or PostgreSQL (pgx). The SQL text
// is shared where the dialects agree ($1 placeholders, ON CONFLICT,
// RETURNING, times as integer microseconds) and split where they do not (DDL,
// search, row locks).
package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"hotline/internal/apperr"
	"hotline/internal/sqldb"
)

// Dialect names the database engine (sqldb's).
type Dialect = sqldb.Dialect

// The two engines we ship.
const (
	SQLite   = sqldb.SQLite
	Postgres = sqldb.Postgres
)

// Store is a handle on the database. SQLite gets two pools: one writer
// connection (SQLite has one writer; a pool of them only adds busy waits)
// and several readers, which WAL lets run beside the writer.
type Store struct {
	Dialect Dialect
	db      *sqldb.DB
	w       *sql.DB // writes and read-modify-write transactions
	r       *sql.DB // plain reads
	url     string
	path    string // SQLite file path

	// group commit of creates (orders.go)
	creates chan *createReq
	views   chan *createReq // audited views, to viewLoop (audit_commit.go)
	// SQLite's journal of views (audit_commit.go): viewsMoved wakes the
	// mover; moveMu serialises this process's moves.
	viewsMoved   chan struct{}
	moveMu       sync.Mutex
	journalMu    sync.Mutex
	journalReady bool
	viewLog      *viewLog   // PostgreSQL's view log, if given one (viewlog.go)
	jstmts       *stmtCache // the journal's INSERTs, per batch size
	moveFailures atomic.Int64
	closing      chan struct{}
	commitOnce   sync.Once
	committers   sync.WaitGroup
	closeOnce    sync.Once
	// batchFallbacks counts batches that failed as a whole and were redone
	// one order at a time (a bad order in them, or a bug): tests watch it.
	batchFallbacks atomic.Int64
	// wstmts and rstmts keep SQLite's hot statements compiled, on the
	// writer and the reader pool (stmtcache.go); nil on PostgreSQL.
	wstmts, rstmts *stmtCache
	// words and actors are order_events' code tables in memory (terms.go).
	words, actors *termTable
	// obs hears of batches and notifications, for metrics (figures.go).
	obs observer
}

// BatchFallbacks returns how many create batches had to be redone one order
// at a time since the store was opened.
func (s *Store) BatchFallbacks() int64 { return s.batchFallbacks.Load() }

func newStore(db *sqldb.DB) *Store {
	d := db.Dialect
	s := &Store{Dialect: d, db: db, w: db.W, r: db.R, url: db.URL, path: db.Path, creates: make(chan *createReq, 1024), closing: make(chan struct{}),
		views: make(chan *createReq, 1024), viewsMoved: make(chan struct{}, 1),
		words: newTermTable("event_words", "word"), actors: newTermTable("event_actors", "name")}
	if d == SQLite {
		s.wstmts, s.rstmts = newStmtCache(db.W), newStmtCache(db.R)
	}
	return s
}

//go:embed migrations
var migrations embed.FS

// Open connects to a database URL: "sqlite:PATH" (or a bare path ending in
// .db) or "postgres://…". It does not migrate; call Migrate.
func Open(ctx context.Context, url string) (*Store, error) {
	db, err := sqldb.Open(ctx, url)
	if err != nil {
		return nil, err
	}
	return newStore(db), nil
}

// DB is the database seam the community modules' storage shares with the
// orders' store: the same pools, so one SQLite writer serves everything.
func (s *Store) DB() *sqldb.DB { return s.db }

// Ping checks the database is reachable (readiness).
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.r.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return apperr.Wrap(err, "database unreachable")
	}
	return nil
}

// Close stops the create committers (after the batch in flight) and
// releases the connections.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { close(s.closing) })
	s.committers.Wait()
	// The views the committers logged last, into the main file (SQLite);
	// if this fails they stay in the journal for the next start.
	if s.journalOpened() {
		s.moveViews(context.Background())
		s.jstmts.close()
	}
	if s.viewLog != nil { // the same for PostgreSQL's view log
		s.moveViews(context.Background())
		s.viewLog.close()
	}
	if s.wstmts != nil {
		s.wstmts.close()
		s.rstmts.close()
	}
	return s.db.Close()
}

// afterMigration holds statements kept in Go (shared with other code) that
// run right after a migration, in its transaction: 0004 fills the rollups
// with the same statements RebuildRollups uses.
var afterMigration = map[int][]string{4: rollupStatements}

// Migrate creates or upgrades the schema. On PostgreSQL an advisory lock
// keeps several instances starting at once from migrating twice.
func (s *Store) Migrate(ctx context.Context) error {
	dir := "migrations/" + string(s.Dialect)
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return apperr.Wrap(err, "read migrations")
	}
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".sql") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	if err := s.migrate(ctx, dir, names); err != nil {
		return err
	}
	// Views a process logged in the journal and could not move before it
	// stopped (killed, or a failed move) join the audit_log now.
	return s.moveJournalLeft(ctx)
}

func (s *Store) migrate(ctx context.Context, dir string, names []string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if s.Dialect == Postgres {
			if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(12345)"); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)"); err != nil {
			return err
		}
		applied := map[int]bool{}
		rows, err := tx.QueryContext(ctx, "SELECT version FROM schema_migrations")
		if err != nil {
			return err
		}
		for rows.Next() {
			var v int
			if err := rows.Scan(&v); err != nil {
				rows.Close()
				return err
			}
			applied[v] = true
		}
		rows.Close()
		for _, name := range names {
			v, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
			if err != nil {
				return fmt.Errorf("migration %s: name must start with a number", name)
			}
			if applied[v] {
				continue
			}
			text, err := migrations.ReadFile(dir + "/" + name)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, string(text)); err != nil {
				return fmt.Errorf("migration %s: %w", name, err)
			}
			for _, q := range afterMigration[v] {
				if _, err := tx.ExecContext(ctx, q); err != nil {
					return fmt.Errorf("migration %s (fill): %w", name, err)
				}
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations(version, applied_at) VALUES ($1, $2)", v, micros(time.Now())); err != nil {
				return err
			}
		}
		return nil
	})
}

// pgxTx runs fn in a transaction on one of PostgreSQL's connections
// through pgx itself, for what database/sql cannot say (COPY), and commits
// it; fn's error rolls it back.
func (s *Store) pgxTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return mapErr(err)
	}
	defer conn.Close()
	return mapErr(conn.Raw(func(dc any) error {
		tx, err := dc.(*stdlib.Conn).Conn().Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx)
		if err := fn(tx); err != nil {
			return err
		}
		return tx.Commit(ctx)
	}))
}

// tx runs fn in a write transaction (IMMEDIATE on SQLite) and maps errors.
func (s *Store) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return mapErr(err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return mapErr(err)
	}
	if err := tx.Commit(); err != nil {
		return mapErr(err)
	}
	return nil
}

// mapErr turns driver errors into the project's error type (sqldb.MapErr:
// by the drivers' codes, never their text).
func mapErr(err error) error { return sqldb.MapErr(err) }

// micros stores a time as microseconds since the epoch (UTC).
func micros(t time.Time) int64 { return t.UnixMicro() }

func microsPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMicro()
}

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

func fromNullMicros(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMicros(v.Int64)
	return &t
}

// forUpdate is the row-lock suffix: PostgreSQL locks the row; SQLite needs
// nothing because an IMMEDIATE transaction already holds the write lock.
func (s *Store) forUpdate() string {
	if s.Dialect == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// parseID turns an order id from a URL into its integer key; anything else
// is simply not found.
func parseID(id string) (int64, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return 0, apperr.New(apperr.NotFound, "no order %q", truncate(id, 40))
	}
	return n, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// collect runs a query and scans every row with scan: the one loop that
// every list query shares.
func collect[T any](ctx context.Context, q querier, query string, args []any, scan func(rowScanner) (T, error)) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, mapErr(err)
		}
		out = append(out, v)
	}
	return out, mapErr(rows.Err())
}

// placeholders appends values to args and returns "$i,$j,…" for an IN list.
func placeholders(args *[]any, values []string) string {
	var b strings.Builder
	for i, v := range values {
		if i > 0 {
			b.WriteByte(',')
		}
		*args = append(*args, v)
		b.WriteString("$" + strconv.Itoa(len(*args)))
	}
	return b.String()
}
