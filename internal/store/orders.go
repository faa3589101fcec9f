package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"hotline/internal/apperr"
	"hotline/internal/calendar"
	"hotline/internal/order"
)

const orderCols = `id, number, type, source, urgency, status, title, description, category, unit, co_units,
	caller_name, caller_phone, caller_confidential, caller_anonymous, co_callers, address, compound, building,
	lat, lng, external_id, round, version, created_at, updated_at, dispatched_at, sign_due, contact_due, due,
	accepted_at, contacted_at, replied_at, closed_at, urge_count, supervised, parent, children, satisfaction,
	resolved, reopen_count, reply_result, reply_text, return_from, pending_extension, event_count, last_hash`

type rowScanner interface{ Scan(dest ...any) error }

// orderRow carries what the domain does not: the head of the event chain.
type orderRow struct {
	order.Order
	eventCount int
	lastHash   string
}

func scanOrder(sc rowScanner) (orderRow, error) {
	var (
		r                                            orderRow
		o                                            = &r.Order
		id                                           int64
		unit                                         sql.NullString
		coUnits, coCallers, children, pendingExt     string
		lat, lng                                     sql.NullFloat64
		created, updated                             int64
		dispatched, signDue, contactDue, due         sql.NullInt64
		accepted, contacted, replied, closed, parent sql.NullInt64
		resolved                                     sql.NullBool
		typ, src, urg, status, returnFrom            string
		lastHash                                     []byte
	)
	err := sc.Scan(&id, &o.Number, &typ, &src, &urg, &status, &o.Title, &o.Description, &o.Category, &unit, &coUnits,
		&o.Caller.Name, &o.Caller.Phone, &o.Caller.Confidential, &o.Caller.Anonymous, &coCallers, &o.Address, &o.Compound, &o.Building,
		&lat, &lng, &o.ExternalID, &o.Round, &o.Version, &created, &updated, &dispatched, &signDue, &contactDue, &due,
		&accepted, &contacted, &replied, &closed, &o.UrgeCount, &o.Supervised, &parent, &children, &o.Satisfaction,
		&resolved, &o.ReopenCount, &o.ReplyResult, &o.ReplyText, &returnFrom, &pendingExt, &r.eventCount, &lastHash)
	if err != nil {
		return r, err
	}
	r.lastHash = hashHex(lastHash)
	o.ID = strconv.FormatInt(id, 10)
	o.Type, o.Source, o.Urgency, o.Status, o.ReturnFrom = order.Type(typ), order.Source(src), order.Urgency(urg), order.Status(status), order.Status(returnFrom)
	o.Unit = unit.String
	_ = json.Unmarshal([]byte(coUnits), &o.CoUnits)
	_ = json.Unmarshal([]byte(coCallers), &o.CoCallers)
	var kids []int64
	_ = json.Unmarshal([]byte(children), &kids)
	for _, k := range kids {
		o.Children = append(o.Children, strconv.FormatInt(k, 10))
	}
	if pendingExt != "" {
		var e order.Extension
		if json.Unmarshal([]byte(pendingExt), &e) == nil {
			o.PendingExtension = &e
		}
	}
	if lat.Valid && lng.Valid {
		la, ln := lat.Float64, lng.Float64
		o.Lat, o.Lng = &la, &ln
	}
	o.CreatedAt, o.UpdatedAt = fromMicros(created), fromMicros(updated)
	o.DispatchedAt, o.SignDue, o.ContactDue, o.Due = fromNullMicros(dispatched), fromNullMicros(signDue), fromNullMicros(contactDue), fromNullMicros(due)
	o.AcceptedAt, o.ContactedAt, o.RepliedAt, o.ClosedAt = fromNullMicros(accepted), fromNullMicros(contacted), fromNullMicros(replied), fromNullMicros(closed)
	if parent.Valid {
		o.Parent = strconv.FormatInt(parent.Int64, 10)
	}
	if resolved.Valid {
		b := resolved.Bool
		o.Resolved = &b
	}
	return r, nil
}

