package store

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps SQLite statements compiled. modernc's driver compiles a
// statement's SQL on every call, and for the small hot statements of a
// create (the session lookup, the rollup upserts) compiling cost several
// times more CPU than running them: about 8% of a create's CPU in
// bench/createload. PostgreSQL needs none of this: pgx caches prepared
// statements per connection by itself.
//
// Only fixed query texts may go through it (the set stays small); a query
// built from user input never does. maxCached bounds it anyway.
type stmtCache struct {
	db   *sql.DB
	mu   sync.Mutex
	m    map[string]*sql.Stmt
	want map[string]bool // seen inside a transaction, to prepare after it
	// misses counts statements a transaction ran uncompiled (tests watch it).
	misses int
}

const maxCached = 128

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: map[string]*sql.Stmt{}, want: map[string]bool{}}
}

func (c *stmtCache) get(q string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[q]
}

// prepared returns q compiled on the cache's pool, compiling it now if
// needed. Never call it on the writer pool inside a transaction: the
// writer's one connection is the transaction's, and preparing would wait
// for it forever (use a txStmts there).
func (c *stmtCache) prepared(ctx context.Context, q string) (*sql.Stmt, error) {
	if st := c.get(q); st != nil {
		return st, nil
	}
	st, err := c.db.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.m[q]; old != nil { // another goroutine won the race
		st.Close()
		return old, nil
	}
	if len(c.m) >= maxCached {
		return st, nil // caller's to use once; see closeIfUncached
	}
	c.m[q] = st
	return st, nil
}

// closeIfUncached closes a statement that prepared returned without caching
// it (the cache was full).
func (c *stmtCache) closeIfUncached(q string, st *sql.Stmt) {
	if c.get(q) != st {
		st.Close()
	}
}

// prepareWanted compiles the statements a transaction ran uncompiled. It
// runs after the transaction, when the writer's connection is free.
func (c *stmtCache) prepareWanted(ctx context.Context) error {
	c.mu.Lock()
	var qs []string
	for q := range c.want {
		qs = append(qs, q)
	}
	clear(c.want)
	c.mu.Unlock()
	for _, q := range qs {
		st, err := c.prepared(ctx, q)
		if err != nil {
			return err
		}
		c.closeIfUncached(q, st)
	}
	return nil
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		st.Close()
	}
	clear(c.m)
}

// txStmts runs a transaction's statements through the writer's cache: a
// statement already compiled is only bound and stepped; one not yet is run
// as it is and noted, so that prepareWanted compiles it after the
// transaction for the next one.
type txStmts struct {
	tx *sql.Tx
	c  *stmtCache
}

func (t txStmts) stmt(ctx context.Context, q string) *sql.Stmt {
	if len(q) == 0 {
		return nil
	}
	if st := t.c.get(q); st != nil {
		return t.tx.StmtContext(ctx, st)
	}
	t.c.mu.Lock()
	t.c.misses++
	if len(t.c.m)+len(t.c.want) < maxCached {
		t.c.want[q] = true
	}
	t.c.mu.Unlock()
	return nil
}

func (t txStmts) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	st := t.stmt(ctx, q)
	if st == nil {
		return t.tx.ExecContext(ctx, q, args...)
	}
	defer st.Close()
	return st.ExecContext(ctx, args...)
}

// QueryRowContext is ExecContext for a statement that returns one row. The
// transaction's statement handle stays open until the transaction ends
// (database/sql closes it then), because the row is scanned after this
// returns.
func (t txStmts) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	st := t.stmt(ctx, q)
	if st == nil {
		return t.tx.QueryRowContext(ctx, q, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// queryRow runs a fixed read query on the reader pool, compiled once on
// SQLite. For the reads every request makes (the session lookup).
func (s *Store) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	if s.rstmts == nil {
		return s.r.QueryRowContext(ctx, q, args...)
	}
	st, err := s.rstmts.prepared(ctx, q)
	if err != nil || s.rstmts.get(q) != st {
		if err == nil {
			st.Close()
		}
		return s.r.QueryRowContext(ctx, q, args...)
	}
	return st.QueryRowContext(ctx, args...)
}
