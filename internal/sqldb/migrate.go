package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"hotline/internal/apperr"
)

// Migrate applies a module's migrations: the files NNNN_name.sql in
// files/<dialect>/, in order, each once, recorded in module_migrations under
// the module's name. Each community module keeps its schema in its own
// storage package and migrates it after the orders' store has migrated (its
// tables may refer to units, compounds and orders). On PostgreSQL an
// advisory lock keeps several instances starting at once from migrating
// twice.
func (d *DB) Migrate(ctx context.Context, module string, files fs.FS) error {
	dir := string(d.Dialect)
	entries, err := fs.ReadDir(files, dir)
	if err != nil {
		return apperr.Wrap(err, "read %s migrations", module)
	}
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".sql") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return d.Tx(ctx, func(tx *sql.Tx) error {
		if d.Dialect == Postgres {
			if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(12346)"); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS module_migrations (
			module TEXT NOT NULL, version INTEGER NOT NULL, applied_at BIGINT NOT NULL, PRIMARY KEY (module, version))`); err != nil {
			return err
		}
		applied := map[int]bool{}
		rows, err := tx.QueryContext(ctx, "SELECT version FROM module_migrations WHERE module = $1", module)
		if err != nil {
			return err
		}
		for rows.Next() {
			var v int
			if err := rows.Scan(&v); err != nil {
				rows.Close()
				return err
			}
			applied[v] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, name := range names {
			v, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
			if err != nil {
				return fmt.Errorf("%s migration %s: name must start with a number", module, name)
			}
			if applied[v] {
				continue
			}
			text, err := fs.ReadFile(files, path.Join(dir, name))
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, string(text)); err != nil {
				return fmt.Errorf("%s migration %s: %w", module, name, err)
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO module_migrations (module, version, applied_at) VALUES ($1, $2, $3)",
				module, v, Micros(time.Now())); err != nil {
				return err
			}
		}
		return nil
	})
}
