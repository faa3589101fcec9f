package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

// A create batch's statements run compiled from the second batch on: the
// first compiles what it ran (the rollup upserts), the next runs none
// uncompiled. If the cache broke, every batch would compile its SQL again.
func TestStmtCacheCompilesCreateStatementsOnce(t *testing.T) {
	ctx := context.Background()
	st := openForTest(t, "sqlite:"+filepath.Join(t.TempDir(), "h.db"), true)
	create := func(i int) { createTestOrder(t, st, i) }
	misses := func() int {
		st.wstmts.mu.Lock()
		defer st.wstmts.mu.Unlock()
		return st.wstmts.misses
	}
	create(1)
	first := misses()
	if first == 0 {
		t.Fatal("the first batch ran every statement compiled: the rollup upserts cannot have been cached before")
	}
	create(2)
	create(3)
	if got := misses(); got != first {
		t.Fatalf("batches after the first ran %d statements uncompiled, want 0", got-first)
	}
	// The session lookup goes through the reader's cache.
	if _, err := st.SessionUser(ctx, "no-such-token", time.Now()); err == nil {
		t.Fatal("unknown session accepted")
	}
	if st.rstmts.get(sessionUserSQL) == nil {
		t.Fatal("session lookup not compiled once on the reader pool")
	}
}

// The cache never holds more than maxCached statements; beyond that a
// statement is compiled for one use and closed.
func TestStmtCacheBound(t *testing.T) {
	ctx := context.Background()
	st := openForTest(t, "sqlite:"+filepath.Join(t.TempDir(), "h.db"), false)
	for i := range maxCached + 5 {
		var n int
		if err := st.queryRow(ctx, fmt.Sprintf("SELECT %d", i)).Scan(&n); err != nil || n != i {
			t.Fatalf("query %d: %v, %d", i, err, n)
		}
	}
	if got := len(st.rstmts.m); got != maxCached {
		t.Fatalf("%d statements cached, want the bound %d", got, maxCached)
	}
}
