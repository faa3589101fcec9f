package app

import (
	"context"
	"fmt"

	"hotline/internal/store"
)

// Migrate brings every module's schema on st's database up to date, in the
// order New migrates them: the orders' store, places and the registry, then
// the community modules. It is what `hotline migrate` runs, and what the
// test harness runs once per test process on the PostgreSQL database its
// test databases are copied from (apptest, testenv.PostgresSchema). It
// writes nothing but the schemas and their migrations' own rows.
func Migrate(ctx context.Context, st *store.Store) error {
	if err := st.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := MigrateRegistry(ctx, st.DB()); err != nil { // places and residents (community.md §1)
		return err
	}
	return MigrateCommunity(ctx, st.DB()) // patrols, meetings, emergencies, campaigns (§2–§5)
}
