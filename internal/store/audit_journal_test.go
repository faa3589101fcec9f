package store

import (
	"context"
	"database/sql"
	"os"
	"strings"
	"testing"
	"time"

	"hotline/internal/apperr"
	"hotline/internal/testenv"
)

// countAudit counts the view entries with target in the table audit_log of
// one database (the main file or the journal).
func countAudit(t *testing.T, db *sql.DB, target string) int {
	t.Helper()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM audit_log WHERE target = $1", target).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// openJournal opens the store's journal of views through a connection of
// the test's own (another connection than the store's).
func openJournalFile(t *testing.T, s *Store) *sql.DB {
	t.Helper()
	j, err := sql.Open("sqlite", "file:"+s.db.Journal())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

// pending counts the views with target still waiting to move: in SQLite's
// journal, or in PostgreSQL's view log file.
func pending(t *testing.T, s *Store, target string) int {
	t.Helper()
	if s.viewLog == nil {
		return countAudit(t, openJournalFile(t, s), target)
	}
	data, err := os.ReadFile(s.viewLog.path)
	if err != nil {
		t.Fatal(err)
	}
	h, err := parseLogHeader(data)
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := parseLogRecords(data[h.size:])
	n := 0
	for _, r := range rows {
		if r[3] == target {
			n++
		}
	}
	return n
}

// forEachJournal runs fn on SQLite (its journal beside the file) and on
// PostgreSQL given a view log (UseViewJournal, as serve does by default); open opens and migrates a store on the subtest's database and
// journal, a new one at each call (a process starting).
func forEachJournal(t *testing.T, fn func(t *testing.T, dbURL string, open func() *Store)) {
	testenv.ForEachDB(t, func(t *testing.T, dbURL string) {
		journal := ""
		if strings.HasPrefix(dbURL, "postgres") {
			journal = t.TempDir() + "/views.log"
		}
		fn(t, dbURL, func() *Store {
			t.Helper()
			if journal != "" {
				return openLogged(t, dbURL, journal)
			}
			return openForTest(t, dbURL, true)
		})
	})
}

// openMain opens the store's database through a connection of the test's
// own.
func openMain(t *testing.T, dbURL string) *sql.DB {
	t.Helper()
	driver, dsn := "pgx", dbURL
	if !strings.HasPrefix(dbURL, "postgres") {
		driver, dsn = "sqlite", "file:"+strings.TrimPrefix(dbURL, "sqlite:")
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestViewJournal (issue 19, fourth and tenth rounds): an audited view is
// committed to the journal — visible to another connection when
// AuditDurable returns — and not to the database (on SQLite its readers
// would drop their page caches at every view; on PostgreSQL each view was
// a transaction of its own); the mover brings it into the database's
// audit_log within viewMoveEvery, and reading the log moves what is
// pending first, so the log always shows every view that was answered.
func TestViewJournal(t *testing.T) {
	forEachJournal(t, testViewJournal)
}

func testViewJournal(t *testing.T, dbURL string, open func() *Store) {
	ctx := context.Background()
	s := open()
	e := AuditEntry{At: time.Now(), Actor: "dispatcher", Action: "view_caller", Target: "order:0", Detail: "20261207000000"}
	if s.Dialect == Postgres {
		if err := s.AuditDurable(ctx, e); err != nil {
			t.Fatal(err)
		}
		// In the log, or in PostgreSQL if the mover was quick; once.
		if n := pending(t, s, "order:0") + countAudit(t, s.r, "order:0"); n != 1 {
			t.Fatalf("view in the log and PostgreSQL %d times, want 1", n)
		}
		if st, err := os.Stat(s.viewLog.path); err != nil || st.Size() == 0 {
			t.Fatalf("the view log %s: %v, %v", s.viewLog.path, st, err)
		}
		testViewMoves(t, s)
		return
	}
	var version1, version2 int64
	r, err := s.r.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// data_version changes for a connection when another one committed to
	// its file: the view must not change the main file's.
	if err := r.QueryRowContext(ctx, "PRAGMA data_version").Scan(&version1); err != nil {
		t.Fatal(err)
	}
	if err := s.AuditDurable(ctx, e); err != nil {
		t.Fatal(err)
	}
	if err := r.QueryRowContext(ctx, "PRAGMA data_version").Scan(&version2); err != nil {
		t.Fatal(err)
	}
	if n := pending(t, s, "order:0"); n != 1 {
		t.Fatalf("view in the journal = %d when AuditDurable returned, want 1", n)
	}
	if version1 != version2 || countAudit(t, s.r, "order:0") != 0 {
		t.Fatalf("the view committed to the main file (data_version %d → %d)", version1, version2)
	}
	testViewMoves(t, s)
}

// testViewMoves: a view committed to the journal moves into the database
// by itself, and at once when the log is read.
func testViewMoves(t *testing.T, s *Store) {
	ctx := context.Background()
	e := AuditEntry{At: time.Now(), Actor: "dispatcher", Action: "view_caller", Target: "order:1", Detail: "20261207000001"}
	if err := s.AuditDurable(ctx, e); err != nil {
		t.Fatal(err)
	}

	// The mover, with no one reading the log.
	deadline := time.Now().Add(20 * viewMoveEvery)
	for countAudit(t, s.r, "order:1") == 0 && time.Now().Before(deadline) {
		time.Sleep(viewMoveEvery / 5)
	}
	if countAudit(t, s.r, "order:1") != 1 || pending(t, s, "order:1") != 0 {
		t.Fatalf("after the mover: main %d, journal %d; want 1, 0", countAudit(t, s.r, "order:1"), pending(t, s, "order:1"))
	}

	// Reading the log moves what is pending at once.
	e.Target = "order:2"
	if err := s.AuditDurable(ctx, e); err != nil {
		t.Fatal(err)
	}
	got, err := s.AuditLog(ctx, "dispatcher", "view_caller", "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) > 2 && got[2].Target == "order:0" {
		got = got[:2]
	}
	if len(got) != 2 || got[0].Target != "order:2" || got[1].Target != "order:1" || !got[0].At.Equal(e.At.Truncate(time.Microsecond)) {
		t.Fatalf("audit log = %+v; want order:2 then order:1, at %v", got, e.At)
	}
	if pending(t, s, "order:2") != 0 {
		t.Fatal("a view read from the log is still in the journal")
	}
	if s.ViewMoveFailures() != 0 {
		t.Fatalf("%d moves failed", s.ViewMoveFailures())
	}
}

// TestViewJournalRecovery: views left in the journal by a process that
// stopped before moving them join the main audit_log when the next one
// migrates, each once — also the ones it had moved (the mark says so) but
// not yet deleted from the journal when it was killed; and a journal made
// anew gives ids above the mark, so none of its rows is taken for moved.
func TestViewJournalRecovery(t *testing.T) {
	ctx := context.Background()
	url := testenv.SQLiteURL(t)
	open := func() *Store { return openForTest(t, url, true) }
	s := open()
	at := time.Date(2026, 12, 7, 4, 0, 0, 123456000, time.UTC)
	moved := AuditEntry{At: at, Actor: "dispatcher", Action: "view_caller", Target: "order:7", Detail: "20261207000007"}
	pending := AuditEntry{At: at.Add(time.Millisecond), Actor: "dispatcher", Action: "view_caller", Target: "orders:8,9", Detail: "20261207000008,20261207000009"}
	// The state a kill between a move's commit and its delete leaves: the
	// first row moved (in the main file, the mark at its id) and still in
	// the journal; the second pending, only in the journal.
	if err := s.AuditDurable(ctx, moved); err != nil {
		t.Fatal(err)
	}
	if err := s.AuditDurable(ctx, pending); err != nil {
		t.Fatal(err)
	}
	s.Close() // moves both; then put the journal back as the kill left it
	j := openJournalFile(t, s)
	if _, err := j.Exec("DELETE FROM audit_log"); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Exec("INSERT INTO audit_log (id, at, actor, action, target, detail) VALUES (1, $1, $2, $3, $4, $5), (2, $6, $7, $8, $9, $10)",
		micros(moved.At), moved.Actor, moved.Action, moved.Target, moved.Detail,
		micros(pending.At), pending.Actor, pending.Action, pending.Target, pending.Detail); err != nil {
		t.Fatal(err)
	}
	main := openMain(t, url)
	if _, err := main.Exec("DELETE FROM audit_log WHERE target = 'orders:8,9'"); err != nil {
		t.Fatal(err)
	}
	if res, err := main.Exec("UPDATE settings SET value = '1' WHERE key = $1", journalMark); err != nil {
		t.Fatal(err)
	} else if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("the mark %s was not in settings", journalMark)
	}

	// A new process: Migrate moves them; the entries are read straight
	// from the database (not through AuditLog, which would move them too).
	s2 := open()
	for _, target := range []string{"order:7", "orders:8,9"} {
		if n := countAudit(t, s2.r, target); n != 1 {
			t.Errorf("%s in the main audit_log %d times after the restart, want 1", target, n)
		}
		if n := countAudit(t, j, target); n != 0 {
			t.Errorf("%s still in the journal %d times", target, n)
		}
	}
	got, err := s2.AuditLog(ctx, "dispatcher", "", "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !strings.HasPrefix(got[0].Target, "orders:") || !got[1].At.Equal(at) {
		t.Fatalf("audit log after recovery = %+v", got)
	}
	s2.Close()

	// The journal removed: the new one's first id is above the mark (2).
	j.Close()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(s.db.Journal() + suffix)
	}
	s3 := open()
	e := AuditEntry{At: at.Add(time.Second), Actor: "dispatcher", Action: "view_caller", Target: "order:10", Detail: "20261207000010"}
	if err := s3.AuditDurable(ctx, e); err != nil {
		t.Fatal(err)
	}
	if got, err := s3.AuditLog(ctx, "dispatcher", "", "", 10); err != nil || len(got) != 3 || got[0].Target != "order:10" {
		t.Fatalf("audit log after a new journal = %+v, %v; want order:10 on top of 3", got, err)
	}
}

// TestViewJournalBackup: a backup holds the views still in the journal when
// it starts (it moves them first), not only the ones the mover had moved.
func TestViewJournalBackup(t *testing.T) {
	ctx := context.Background()
	s := openForTest(t, testenv.SQLiteURL(t), true)
	e := AuditEntry{At: time.Now(), Actor: "dispatcher", Action: "view_caller", Target: "order:11", Detail: "20261207000011"}
	if err := s.AuditDurable(ctx, e); err != nil {
		t.Fatal(err)
	}
	path := t.TempDir() + "/backup.db"
	if err := s.Backup(ctx, path); err != nil {
		t.Fatal(err)
	}
	b, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if n := countAudit(t, b, "order:11"); n != 1 {
		t.Fatalf("the view in the backup %d times, want 1", n)
	}
}

// TestViewJournalOtherDatabase: a journal file records the database it was
// made for; a PostgreSQL store given another database's journal refuses to
// start rather than move those views into itself, and SQLite takes no
// journal but its own.
func TestViewJournalOtherDatabase(t *testing.T) {
	ctx := context.Background()
	if err := openForTest(t, testenv.SQLiteURL(t), false).UseViewJournal(t.TempDir() + "/views.log"); apperr.CodeOf(err) != apperr.Invalid {
		t.Errorf("SQLite given a view journal: %v, want invalid", err)
	}
	if os.Getenv("HOTLINE_TEST_PG") == "" {
		t.Skip("HOTLINE_TEST_PG not set: the PostgreSQL part is skipped")
	}
	journal := t.TempDir() + "/views.log"
	a := openForTest(t, testenv.PostgresURL(t), false)
	if err := a.UseViewJournal(journal); err != nil {
		t.Fatal(err)
	}
	if err := a.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	a.Close()
	b := openForTest(t, testenv.PostgresURL(t), true)
	err := b.UseViewJournal(journal)
	if apperr.CodeOf(err) != apperr.Invalid || !strings.Contains(err.Error(), "holds the views of the database") {
		t.Fatalf("another database's view log: %v, want invalid", err)
	}
	if err := os.WriteFile(journal, []byte("not a view log"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := b.UseViewJournal(journal); err == nil || !strings.Contains(err.Error(), "header is damaged") {
		t.Fatalf("a file that is not a view log: %v, want refused", err)
	}
}