// orderValues are the mutable columns in the order of the UPDATE statement.
func orderValues(o *order.Order) []any {
	js := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	coUnits := o.CoUnits
	if coUnits == nil {
		coUnits = []string{}
	}
	coCallers := o.CoCallers
	if coCallers == nil {
		coCallers = []order.Caller{}
	}
	kids := []int64{}
	for _, c := range o.Children {
		if n, err := strconv.ParseInt(c, 10, 64); err == nil {
			kids = append(kids, n)
		}
	}
	var unit, parent, resolved, lat, lng any
	if o.Unit != "" {
		unit = o.Unit
	}
	if o.Parent != "" {
		if n, err := strconv.ParseInt(o.Parent, 10, 64); err == nil {
			parent = n
		}
	}
	if o.Resolved != nil {
		resolved = *o.Resolved
	}
	if o.Lat != nil && o.Lng != nil {
		lat, lng = *o.Lat, *o.Lng
	}
	pending := ""
	if o.PendingExtension != nil {
		pending = js(o.PendingExtension)
	}
	return []any{string(o.Status), o.Title, o.Description, o.Category, unit, js(coUnits),
		o.Caller.Name, o.Caller.Phone, o.Caller.Confidential, o.Caller.Anonymous, js(coCallers), o.Address, o.Compound, o.Building,
		lat, lng, o.Round, o.Version, micros(o.UpdatedAt), microsPtr(o.DispatchedAt), microsPtr(o.SignDue), microsPtr(o.ContactDue), microsPtr(o.Due),
		microsPtr(o.AcceptedAt), microsPtr(o.ContactedAt), microsPtr(o.RepliedAt), microsPtr(o.ClosedAt), o.UrgeCount, o.Supervised, parent, js(kids), o.Satisfaction,
		resolved, o.ReopenCount, o.ReplyResult, o.ReplyText, string(o.ReturnFrom), pending, string(o.Urgency), string(o.Type)}
}

const updateOrderSQL = `UPDATE orders SET status=$1, title=$2, description=$3, category=$4, unit=$5, co_units=$6,
	caller_name=$7, caller_phone=$8, caller_confidential=$9, caller_anonymous=$10, co_callers=$11, address=$12, compound=$13, building=$14,
	lat=$15, lng=$16, round=$17, version=$18, updated_at=$19, dispatched_at=$20, sign_due=$21, contact_due=$22, due=$23,
	accepted_at=$24, contacted_at=$25, replied_at=$26, closed_at=$27, urge_count=$28, supervised=$29, parent=$30, children=$31, satisfaction=$32,
	resolved=$33, reopen_count=$34, reply_result=$35, reply_text=$36, return_from=$37, pending_extension=$38, urgency=$39, type=$40,
	event_count=$41, last_hash=$42
	WHERE id=$43 AND version=$44`

// CreateOrder stores a new order with its first event, its search tokens and
// any audit entries, durably, and fills in the id and the human number.
//
// Creates are group-committed: concurrent calls are gathered by a committer
// goroutine into one transaction (each order in its own savepoint, so one
// bad order fails alone), and every caller returns only after that
// transaction has committed. One fsync then acknowledges many orders, which
// is what lets the API outrun single-row durable inserts.
func (s *Store) CreateOrder(ctx context.Context, o *order.Order, ev order.Event, tokens []string, audit ...AuditEntry) error {
	return s.createOrder(ctx, o, ev, tokens, audit, nil)
}

// createOrder queues a create for the committers; after, when set, writes
// more rows that belong to the new order in the same transaction.
func (s *Store) createOrder(ctx context.Context, o *order.Order, ev order.Event, tokens []string, audit []AuditEntry,
	after func(ctx context.Context, tx *sql.Tx, id int64) error) error {
	req := &createReq{ctx: ctx, o: o, ev: ev, tokens: tokens, audit: audit, after: after, done: make(chan error, 1)}
	s.startCommitters()
	select {
	case <-s.closing:
		return apperr.New(apperr.Internal, "the database is closing")
	default:
	}
	select {
	case s.creates <- req:
	case <-ctx.Done():
		return apperr.Wrap(ctx.Err(), "request cancelled")
	case <-s.closing:
		return apperr.New(apperr.Internal, "the database is closing")
	}
	// Once queued, wait for the outcome even if the client goes away: the
	// order may be committed, and the caller must not report otherwise.
	return <-req.done
}

// createReq is one request to the committer: a create, or with o nil, only
// audit entries (AuditDurable).
type createReq struct {
	ctx    context.Context
	o      *order.Order
	ev     order.Event
	tokens []string
	audit  []AuditEntry
	after  func(ctx context.Context, tx *sql.Tx, id int64) error
	done   chan error
}

// maxBatch bounds a group commit so one transaction stays short.
const maxBatch = 256

func (s *Store) startCommitters() {
	s.commitOnce.Do(func() {
		// One committer: every create takes the day's serial-number row and
		// today's rollup rows, so concurrent batches would only queue on
		// those locks; one batch at a time, gathering what arrives while the
		// previous one commits, is as fast and cannot deadlock.
		for range 1 {
			s.committers.Add(1)
			go s.commitLoop()
		}
		s.startViewCommitters()
	})
}

