package app

import (
	"context"
	"fmt"

	"hotline/internal/community/registry"
	"hotline/internal/community/registry/registrydb"
	"hotline/internal/place/placedb"
	"hotline/internal/sqldb"
)

// openRegistry migrates places and the residents' registry (community.md
// §1) and builds its service. The registry keeps personal data sealed, so
// without a data key (Config.DataKey) it is not mounted: its schema is
// migrated but no resident can be read or written, and the server says so
// in its log rather than falling back to plaintext.
func (m *Main) openRegistry(ctx context.Context) error {
	db := m.Store.DB()
	if err := MigrateRegistry(ctx, db); err != nil {
		return err
	}
	places := placedb.New(db)
	if m.DataKey == nil {
		m.Log.Warn("the residents' registry is off: no data key (HOTLINE_DATA_KEY or --data-key-file)")
		return nil
	}
	res, err := registrydb.New(db, m.DataKey)
	if err != nil {
		return err
	}
	m.Registry = &registry.Service{Places: places, Store: res}
	m.RegistryDB = res
	m.AddResealer("registry", res)
	return nil
}

// MigrateRegistry applies the place and registry migrations (after the
// orders' store migrated): what `hotline migrate` and the registry's
// commands run too.
func MigrateRegistry(ctx context.Context, db *sqldb.DB) error {
	if err := placedb.New(db).Migrate(ctx); err != nil {
		return fmt.Errorf("migrate places: %w", err)
	}
	if err := db.Migrate(ctx, "registry", registrydb.Migrations()); err != nil {
		return fmt.Errorf("migrate the registry: %w", err)
	}
	return nil
}
