package store

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"

	"hotline/internal/apperr"
)

// Backup writes a consistent online backup to path. SQLite: VACUUM INTO,
// which reads one snapshot while the server keeps writing and yields a
// plain, restorable database file. PostgreSQL: pg_dump's custom format
// (restore with pg_restore), taken in one snapshot by pg_dump itself.
func (s *Store) Backup(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err == nil {
		return apperr.New(apperr.Conflict, "%s already exists; choose a new file", path)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return apperr.Wrap(err, "create %s", dir)
		}
	}
	// The views still in the journal (this process's or a server's beside
	// it: moves hold the journal's lock) join the copy.
	if err := s.moveJournalLeft(ctx); err != nil {
		return err
	}
	if s.Dialect == SQLite {
		if _, err := s.w.ExecContext(ctx, `VACUUM INTO $1`, path); err != nil {
			return apperr.Wrap(err, "backup to %s", path)
		}
		return nil
	}
	bin, err := exec.LookPath("pg_dump")
	if err != nil {
		bin = "/usr/lib/postgresql/15/bin/pg_dump"
		if _, statErr := os.Stat(bin); statErr != nil {
			return apperr.New(apperr.Internal, "pg_dump not found: install the PostgreSQL client (postgresql-client-15)")
		}
	}
	cmd := exec.CommandContext(ctx, bin, "--format=custom", "--file="+path, "--dbname="+s.url)
	if out, err := cmd.CombinedOutput(); err != nil {
		os.Remove(path)
		return apperr.Wrap(err, "pg_dump failed: %s", truncate(string(out), 500))
	}
	return nil
}
