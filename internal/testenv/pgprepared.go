package testenv

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
)

// Prepared templates: a database made once per test process for a key —
// a copy of the migrated template on which a build function has run (the
// server harness loads the demo subdistrict in it) — and given to a test
// in place of the empty database PostgresURL made it, when that one is
// still exactly as it was made. Loading the demo cost each test server
// ~250 ms of CPU, ours and PostgreSQL's; copying a loaded one costs the
// server ~20 ms (issue 13).

// prepared holds the templates made, by key.
var prepared OncePer[string, preparedDB]

type preparedDB struct {
	name string
	err  error
}

// PostgresPrepared returns the name of this process's template for key,
// making it at its first use: a copy of the migrated template (PostgresURL's)
// on which build has run. It fails when there is no migrated template (no
// HOTLINE_TEST_PG, no PostgresSchema, or HOTLINE_TEST_PG_TEMPLATE=off) or
// build failed; the caller then does what build would have done itself.
func PostgresPrepared(key string, build func(ctx context.Context, dbURL string) error) (string, error) {
	p := prepared.Do(key, func() preparedDB {
		name, err := makePrepared(build)
		return preparedDB{name, err}
	})
	return p.name, p.err
}

func makePrepared(build func(ctx context.Context, dbURL string) error) (string, error) {
	base, admin, err := adminDB()
	if err != nil {
		return "", err
	}
	defer admin.Close()
	tmpl := template(admin, base)
	if tmpl == "" {
		return "", fmt.Errorf("no migrated template database")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// The same prefix and process id as the migrated template: a process
	// that ended leaves it to dropStaleTemplates.
	name := templatePrefix + fmt.Sprint(os.Getpid()) + "_" + randomHex(4)
	if err := copyDatabase(ctx, admin, name, tmpl); err != nil {
		return "", err
	}
	u := *base
	u.Path = "/" + name
	err = build(ctx, u.String())
	if err == nil {
		_, err = admin.ExecContext(ctx, "ALTER DATABASE "+name+" WITH ALLOW_CONNECTIONS false")
	}
	if err != nil {
		admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		return "", err
	}
	return name, nil
}

// ReplacePostgres makes dbURL, a database PostgresURL made, a copy of the
// template tmpl (PostgresPrepared's) instead, if nobody has used it yet,
// and says whether it did; a database a test has used is left alone.
//
// "Not used" is what PostgreSQL itself knows, read without connecting to
// the database (a connection costs the server more than the copy saves):
// no session on it now, none ever counted (a session is counted once its
// first statement is done, and at the latest when it ends), and its files
// the migrated template's size (a write to any empty table grows them).
func ReplacePostgres(t testing.TB, dbURL, tmpl string) bool {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil || tmpl == "" {
		return false
	}
	name := strings.TrimPrefix(u.Path, "/")
	if !strings.HasPrefix(name, "hotline_test_") {
		return false // not one of PostgresURL's
	}
	base, admin, err := adminDB()
	if err != nil {
		return false
	}
	defer admin.Close()
	from := template(admin, base)
	if from == "" {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// Clients only: the autovacuum launcher sends a worker to look at every
	// new database (it finds nothing to do in a copy of the template and
	// writes nothing), and one caught there once failed TestDemoCopyIsTheDemo.
	var sameSize bool
	var live, sessions int64
	err = admin.QueryRowContext(ctx, `SELECT pg_database_size($1) = pg_database_size($2),
		(SELECT COUNT(*) FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend'),
		COALESCE((SELECT sessions FROM pg_stat_database WHERE datname = $1), 0)`, name, from).Scan(&sameSize, &live, &sessions)
	if err != nil || !sameSize || live > 0 || sessions > 0 {
		t.Logf("%s stays as it is (used: %v; the template's size %v, sessions now %d, sessions ever %d)", name, err, sameSize, live, sessions)
		return false
	}
	// PostgresURL's cleanup drops it by name, whatever it holds.
	if _, err := admin.ExecContext(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
		t.Fatalf("drop %s to copy %s in its place: %v", name, tmpl, err)
	}
	if err := copyDatabase(ctx, admin, name, tmpl); err != nil {
		t.Fatalf("copy %s as %s: %v", tmpl, name, err)
	}
	return true
}

func adminDB() (*url.URL, *sql.DB, error) {
	base := os.Getenv(PGEnv)
	if base == "" {
		return nil, nil, fmt.Errorf("%s is not set", PGEnv)
	}
	u, err := url.Parse(base)
	if err != nil {
		return nil, nil, err
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return nil, nil, err
	}
	return u, admin, nil
}