// nextBatch waits for a request on ch and takes, with it, the ones already
// waiting, up to maxBatch: what a committer commits together. ok is false
// once the store closes.
func (s *Store) nextBatch(ch <-chan *createReq) (batch []*createReq, ok bool) {
	select {
	case first := <-ch:
		batch = append(batch, first)
	case <-s.closing:
		return nil, false
	}
	for len(batch) < maxBatch {
		select {
		case r := <-ch:
			batch = append(batch, r)
		default:
			return batch, true
		}
	}
	return batch, true
}

func (s *Store) commitLoop() {
	defer s.committers.Done()
	for {
		batch, ok := s.nextBatch(s.creates)
		if !ok {
			return
		}
		s.observeBatch(len(batch))
		s.commitBatch(batch)
	}
}

// commitBatch creates a batch of orders in one transaction. A failing order
// is rolled back to its savepoint and answered with its error; the others
// commit. If the commit itself fails, every order in the batch fails.
func (s *Store) commitBatch(batch []*createReq) {
	// A create with an in-transaction hook (a patrol finding's order, a
	// public create with photos) cannot run inside the pipelined batch and
	// takes the per-order path; the plain creates gathered with it keep the
	// batch path in a transaction of their own, committed first, instead of
	// all going one by one with it (issue 15: BenchmarkFindingAmongCreates).
	if plain, hooked := splitHooked(batch); len(plain) > 0 && len(hooked) > 0 {
		s.commitBatch(plain)
		s.commitBatch(hooked)
		return
	}
	saved := make([]order.Order, len(batch))
	for i, r := range batch {
		saved[i] = *r.o
	}
	err := s.createBatch(batch)
	if err == nil {
		for _, r := range batch {
			r.done <- nil
		}
		return
	}
	var unknown *unknownOutcome
	if errors.As(err, &unknown) {
		e := apperr.Wrap(err, "the database did not confirm the order was saved")
		for _, r := range batch {
			r.done <- e
		}
		return
	}
	if err != errPerOrder {
		s.batchFallbacks.Add(1)
	}
	// Something in the batch is wrong (or it needs its own rows written):
	// redo it one order at a time, so that only the bad order fails.
	for i, r := range batch {
		*r.o = saved[i]
	}
	errs := make([]error, len(batch))
	// Lock order (see createOrderTx): the orders are taken day by day, so
	// the day_serials rows are locked in ascending day order, and the
	// rollups of every order that succeeded are written once, at the end.
	byDay := make([]int, len(batch))
	for i := range byDay {
		byDay[i] = i
	}
	slices.SortStableFunc(byDay, func(a, b int) int {
		return strings.Compare(serialDay(batch[a].o), serialDay(batch[b].o))
	})
	err = s.tx(context.Background(), func(tx *sql.Tx) error {
		roll := newDelta()
		for _, i := range byDay {
			r := batch[i]
			// A client that goes away must not abort the others' transaction.
			ctx := context.WithoutCancel(r.ctx)
			if len(batch) > 1 {
				if _, err := tx.ExecContext(ctx, "SAVEPOINT create_order"); err != nil {
					return err
				}
			}
			err := s.createOrderTx(ctx, tx, r.o, r.ev, r.tokens)
			if err == nil && r.after != nil {
				err = r.after(ctx, tx, mustID(r.o.ID))
			}
			for _, a := range r.audit {
				if err != nil {
					break
				}
				a.Target = strings.ReplaceAll(a.Target, "{id}", r.o.ID)
				err = insertAudit(ctx, tx, a)
			}
			if len(batch) > 1 {
				if err != nil {
					*r.o = saved[i]
					if _, rbErr := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT create_order"); rbErr != nil {
						return rbErr
					}
				}
				if _, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT create_order"); err != nil {
					return err
				}
			} else if err != nil {
				return err
			}
			if err == nil {
				roll.order(r.o, 1)
			}
			errs[i] = mapErr(err)
		}
		return s.applyDelta(context.Background(), tx, roll) // dashboards (store/rollup.go), last
	})
	for i, r := range batch {
		e := errs[i]
		if err != nil {
			e = err
			*r.o = saved[i]
		}
		r.done <- e
	}
}

// splitHooked separates a batch's creates without an in-transaction hook
// from those with one, each in arrival order.
func splitHooked(batch []*createReq) (plain, hooked []*createReq) {
	for _, r := range batch {
		if r.after != nil {
			hooked = append(hooked, r)
		} else {
			plain = append(plain, r)
		}
	}
	return plain, hooked
}

