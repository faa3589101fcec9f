package main

import (
	"bufio"
	"context"
	"fmt"
	"strings"

	"hotline/internal/order"
	"hotline/internal/service"
	"hotline/internal/store"
)

func init() {
	register("user", "manage users: user add --db URL --username U --role R [--unit CODE] --password-stdin", runUser)
	register("verify", "check every order's event hash chain: verify --db URL", runVerify)
	register("backup", "consistent online backup: backup --db URL --out FILE", runBackup)
}

// openStore resolves the --db flag (or HOTLINE_DB; required) and opens it.
func openStore(ctx context.Context, e env, dbFlag string) (*store.Store, error) {
	url, err := dbURL(e, dbFlag, true)
	if err != nil {
		return nil, err
	}
	return store.Open(ctx, url)
}

// openService opens and migrates a database and builds the service on it.
func openService(ctx context.Context, e env, dbFlag string) (*service.Service, func(), error) {
	_, svc, done, err := openStoreService(ctx, e, dbFlag)
	return svc, done, err
}

// openStoreService is openService with the store too, for the commands that
// write beside the service (bench generate: the demo's directory and the
// simulator's bulk path). The binary, like internal/app, is wiring: it
// hands the store on to what needs it.
func openStoreService(ctx context.Context, e env, dbFlag string) (*store.Store, *service.Service, func(), error) {
	st, err := openStore(ctx, e, dbFlag)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, nil, nil, err
	}
	svc, err := service.New(ctx, st, nil, logger(e))
	if err != nil {
		st.Close()
		return nil, nil, nil, err
	}
	return st, svc, func() { st.Close() }, nil
}

func runUser(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || args[0] != "add" {
		return fmt.Errorf("%w: user add --db URL --username U --role R [--unit CODE] --password-stdin", errUsage)
	}
	fs := flags(e, "user add")
	db := fs.String("db", "", "database URL")
	username := fs.String("username", "", "username")
	role := fs.String("role", "", "operator, dispatcher, handler, leader, volunteer or admin")
	unit := fs.String("unit", "", "unit code (required for handlers)")
	name := fs.String("name", "", "display name")
	stdin := fs.Bool("password-stdin", false, "read the password from standard input")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if !*stdin {
		return fmt.Errorf("%w: user add: --password-stdin is required (passwords never go on the command line)", errUsage)
	}
	if _, err := dbURL(e, *db, true); err != nil {
		return err
	}
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && line == "" {
		return fmt.Errorf("%w: user add: no password on standard input", errUsage)
	}
	password := strings.TrimRight(line, "\r\n")
	svc, closeFn, err := openService(ctx, e, *db)
	if err != nil {
		return err
	}
	defer closeFn()
	u, err := svc.CreateUser(ctx, *username, password, order.Role(*role), *unit, *name)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "created user %s (%s)\n", u.Username, u.Role)
	return nil
}

func runVerify(ctx context.Context, e env, args []string) error {
	fs := flags(e, "verify")
	db := fs.String("db", "", "database URL")
	if err := parse(fs, args); err != nil {
		return err
	}
	st, err := openStore(ctx, e, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	n, brk, err := st.VerifyChains(ctx)
	if err != nil {
		return err
	}
	if brk != nil {
		fmt.Fprintf(e.stdout, "BROKEN: order %s (id %s), event %d: %s\n", brk.Number, brk.OrderID, brk.Seq, brk.Reason)
		return &exitError{code: 1, msg: "the event chain of order " + brk.Number + " is broken"}
	}
	fmt.Fprintf(e.stdout, "ok: %d orders, every event chain intact\n", n)
	return nil
}

func runBackup(ctx context.Context, e env, args []string) error {
	fs := flags(e, "backup")
	db := fs.String("db", "", "database URL")
	out := fs.String("out", "", "backup file to write")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("%w: backup: --out FILE is required", errUsage)
	}
	st, err := openStore(ctx, e, *db)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Backup(ctx, *out); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "backup written to %s\n", *out)
	return nil
}
