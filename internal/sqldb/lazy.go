package sqldb

import (
	"context"
	"database/sql"
	"database/sql/driver"
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
// What it gives up: after a power cut or a kernel crash (not a process
// crash), the views logged in the last LazyFlushWithin (SQLite) or 600 ms
// (PostgreSQL) may be missing, unless a write of record committed after
// them (its fsync carries theirs: both engines flush their log in order).

// LazyFlushWithin bounds, on SQLite, how long a lazy write stays in the
// operating system's cache before the WAL file is fsynced.
const LazyFlushWithin = 10 * time.Millisecond

// lazyConns is how many connections PostgreSQL's lazy pool keeps: the
// store's view committers each use one at a time.
const lazyConns = 4

// ExecLazy runs one write statement (atomic on its own) as a lazy write.
// On SQLite it runs on the writer connection with synchronous=NORMAL for
// that one statement (WAL mode: the frames are written to the file, not
// fsynced) and asks the WAL syncer to flush them; on PostgreSQL it runs on
// a pool whose sessions have synchronous_commit=off.
func (d *DB) ExecLazy(ctx context.Context, q string, args ...any) error {
	if d.Dialect == Postgres {
		pool, err := d.lazyPool()
		if err != nil {
			return err
		}
		_, err = pool.ExecContext(ctx, q, args...)
		return MapErr(err)
	}
	conn, err := d.W.Conn(ctx)
	if err != nil {
		return MapErr(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "PRAGMA synchronous=NORMAL"); err != nil {
		return MapErr(err)
	}
	_, execErr := conn.ExecContext(ctx, q, args...)
	// Back to FULL before the connection serves anyone else; if that
	// fails, the connection must not be reused with the weaker setting.
	if _, err := conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA synchronous=FULL"); err != nil {
		conn.Raw(func(any) error { return driver.ErrBadConn })
		if execErr == nil {
			execErr = err
		}
	}
	if execErr != nil {
		return MapErr(execErr)
	}
	d.walSync().kick()
	return nil
}

// LazyFlushFailures counts WAL fsyncs that failed (SQLite); a failure is
// retried at the next lazy write, and the next write of record fsyncs the
// same file and reports its own error.
func (d *DB) LazyFlushFailures() int64 {
	if d.syncer == nil {
		return 0
	}
	return d.syncer.failures.Load()
}

// LazyFlushes counts the WAL fsyncs that flushed lazy writes (SQLite).
func (d *DB) LazyFlushes() int64 {
	if d.syncer == nil {
		return 0
	}
	return d.syncer.syncs.Load()
}

func (d *DB) lazyPool() (*sql.DB, error) {
	d.lazyOnce.Do(func() {
		u, err := url.Parse(d.URL)
		if err != nil {
			d.lazyErr = apperr.Wrap(err, "parse the database URL")
			return
		}
		q := u.Query()
		// pgx passes parameters it does not know to the server as the
		// session's settings, in the start-up message.
		q.Set("synchronous_commit", "off")
		u.RawQuery = q.Encode()
		db, err := sql.Open("pgx", u.String())
		if err != nil {
			d.lazyErr = apperr.Wrap(err, "open PostgreSQL")
			return
		}
		db.SetMaxOpenConns(lazyConns)
		db.SetMaxIdleConns(lazyConns)
		db.SetConnMaxIdleTime(5 * time.Minute)
		d.lazy = db
	})
	return d.lazy, d.lazyErr
}

// walSyncer fsyncs SQLite's WAL file after lazy writes, at most once per
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
		d.syncer = &walSyncer{path: d.Path + "-wal", kicks: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
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

// lazyState is DB's share of the lazy writes: PostgreSQL's pool, SQLite's
// syncer, both made on first use.
type lazyState struct {
	lazyOnce sync.Once
	lazy     *sql.DB
	lazyErr  error
	syncOnce sync.Once
	syncer   *walSyncer
}

func (l *lazyState) closeLazy() error {
	if l.syncer != nil {
		l.syncer.close()
	}
	if l.lazy != nil {
		return l.lazy.Close()
	}
	return nil
}