// serialDay is the day_serials row an order's number comes from.
func serialDay(o *order.Order) string { return o.CreatedAt.In(calendar.Shanghai).Format("20060102") }

// createOrderTx writes one order inside tx, without its dashboard rollups:
// the caller adds those with rollupCreate (or one applyDelta for several
// orders) after the last createOrderTx of its transaction.
//
// Lock order. Every path that creates or changes orders takes the shared
// rows in this one order, so two transactions can wait for each other but
// never deadlock (PostgreSQL; SQLite has one writer):
//
//  1. the orders' own rows (UpdateOrder: FOR UPDATE; a create's rows are new);
//  2. day_serials, in ascending day order (createOrderTx, reserveSerials in
//     createBatch and createBatchPostgres, the bulk import's unnest ORDER BY d);
//  3. the rollup tables, through applyDelta only, which writes its tables in
//     a fixed order and each table's rows in key order.
//
// Issue 12 found the single-order path (feed creates, the batch's one-by-one
// redo) taking 3 before 2 while the batch took 2 before 3: 62 deadlocks in
// one run. Any new path must take these rows in the same order.
//
// The day's serial number is taken last among this order's own rows, just
// before the rollups and the commit, because its counter row is the lock
// every create shares: taking it first would hold it through the inserts.
func (s *Store) createOrderTx(ctx context.Context, tx *sql.Tx, o *order.Order, ev order.Event, tokens []string) error {
	vals := orderValues(o)
	// A unique placeholder until the real number is taken at the end.
	var rnd [8]byte
	rand.Read(rnd[:])
	pending := "pending-" + hex.EncodeToString(rnd[:])
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO orders (number, type, source, urgency, status, title, description, category, unit, co_units,
		caller_name, caller_phone, caller_confidential, caller_anonymous, co_callers, address, compound, building, lat, lng, external_id,
		round, version, created_at, updated_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25) RETURNING id`,
		pending, string(o.Type), string(o.Source), string(o.Urgency), vals[0], o.Title, o.Description, o.Category, vals[4], vals[5],
		o.Caller.Name, o.Caller.Phone, o.Caller.Confidential, o.Caller.Anonymous, vals[10], o.Address, o.Compound, o.Building, vals[14], vals[15], o.ExternalID,
		o.Round, o.Version, micros(o.CreatedAt), micros(o.UpdatedAt)).Scan(&id)
	if err != nil {
		return err
	}
	o.ID = strconv.FormatInt(id, 10)
	ev.OrderID = o.ID
	ev.Seal(1, order.GenesisHash)
	if err := s.insertEvent(ctx, tx, id, ev); err != nil {
		return err
	}
	if s.Dialect == SQLite {
		if _, err := tx.ExecContext(ctx, `INSERT INTO order_fts(rowid, tokens) VALUES ($1, $2)`, id, strings.Join(tokens, " ")); err != nil {
			return err
		}
	}
	day := serialDay(o)
	var serial int
	if err := tx.QueryRowContext(ctx, `INSERT INTO day_serials(day, last) VALUES ($1, 1)
		ON CONFLICT(day) DO UPDATE SET last = day_serials.last + 1 RETURNING last`, day).Scan(&serial); err != nil {
		return err
	}
	if serial > 99999 {
		return apperr.New(apperr.Conflict, "more than 99999 orders today: the day's numbers are used up")
	}
	o.Number = fmt.Sprintf("%s%05d", day, serial)
	if s.Dialect == Postgres {
		_, err = tx.ExecContext(ctx, `UPDATE orders SET number=$1, event_count=1, last_hash=$2, search_text=$3 WHERE id=$4`, o.Number, hashBytes(ev.Hash), searchText(tokens), id)
	} else {
		_, err = tx.ExecContext(ctx, `UPDATE orders SET number=$1, event_count=1, last_hash=$2 WHERE id=$3`, o.Number, hashBytes(ev.Hash), id)
	}
	return err
}

func (s *Store) insertEvent(ctx context.Context, tx *sql.Tx, id int64, ev order.Event) error {
	body, err := json.Marshal(ev.Body)
	if err != nil {
		return err
	}
	c, err := s.codesTx(ctx, tx, &ev)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO order_events (order_id, seq, at, actor, action, from_status, to_status, body, hash)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)`, eventRow(id, &ev, string(body), c)...)
	return err
}

