package sqldb

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"hotline/internal/apperr"
)

// A lazy write is committed — visible to every connection and instance, and
// kept if this process is killed the moment after — but its commit does not
// wait for the disk: the database flushes it shortly after, within
// LazyFlushWithin on SQLite and within PostgreSQL's own bound for
// asynchronous commits (3 × wal_writer_delay, 600 ms by default).
//
// It exists for the audit entries of unmasked views (issue 19). A view's
// entry must be logged before the data is sent, whatever happens to the
// server; but waiting for an fsync (1.7 ms on this VM's disk) for every
// read halved a dispatcher's fetch rate beside a leader's, however many
// views one commit carried. A write of record — an order, an action, a
// resident — never goes this way: those commits wait for the disk.
//
// On SQLite the lazy writes go to a database file of their own beside the
// main one, the journal (PATH.views, WAL, synchronous=NORMAL on its one
// connection), not to the main file: every commit to a SQLite file makes
// every other connection drop its whole page cache at its next read
// (WAL mode has no finer invalidation), so views committed to the main
// file made each reader re-read its pages with pread — a dispatcher's
// fetch paid ~180 µs of CPU for the other dispatchers' views, twice what
// its own audit write cost (issue 19's fourth round, docs/benchmarks.md).
// The journal's connection never serves a write of record, so it needs no
// PRAGMA switching either. Its owner (the store) moves the rows into the
// main file in batches.
//
// A PostgreSQL database may be given a journal too (UseJournal; serve does
// by default): a view committed to PostgreSQL cost the server an INSERT
// and a commit and us a round trip, ~150–250 µs of CPU in all, which kept a
// dispatcher's fetch at 0.70–0.80 of a leader's (issue 19's tenth round).
// Without one, lazy writes run on sessions with synchronous_commit=off.
//
// What it gives up: after a power cut or a kernel crash (not a process
// crash), the views logged in the last LazyFlushWithin (a journal) or
// 600 ms (PostgreSQL without one) may be missing (on PostgreSQL unless a
// write of record committed after them: its flush carries theirs).

// LazyFlushWithin bounds how long a lazy write to a journal stays in the
// operating system's cache before the journal's WAL file is fsynced.
const LazyFlushWithin = 10 * time.Millisecond

// lazyConns is how many connections PostgreSQL's lazy pool keeps: the
// store's view committers each use one at a time.
const lazyConns = 4

// JournalSuffix names the SQLite journal of lazy writes: the main file's
// path plus this.
const JournalSuffix = ".views"

// UseJournal makes a PostgreSQL database keep its lazy writes in a journal
// file on this machine, at path, as SQLite does beside its file, instead of
// committing them to PostgreSQL with synchronous_commit=off; whoever writes
// them there moves them into PostgreSQL (the store, every 250 ms). Call it
// before the first lazy write. On SQLite the journal is always PATH.views
// and UseJournal refuses another.
func (d *DB) UseJournal(path string) error {
	if d.Dialect != Postgres {
		return apperr.New(apperr.Invalid, "a view journal is chosen only for PostgreSQL; SQLite keeps it beside its file (%s)", d.Path+JournalSuffix)
	}
	if path == "" {
		return apperr.New(apperr.Invalid, "the view journal needs a file path")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return apperr.Wrap(err, "create the view journal's folder %s", dir)
		}
	}
	d.journal = path
	return nil
}

// Journal is the path of the journal file lazy writes go to: SQLite's
// PATH.views, PostgreSQL's when UseJournal chose one, else "" (PostgreSQL
// commits them itself).
func (d *DB) Journal() string {
	if d.Dialect == SQLite {
		return d.Path + JournalSuffix
	}
	return d.journal
}

// Lazy returns the pool lazy writes run on: the journal, a separate SQLite
// file (its own tables only) with synchronous=NORMAL, on SQLite and on a
// PostgreSQL database given one (UseJournal); else PostgreSQL itself
// through sessions with synchronous_commit=off. After a write to a journal,
// call LazyWritten so that it is fsynced within LazyFlushWithin; ExecLazy
// does both.
func (d *DB) Lazy() (*sql.DB, error) {
	d.lazyOnce.Do(func() {
		if j := d.Journal(); j != "" {
			d.lazy, d.lazyErr = openJournal(j)
		} else {
			d.lazy, d.lazyErr = openLazyPostgres(d.URL)
		}
	})
	return d.lazy, d.lazyErr
}

// ExecLazy runs one write statement (atomic on its own) as a lazy write, on
// Lazy's pool (on SQLite: in the journal file).
func (d *DB) ExecLazy(ctx context.Context, q string, args ...any) error {
	pool, err := d.Lazy()
	if err != nil {
		return err
	}
	if _, err := pool.ExecContext(ctx, q, args...); err != nil {
		return MapErr(err)
	}
	d.LazyWritten()
	return nil
}

