package main

import (
	"context"
	"fmt"
)

func init() {
	register("apikey", "Open311 API keys: apikey add --db URL --name NAME (prints the key once; only its hash is stored)", runAPIKey)
}

func runAPIKey(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || args[0] != "add" {
		return fmt.Errorf("%w: apikey add --db URL --name NAME", errUsage)
	}
	fs := flags(e, "apikey add")
	db := fs.String("db", "", "database URL")
	name := fs.String("name", "", "who the key is for (an app, a partner)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if *name == "" {
		return fmt.Errorf("%w: apikey add: --name is required", errUsage)
	}
	svc, closeFn, err := openService(ctx, e, *db)
	if err != nil {
		return err
	}
	defer closeFn()
	key, err := svc.CreateAPIKey(ctx, *name)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, key)
	fmt.Fprintf(e.stderr, "created Open311 API key for %q; it is shown only now (the database keeps its SHA-256 hash)\n", *name)
	return nil
}
