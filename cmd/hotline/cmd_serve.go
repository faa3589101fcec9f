package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"hotline/internal/app"
	"hotline/internal/demo"
	"hotline/internal/feed"
	"hotline/internal/httpx"
	"hotline/internal/sqldb"
)

// defaultDB is the embedded SQLite file used when no --db is given.
const defaultDB = "sqlite:./hotline-data/hotline.db"

func init() {
	register("serve", "run the server: serve [--addr 127.0.0.1:8080] [--db URL] [--demo] [--data-key-file FILE] [--view-journal FILE|none]", runServe)
	register("migrate", "create or upgrade the schema: migrate --db URL", runMigrate)
}

// flags makes a flag set that reports to the command's stderr and turns
// parse errors into usage errors.
func flags(e env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return &exitError{code: 0}
		}
		return fmt.Errorf("%w: %s: %v", errUsage, fs.Name(), err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: %s: unexpected argument %q", errUsage, fs.Name(), fs.Arg(0))
	}
	return nil
}

// dbURL picks --db, then HOTLINE_DB, then the default.
func dbURL(e env, flagValue string, required bool) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	if v := e.getenv("HOTLINE_DB"); v != "" {
		return v, nil
	}
	if required {
		return "", fmt.Errorf("%w: --db URL is required (sqlite:PATH or postgres://…), or set HOTLINE_DB", errUsage)
	}
	return defaultDB, nil
}

func logger(e env) *slog.Logger {
	level := slog.LevelInfo
	if strings.EqualFold(e.getenv("HOTLINE_LOG"), "debug") {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
}

func runServe(ctx context.Context, e env, args []string) error {
	fs := flags(e, "serve")
	addr := fs.String("addr", "127.0.0.1:8080", "listen address")
	db := fs.String("db", "", "database URL: sqlite:PATH or postgres://… (default "+defaultDB+", or $HOTLINE_DB)")
	demoMode := fs.Bool("demo", false, "load the demo subdistrict into an empty database")
	demoHistory := fs.Int("demo-history", demo.HistoryOrders, "with --demo: orders of the demo's past year (0: only the hand-written ones)")
	keyFile := dataKeyFlag(fs)
	journal := fs.String("view-journal", "", "PostgreSQL only: the file on this machine where audited views are committed before they move into the database, or none to commit them to PostgreSQL (default $HOTLINE_VIEW_JOURNAL, else "+defaultJournalDir+"/views-ID.log, ID naming the database)")
	proxies := fs.String("trusted-proxy", "", "reverse proxies (CIDRs or addresses, comma-separated) whose X-Forwarded-For/-Proto are believed (default $HOTLINE_TRUSTED_PROXIES)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *proxies == "" {
		*proxies = e.getenv("HOTLINE_TRUSTED_PROXIES")
	}
	trusted, err := httpx.ParseProxies(*proxies)
	if err != nil {
		return fmt.Errorf("%w: serve: %v", errUsage, err)
	}
	url, _ := dbURL(e, *db, false)
	log := logger(e)
	viewJournal, err := viewJournalPath(*journal, e.getenv("HOTLINE_VIEW_JOURNAL"), url)
	if err != nil {
		return err
	}
	if viewJournal != "" && *journal == "" && e.getenv("HOTLINE_VIEW_JOURNAL") == "" && !writableDir(filepath.Dir(viewJournal)) {
		// The default, in a folder this process cannot write (a read-only
		// working directory): commit views to PostgreSQL rather than not start.
		log.Warn("no view journal: its default folder cannot be written; audited views are committed to PostgreSQL (slower); name a file with --view-journal", "folder", filepath.Dir(viewJournal))
		viewJournal = ""
	}
	if viewJournal != "" {
		log.Info("audited views are committed to a journal on this machine and moved into PostgreSQL every 250 ms", "journal", viewJournal)
	}
	key, keyNote, err := resolveDataKey(e, *keyFile, url, *demoMode, true)
	if err != nil {
		return err
	}
	m, err := app.New(ctx, app.Config{Addr: *addr, DB: url, ViewJournal: viewJournal, Demo: *demoMode, Log: log, Intel: newIntel(log), Web: webPages(), DataKey: key,
		Feed: feed.SettingsFrom(e.getenv), FeedLegacyKey: e.getenv(feed.LegacyKeyEnv), TrustedProxies: trusted,
		RegistryWeb: registryPages(), DemoRegistry: *demoMode, DemoCommunity: *demoMode, DemoHistory: demoOrders(*demoMode, *demoHistory), CommunityPages: communityPages()})
	if err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- m.Run(ctx) }()
	select {
	case <-m.Ready():
	case err := <-errc:
		return err
	}
	fmt.Fprintf(e.stdout, "Hotline 12345 is serving on http://%s/ (database: %s)\n", m.Addr, m.Store.Dialect)
	if *demoMode {
		fmt.Fprintln(e.stdout, "")
		fmt.Fprintln(e.stdout, "WARNING: demo mode. These demo accounts have PUBLIC passwords; never use demo mode for real data.")
		fmt.Fprintf(e.stdout, "Demo users (password %s):", demo.Password)
		for _, u := range demo.Users {
			fmt.Fprintf(e.stdout, " %s", u.Username)
		}
		fmt.Fprintln(e.stdout)
	}
	switch {
	case keyNote != "" && *demoMode:
		fmt.Fprintf(e.stdout, "WARNING: demo data key, %s; personal data is sealed with a key that sits beside the demo database. Real data needs its own key: hotline keys generate --out FILE, then --data-key-file FILE.\n", keyNote)
	case keyNote != "":
		fmt.Fprintf(e.stdout, "WARNING: no data key was given; residents' personal data is sealed with the key %s. Back it up apart from the database (without it the data cannot be read), or give your own: --data-key-file FILE or HOTLINE_DATA_KEY.\n", keyNote)
	case key == nil:
		fmt.Fprintln(e.stdout, "WARNING: no data key (--data-key-file or HOTLINE_DATA_KEY): the modules that keep residents' personal data are off.")
	}
	return <-errc
}

