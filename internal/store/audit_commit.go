package store

import (
	"context"
	"time"

	"hotline/internal/apperr"
)

// AuditDurable appends entries to the audit log and returns once they are
// committed, like Audit, but group-committed: the entries of every request
// waiting at that moment are written in one statement, by view committers
// of their own (viewLoop), so that views do not queue behind a batch of
// creates (nor creates behind views). The service calls it before it
// answers with the data the entries record, so a view that was sent is a
// view that was logged, whatever happens to the process afterwards.
//
// The commit is a lazy one (sqldb.ExecLazy): it does not wait for the
// fsync. Issue 19 asked for dispatchers (every fetch an unmasked, audited
// view) to read at 0.8× a leader's rate at 8 clients; with each view
// waiting for a 1.7 ms fsync they read at 0.49× (SQLite) and 0.55×
// (PostgreSQL) even with eight views per commit, which is the bound 8 /
// (read + flush) sets. The entry still survives the server being killed
// (TestSIGKILLMidViews); what a power cut may take is the views of the last
// few milliseconds (a journal or log, LazyFlushWithin) or 600 ms
// (PostgreSQL without one) — after data that was shown on a screen, not
// data of record.
//
// With a journal the entries wait in a file on this machine and move into
// the database's audit_log within viewMoveEvery, and at once before the log
// is read (AuditLog), at start-up (Migrate), before a backup and at Close:
// on SQLite its journal (view_journal.go: a SQLite file of its own, since a
// commit to the main file would empty every reader's page cache); on
// PostgreSQL the view log when UseViewJournal named one, as serve does by
// default (viewlog.go: an append-only file, since a commit to PostgreSQL
// cost the server an INSERT and a commit per batch of views).
func (s *Store) AuditDurable(ctx context.Context, entries ...AuditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	req := &createReq{ctx: ctx, audit: entries, done: make(chan error, 1)}
	s.startCommitters()
	select {
	case <-s.closing:
		return apperr.New(apperr.Internal, "the database is closing")
	default:
	}
	select {
	case s.views <- req:
	case <-ctx.Done():
		return apperr.Wrap(ctx.Err(), "request cancelled")
	case <-s.closing:
		return apperr.New(apperr.Internal, "the database is closing")
	}
	return <-req.done
}

// viewCommitters is how many goroutines commit audited views. When each
// view's commit waited for a WAL flush, four of them let concurrent flushes
// overlap on PostgreSQL; with lazy commits (no flush to wait for) fewer,
// larger batches cost less per view: 8 concurrent views took 82–129 µs each
// with four committers, 41–106 µs with one and 58–92 µs with two
// (BenchmarkAuditViews/postgres/group, alternated, load 6–8), and through
// the API at 8 clients the leader's CPU per fetch over the dispatcher's was
// 0.781–0.792 with one against 0.724–0.749 with two (createload, issue
// 19's fourth round). SQLite's journal has one connection anyway.
const viewCommitters = 1

// viewMoveEvery is how long a view's entry may wait in the journal before
// it is moved into the database's audit_log: each move is one commit of
// record (an fsync; on SQLite it also empties the readers' page caches
// once), so a few moves a second cost the readers nothing they notice.
const viewMoveEvery = 250 * time.Millisecond

// startViewCommitters starts the view committers (and with a journal its
// mover); it runs once, inside startCommitters, before any view
// is queued.
func (s *Store) startViewCommitters() {
	if s.hasJournal() {
		s.committers.Add(1)
		go s.moveLoop()
	}
	for range viewCommitters {
		s.committers.Add(1)
		go s.viewLoop()
	}
}

// viewLoop commits the audited views waiting when it is free, up to
// maxBatch at a time, until the store closes.
func (s *Store) viewLoop() {
	defer s.committers.Done()
	for {
		batch, ok := s.nextBatch(s.views)
		if !ok {
			return
		}
		s.commitViews(batch)
	}
}

// commitViews writes the entries of a batch of views in one statement and
// answers them.
func (s *Store) commitViews(views []*createReq) {
	rows := make([][]any, 0, len(views))
	for _, r := range views {
		for _, a := range r.audit {
			rows = append(rows, []any{micros(a.At), a.Actor, a.Action, a.Target, a.Detail})
		}
	}
	err := s.writeAuditRows(context.WithoutCancel(views[0].ctx), rows)
	if err != nil {
		err = apperr.Wrap(mapErr(err), "the audit log was not written")
	} else if s.hasJournal() {
		select {
		case s.viewsMoved <- struct{}{}:
		default: // a move is pending: it will take these rows too
		}
	}
	for _, r := range views {
		r.done <- err
	}
}

// writeAuditRows writes the entries as lazy writes: committed (on
// PostgreSQL's view log: written) and kept if the process dies, but without
// waiting for the disk — see AuditDurable for why views may and orders may
// not. On SQLite they go to the journal's audit_log; on PostgreSQL to the
// view log if there is one, else to PostgreSQL (sqldb.ExecLazy).
func (s *Store) writeAuditRows(ctx context.Context, rows [][]any) error {
	if s.viewLog != nil {
		return s.viewLog.append(rows)
	}
	if err := s.ensureJournal(ctx); err != nil {
		return err
	}
	// One statement is atomic by itself: one round trip, one commit. Chunks
	// stay under both engines' limit on parameters.
	per := 30000 / len(auditCols)
	for len(rows) > 0 {
		n := min(per, len(rows))
		args := make([]any, 0, n*len(auditCols))
		for _, r := range rows[:n] {
			args = append(args, r...)
		}
		if err := s.execLazy(ctx, numberedInsert("audit_log", auditCols, n), n, args); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// maxCachedViews is the largest batch of views whose INSERT stays compiled
// on the journal (one statement per batch size; larger batches are
// rare: more views at once than clients in flight).
const maxCachedViews = 32

// execLazy runs an INSERT of n rows as a lazy write; in a journal the
// statement for each batch size up to maxCachedViews stays compiled on the
// journal's connection (compiling was a sixth of a view's commit).
func (s *Store) execLazy(ctx context.Context, q string, n int, args []any) error {
	if s.db.Journal() == "" || n > maxCachedViews {
		return s.db.ExecLazy(ctx, q, args...)
	}
	st, err := s.jstmts.prepared(ctx, q)
	if err != nil {
		return mapErr(err)
	}
	if _, err := st.ExecContext(ctx, args...); err != nil {
		return mapErr(err)
	}
	s.db.LazyWritten()
	return nil
}
