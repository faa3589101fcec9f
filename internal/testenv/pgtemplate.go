package testenv

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// PostgresSchema, when set, brings an empty PostgreSQL database's schema up
// to date: every module's migrations, nothing else. The server harness
// (internal/app/apptest) sets it to app.Migrate. PostgresURL then migrates
// one database per test process, the template, and creates each test's
// database as a copy of it (CREATE DATABASE … TEMPLATE), which PostgreSQL
// does by copying files: migrating every test's database anew took ~0.3 s
// of the server's CPU each, a third of what a typical API test cost
// PostgreSQL in all (issue 13). A test's database is still its own, and its
// schema is exactly what the migrations make; the server's own start-up
// migration then finds nothing to do.
//
// Packages that test migrations themselves (internal/store, the modules'
// storage packages) do not import apptest and get empty databases; a test
// in a package that does can ask for one with EmptyPostgresURL.
var PostgresSchema func(ctx context.Context, dbURL string) error

// TemplateEnv set to "off" makes every test database an empty one, migrated
// by its test (to compare, or to rule the template out).
const TemplateEnv = "HOTLINE_TEST_PG_TEMPLATE"

// pgTemplate is this process's template database ("" when there is none:
// no PostgresSchema, or making it failed and tests migrate their own).
var pgTemplate struct {
	once sync.Once
	name string
}

// templatePrefix starts the templates' names: hotline_tmpl_PID_RANDOM.
const templatePrefix = "hotline_tmpl_"

// template returns the template's name, making it at its first use.
func template(admin *sql.DB, base *url.URL) string {
	if PostgresSchema == nil || os.Getenv(TemplateEnv) == "off" {
		return ""
	}
	pgTemplate.once.Do(func() {
		// Migrating takes a second or two, more on a loaded machine.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		pgTemplate.name = makeTemplate(ctx, admin, base)
	})
	return pgTemplate.name
}

func makeTemplate(ctx context.Context, admin *sql.DB, base *url.URL) string {
	dropStaleTemplates(ctx, admin)
	name := templatePrefix + strconv.Itoa(os.Getpid()) + "_" + randomHex(4)
	if copyDatabase(ctx, admin, name, "template1") != nil {
		return ""
	}
	u := *base
	u.Path = "/" + name
	if err := PostgresSchema(ctx, u.String()); err != nil {
		// The tests' own migrations will say what is wrong.
		admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		return ""
	}
	// One session after the migrations, so that the template holds the
	// relation cache's file (pg_internal.init: the migrations' DDL removed
	// it, and the first session to connect writes it anew). Without it the
	// first session on each copy wrote it there — and a copy's size, which
	// ReplacePostgres compares with the template's, changed when the
	// autovacuum launcher's worker looked in before the test did.
	if db, err := sql.Open("pgx", u.String()); err == nil {
		db.PingContext(ctx)
		db.Close()
	}
	// A copy needs its template idle: nobody connects to it any more.
	if _, err := admin.ExecContext(ctx, "ALTER DATABASE "+name+" WITH ALLOW_CONNECTIONS false"); err != nil {
		admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		return ""
	}
	return name
}

// dropStaleTemplates drops the templates of test processes that have
// ended (a process cannot drop its own when it exits: go test gives a
// package no hook after its last test). The PID in the name is checked on
// this machine, where make test runs its PostgreSQL; a template dropped by
// mistake (a cluster shared across machines) only makes that process's
// next copies fall back to migrating.
func dropStaleTemplates(ctx context.Context, admin *sql.DB) {
	rows, err := admin.QueryContext(ctx, `SELECT datname FROM pg_database WHERE datname LIKE 'hotline\_tmpl\_%'`)
	if err != nil {
		return
	}
	var stale []string
	for rows.Next() {
		var name string
		if rows.Scan(&name) != nil {
			continue
		}
		if ended(name, templatePrefix, "_") {
			stale = append(stale, name)
		}
	}
	rows.Close()
	for _, name := range stale {
		admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	}
}

// ended says whether name — prefix, a process id, sep, anything — was
// made by another test process that has ended (on this machine).
func ended(name, prefix, sep string) bool {
	pid, _, _ := strings.Cut(strings.TrimPrefix(name, prefix), sep)
	n, err := strconv.Atoi(pid)
	return err == nil && n != os.Getpid() && !alive(n)
}

// alive says whether a process with that PID runs on this machine.
func alive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	return !errors.Is(p.Signal(syscall.Signal(0)), os.ErrProcessDone)
}

// EmptyPostgresURL is PostgresURL without the template: a database with no
// schema at all, for a test of migrating one in a package whose other tests
// use the template.
func EmptyPostgresURL(t testing.TB) string {
	t.Helper()
	return newPostgres(t, false)
}

func createDatabase(ctx context.Context, admin *sql.DB, base *url.URL, name string, useTemplate bool) error {
	if useTemplate {
		if tmpl := template(admin, base); tmpl != "" {
			if copyDatabase(ctx, admin, name, tmpl) == nil {
				return nil
			}
			// fall back to an empty database, which the test migrates
		}
	}
	if err := copyDatabase(ctx, admin, name, "template1"); err != nil {
		return fmt.Errorf("create test database: %w", err)
	}
	return nil
}

// copyDatabase creates name as a copy of tmpl by copying its files
// (STRATEGY FILE_COPY, the only way before PostgreSQL 15, whose default is
// WAL_LOG): WAL_LOG writes every page of the copy to the WAL, which cost
// the server twice the CPU (20 creates and drops of template1: 2.7–2.8 s
// against 1.36 s); a test database has nothing to replicate or recover.
func copyDatabase(ctx context.Context, admin *sql.DB, name, tmpl string) error {
	_, err := admin.ExecContext(ctx, "CREATE DATABASE "+name+" TEMPLATE "+tmpl+" STRATEGY FILE_COPY")
	return err
}