// LazyWritten asks for the journal's WAL to be fsynced within
// LazyFlushWithin; without a journal PostgreSQL does that by itself.
func (d *DB) LazyWritten() {
	if d.Journal() != "" {
		d.walSync().kick()
	}
}

func openLazyPostgres(dbURL string) (*sql.DB, error) {
	u, err := url.Parse(dbURL)
	if err != nil {
		return nil, apperr.Wrap(err, "parse the database URL")
	}
	q := u.Query()
	// pgx passes parameters it does not know to the server as the
	// session's settings, in the start-up message.
	q.Set("synchronous_commit", "off")
	u.RawQuery = q.Encode()
	db, err := sql.Open("pgx", u.String())
	if err != nil {
		return nil, apperr.Wrap(err, "open PostgreSQL")
	}
	db.SetMaxOpenConns(lazyConns)
	db.SetMaxIdleConns(lazyConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	return db, nil
}

// openJournal opens SQLite's journal of lazy writes: one connection (one
// writer; it is never shared with a write of record, so its synchronous
// setting stays NORMAL: the WAL frames are written at commit, and fsynced
// by the syncer); its transactions take the write lock at BEGIN.
func openJournal(path string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate")
	if err != nil {
		return nil, apperr.Wrap(err, "open the journal %s", path)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, apperr.Wrap(err, "open the journal %s", path)
	}
	return db, nil
}

// LazyFlushFailures counts journal WAL fsyncs that failed; a
// failure is retried at the next lazy write, and the journal's rows are
// fsynced again once moved into the main file.
func (d *DB) LazyFlushFailures() int64 {
	if d.syncer == nil {
		return 0
	}
	return d.syncer.failures.Load()
}

// LazyFlushes counts the journal WAL fsyncs that flushed lazy writes.
func (d *DB) LazyFlushes() int64 {
	if d.syncer == nil {
		return 0
	}
	return d.syncer.syncs.Load()
}

// walSyncer fsyncs the journal's WAL file after lazy writes, at most once per
// LazyFlushWithin: writes arriving while it waits share the next fsync.
type walSyncer struct {
	path     string
	kicks    chan struct{}
	stop     chan struct{}
	done     chan struct{}
	syncs    atomic.Int64
	failures atomic.Int64
}

func (d *DB) walSync() *walSyncer {
	d.syncOnce.Do(func() {
		d.syncer = &walSyncer{path: d.Journal() + "-wal", kicks: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
		go d.syncer.run()
	})
	return d.syncer
}

func (w *walSyncer) kick() {
	select {
	case w.kicks <- struct{}{}:
	default: // one is pending: it will cover this write too
	}
}

func (w *walSyncer) run() {
	defer close(w.done)
	for {
		select {
		case <-w.kicks:
		case <-w.stop:
			return
		}
		// Gather the writes of the next moments into one fsync; the wait is
		// the bound LazyFlushWithin promises.
		select {
		case <-time.After(LazyFlushWithin):
		case <-w.stop:
		}
		w.sync()
	}
}

// sync fsyncs the WAL file through a descriptor of its own: fsync flushes
// the file's pages whoever wrote them, which is all SQLite's FULL mode does
// after writing the same frames.
func (w *walSyncer) sync() {
	f, err := os.Open(w.path)
	if os.IsNotExist(err) {
		return // checkpointed and removed: the data is in the database file
	}
	if err == nil {
		err = f.Sync()
		f.Close()
	}
	if err != nil {
		w.failures.Add(1)
		return
	}
	w.syncs.Add(1)
}

// close stops the syncer after a last fsync of what is pending.
func (w *walSyncer) close() {
	close(w.stop)
	<-w.done
	select {
	case <-w.kicks:
		w.sync()
	default:
	}
}

// lazyState is DB's share of the lazy writes: PostgreSQL's pool or SQLite's
// journal, and SQLite's syncer, all made on first use.
type lazyState struct {
	lazyOnce sync.Once
	lazy     *sql.DB
	lazyErr  error
	journal  string // PostgreSQL's journal file (UseJournal); "" for none
	syncOnce sync.Once
	syncer   *walSyncer
	// closeOnce lets DB.Close run twice (a test's explicit Close and its
	// cleanup) without closing the syncer's channel twice.
	closeOnce sync.Once
}

func (l *lazyState) closeLazy() error {
	if l.syncer != nil {
		l.closeOnce.Do(l.syncer.close) // before the journal closes: its last fsync
	}
	if l.lazy != nil {
		return l.lazy.Close()
	}
	return nil
}
