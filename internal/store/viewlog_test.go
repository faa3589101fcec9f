package store

import (
	"bytes"
	"context"
	"os"
	"reflect"
	"strconv"
	"testing"
	"time"

	"hotline/internal/sqldb"
	"hotline/internal/testenv"
)

// openLogged opens a PostgreSQL store with the view log at path and
// migrates it (moving what the log holds), as serve does.
func openLogged(t testing.TB, url, path string) *Store {
	t.Helper()
	s := openForTest(t, url, false)
	if err := s.UseViewJournal(path); err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func viewRow(at time.Time, target string) []any {
	return []any{micros(at), "dispatcher", "view_caller", target, "2026120700000" + target[len(target)-1:]}
}

// TestViewLogRecovery (PostgreSQL): what a killed server left in its view
// log moves into audit_log when the next one starts with that log, each
// view once — also when it was killed after a move's commit and before the
// move emptied the file (the mark says where the move got to); a record
// torn by a power cut is cut off, and the log goes on after it.
func TestViewLogRecovery(t *testing.T) {
	ctx := context.Background()
	url := testenv.PostgresURL(t)
	path := t.TempDir() + "/hotline-data/views.log"
	at := time.Date(2026, 12, 7, 4, 0, 0, 123456000, time.UTC)

	// The killed server: two records; the first moved (in audit_log, the
	// mark after it), the file not yet emptied.
	l, err := openViewLog(path, sqldb.Identity(url))
	if err != nil {
		t.Fatal(err)
	}
	moved, left := [][]any{viewRow(at, "order:7")}, [][]any{viewRow(at.Add(time.Millisecond), "order:8"), viewRow(at.Add(2*time.Millisecond), "order:9")}
	for _, rows := range [][][]any{moved, left} {
		if err := l.append(rows); err != nil {
			t.Fatal(err)
		}
	}
	data, _ := os.ReadFile(path)
	h, err := parseLogHeader(data)
	if err != nil {
		t.Fatal(err)
	}
	l.close()
	s := openForTest(t, url, true)
	if err := s.commitMoved(ctx, h.key(), moved, h.base+int64(len(encodeLogRecord(moved)))); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s2 := openLogged(t, url, path)
	for _, target := range []string{"order:7", "order:8", "order:9"} {
		if n := countAudit(t, s2.r, target); n != 1 {
			t.Errorf("%s in audit_log %d times after the restart, want 1", target, n)
		}
	}
	if st, _ := os.Stat(path); st.Size() != int64(h.size) {
		t.Errorf("the log holds %d bytes after the move, want its header's %d", st.Size(), h.size)
	}

	// A torn record at the end (a power cut mid-write).
	s2.Close()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	torn := encodeLogRecord([][]any{viewRow(at, "order:5")})
	f.Write(torn[:len(torn)-3])
	f.Close()
	s3 := openLogged(t, url, path)
	if err := s3.AuditDurable(ctx, AuditEntry{At: at.Add(time.Second), Actor: "dispatcher", Action: "view_caller", Target: "order:10"}); err != nil {
		t.Fatal(err)
	}
	got, err := s3.AuditLog(ctx, "dispatcher", "", "", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 || got[0].Target != "order:10" || countAudit(t, s3.r, "order:5") != 0 {
		t.Fatalf("audit log after a torn record = %+v; want order:10 on top of 4, no order:5", got)
	}
	if s3.ViewMoveFailures() != 0 {
		t.Fatalf("%d moves failed", s3.ViewMoveFailures())
	}
}

// TestViewLogTwoWriters: two processes' stores on one log file (two servers
// started in one folder) — each view moves exactly once, whichever moves it.
func TestViewLogTwoWriters(t *testing.T) {
	ctx := context.Background()
	url := testenv.PostgresURL(t)
	path := t.TempDir() + "/views.log"
	var stores []*Store
	for range 2 {
		stores = append(stores, openLogged(t, url, path))
	}
	const each = 300
	done := make(chan error, 2)
	for i, s := range stores {
		go func() {
			for k := range each {
				target := "order:" + strconv.Itoa(i) + "-" + strconv.Itoa(k)
				if err := s.AuditDurable(ctx, AuditEntry{At: time.Now(), Actor: "dispatcher", Action: "view_caller", Target: target}); err != nil {
					done <- err
					return
				}
				if k%50 == 0 {
					if err := s.moveViews(ctx); err != nil {
						done <- err
						return
					}
				}
			}
			done <- nil
		}()
	}
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range stores {
		s.Close()
	}
	var n, distinct int
	if err := openMain(t, url).QueryRow(`SELECT COUNT(*), COUNT(DISTINCT target) FROM audit_log WHERE action = 'view_caller'`).Scan(&n, &distinct); err != nil {
		t.Fatal(err)
	}
	if n != 2*each || distinct != 2*each {
		t.Fatalf("audit_log holds %d views (%d distinct), want %d once each", n, distinct, 2*each)
	}
}

// FuzzViewLog: the log's parsers take any bytes without panicking, never
// claim more than they were given, and read back every record written —
// with whatever follows it.
func FuzzViewLog(f *testing.F) {
	f.Add([]byte{}, "order:1", int64(1))
	f.Add(encodeLogRecord([][]any{viewRow(time.Unix(1, 0), "order:1")}), "orders:1,2", int64(-5))
	f.Add(encodeLogHeader(logHeader{base: 9, owner: "db/x"}), "", int64(0))
	f.Fuzz(func(t *testing.T, junk []byte, target string, at int64) {
		if h, err := parseLogHeader(junk); err == nil && h.size > len(junk) {
			t.Fatalf("header of %d bytes in %d", h.size, len(junk))
		}
		rows, valid := parseLogRecords(junk)
		if valid < 0 || valid > len(junk) || (valid == 0 && len(rows) > 0) {
			t.Fatalf("%d rows in %d of %d bytes", len(rows), valid, len(junk))
		}
		want := [][]any{{at, "dispatcher", "view_caller", target, target}}
		rec := encodeLogRecord(want)
		got, n := parseLogRecords(append(append([]byte{}, rec...), junk...))
		if n < len(rec) || !reflect.DeepEqual(got[:1], want) {
			t.Fatalf("read back %v (%d bytes), wrote %v (%d)", got, n, want, len(rec))
		}
		if bytes.HasPrefix(junk, []byte(viewLogMagic)) {
			parseLogHeader(junk)
		}
	})
}

// TestViewLogEmptied: a log file left empty (a move that emptied it and
// could not write its header) takes views again under a header of its own.
func TestViewLogEmptied(t *testing.T) {
	path := t.TempDir() + "/views.log"
	l, err := openViewLog(path, "db.example:5432/hotline")
	if err != nil {
		t.Fatal(err)
	}
	defer l.close()
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 7, 4, 0, 0, 0, time.UTC)
	if err := l.append([][]any{viewRow(at, "order:3")}); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	h, err := parseLogHeader(data)
	if err != nil || h.owner != "db.example:5432/hotline" {
		t.Fatalf("header after an append to an empty file: %+v, %v", h, err)
	}
	if rows, _ := parseLogRecords(data[h.size:]); len(rows) != 1 || rows[0][3] != "order:3" {
		t.Fatalf("records: %v", rows)
	}
}
