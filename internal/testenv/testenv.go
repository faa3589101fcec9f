// Package testenv gives tests real databases: a fresh SQLite file per test,
// and a fresh PostgreSQL database per test on the server named by
// HOTLINE_TEST_PG (which `make test` starts). Tests run the same body
// against each with ForEachDB.
package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"flag"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// PGEnv is the environment variable holding the test PostgreSQL server URL.
const PGEnv = "HOTLINE_TEST_PG"

// SQLiteURL returns the URL of a new SQLite file in the test's temp folder.
func SQLiteURL(t testing.TB) string {
	return "sqlite:" + filepath.Join(t.TempDir(), "hotline.db")
}

// PostgresURL creates a fresh database on the test server and returns its
// URL; it skips the test when HOTLINE_TEST_PG is unset. The database is
// dropped when the test ends. With PostgresSchema set (by the server
// harness) the database is a copy of this process's migrated template.
func PostgresURL(t testing.TB) string {
	t.Helper()
	return newPostgres(t, true)
}

func newPostgres(t testing.TB, useTemplate bool) string {
	t.Helper()
	base := os.Getenv(PGEnv)
	if base == "" {
		t.Skipf("PostgreSQL tests skipped: %s is not set (make test starts a private server and sets it)", PGEnv)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", PGEnv, err)
	}
	name := "hotline_test_" + randomHex(6)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open %s: %v", PGEnv, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := createDatabase(ctx, admin, u, name, useTemplate); err != nil {
		admin.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		admin.Close()
	})
	u.Path = "/" + name
	return u.String()
}

// randomHex is n random bytes in hex: names no two tests share.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// ForEachDB runs fn as a subtest on SQLite and on PostgreSQL (skipped
// without HOTLINE_TEST_PG).
func ForEachDB(t *testing.T, fn func(t *testing.T, dbURL string)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLiteURL(t)) })
	t.Run("postgres", func(t *testing.T) { fn(t, PostgresURL(t)) })
}

// ForEachDBParallel is ForEachDB with the two subtests parallel: they run
// side by side once the test's own function has returned (and beside the
// package's other parallel tests). A test that drives a real server mostly
// waits — on the network, on PostgreSQL, on a poll — so two of them overlap
// well on two cores (issue 13). Use it only where fn shares nothing with
// other tests: no t.Setenv, no package variable it writes, no fixed port or
// file; each subtest gets its own database as with ForEachDB.
func ForEachDBParallel(t *testing.T, fn func(t *testing.T, dbURL string)) {
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); fn(t, SQLiteURL(t)) })
	t.Run("postgres", func(t *testing.T) { t.Parallel(); fn(t, PostgresURL(t)) })
}

// RunParallel is a TestMain for a package whose tests mostly wait (real
// servers driven over HTTP): it runs the tests with up to n parallel tests
// at once instead of go test's default of GOMAXPROCS, unless the command
// line gives -parallel itself. On the 2-core VM the default let only two
// waiting tests overlap, leaving the cores idle most of the package's run
// (issue 13); only tests that call t.Parallel are affected.
func RunParallel(m *testing.M, n int) {
	flag.Parse()
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	if !given {
		if err := flag.Set("test.parallel", strconv.Itoa(n)); err != nil {
			panic(err)
		}
	}
	os.Exit(m.Run())
}

// DataDir returns the shared real-data folder (../shared/data), from
// HOTLINE_DATA or by walking up from the working directory; it skips the
// test when the data is absent.
func DataDir(t testing.TB) string {
	if d := os.Getenv("HOTLINE_DATA"); d != "" {
		if _, err := os.Stat(d); err == nil {
			return d
		}
	}
	dir, _ := os.Getwd()
	for i := 0; i < 8; i++ {
		cand := filepath.Join(dir, "shared", "data")
		if _, err := os.Stat(cand); err == nil {
			return cand
		}
		cand = filepath.Join(dir, "..", "shared", "data")
		if _, err := os.Stat(cand); err == nil {
			return cand
		}
		dir = filepath.Dir(dir)
	}
	t.Skip("real data not found: set HOTLINE_DATA or place the shared/data folder beside the repository")
	return ""
}

// SkipUnderRace skips a test in make test's race step (go test -race) when
// it has no concurrency of its own to show the race detector: a computation
// checked against a brute force, a page driven in a browser. The plain step
// runs it at full size; under -race it costs five to ten times longer and
// can only find what the concurrency tests of the same code find (issue 13:
// such tests were most of the race step). why says what the test is.
func SkipUnderRace(t testing.TB, why string) {
	t.Helper()
	if Race {
		t.Skipf("%s: no concurrency of its own; runs in the plain step, skipped under -race", why)
	}
}

// ChromiumEnv names the browser the browser tests drive.
const ChromiumEnv = "HOTLINE_CHROMIUM"

// chromiums are the browsers looked for when ChromiumEnv is unset, best
// first. chromium-headless-shell is Chromium built for automation without
// the desktop browser around it (Debian's package of the same version as
// chromium; the "old headless" that Puppeteer calls shell): the same Blink,
// V8, network stack, service workers, IndexedDB, offline emulation and
// print-to-PDF, at a third of the CPU — internal/web's browser tests took
// 58 s of the machine's CPU with it against 163 s with chromium, side by
// side (issue 13, docs/benchmarks.md § "make test, seventh round").
var chromiums = []string{"/usr/bin/chromium-headless-shell", "/usr/bin/chromium"}

// Chromium returns the browser for a browser test — ChromiumEnv, or the
// first of chromium-headless-shell and chromium installed — and skips the
// test loudly when there is none.
func Chromium(t testing.TB) string {
	t.Helper()
	if bin := os.Getenv(ChromiumEnv); bin != "" {
		if _, err := os.Stat(bin); err != nil {
			t.Skipf("\n\n!!! BROWSER TEST SKIPPED: no browser at %s=%s (`make test` installs and sets it, and CI fails without it) !!!\n", ChromiumEnv, bin)
		}
		return bin
	}
	for _, bin := range chromiums {
		if _, err := os.Stat(bin); err == nil {
			return bin
		}
	}
	t.Skipf("\n\n!!! BROWSER TEST SKIPPED: none of %v (set %s; `make test` installs and sets it, and CI fails without it) !!!\n", chromiums, ChromiumEnv)
	return ""
}
