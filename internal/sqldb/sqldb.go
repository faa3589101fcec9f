// Package sqldb is the one database seam: it opens the two engines we ship
// (SQLite through modernc, PostgreSQL through pgx), keeps SQLite's writer and
// reader pools apart, runs transactions, maps driver errors to apperr codes
// by their codes (never their text), and migrates each module's own schema.
// The orders' store and every community module's storage package use it;
// nothing else imports a SQL driver.
//
// The SQL text is shared where the dialects agree ($1 placeholders, ON
// CONFLICT, RETURNING, times as integer microseconds UTC) and split where
// they do not (DDL, search, row locks).
package sqldb

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver
	_ "modernc.org/sqlite"             // SQLite driver

	"hotline/internal/apperr"
)

// Dialect names the database engine.
type Dialect string

// The two engines we ship.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is a handle on one database. SQLite gets two pools: one writer
// connection (SQLite has one writer; a pool of them only adds busy waits)
// and several readers, which WAL lets run beside the writer. On PostgreSQL
// both are the same pool.
type DB struct {
	Dialect Dialect
	W       *sql.DB // writes and read-modify-write transactions
	R       *sql.DB // plain reads
	URL     string
	Path    string // the SQLite file

	lazyState // lazy writes (lazy.go)
}

// Open connects to a database URL: "sqlite:PATH" (or a bare path ending in
// .db) or "postgres://…". It does not migrate.
func Open(ctx context.Context, url string) (*DB, error) {
	switch {
	case strings.HasPrefix(url, "postgres://") || strings.HasPrefix(url, "postgresql://"):
		db, err := sql.Open("pgx", url)
		if err != nil {
			return nil, apperr.Wrap(err, "open PostgreSQL")
		}
		db.SetMaxOpenConns(20)
		db.SetMaxIdleConns(20)
		db.SetConnMaxIdleTime(5 * time.Minute)
		d := &DB{Dialect: Postgres, W: db, R: db, URL: url}
		if err := d.ping(ctx); err != nil {
			db.Close()
			return nil, err
		}
		return d, nil
	case strings.HasPrefix(url, "sqlite:") || strings.HasSuffix(url, ".db"):
		path := strings.TrimPrefix(url, "sqlite:")
		path = strings.TrimPrefix(path, "//")
		if path == "" {
			return nil, apperr.New(apperr.Invalid, "sqlite URL needs a path: sqlite:PATH")
		}
		if dir := filepath.Dir(path); dir != "" {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return nil, apperr.Wrap(err, "create the database folder %s", dir)
			}
		}
		// busy_timeout first so that the other pragmas wait instead of failing;
		// synchronous=FULL so an acknowledged write survives power loss too.
		dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(ON)&_pragma=synchronous(FULL)"
		w, err := sql.Open("sqlite", dsn+"&_txlock=immediate")
		if err != nil {
			return nil, apperr.Wrap(err, "open SQLite")
		}
		w.SetMaxOpenConns(1)
		r, err := sql.Open("sqlite", dsn+"&_pragma=query_only(ON)")
		if err != nil {
			w.Close()
			return nil, apperr.Wrap(err, "open SQLite")
		}
		r.SetMaxOpenConns(8)
		// Keep them all open: a SQLite connection is costly to open (the
		// pragmas, the schema) and loses its compiled statements on close;
		// database/sql keeps only two idle by default.
		r.SetMaxIdleConns(8)
		d := &DB{Dialect: SQLite, W: w, R: r, URL: url, Path: path}
		if err := d.ping(ctx); err != nil {
			d.Close()
			return nil, err
		}
		return d, nil
	}
	return nil, apperr.New(apperr.Invalid, "database URL must be sqlite:PATH or postgres://…, got %q", RedactURL(url))
}

func (d *DB) ping(ctx context.Context) error {
	if err := d.W.PingContext(ctx); err != nil {
		return apperr.Wrap(err, "connect to %s", RedactURL(d.URL))
	}
	return nil
}

