package sqldb_test

import (
	"context"
	"database/sql"
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
