package testenv

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
)

// processDirPrefix starts the names of the test processes' own folders:
// hotline-test-PID-RANDOM in the temporary folder.
const processDirPrefix = "hotline-test-"

var processDir struct {
	once sync.Once
	dir  string
	err  error
}

// ProcessDir is a folder of this test process's own, for what it makes once
// and its tests share (the demo files apptest copies), made at its first
// use. Nothing removes it when the process ends (go test gives a package no
// hook after its last test), so the first use also removes the folders of
// test processes that have ended, as the PostgreSQL templates are dropped.
func ProcessDir() (string, error) {
	processDir.once.Do(func() {
		old, _ := filepath.Glob(filepath.Join(os.TempDir(), processDirPrefix+"*"))
		for _, d := range old {
			if ended(filepath.Base(d), processDirPrefix, "-") {
				os.RemoveAll(d)
			}
		}
		processDir.dir, processDir.err = os.MkdirTemp("", processDirPrefix+strconv.Itoa(os.Getpid())+"-")
	})
	return processDir.dir, processDir.err
}

// Querier is what runs a query: *sql.DB, *sql.Conn, *sql.Tx.
type Querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Column reads the one text column of q's rows.
func Column(t testing.TB, db Querier, q string, args ...any) []string {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var vals []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		vals = append(vals, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return vals
}
