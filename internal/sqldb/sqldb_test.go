package sqldb_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"testing"
	"time"

	"hotline/internal/apperr"
	"hotline/internal/sqldb"
	"hotline/internal/testenv"
)

func open(t *testing.T, url string) *sqldb.DB {
	t.Helper()
	db, err := sqldb.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Migrate(context.Background(), "test", os.DirFS("testdata/mig")); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestMigrateOnce: a module's migrations run once each, in order, and a
// second Migrate (a restart, another instance) changes nothing.
func TestMigrateOnce(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, url string) {
		ctx := context.Background()
		db := open(t, url)
		if err := db.Migrate(ctx, "test", os.DirFS("testdata/mig")); err != nil {
			t.Fatalf("second migrate: %v", err)
		}
		var n int
		if err := db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM module_migrations WHERE module = 'test'").Scan(&n); err != nil || n != 2 {
			t.Fatalf("module_migrations rows = %d, %v; want 2", n, err)
		}
		if _, err := db.W.ExecContext(ctx, "INSERT INTO things (id, name, note) VALUES (1, 'a', 'x')"); err != nil {
			t.Fatalf("0002 not applied: %v", err)
		}
	})
}

// TestMapErrByCode: constraint failures map to the contract's codes on both
// engines, from the drivers' codes rather than their message text.
func TestMapErrByCode(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, url string) {
		ctx := context.Background()
		db := open(t, url)
		exec := func(q string, args ...any) error {
			return db.Tx(ctx, func(tx *sql.Tx) error { _, err := tx.ExecContext(ctx, q, args...); return err })
		}
		if err := exec("INSERT INTO things (id, name) VALUES (1, 'a')"); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name string
			q    string
			args []any
			want apperr.Code
		}{
			{"unique", "INSERT INTO things (id, name) VALUES (2, 'a')", nil, apperr.Conflict},
			{"primary key", "INSERT INTO things (id, name) VALUES (1, 'b')", nil, apperr.Conflict},
			{"foreign key", "INSERT INTO things (id, name, parent) VALUES (3, 'c', 99)", nil, apperr.Invalid},
			{"check", "INSERT INTO things (id, name, n) VALUES (4, 'd', -1)", nil, apperr.Invalid},
			{"not null", "INSERT INTO things (id) VALUES (5)", nil, apperr.Invalid},
		}
		if db.Dialect == sqldb.Postgres {
			cases = append(cases, struct {
				name string
				q    string
				args []any
				want apperr.Code
			}{"NUL byte", "INSERT INTO things (id, name) VALUES (6, $1)", []any{"a\x00b"}, apperr.Invalid})
		}
		for _, c := range cases {
			err := exec(c.q, c.args...)
			if got := apperr.As(err).Code; got != c.want {
				t.Errorf("%s: code %q (%v), want %q", c.name, got, err, c.want)
			}
			if c.want == apperr.Conflict && !sqldb.IsUnique(errorsCause(err)) {
				t.Errorf("%s: IsUnique false for %v", c.name, err)
			}
		}
		if err := db.Tx(ctx, func(tx *sql.Tx) error {
			return tx.QueryRowContext(ctx, "SELECT id FROM things WHERE id = 42").Scan(new(int))
		}); apperr.As(err).Code != apperr.NotFound {
			t.Errorf("no rows: %v, want not_found", err)
		}
	})
}

func errorsCause(err error) error {
	if e, ok := err.(*apperr.Error); ok && e.Err != nil {
		return e.Err
	}
	return err
}

// TestArgsAndTimes: placeholders count with the arguments; times round-trip
// as UTC microseconds.
func TestArgsAndTimes(t *testing.T) {
	var a sqldb.Args
	if p := a.Add(1); p != "$1" {
		t.Fatalf("first placeholder %q", p)
	}
	if in := a.In("x", "y"); in != "$2,$3" || len(a) != 3 {
		t.Fatalf("In = %q, args %v", in, a)
	}
	for i := 0; i < 8; i++ {
		a.Add(i)
	}
	if p := a.Add("z"); p != "$12" {
		t.Fatalf("twelfth placeholder %q", p)
	}
	now := time.Date(2026, 12, 6, 18, 0, 0, 123456000, time.FixedZone("CST", 8*3600))
	if got := sqldb.FromMicros(sqldb.Micros(now)); !got.Equal(now) || got.Location() != time.UTC {
		t.Fatalf("round trip %v -> %v", now, got)
	}
	if sqldb.RedactURL("postgres://u:secret@h/db") != "postgres://u:***@h/db" {
		t.Fatal("password not redacted")
	}
}

