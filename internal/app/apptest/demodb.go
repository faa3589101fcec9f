package apptest

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"hotline/internal/app"
	"hotline/internal/auth"
	"hotline/internal/demo"
	"hotline/internal/service"
	"hotline/internal/store"
	"hotline/internal/testenv"
)

// Demo databases. Most test servers start with the demo subdistrict (units,
// categories, compounds, the seven accounts and nineteen orders at every
// stage): 246 of them in one make test, 100 on PostgreSQL, where a server
// that loaded it cost 108–151 ms of our CPU and 0.34–0.44 s of the
// server's, and one started from a copy 19–41 ms and 0.24–0.30 s (on
// SQLite the load is cheap either way; issue 13, docs/benchmarks.md
// § "make test, eighth round"). So each test process loads it once per kind (database, intelligence or
// none, password costs) into a database of its own, and a server whose
// database nobody has used yet starts from a copy of that one instead:
// app.New then finds the orders there and loads nothing, the path every
// restart of `serve --demo` takes. What the server serves is the same
// demo; its times are those of the process's load, seconds or a minute
// older than the server (as after a restart). DemoCopyEnv=off loads it in
// every server, to compare or to rule the copies out.
//
// Only the plain demo is copied: the registry's, the community modules'
// and the past year's (DemoRegistry, DemoCommunity, DemoHistory) are
// loaded by each server as before.

// DemoCopyEnv set to "off" turns the copies off.
const DemoCopyEnv = "HOTLINE_TEST_DEMO_COPY"

// demoCopies counts the servers started on a copy (for the tests).
var demoCopies atomic.Int64

type demoKey struct {
	dialect string // "sqlite" or "postgres"
	intel   string // the intelligence's type: its tokens are what the search index holds
	pw      auth.Params
}

// demoFiles are this process's loaded demos, by kind.
var demoFiles testenv.OncePer[demoKey, demoFile]

type demoFile struct {
	path string // the SQLite file, or the PostgreSQL template's name
	err  error
}

// withDemoCopy gives cfg's database the demo by copying this process's
// loaded one, when cfg asks for the plain demo and the database is unused.
func withDemoCopy(t testing.TB, cfg app.Config) {
	t.Helper()
	if !cfg.Demo || cfg.DemoRegistry || cfg.DemoCommunity || cfg.DemoHistory > 0 || os.Getenv(DemoCopyEnv) == "off" {
		return
	}
	intel := fmt.Sprintf("%T", cfg.Intel)
	if cfg.Intel != nil && intel != "*intel.Intel" {
		return // another intelligence may make other tokens
	}
	switch {
	case strings.HasPrefix(cfg.DB, "sqlite:"):
		path := strings.TrimPrefix(cfg.DB, "sqlite:")
		if strings.ContainsAny(path, "?#") {
			return
		}
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			return // the test made or used it already
		}
		src, err := loadedDemo(demoKey{"sqlite", intel, cfg.PasswordParams}, cfg)
		if err != nil {
			t.Logf("no copy of the demo (%v): the server loads it", err)
			return
		}
		if err := copyFile(src, path); err != nil {
			os.Remove(path)
			t.Fatalf("copy the demo database: %v", err)
		}
		demoCopies.Add(1)
	case strings.HasPrefix(cfg.DB, "postgres:"):
		tmpl, err := loadedDemo(demoKey{"postgres", intel, cfg.PasswordParams}, cfg)
		if err != nil {
			t.Logf("no copy of the demo (%v): the server loads it", err)
			return
		}
		if testenv.ReplacePostgres(t, cfg.DB, tmpl) {
			demoCopies.Add(1)
		}
	}
}

// loadedDemo returns this process's demo database for key, loading it at
// its first use with cfg's intelligence and password costs.
func loadedDemo(key demoKey, cfg app.Config) (string, error) {
	f := demoFiles.Do(key, func() demoFile {
		load := func(ctx context.Context, dbURL string) error { return loadDemo(ctx, dbURL, cfg) }
		name := fmt.Sprintf("demo %s %v", key.intel, key.pw)
		if key.dialect == "postgres" {
			tmpl, err := testenv.PostgresPrepared(name, load)
			return demoFile{tmpl, err}
		}
		dir, err := testenv.ProcessDir()
		if err != nil {
			return demoFile{err: err}
		}
		sum := sha256.Sum256([]byte(name)) // one file per kind
		path := filepath.Join(dir, fmt.Sprintf("demo-%x.db", sum[:8]))
		return demoFile{path, load(context.Background(), "sqlite:"+path)}
	})
	return f.path, f.err
}

// loadDemo migrates the database and loads the demo as app.New does for a
// server with Demo set: the same service, with cfg's intelligence (whose
// tokens the search index keeps) and password costs (the accounts'
// hashes). TestDemoCopyIsTheDemo checks a copy against a server's own load.
func loadDemo(ctx context.Context, dbURL string, cfg app.Config) error {
	st, err := store.Open(ctx, dbURL)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := app.Migrate(ctx, st); err != nil {
		return err
	}
	svc, err := service.New(ctx, st, cfg.Intel, cfg.Log)
	if err != nil {
		return err
	}
	svc.Passwords.Params = cfg.PasswordParams
	if err := demo.LoadWith(ctx, svc, st, demo.Options{}); err != nil {
		return err
	}
	return st.Close() // on SQLite: the views moved and the WAL checkpointed into the one file
}

// copyFile copies the SQLite file src (and its WAL, if one was left) to dst.
func copyFile(src, dst string) error {
	for _, suffix := range []string{"", "-wal"} {
		in, err := os.Open(src + suffix)
		if os.IsNotExist(err) && suffix != "" {
			continue
		}
		if err != nil {
			return err
		}
		out, err := os.OpenFile(dst+suffix, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			in.Close()
			return err
		}
		_, err = io.Copy(out, in)
		in.Close()
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}
