package app_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"hotline/internal/app"
	_ "hotline/internal/app/apptest" // sets testenv.PostgresSchema, as for every server test
	"hotline/internal/sqldb"
	"hotline/internal/store"
	"hotline/internal/testenv"
)

// TestPostgresTemplate: a test database copied from the process's template
// has exactly the schema app.Migrate makes on an empty database — every
// module's tables, columns and recorded migrations — so the server tests
// that run on copies run on what a fresh deployment has; and with
// HOTLINE_TEST_PG_TEMPLATE=off a test database is empty.
func TestPostgresTemplate(t *testing.T) {
	ctx := context.Background()
	copied := schema(t, testenv.PostgresURL(t))
	fresh := testenv.EmptyPostgresURL(t)
	if got := schema(t, fresh); len(got) != 0 {
		t.Fatalf("EmptyPostgresURL has %d columns, want none", len(got))
	}
	st, err := store.Open(ctx, fresh)
	if err != nil {
		t.Fatal(err)
	}
	if err := app.Migrate(ctx, st); err != nil {
		t.Fatal(err)
	}
	st.Close()
	migrated := schema(t, fresh)
	for _, table := range []string{"orders", "audit_log", "residents", "patrol_findings", "meetings", "emergency_checks", "campaign_submissions"} {
		if !slices.ContainsFunc(migrated, func(c string) bool { return strings.HasPrefix(c, table+".") }) {
			t.Errorf("app.Migrate made no table %s", table)
		}
	}
	if !slices.Equal(copied, migrated) {
		t.Errorf("the template's copy differs from a fresh migration: %d columns against %d", len(copied), len(migrated))
	}
	if c, m := versions(t, testenv.PostgresURL(t)), versions(t, fresh); !slices.Equal(c, m) {
		t.Errorf("migrations recorded: copy %v, fresh %v", c, m)
	}

	t.Setenv(testenv.TemplateEnv, "off")
	if got := schema(t, testenv.PostgresURL(t)); len(got) != 0 {
		t.Errorf("with %s=off a test database has %d columns, want none", testenv.TemplateEnv, len(got))
	}
}

// schema lists a PostgreSQL database's columns (table.column type), sorted.
func schema(t *testing.T, url string) []string {
	t.Helper()
	return queryStrings(t, url, `SELECT table_name || '.' || column_name || ' ' || data_type FROM information_schema.columns
		WHERE table_schema = 'public' ORDER BY 1`)
}

// versions lists the migrations a database records, of every module.
func versions(t *testing.T, url string) []string {
	t.Helper()
	return queryStrings(t, url, `SELECT module || ' ' || version FROM module_migrations
		UNION ALL SELECT 'store ' || version FROM schema_migrations ORDER BY 1`)
}

func queryStrings(t *testing.T, url, q string) []string {
	t.Helper()
	db, err := sqldb.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	return testenv.Column(t, db.R, q)
}