// eventRow is an event's order_events row (eventCols). The hash is stored
// as its 32 bytes and the previous hash not at all: it is the hash of the
// row before (migration 0009), which readers put back (eventScanner). The
// actor, action and statuses are stored as their codes (migration 0011).
func eventRow(id int64, ev *order.Event, body string, c eventCodes) []any {
	return []any{id, ev.Seq, micros(ev.At), c.actor, c.action, c.from, c.to, body, hashBytes(ev.Hash)}
}

// hashBytes is a hash as stored (orders.last_hash, order_events.hash): the
// 32 bytes of the SHA-256, not its 64 hex digits; "" stays empty.
func hashBytes(h string) []byte {
	b, err := hex.DecodeString(h)
	if err != nil || b == nil {
		return []byte{}
	}
	return b
}

// hashHex is a stored hash as the domain (and the API) shows it.
func hashHex(b []byte) string { return hex.EncodeToString(b) }

// eventScanner reads order_events rows (eventSelect, ordered by order and
// sequence) into events, giving each the previous row's hash of the same
// order as its PrevHash (the genesis hash for an order's first row), so
// that order.VerifyChain recomputes the chain from the stored rows, and
// the words of its codes.
type eventScanner struct {
	order int64
	prev  string
	names termNames
}

func (s *Store) eventScanner(ctx context.Context) *eventScanner {
	return &eventScanner{names: termNames{s: s, ctx: ctx}}
}

const eventSelect = `order_id, seq, at, actor, action, from_status, to_status, body, hash`

func (sc *eventScanner) scan(rows *sql.Rows) (order.Event, error) {
	var (
		e                       order.Event
		id, at                  int64
		actor, action, from, to any
		body                    string
		hash                    []byte
	)
	if err := rows.Scan(&id, &e.Seq, &at, &actor, &action, &from, &to, &body, &hash); err != nil {
		return e, err
	}
	if id != sc.order || sc.prev == "" {
		sc.order, sc.prev = id, order.GenesisHash
	}
	e.OrderID = strconv.FormatInt(id, 10)
	e.At = fromMicros(at)
	n, s := &sc.names, sc.names.s
	e.Actor, e.Action = n.get(s.actors, actor), n.get(s.words, action)
	e.From, e.To = order.Status(n.get(s.words, from)), order.Status(n.get(s.words, to))
	_ = json.Unmarshal([]byte(body), &e.Body)
	e.PrevHash, e.Hash = sc.prev, hashHex(hash)
	sc.prev = e.Hash
	return e, nil
}

// indexTx replaces an order's search tokens.
func (s *Store) indexTx(ctx context.Context, tx *sql.Tx, id int64, tokens []string) error {
	if s.Dialect == Postgres {
		_, err := tx.ExecContext(ctx, `UPDATE orders SET search_text=$1 WHERE id=$2`, searchText(tokens), id)
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM order_fts WHERE rowid=$1`, id); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO order_fts(rowid, tokens) VALUES ($1, $2)`, id, searchText(tokens))
	return err
}

// searchText is how an order's search tokens are stored: joined by spaces,
// in SQLite's order_fts and PostgreSQL's orders.search_text (indexed as
// string_to_array(search_text, ' '), migration 0012). The segmenter's
// tokens hold no whitespace; one that did would be split in two.
func searchText(tokens []string) string { return strings.Join(tokens, " ") }

// pgSearchTokens is the indexed expression of PostgreSQL's search_text,
// spelled as the index orders_search spells it so that the planner uses it.
const pgSearchTokens = "string_to_array(search_text, ' ')"

// GetOrder returns one order.
func (s *Store) GetOrder(ctx context.Context, id string) (order.Order, error) {
	n, err := parseID(id)
	if err != nil {
		return order.Order{}, err
	}
	r, err := scanOrder(s.r.QueryRowContext(ctx, "SELECT "+orderCols+" FROM orders WHERE id=$1", n))
	if err != nil {
		if err == sql.ErrNoRows {
			return order.Order{}, apperr.New(apperr.NotFound, "no order %s", id)
		}
		return order.Order{}, mapErr(err)
	}
	return r.Order, nil
}

// GetOrderByNumber returns an order by its human number.
func (s *Store) GetOrderByNumber(ctx context.Context, number string) (order.Order, error) {
	r, err := scanOrder(s.r.QueryRowContext(ctx, "SELECT "+orderCols+" FROM orders WHERE number=$1", number))
	if err != nil {
		if err == sql.ErrNoRows {
			return order.Order{}, apperr.New(apperr.NotFound, "no order %s", truncate(number, 20))
		}
		return order.Order{}, mapErr(err)
	}
	return r.Order, nil
}

