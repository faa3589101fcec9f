package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"strings"

	"hotline/internal/app"
	"hotline/internal/demo"
)

// defaultDB is the embedded SQLite file used when no --db is given.
const defaultDB = "sqlite:./hotline-data/hotline.db"

func init() {
	register("serve", "run the server: serve [--addr 127.0.0.1:8080] [--db URL] [--demo] [--data-key-file FILE]", runServe)
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
	keyFile := dataKeyFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	url, _ := dbURL(e, *db, false)
	log := logger(e)
	key, err := loadDataKey(e, *keyFile)
	if err != nil {
		return err
	}
	demoKey := "" // what the banner says of a demo key (cmd_keys.go)
	if key == nil && *demoMode {
		var fresh bool
		if key, fresh, err = demoDataKey(); err != nil {
			return fmt.Errorf("demo data key: %w", err)
		}
		demoKey = "kept from an earlier demo run in " + demoKeyPath
		if fresh {
			demoKey = "generated now in " + demoKeyPath
		}
	}
	m, err := app.New(ctx, app.Config{Addr: *addr, DB: url, Demo: *demoMode, DemoCommunity: *demoMode, Log: log, Intel: newIntel(log), Web: webPages(), DataKey: key})
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
	if demoKey != "" {
		fmt.Fprintf(e.stdout, "WARNING: demo data key, %s; personal data is sealed with a key that sits beside the demo database. Real data needs its own key: hotline keys generate --out FILE, then --data-key-file FILE.\n", demoKey)
	}
	return <-errc
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
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	if err := app.MigrateRegistry(ctx, st.DB()); err != nil { // places and residents (community.md §1)
		return err
	}
	if err := app.MigrateCommunity(ctx, st.DB()); err != nil { // emergencies and campaigns (§4, §5)
		return err
	}
	fmt.Fprintln(e.stdout, "schema is up to date")
	return nil
}