// Ping checks the database is reachable (readiness).
func (d *DB) Ping(ctx context.Context) error {
	var one int
	if err := d.R.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return apperr.Wrap(err, "database unreachable")
	}
	return nil
}

// Close releases the connections.
func (d *DB) Close() error {
	err := d.closeLazy()
	if e := d.W.Close(); err == nil {
		err = e
	}
	if d.R != d.W {
		if e := d.R.Close(); err == nil {
			err = e
		}
	}
	return err
}

// RedactURL hides a password in a database URL for messages and logs.
func RedactURL(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		rest := u[i+3:]
		if at := strings.Index(rest, "@"); at >= 0 {
			cred := rest[:at]
			if c := strings.Index(cred, ":"); c >= 0 {
				return u[:i+3] + cred[:c] + ":***" + rest[at:]
			}
		}
	}
	return u
}

// Identity names the PostgreSQL database a URL points at, without the
// credentials or the connection's settings: host:port/name (and a host
// given as a parameter, a socket folder). Two URLs of one database give the
// same identity. (It names a PostgreSQL database's view log; SQLite's
// journal sits beside its file.)
func Identity(dbURL string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		return RedactURL(dbURL)
	}
	id := u.Host + u.Path
	if h := u.Query().Get("host"); h != "" {
		id += "?host=" + h
	}
	return id
}

// Tx runs fn in a write transaction (IMMEDIATE on SQLite, so the write lock
// is taken at BEGIN and a read-decide-write cannot lose a race) and maps
// errors. fn's error is returned as it is when it already is an apperr.
func (d *DB) Tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := d.W.BeginTx(ctx, nil)
	if err != nil {
		return MapErr(err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return MapErr(err)
	}
	if err := tx.Commit(); err != nil {
		return MapErr(err)
	}
	return nil
}

// ForUpdate is the row-lock suffix of a SELECT inside Tx: PostgreSQL locks
// the row; SQLite needs nothing because an IMMEDIATE transaction already
// holds the write lock.
func (d *DB) ForUpdate() string {
	if d.Dialect == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// Querier is what both *sql.DB and *sql.Tx offer for reading.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Execer is what both *sql.DB and *sql.Tx offer for writing.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// Scanner is a row being read (*sql.Row or *sql.Rows).
type Scanner interface{ Scan(dest ...any) error }

// Collect runs a query and scans every row with scan: the one loop every
// list query shares.
func Collect[T any](ctx context.Context, q Querier, query string, args []any, scan func(Scanner) (T, error)) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, MapErr(err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, MapErr(err)
		}
		out = append(out, v)
	}
	return out, MapErr(rows.Err())
}

// Args builds a query's argument list and its $n placeholders together, so
// that conditions can be added in any order without counting by hand.
type Args []any

// Add appends v and returns its placeholder ("$3").
func (a *Args) Add(v any) string {
	*a = append(*a, v)
	return "$" + strconv.Itoa(len(*a))
}

// In appends every value and returns "$i,$j,…" for an IN list.
func (a *Args) In(values ...string) string {
	var b strings.Builder
	for i, v := range values {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(a.Add(v))
	}
	return b.String()
}

// Micros stores a time as microseconds since the epoch (UTC).
func Micros(t time.Time) int64 { return t.UnixMicro() }

// MicrosPtr is Micros for an optional time (NULL when nil).
func MicrosPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMicro()
}

// FromMicros reads a stored time back (UTC).
func FromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

// FromNullMicros reads an optional stored time.
func FromNullMicros(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := FromMicros(v.Int64)
	return &t
}

// Audit appends an entry to the audit log inside the caller's transaction,
// so that what is audited (an unmasked view, a reveal, an export) is durable
// exactly when the change or the answer it belongs to is.
func Audit(ctx context.Context, tx Execer, actor, action, target, detail string) error {
	_, err := tx.ExecContext(ctx, "INSERT INTO audit_log (at, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5)",
		Micros(time.Now()), actor, action, target, detail)
	return MapErr(err)
}
