package apptest

import (
	"context"

	"hotline/internal/app"
	"hotline/internal/store"
	"hotline/internal/testenv"
)

// The test servers' PostgreSQL databases are copies of one migrated per
// test process (testenv.PostgresSchema says why); what a server's start
// migrates on them is what app.Migrate migrates here.
func init() {
	testenv.PostgresSchema = func(ctx context.Context, dbURL string) error {
		st, err := store.Open(ctx, dbURL)
		if err != nil {
			return err
		}
		defer st.Close()
		return app.Migrate(ctx, st)
	}
}