// defaultJournalDir is where serve keeps a PostgreSQL database's view
// journal when none is named: beside the SQLite default's file.
const defaultJournalDir = "hotline-data"

// viewJournalPath picks the view journal of serve (store.UseViewJournal):
// on PostgreSQL the flag, else $HOTLINE_VIEW_JOURNAL, else a file in
// defaultJournalDir named after the database, so that servers of two
// databases started in one folder never share one; "none" commits views to
// PostgreSQL directly. SQLite keeps its journal beside its file: the flag is
// refused there, the environment ignored.
func viewJournalPath(flagValue, envValue, dbURL string) (string, error) {
	if !strings.HasPrefix(dbURL, "postgres://") && !strings.HasPrefix(dbURL, "postgresql://") {
		if flagValue != "" && flagValue != "none" {
			return "", fmt.Errorf("%w: serve: --view-journal is for PostgreSQL; SQLite keeps its view journal beside the database file (PATH.views)", errUsage)
		}
		return "", nil
	}
	v := flagValue
	if v == "" {
		v = envValue
	}
	switch v {
	case "none":
		return "", nil
	case "":
		sum := sha256.Sum256([]byte(sqldb.Identity(dbURL)))
		return filepath.Join(defaultJournalDir, "views-"+hex.EncodeToString(sum[:6])+".log"), nil
	}
	return v, nil
}

// writableDir says whether dir exists or can be made, and a file can be
// created in it.
func writableDir(dir string) bool {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return false
	}
	f, err := os.CreateTemp(dir, ".probe-*")
	if err != nil {
		return false
	}
	f.Close()
	os.Remove(f.Name())
	return true
}

func runMigrate(ctx context.Context, e env, args []string) error {
	fs := flags(e, "migrate")
	db := fs.String("db", "", "database URL")
	if err := parse(fs, args); err != nil {
		return err
	}
	st, err := openStore(ctx, e, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := app.Migrate(ctx, st); err != nil { // every module's schema
		return err
	}
	fmt.Fprintln(e.stdout, "schema is up to date")
	return nil
}

// demoOrders is how many orders of the demo's past year serve writes: the
// flag's number with --demo (at most a million), none without it.
func demoOrders(on bool, n int) int {
	if !on || n < 0 {
		return 0
	}
	return min(n, 1_000_000)
}