// TestExecLazy: a lazy write is committed and visible at once to another
// connection; on SQLite it goes to the journal, a file of its own at
// synchronous=NORMAL (the main file is not touched, so its readers keep
// their page caches, and its writer stays at FULL for writes of record),
// and the WAL syncer fsyncs the journal's frames soon after; on PostgreSQL
// only the lazy pool's sessions commit asynchronously, the main pool still
// waits for the WAL flush.
func TestExecLazy(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, url string) {
		ctx := context.Background()
		db := open(t, url)
		// Another connection to where the lazy rows are: the main database
		// on PostgreSQL, the journal file on SQLite.
		other := db.R
		if db.Dialect == sqldb.SQLite {
			lazy, err := db.Lazy()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := lazy.ExecContext(ctx, "CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)"); err != nil {
				t.Fatal(err)
			}
			if other, err = sql.Open("sqlite", "file:"+db.Path+sqldb.JournalSuffix+"?mode=ro"); err != nil {
				t.Fatal(err)
			}
			defer other.Close()
		}
		for i := 1; i <= 3; i++ {
			if err := db.ExecLazy(ctx, "INSERT INTO things (id, name) VALUES ($1, $2)", i, fmt.Sprint("lazy", i)); err != nil {
				t.Fatal(err)
			}
		}
		var n int
		if err := other.QueryRowContext(ctx, "SELECT COUNT(*) FROM things WHERE name LIKE 'lazy%'").Scan(&n); err != nil || n != 3 {
			t.Fatalf("lazy rows visible = %d, %v; want 3", n, err)
		}
		// A bad statement is an error in the contract's shape.
		err := db.ExecLazy(ctx, "INSERT INTO things (id, name) VALUES ($1, $2)", 1, "again")
		if apperr.As(err).Code != apperr.Conflict {
			t.Fatalf("duplicate lazy insert: %v, want a conflict", err)
		}
		// The statement itself ran with the weaker setting.
		setting := "(SELECT 'sync=' || synchronous FROM pragma_synchronous)"
		want := "sync=1" // NORMAL
		if db.Dialect == sqldb.Postgres {
			setting, want = "'sync=' || current_setting('synchronous_commit')", "sync=off"
		}
		if err := db.ExecLazy(ctx, "INSERT INTO things (id, name) VALUES (10, "+setting+")"); err != nil {
			t.Fatal(err)
		}
		var got string
		if err := other.QueryRowContext(ctx, "SELECT name FROM things WHERE id = 10").Scan(&got); err != nil || got != want {
			t.Fatalf("lazy statement ran with %q, %v; want %q", got, err, want)
		}
		if db.Dialect == sqldb.Postgres {
			var main string
			if err := db.W.QueryRowContext(ctx, "SHOW synchronous_commit").Scan(&main); err != nil || main != "on" {
				t.Fatalf("main pool synchronous_commit = %q, %v; want on", main, err)
			}
			return
		}
		// The main file has no such rows (its table is another), and its
		// writer waits for the disk.
		if err := db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM things WHERE name LIKE 'lazy%'").Scan(&n); err != nil || n != 0 {
			t.Fatalf("lazy rows in the main file = %d, %v; want 0", n, err)
		}
		var level int
		if err := db.W.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&level); err != nil || level != 2 {
			t.Fatalf("writer synchronous = %d, %v; want 2 (FULL)", level, err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for db.LazyFlushes() == 0 && time.Now().Before(deadline) {
			time.Sleep(sqldb.LazyFlushWithin)
		}
		if db.LazyFlushes() == 0 || db.LazyFlushFailures() != 0 {
			t.Fatalf("journal WAL fsyncs after lazy writes: %d (failures %d); want ≥ 1 and none failed", db.LazyFlushes(), db.LazyFlushFailures())
		}
	})
}
