package store

import (
	"context"
	"database/sql"
	"os"
	"strings"
	"testing"
	"time"

	"hotline/internal/sqldb"
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

// openJournal opens SQLite's journal of views through a connection of the
// test's own (another connection than the store's).
func openJournalFile(t *testing.T, s *Store) *sql.DB {
	t.Helper()
	j, err := sql.Open("sqlite", "file:"+s.path+sqldb.JournalSuffix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

// TestViewJournal (issue 19, fourth round): on SQLite an audited view is
// committed to the journal — visible to another connection when
// AuditDurable returns — and not to the main file, whose readers would
// otherwise drop their page caches at every view; the mover brings it into
// the main audit_log within viewMoveEvery, and reading the log moves what
// is pending first, so the log always shows every view that was answered.
func TestViewJournal(t *testing.T) {
	ctx := context.Background()
	s := openForTest(t, testenv.SQLiteURL(t), true)
	e := AuditEntry{At: time.Now(), Actor: "dispatcher", Action: "view_caller", Target: "order:1", Detail: "20261207000001"}
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
	j := openJournalFile(t, s)
	if n := countAudit(t, j, "order:1"); n != 1 {
		t.Fatalf("view in the journal = %d when AuditDurable returned, want 1", n)
	}
	if version1 != version2 || countAudit(t, s.r, "order:1") != 0 {
		t.Fatalf("the view committed to the main file (data_version %d → %d)", version1, version2)
	}

	// The mover, with no one reading the log.
	deadline := time.Now().Add(20 * viewMoveEvery)
	for countAudit(t, s.r, "order:1") == 0 && time.Now().Before(deadline) {
		time.Sleep(viewMoveEvery / 5)
	}
	if countAudit(t, s.r, "order:1") != 1 || countAudit(t, j, "order:1") != 0 {
		t.Fatalf("after the mover: main %d, journal %d; want 1, 0", countAudit(t, s.r, "order:1"), countAudit(t, j, "order:1"))
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
	if len(got) != 2 || got[0].Target != "order:2" || got[1].Target != "order:1" || !got[0].At.Equal(e.At.Truncate(time.Microsecond)) {
		t.Fatalf("audit log = %+v; want order:2 then order:1, at %v", got, e.At)
	}
	if countAudit(t, j, "order:2") != 0 {
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
	s := openForTest(t, url, true)
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
	if _, err := j.Exec("INSERT INTO audit_log (id, at, actor, action, target, detail) VALUES (1, $1, $2, $3, $4, $5), (2, $6, $7, $8, $9, $10)",
		micros(moved.At), moved.Actor, moved.Action, moved.Target, moved.Detail,
		micros(pending.At), pending.Actor, pending.Action, pending.Target, pending.Detail); err != nil {
		t.Fatal(err)
	}
	main, err := sql.Open("sqlite", "file:"+s.path)
	if err != nil {
		t.Fatal(err)
	}
	defer main.Close()
	if _, err := main.Exec("DELETE FROM audit_log WHERE target = 'orders:8,9'"); err != nil {
		t.Fatal(err)
	}
	if _, err := main.Exec("UPDATE settings SET value = '1' WHERE key = $1", journalMark); err != nil {
		t.Fatal(err)
	}

	// A new process: Migrate moves them; the entries are read straight
	// from the main file (not through AuditLog, which would move them too).
	s2 := openForTest(t, url, true)
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
		os.Remove(s.path + sqldb.JournalSuffix + suffix)
	}
	s3 := openForTest(t, url, true)
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
