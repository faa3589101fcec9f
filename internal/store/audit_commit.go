package store

import (
	"context"

	"hotline/internal/apperr"
)

// AuditDurable appends entries to the audit log and returns once they are
// committed, like Audit, but group-committed: the entries of every request
// waiting at that moment are written in one statement. On SQLite they go
// through the create committer (orders.go: one writer anyway); on
// PostgreSQL through viewCommitters goroutines of their own (viewLoop).
// The service calls it before it answers with the data the entries record,
// so a view that was sent is a view that was logged, whatever happens to
// the process afterwards.
//
// The commit is a lazy one (sqldb.ExecLazy): it does not wait for the
// fsync. Issue 19 asked for dispatchers (every fetch an unmasked, audited
// view) to read at 0.8× a leader's rate at 8 clients; with each view
// waiting for a 1.7 ms fsync they read at 0.49× (SQLite) and 0.55×
// (PostgreSQL) even with eight views per commit, which is the bound 8 /
// (read + flush) sets. The entry still survives the server being killed
// (TestSIGKILLMidViews); what a power cut may take is the views of the last
// few milliseconds (SQLite, LazyFlushWithin) or 600 ms (PostgreSQL) — after
// data that was shown on a screen, not data of record.
func (s *Store) AuditDurable(ctx context.Context, entries ...AuditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	req := &createReq{ctx: ctx, audit: entries, done: make(chan error, 1)}
	s.startCommitters()
	queue := s.creates
	if s.views != nil {
		queue = s.views
	}
	select {
	case <-s.closing:
		return apperr.New(apperr.Internal, "the database is closing")
	default:
	}
	select {
	case queue <- req:
	case <-ctx.Done():
		return apperr.Wrap(ctx.Err(), "request cancelled")
	case <-s.closing:
		return apperr.New(apperr.Internal, "the database is closing")
	}
	return <-req.done
}

// viewCommitters is how many goroutines commit audited views on
// PostgreSQL, apart from the create committer, so that views do not queue
// behind a batch of creates (and creates not behind views). When each
// view's commit waited for a WAL flush, four of them let concurrent
// flushes overlap; with lazy commits (no flush to wait for) fewer, larger
// batches cost PostgreSQL less per view: 8 concurrent views took 82–129 µs
// each with four committers, 41–106 µs with one and 58–92 µs with two
// (BenchmarkAuditViews/postgres/group, alternated, load 6–8). Two keep a
// view from waiting for a whole batch in flight. SQLite has one writer:
// there the views stay in the create committer's batches.
const viewCommitters = 2

// startViewCommitters starts the view committers on PostgreSQL; it runs
// once, inside startCommitters, before any view is queued.
func (s *Store) startViewCommitters() {
	if s.Dialect != Postgres {
		return
	}
	s.views = make(chan *createReq, 1024)
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

// commitViews writes the audit-only requests of a committer batch in one
// transaction, answers them, and returns the creates that remain. The views
// go first and alone: a create that fails and is redone order by order must
// not take the views with it, and the views' transaction is a handful of
// single-row INSERTs (SQLite: compiled once; PostgreSQL: one multi-row
// INSERT), far cheaper than the fsync they share.
func (s *Store) commitViews(batch []*createReq) []*createReq {
	var views []*createReq
	creates := batch[:0:0]
	for _, r := range batch {
		if r.o == nil {
			views = append(views, r)
		} else {
			creates = append(creates, r)
		}
	}
	if len(views) == 0 {
		return batch
	}
	rows := make([][]any, 0, len(views))
	for _, r := range views {
		for _, a := range r.audit {
			rows = append(rows, []any{micros(a.At), a.Actor, a.Action, a.Target, a.Detail})
		}
	}
	err := s.writeAuditRows(context.WithoutCancel(views[0].ctx), rows)
	if err != nil {
		err = apperr.Wrap(mapErr(err), "the audit log was not written")
	}
	for _, r := range views {
		r.done <- err
	}
	return creates
}

// writeAuditRows writes the entries as lazy writes (sqldb.ExecLazy):
// committed, visible and kept if the process dies, but without waiting for
// the disk — see AuditDurable for why views may and orders may not.
func (s *Store) writeAuditRows(ctx context.Context, rows [][]any) error {
	// One statement is atomic by itself: one round trip, one commit. Chunks
	// stay under both engines' limit on parameters.
	per := 30000 / len(auditCols)
	for len(rows) > 0 {
		n := min(per, len(rows))
		args := make([]any, 0, n*len(auditCols))
		for _, r := range rows[:n] {
			args = append(args, r...)
		}
		if err := s.db.ExecLazy(ctx, numberedInsert("audit_log", auditCols, n), args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}