// Events returns an order's timeline in sequence order.
func (s *Store) Events(ctx context.Context, id string) ([]order.Event, error) {
	n, err := parseID(id)
	if err != nil {
		return nil, err
	}
	return s.events(ctx, s.r, n)
}

type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}

func (s *Store) events(ctx context.Context, q querier, id int64) ([]order.Event, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+eventSelect+` FROM order_events WHERE order_id=$1 ORDER BY seq`, id)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []order.Event
	sc := s.eventScanner(ctx)
	for rows.Next() {
		e, err := sc.scan(rows)
		if err != nil {
			return nil, mapErr(err)
		}
		out = append(out, e)
	}
	return out, mapErr(rows.Err())
}

// Change is one order written by a mutation, with the event to append.
type Change struct {
	Order       order.Order
	PrevVersion int64
	Event       order.Event
	Tokens      []string // new search tokens, when the text changed
}

// Mutation is what a decision inside UpdateOrder writes.
type Mutation struct {
	Changes  []Change
	Callback *order.CallbackRecord
	Audit    *AuditEntry
	// FeedDeadline, when set, is the municipal platform's new deadline for
	// the order, stored on its feed link in the same transaction.
	FeedDeadline *time.Time
	// Before, when set, runs in the transaction after decide and before the
	// changes are written: another module writes its row first and may
	// complete the events' bodies with what it got (a new meeting's id).
	Before func(ctx context.Context, tx *sql.Tx) error
	// After, when set, writes another module's rows in the same transaction
	// once the order changes are written (a meeting linked to orders writes
	// itself here, so the meeting and the orders' note events commit together).
	After func(ctx context.Context, tx *sql.Tx) error
	// Photos are a handler's site photos taken with the first change's
	// event (a note or a reply), written in the same transaction.
	Photos []Photo
}

// Loader reads another order inside the same transaction, locked.
type Loader func(id string) (order.Order, error)

// UpdateOrder runs decide on the current order inside a transaction that
// holds the order's row (and any other order decide loads) and writes the
// changes it returns. Each write checks the version it read, so a concurrent
// change turns into a Conflict and nothing is written.
func (s *Store) UpdateOrder(ctx context.Context, id string, decide func(cur order.Order, load Loader) (Mutation, error)) (order.Order, error) {
	n, err := parseID(id)
	if err != nil {
		return order.Order{}, err
	}
	var result order.Order
	err = s.tx(ctx, func(tx *sql.Tx) error {
		heads := map[string]orderRow{}
		load := func(oid string) (order.Order, error) {
			k, err := parseID(oid)
			if err != nil {
				return order.Order{}, err
			}
			r, err := scanOrder(tx.QueryRowContext(ctx, "SELECT "+orderCols+" FROM orders WHERE id=$1"+s.forUpdate(), k))
			if err == sql.ErrNoRows {
				return order.Order{}, apperr.New(apperr.NotFound, "no order %s", oid)
			}
			if err != nil {
				return order.Order{}, err
			}
			heads[r.ID] = r
			return r.Order, nil
		}
		cur, err := load(strconv.FormatInt(n, 10))
		if err != nil {
			return err
		}
		m, err := decide(cur, load)
		if err != nil {
			return err
		}
		if m.Before != nil {
			if err := m.Before(ctx, tx); err != nil {
				return err
			}
		}
		for i, c := range m.Changes {
			head, ok := heads[c.Order.ID]
			if !ok {
				return fmt.Errorf("mutation changes order %s it did not load", c.Order.ID)
			}
			ev := c.Event
			ev.OrderID = c.Order.ID
			ev.Seal(head.eventCount+1, head.lastHash)
			vals := append(orderValues(&c.Order), head.eventCount+1, hashBytes(ev.Hash), mustID(c.Order.ID), c.PrevVersion)
			res, err := tx.ExecContext(ctx, updateOrderSQL, vals...)
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k != 1 {
				return apperr.New(apperr.Conflict, "someone else changed order %s; reload it", c.Order.Number).Because(apperr.ReasonStale)
			}
			if err := s.insertEvent(ctx, tx, mustID(c.Order.ID), ev); err != nil {
				return err
			}
			if !slices.Equal(head.CoUnits, c.Order.CoUnits) {
				if err := setCoUnits(ctx, tx, mustID(c.Order.ID), c.Order.CoUnits); err != nil {
					return err
				}
			}
			if err := s.enqueueFeedTx(ctx, tx, c.Order, ev); err != nil { // feed outbox (store/feed.go)
				return err
			}
			if c.Tokens != nil {
				if err := s.indexTx(ctx, tx, mustID(c.Order.ID), c.Tokens); err != nil {
					return err
				}
			}
			head.eventCount++
			head.lastHash = ev.Hash
			heads[c.Order.ID] = head
			if i == 0 {
				result = c.Order
			}
		}
		if err := s.rollupUpdate(ctx, tx, n, heads, m); err != nil { // dashboards (store/rollup.go)
			return err
		}
		if cb := m.Callback; cb != nil {
			if _, err := tx.ExecContext(ctx, `INSERT INTO callbacks (order_id, at, outcome, resolved, unit, round) VALUES ($1,$2,$3,$4,$5,$6)`,
				n, micros(cb.At), cb.Outcome, cb.Resolved, cb.Unit, cb.Round); err != nil {
				return err
			}
		}
		if a := m.Audit; a != nil {
			if err := insertAudit(ctx, tx, *a); err != nil {
				return err
			}
		}
		if dl := m.FeedDeadline; dl != nil {
			if _, err := tx.ExecContext(ctx, `UPDATE feed_orders SET deadline=$1 WHERE order_id=$2`, micros(*dl), n); err != nil {
				return err
			}
		}
		if len(m.Photos) > 0 && len(m.Changes) > 0 {
			c := m.Changes[0]
			seq := heads[c.Order.ID].eventCount
			for _, p := range m.Photos {
				if _, err := tx.ExecContext(ctx, `INSERT INTO order_photos (order_id, content_type, width, height, data, created_at, event_seq)
					VALUES ($1,$2,$3,$4,$5,$6,$7)`, mustID(c.Order.ID), p.ContentType, p.Width, p.Height, p.Data, micros(c.Event.At), seq); err != nil {
					return err
				}
			}
		}
		if m.After != nil {
			if err := m.After(ctx, tx); err != nil {
				return err
			}
		}
		if len(m.Changes) == 0 {
			result = cur
		}
		return nil
	})
	return result, err
}

