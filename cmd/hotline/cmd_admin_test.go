package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"hotline/internal/testenv"
)

func runCmd(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}, args)
	return code, out.String(), errb.String()
}

func TestMigrateUserAddBackup(t *testing.T) {
	t.Parallel()
	testenv.ForEachDBParallel(t, func(t *testing.T, db string) {
		if code, out, errs := runCmd(t, "", "migrate", "--db", db); code != 0 || !strings.Contains(out, "up to date") {
			t.Fatalf("migrate: %d %s %s", code, out, errs)
		}
		// Migrating twice is fine.
		if code, _, errs := runCmd(t, "", "migrate", "--db", db); code != 0 {
			t.Fatalf("second migrate: %d %s", code, errs)
		}
		if code, out, errs := runCmd(t, "s3cret-pass\n", "user", "add", "--db", db, "--username", "amy", "--role", "admin", "--password-stdin"); code != 0 || !strings.Contains(out, "created user amy") {
			t.Fatalf("user add: %d %s %s", code, out, errs)
		}
		if code, _, errs := runCmd(t, "s3cret-pass\n", "user", "add", "--db", db, "--username", "amy", "--role", "admin", "--password-stdin"); code != 1 || !strings.Contains(errs, "already taken") {
			t.Fatalf("duplicate user: %d %s", code, errs)
		}
		if code, _, errs := runCmd(t, "s3cret-pass\n", "user", "add", "--db", db, "--username", "bob", "--role", "boss", "--password-stdin"); code != 1 || !strings.Contains(errs, "role") {
			t.Fatalf("bad role: %d %s", code, errs)
		}
		if code, _, errs := runCmd(t, "short\n", "user", "add", "--db", db, "--username", "bob", "--role", "handler", "--unit", "nowhere", "--password-stdin"); code != 1 || !strings.Contains(errs, "password") {
			t.Fatalf("short password: %d %s", code, errs)
		}
		if code, _, _ := runCmd(t, "", "user", "add", "--db", db, "--username", "bob", "--role", "admin"); code != 2 {
			t.Fatalf("password on the command line must be refused with usage: %d", code)
		}
		if code, out, _ := runCmd(t, "", "verify", "--db", db); code != 0 || !strings.Contains(out, "ok") {
			t.Fatalf("verify: %d %s", code, out)
		}
		if strings.HasPrefix(db, "sqlite:") {
			dst := filepath.Join(t.TempDir(), "backup.db")
			if code, out, errs := runCmd(t, "", "backup", "--db", db, "--out", dst); code != 0 {
				t.Fatalf("backup: %d %s %s", code, out, errs)
			}
			// The backup is a database we can open and verify.
			if code, out, errs := runCmd(t, "", "verify", "--db", "sqlite:"+dst); code != 0 {
				t.Fatalf("verify backup: %d %s %s", code, out, errs)
			}
			if code, _, errs := runCmd(t, "", "backup", "--db", db, "--out", dst); code != 1 || !strings.Contains(errs, "exists") {
				t.Fatalf("backup over an existing file: %d %s", code, errs)
			}
		}
	})
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{}, {"nonsense"}, {"migrate"}, {"serve", "--bogus"}, {"verify", "extra"}, {"backup", "--db", "sqlite:/tmp/x.db"}} {
		if code, _, _ := runCmd(t, "", args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	if code, _, errs := runCmd(t, "", "migrate", "--db", "mysql://x"); code != 1 || !strings.Contains(errs, "sqlite:PATH or postgres") {
		t.Errorf("bad URL: %d %s", code, errs)
	}
}
