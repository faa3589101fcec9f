package apptest

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"hotline/internal/app"
	"hotline/internal/intel"
	"hotline/internal/sqldb"
	"hotline/internal/testenv"
)

// TestDemoCopyIsTheDemo: a server started on a copy of the process's
// loaded demo holds what a server that loads the demo itself holds — the
// same rows in every table (ids, numbers and times aside, which are the
// load's), the same accounts that log in, and the orders at the same
// stages — and a database a test already used is left alone.
func TestDemoCopyIsTheDemo(t *testing.T) {
	t.Run("plain", func(t *testing.T) { testDemoCopy(t, func() app.Config { return app.Config{} }) })
	// The intelligence's tokens are what the search index holds.
	t.Run("intel", func(t *testing.T) { testDemoCopy(t, func() app.Config { return app.Config{Intel: intel.New()} }) })
}

func testDemoCopy(t *testing.T, base func() app.Config) {
	start := func(t *testing.T, dbURL string) *app.Main {
		cfg := base()
		cfg.DB, cfg.Demo, cfg.Sweep = dbURL, true, time.Hour
		return Start(t, cfg)
	}
	testenv.ForEachDB(t, func(t *testing.T, dbURL string) {
		t.Setenv(DemoCopyEnv, "off")
		copies := demoCopies.Load()
		loaded := start(t, dbURL)
		if n := demoCopies.Load() - copies; n != 0 {
			t.Fatalf("%d copies with %s=off", n, DemoCopyEnv)
		}
		want := demoRows(t, loaded)
		os.Unsetenv(DemoCopyEnv) // t.Setenv restores it at the end

		fresh := func() string {
			if strings.HasPrefix(dbURL, "postgres") {
				return testenv.PostgresURL(t)
			}
			return testenv.SQLiteURL(t)
		}
		// The first start loads this process's copy (or reuses it), the
		// second starts from it too.
		for i := range 2 {
			// A fresh database is copied unless PostgreSQL counted it as
			// used (ReplacePostgres logs why): that may happen to one now
			// and then, never to three in a row.
			var copied *app.Main
			for try := 0; try < 3 && copied == nil; try++ {
				copies := demoCopies.Load()
				m := start(t, fresh())
				switch n := demoCopies.Load() - copies; {
				case n == 1:
					copied = m
				case n > 1:
					t.Fatalf("server %d: %d copies of the demo, want 1", i+1, n)
				}
			}
			if copied == nil {
				t.Fatalf("server %d: no copy of the demo on three fresh databases", i+1)
			}
			got := demoRows(t, copied)
			if d := diff(want, got); d != "" {
				t.Errorf("server %d on a copy of the demo differs from one that loaded it:\n%s", i+1, d)
			}
			code, body, _ := Do(t, Request{Method: "POST", URL: Base(copied) + "/api/v1/session", Body: Obj{"username": "dispatcher", "password": "demo12345"}})
			if code != 200 || body["token"] == nil {
				t.Errorf("server %d on a copy: the demo dispatcher cannot log in: %d %v", i+1, code, body)
			}
		}
	})
}

// TestDemoCopyLeavesUsedDatabases: a database a test used before the
// server started is not replaced by a copy — the server loads the demo
// into it as a real start does, and what the test wrote stays. The test's
// own connection has ended by then: only what the database server counted
// can tell (on PostgreSQL, its sessions).
func TestDemoCopyLeavesUsedDatabases(t *testing.T) {
	for _, how := range []string{"wrote", "read"} {
		t.Run(how, func(t *testing.T) {
			testenv.ForEachDB(t, func(t *testing.T, dbURL string) {
				ctx := context.Background()
				if strings.HasPrefix(dbURL, "sqlite:") {
					// the test's own file: migrate it
					_, stop := Run(t, app.Config{DB: dbURL, Sweep: time.Hour})
					stop()
				}
				db, err := sqldb.Open(ctx, dbURL)
				if err != nil {
					t.Fatal(err)
				}
				q := `SELECT COUNT(*) FROM settings`
				if how == "wrote" {
					q = `INSERT INTO settings (key, value) VALUES ('probe', '"mine"')`
				}
				if _, err := db.W.ExecContext(ctx, q); err != nil {
					t.Fatal(err)
				}
				db.Close()
				copies := demoCopies.Load()
				m := Start(t, app.Config{DB: dbURL, Demo: true, Sweep: time.Hour})
				if n := demoCopies.Load() - copies; n != 0 {
					t.Errorf("%d copies of the demo on a database the test used", n)
				}
				if how == "wrote" {
					var v string
					if err := m.Store.DB().R.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = 'probe'`).Scan(&v); err != nil {
						t.Fatalf("the test's own row is gone: the database was replaced (%v)", err)
					}
				}
			})
		})
	}
}

// demoRows counts the rows of every table and lists what the demo is made
// of that does not depend on when it was loaded.
func demoRows(t *testing.T, m *app.Main) map[string]string {
	t.Helper()
	ctx := context.Background()
	// What the server does at its start, done here so that both are past
	// it: the sweep (reminders, whenever the sweeper's first pass runs) and
	// the move of SQLite's logged views into the main file (reading the log
	// does it).
	if _, err := m.Svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Store.AuditLog(ctx, "", "", "", 1); err != nil {
		t.Fatal(err)
	}
	db := m.Store.DB()
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	if db.Dialect == sqldb.Postgres {
		q = `SELECT tablename FROM pg_tables WHERE schemaname = 'public'`
	}
	tables := testenv.Column(t, db.R, q)
	out := map[string]string{}
	for _, tbl := range tables {
		var n int
		if err := db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+tbl).Scan(&n); err != nil {
			t.Fatal(err)
		}
		out["rows in "+tbl] = fmt.Sprint(n)
	}
	// The words the search finds the orders by (the intelligence's tokens).
	terms := `SELECT tokens FROM order_fts`
	if db.Dialect == sqldb.Postgres {
		terms = `SELECT search_text FROM orders`
	}
	for name, q := range map[string]string{
		"users":         `SELECT username || ' ' || role || ' ' || unit FROM users`,
		"orders":        `SELECT title || ' ' || status || ' ' || COALESCE(unit, '') FROM orders`,
		"search terms":  terms,
		"units":         `SELECT code || ' ' || name FROM units`,
		"events":        `SELECT action || ' ' || actor FROM order_events`,
		"notifications": `SELECT target || ' ' || kind || ' ' || COALESCE(CAST(order_id AS TEXT), '') FROM notifications`,
	} {
		vals := testenv.Column(t, db.R, q)
		slices.Sort(vals)
		out[name] = strings.Join(vals, "\n")
	}
	return out
}

func diff(want, got map[string]string) string {
	var keys []string
	for k := range want {
		keys = append(keys, k)
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		if want[k] != got[k] {
			fmt.Fprintf(&b, "%s: want %q, got %q\n", k, want[k], got[k])
		}
	}
	return b.String()
}