// setCoUnits replaces an order's rows in order_co_units, the indexable copy
// of its co_units list.
func setCoUnits(ctx context.Context, tx *sql.Tx, id int64, units []string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM order_co_units WHERE order_id = $1`, id); err != nil {
		return err
	}
	for _, u := range units {
		if _, err := tx.ExecContext(ctx, `INSERT INTO order_co_units (order_id, unit) VALUES ($1, $2)`, id, u); err != nil {
			return err
		}
	}
	return nil
}

func mustID(id string) int64 {
	n, _ := strconv.ParseInt(id, 10, 64)
	return n
}

// ChainBreak is a broken event chain found by VerifyChains.
type ChainBreak struct {
	OrderID string
	Number  string
	Seq     int
	Reason  string
}

// VerifyChains checks every order's event chain and its head (the count and
// last hash kept on the order row, which catches a deleted last event). It
// returns the number of orders checked and the first break, if any.
//
// Orders are read verifyChunk at a time, each chunk's heads and events in
// one read-only snapshot, so actions taken while verify runs are not
// mistaken for tampering. (One transaction per order cost four round trips
// each: 17 s for 100,000 orders on PostgreSQL, about half an hour at ten
// million.)
func (s *Store) VerifyChains(ctx context.Context) (int, *ChainBreak, error) {
	return s.verifyChains(ctx, verifyChunk)
}

// verifyChunk is the number of orders VerifyChains reads in one snapshot.
const verifyChunk = 1000

func (s *Store) verifyChains(ctx context.Context, chunk int) (int, *ChainBreak, error) {
	opts := &sql.TxOptions{ReadOnly: true}
	if s.Dialect == Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	checked := 0
	var after int64
	for {
		n, brk, last, err := s.verifyChunk(ctx, after, chunk, opts)
		checked += n
		if err != nil || brk != nil || n == 0 {
			return checked, brk, err
		}
		after = last
	}
}

// verifyChunk checks the next chunk orders after id after. It returns how
// many it checked (up to and including a broken one), the first break, and
// the last id it read.
func (s *Store) verifyChunk(ctx context.Context, after int64, chunk int, opts *sql.TxOptions) (int, *ChainBreak, int64, error) {
	tx, err := s.r.BeginTx(ctx, opts)
	if err != nil {
		return 0, nil, after, mapErr(err)
	}
	defer tx.Rollback()
	type head struct {
		id     int64
		number string
		count  int
		last   []byte
	}
	var heads []head
	rows, err := tx.QueryContext(ctx, `SELECT id, number, event_count, last_hash FROM orders WHERE id > $1 ORDER BY id LIMIT $2`, after, chunk)
	if err != nil {
		return 0, nil, after, mapErr(err)
	}
	for rows.Next() {
		var h head
		if err := rows.Scan(&h.id, &h.number, &h.count, &h.last); err != nil {
			rows.Close()
			return 0, nil, after, mapErr(err)
		}
		heads = append(heads, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(heads) == 0 {
		return 0, nil, after, mapErr(err)
	}
	hi := heads[len(heads)-1].id
	evs := map[int64][]order.Event{}
	rows, err = tx.QueryContext(ctx, `SELECT `+eventSelect+` FROM order_events WHERE order_id > $1 AND order_id <= $2 ORDER BY order_id, seq`, after, hi)
	if err != nil {
		return 0, nil, after, mapErr(err)
	}
	sc := s.eventScanner(ctx)
	for rows.Next() {
		e, err := sc.scan(rows)
		if err != nil {
			rows.Close()
			return 0, nil, after, mapErr(err)
		}
		evs[sc.order] = append(evs[sc.order], e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, nil, after, mapErr(err)
	}
	for i, h := range heads {
		if brk := checkChain(strconv.FormatInt(h.id, 10), h.number, h.count, h.last, evs[h.id]); brk != nil {
			return i + 1, brk, h.id, nil
		}
	}
	return len(heads), nil, hi, nil
}

// checkChain checks one order's events against each other and against the
// head its row keeps (the event count and the last hash).
func checkChain(oid, number string, count int, last []byte, evs []order.Event) *ChainBreak {
	if b := order.VerifyChain(evs); b != nil {
		return &ChainBreak{OrderID: oid, Number: number, Seq: b.Seq, Reason: b.Reason}
	}
	switch {
	case len(evs) < count:
		return &ChainBreak{OrderID: oid, Number: number, Seq: len(evs) + 1,
			Reason: fmt.Sprintf("the order records %d events but %d remain (events were deleted)", count, len(evs))}
	case len(evs) > count:
		return &ChainBreak{OrderID: oid, Number: number, Seq: count + 1,
			Reason: fmt.Sprintf("the order records %d events but %d exist (events were added)", count, len(evs))}
	case len(evs) > 0 && evs[len(evs)-1].Hash != hashHex(last):
		return &ChainBreak{OrderID: oid, Number: number, Seq: len(evs), Reason: "the last event is not the one the order records"}
	}
	return nil
}

// OrderUnits returns, for the given ids that are orders, the order's unit
// and co-units (the other fields left zero), keyed by id, in one query: what
// the visibility rule (order.Scope.Admits) reads, for the service to check
// the orders of a derived view (similar cases, similar open orders). Ids
// that are not order ids are left out, like orders that do not exist.
func (s *Store) OrderUnits(ctx context.Context, ids []string) (map[string]order.Order, error) {
	out := make(map[string]order.Order, len(ids))
	var args []any
	var ph []string
	seen := map[int64]bool{}
	for _, id := range ids {
		n, err := parseID(id)
		if err != nil || seen[n] {
			continue
		}
		seen[n] = true
		args = append(args, n)
		ph = append(ph, "$"+strconv.Itoa(len(args)))
	}
	if len(args) == 0 {
		return out, nil
	}
	list, err := collect(ctx, s.r, "SELECT id, unit, co_units FROM orders WHERE id IN ("+strings.Join(ph, ",")+")", args,
		func(sc rowScanner) (order.Order, error) {
			var (
				id            int64
				unit, coUnits sql.NullString
				o             order.Order
			)
			if err := sc.Scan(&id, &unit, &coUnits); err != nil {
				return o, err
			}
			o.ID, o.Unit = strconv.FormatInt(id, 10), unit.String
			if coUnits.String != "" {
				if err := json.Unmarshal([]byte(coUnits.String), &o.CoUnits); err != nil {
					return o, err
				}
			}
			return o, nil
		})
	if err != nil {
		return nil, err
	}
	for _, o := range list {
		out[o.ID] = o
	}
	return out, nil
}

// OrdersByPhone returns the orders whose caller gave this phone number,
// newest first (the caller's earlier orders at intake; index
// orders_caller_phone, migration 0016).
func (s *Store) OrdersByPhone(ctx context.Context, phone string, limit int) ([]order.Order, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT "+orderCols+" FROM orders WHERE caller_phone = $1 ORDER BY created_at DESC, id DESC LIMIT $2", phone, limit)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := []order.Order{}
	for rows.Next() {
		r, err := scanOrder(rows)
		if err != nil {
			return nil, mapErr(err)
		}
		out = append(out, r.Order)
	}
	return out, mapErr(rows.Err())
}
