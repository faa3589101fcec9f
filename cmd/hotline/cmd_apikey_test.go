package main

import (
	"context"
	"strings"
	"testing"

	"hotline/internal/auth"
	"hotline/internal/store"
	"hotline/internal/testenv"
)

func TestAPIKeyAdd(t *testing.T) {
	t.Parallel()
	testenv.ForEachDBParallel(t, func(t *testing.T, db string) {
		code, out, errs := runCmd(t, "", "apikey", "add", "--db", db, "--name", "街道 App")
		key := strings.TrimSpace(out)
		if code != 0 || len(key) < 40 || !strings.Contains(errs, "shown only now") {
			t.Fatalf("apikey add: %d %q %q", code, out, errs)
		}
		st, err := store.Open(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		k, err := st.APIKeyByHash(context.Background(), auth.HashToken(key))
		if err != nil || k.Name != "街道 App" {
			t.Fatalf("stored key: %+v %v", k, err)
		}
		if _, err := st.APIKeyByHash(context.Background(), key); err == nil {
			t.Fatal("the key itself must not be stored, only its hash")
		}
		if code, _, _ := runCmd(t, "", "apikey", "add", "--db", db); code != 2 {
			t.Fatalf("missing --name: %d", code)
		}
		if code, _, _ := runCmd(t, "", "apikey", "list", "--db", db); code != 2 {
			t.Fatalf("unknown subcommand: %d", code)
		}
	})
}
