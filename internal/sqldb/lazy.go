package sqldb

import (
	"context"
	"database/sql"
	"net/url"
	"os"
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
// On PostgreSQL the store keeps its audited views in a log file of its own
// by default (store.UseViewJournal, fsynced by a FileSyncer), and uses
// these sessions only without one.
//
// What it gives up: after a power cut or a kernel crash (not a process
// crash), the views logged in the last LazyFlushWithin (SQLite) or 600 ms
// (PostgreSQL) may be missing (on PostgreSQL unless a write of record
// committed after them: its flush carries theirs).

// LazyFlushWithin bounds how long a lazy write to a journal or log stays in
// the operating system's cache before its file is fsynced.
const LazyFlushWithin = 10 * time.Millisecond

// lazyConns is how many connections PostgreSQL's lazy pool keeps: the
// store's view committers each use one at a time.
const lazyConns = 4

// JournalSuffix names the SQLite journal of lazy writes: the main file's
// path plus this.
const JournalSuffix = ".views"

// Journal is the path of SQLite's journal file of lazy writes, PATH.views;
// "" on PostgreSQL, whose lazy writes PostgreSQL commits itself (a store
// may keep its audited views in a log of its own there: store.UseViewJournal).
func (d *DB) Journal() string {
	if d.Dialect == SQLite {
		return d.Path + JournalSuffix
	}
	return ""
}

// Lazy returns the pool lazy writes run on: on PostgreSQL the same database
// through sessions with synchronous_commit=off; on SQLite the journal, a
// separate database file (its own tables only) with synchronous=NORMAL.
// After a write on SQLite, call LazyWritten so that it is fsynced within
// LazyFlushWithin; ExecLazy does both.
func (d *DB) Lazy() (*sql.DB, error) {
	d.lazyOnce.Do(func() {
		if d.Dialect == Postgres {
			d.lazy, d.lazyErr = openLazyPostgres(d.URL)
		} else {
			d.lazy, d.lazyErr = openJournal(d.Journal())
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

// LazyWritten asks, on SQLite, for the journal's WAL to be fsynced within
// LazyFlushWithin; on PostgreSQL the server does that by itself.
func (d *DB) LazyWritten() {
	if d.Dialect == SQLite {
		d.walSync().Kick()
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
	return d.syncer.Failures()
}

// LazyFlushes counts the journal WAL fsyncs that flushed lazy writes.
func (d *DB) LazyFlushes() int64 {
	if d.syncer == nil {
		return 0
	}
	return d.syncer.Syncs()
}

// FileSyncer fsyncs a file after writes, at most once per LazyFlushWithin:
// writes arriving while it waits share the next fsync. SQLite's journal
// uses one for its WAL file, the store's PostgreSQL view log one for its
// file.
type FileSyncer struct {
	path     string
	kicks    chan struct{}
	stop     chan struct{}
	done     chan struct{}
	syncs    atomic.Int64
	failures atomic.Int64
}

// NewFileSyncer starts a syncer of the file at path; Close stops it.
func NewFileSyncer(path string) *FileSyncer {
	w := &FileSyncer{path: path, kicks: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go w.run()
	return w
}

func (d *DB) walSync() *FileSyncer {
	d.syncOnce.Do(func() { d.syncer = NewFileSyncer(d.Journal() + "-wal") })
	return d.syncer
}

// Kick asks for an fsync within LazyFlushWithin.
func (w *FileSyncer) Kick() {
	select {
	case w.kicks <- struct{}{}:
	default: // one is pending: it will cover this write too
	}
}

// Syncs and Failures count the fsyncs made and failed.
func (w *FileSyncer) Syncs() int64    { return w.syncs.Load() }
func (w *FileSyncer) Failures() int64 { return w.failures.Load() }

func (w *FileSyncer) run() {
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

// sync fsyncs the file through a descriptor of its own: fsync flushes the
// file's pages whoever wrote them (for SQLite's WAL, all its FULL mode does
// after writing the same frames).
func (w *FileSyncer) sync() {
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

// Close stops the syncer after a last fsync of what is pending.
func (w *FileSyncer) Close() {
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
	syncOnce sync.Once
	syncer   *FileSyncer
	// closeOnce lets DB.Close run twice (a test's explicit Close and its
	// cleanup) without closing the syncer's channel twice.
	closeOnce sync.Once
}

func (l *lazyState) closeLazy() error {
	if l.syncer != nil {
		l.closeOnce.Do(l.syncer.Close) // before the journal closes: its last fsync
	}
	if l.lazy != nil {
		return l.lazy.Close()
	}
	return nil
}
