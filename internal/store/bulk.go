package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"hotline/internal/apperr"
	"hotline/internal/calendar"
	"hotline/internal/order"
)

// BulkOrder is one order for BulkCreateOrders: a built order (no id or
// number yet), its first event (not sealed yet) and its search tokens.
type BulkOrder struct {
	Order  order.Order
	Event  order.Event
	Tokens []string
}

// BulkResult says what happened to each order of a batch.
type BulkResult struct {
	Inserted int
	Existing []int // indexes of orders skipped because (source, external_id) is already stored
}

// bulkCols are the orders columns a bulk insert writes (the others keep
// their defaults: an imported order has not been dispatched).
var bulkCols = []string{"id", "number", "type", "source", "urgency", "status", "title", "description", "category", "unit", "co_units",
	"caller_name", "caller_phone", "caller_confidential", "caller_anonymous", "co_callers", "address", "compound", "building", "lat", "lng",
	"external_id", "round", "version", "created_at", "updated_at", "closed_at", "event_count", "last_hash"}

var eventCols = []string{"order_id", "seq", "at", "actor", "action", "from_status", "to_status", "body", "hash"}

// BulkCreateOrders stores a batch of orders in one transaction: every order
// with its first event (hash-chained, as CreateOrder does) and its search
// tokens, or none of them. Orders whose (source, external_id) is already
// stored, or repeated within the batch, are skipped, which makes a
// re-import idempotent. SQLite gets multi-row INSERTs; PostgreSQL gets COPY.
// Ids come from the table (SQLite: the writer holds the lock) or the
// identity sequence (PostgreSQL), so the hashes, which cover the order id,
// are computed before the rows are written.
func (s *Store) BulkCreateOrders(ctx context.Context, batch []BulkOrder) (BulkResult, error) {
	if len(batch) == 0 {
		return BulkResult{}, nil
	}
	evs := make([]*order.Event, len(batch))
	for i := range batch {
		evs[i] = &batch[i].Event
	}
	if err := s.ensureTerms(ctx, evs...); err != nil {
		return BulkResult{}, err
	}
	if s.Dialect == Postgres {
		return s.bulkPostgres(ctx, batch)
	}
	return s.bulkSQLite(ctx, batch)
}

// bulkPlan decides which orders of a batch are new and gives them ids,
// numbers and sealed events.
type bulkPlan struct {
	keep []int // indexes into the batch, in order
	res  BulkResult
}

// planExisting asks exists about the batch's external ids, per at most per
// ids of one source at a time.
func planExisting(batch []BulkOrder, per int, exists func(src string, ids []string) (map[string]bool, error)) (bulkPlan, error) {
	var p bulkPlan
	bySource := map[string][]string{}
	for _, b := range batch {
		if b.Order.ExternalID != "" {
			bySource[string(b.Order.Source)] = append(bySource[string(b.Order.Source)], b.Order.ExternalID)
		}
	}
	found := map[string]bool{}
	for src, ids := range bySource {
		for len(ids) > 0 {
			n := min(len(ids), per)
			m, err := exists(src, ids[:n])
			if err != nil {
				return p, err
			}
			for k := range m {
				found[src+"\x00"+k] = true
			}
			ids = ids[n:]
		}
	}
	for i, b := range batch {
		if b.Order.ExternalID != "" {
			k := string(b.Order.Source) + "\x00" + b.Order.ExternalID
			if found[k] {
				p.res.Existing = append(p.res.Existing, i)
				continue
			}
			found[k] = true
		}
		p.keep = append(p.keep, i)
	}
	return p, nil
}

// number assigns ids and numbers and seals the first events. serials
// reserves counts[k] numbers of days[k], for every day at once, and returns
// the last number reserved of each.
func (p *bulkPlan) number(batch []BulkOrder, ids []int64, serials func(days []string, counts []int) ([]int, error)) error {
	perDay := map[string]int{}
	var days []string
	for _, i := range p.keep {
		d := batch[i].Order.CreatedAt.In(calendar.Shanghai).Format("20060102")
		if perDay[d] == 0 {
			days = append(days, d)
		}
		perDay[d]++
	}
	counts := make([]int, len(days))
	for k, d := range days {
		counts[k] = perDay[d]
	}
	lasts, err := serials(days, counts)
	if err != nil {
		return err
	}
	if len(lasts) != len(days) {
		return fmt.Errorf("day serials: %d reserved for %d days", len(lasts), len(days))
	}
	next := map[string]int{}
	for k, d := range days {
		if lasts[k] > 99999 {
			return apperr.New(apperr.Conflict, "more than 99999 orders on %s: the day's numbers are used up", d)
		}
		next[d] = lasts[k] - counts[k] + 1
	}
	for k, i := range p.keep {
		o := &batch[i].Order
		d := o.CreatedAt.In(calendar.Shanghai).Format("20060102")
		o.Number = fmt.Sprintf("%s%05d", d, next[d])
		next[d]++
		o.ID = strconv.FormatInt(ids[k], 10)
		ev := &batch[i].Event
		ev.OrderID = o.ID
		ev.Seal(1, order.GenesisHash)
	}
	p.res.Inserted = len(p.keep)
	return nil
}

// orderRowValues are the bulkCols of an order.
func bulkOrderValues(b *BulkOrder, id int64) []any {
	o := &b.Order
	v := orderValues(o)
	return []any{id, o.Number, string(o.Type), string(o.Source), string(o.Urgency), string(o.Status), o.Title, o.Description, o.Category, v[4], v[5],
		o.Caller.Name, o.Caller.Phone, o.Caller.Confidential, o.Caller.Anonymous, v[10], o.Address, o.Compound, o.Building, v[14], v[15],
		o.ExternalID, o.Round, o.Version, micros(o.CreatedAt), micros(o.UpdatedAt), microsPtr(o.ClosedAt), 1, hashBytes(b.Event.Hash)}
}

func (s *Store) bulkEventValues(ev *order.Event, id int64) ([]any, error) {
	body, err := jsonBody(ev.Body)
	if err != nil {
		return nil, err
	}
	return s.eventRowCached(id, ev, body)
}

// multiInsert builds "INSERT INTO t (cols) VALUES (?,…),(…)" for rows rows.
// SQLite only: positional "?" parameters, because binding thousands of
// numbered "$N" parameters costs modernc's driver a name lookup each.
func multiInsert(table string, cols []string, rows int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
	row := "(" + strings.Repeat("?,", len(cols)-1) + "?)"
	for r := 0; r < rows; r++ {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteString(row)
	}
	return b.String()
}

// chunkedInsert inserts rows with multi-row statements of at most per rows,
// preparing the full-size statement once.
func chunkedInsert(ctx context.Context, tx *sql.Tx, table string, cols []string, per int, rows [][]any) error {
	var full *sql.Stmt
	defer func() {
		if full != nil {
			full.Close()
		}
	}()
	for len(rows) > 0 {
		n := min(per, len(rows))
		args := make([]any, 0, n*len(cols))
		for _, r := range rows[:n] {
			args = append(args, r...)
		}
		var err error
		if n == per {
			if full == nil {
				if full, err = tx.PrepareContext(ctx, multiInsert(table, cols, per)); err != nil {
					return err
				}
			}
			_, err = full.ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, multiInsert(table, cols, n), args...)
		}
		if err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

func (s *Store) bulkSQLite(ctx context.Context, batch []BulkOrder) (BulkResult, error) {
	var plan bulkPlan
	err := s.tx(ctx, func(tx *sql.Tx) error {
		// A 64 MB page cache for the batch (the connection's default is
		// 2 MB): a batch touches more pages than that across the orders
		// table's many indexes and the FTS5 index, so pages were evicted and
		// read back, dirty ones spilled to the WAL early (docs/benchmarks.md
		// has the A/B runs). Restored for the writer's ordinary work.
		var cache int
		if err := tx.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&cache); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `PRAGMA cache_size = -65536`); err != nil {
			return err
		}
		defer tx.ExecContext(ctx, `PRAGMA cache_size = `+strconv.Itoa(cache))
		var err error
		plan, err = planExisting(batch, 500, func(src string, ids []string) (map[string]bool, error) {
			return existingIDs(ctx, tx, src, ids)
		})
		if err != nil || len(plan.keep) == 0 {
			return err
		}
		// The writer holds SQLite's write lock for the whole transaction,
		// so the ids after the current maximum are ours.
		var maxID int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM orders`).Scan(&maxID); err != nil {
			return err
		}
		ids := make([]int64, len(plan.keep))
		for k := range ids {
			ids[k] = maxID + int64(k) + 1
		}
		if err := plan.number(batch, ids, func(days []string, counts []int) ([]int, error) {
			lasts := make([]int, len(days))
			for k, d := range days {
				var err error
				if lasts[k], err = reserveSerials(ctx, tx, d, counts[k]); err != nil {
					return nil, err
				}
			}
			return lasts, nil
		}); err != nil {
			return err
		}
		orders := make([][]any, 0, len(plan.keep))
		events := make([][]any, 0, len(plan.keep))
		fts := make([][]any, 0, len(plan.keep))
		for k, i := range plan.keep {
			b := &batch[i]
			orders = append(orders, bulkOrderValues(b, ids[k]))
			ev, err := s.bulkEventValues(&b.Event, ids[k])
			if err != nil {
				return err
			}
			events = append(events, ev)
			fts = append(fts, []any{ids[k], searchText(b.Tokens)})
		}
		if err := chunkedInsert(ctx, tx, "orders", bulkCols, 200, orders); err != nil {
			return err
		}
		if err := chunkedInsert(ctx, tx, "order_events", eventCols, 400, events); err != nil {
			return err
		}
		return chunkedInsert(ctx, tx, "order_fts", []string{"rowid", "tokens"}, 1000, fts)
	})
	if err != nil {
		return BulkResult{}, err
	}
	return plan.res, nil
}

func existingIDs(ctx context.Context, tx *sql.Tx, src string, ids []string) (map[string]bool, error) {
	// Positional "?" (SQLite only), as multiInsert; "external_id <> ''" lets
	// SQLite use the partial unique index on (source, external_id).
	args := make([]any, 0, len(ids)+1)
	args = append(args, src)
	for _, id := range ids {
		args = append(args, id)
	}
	rows, err := tx.QueryContext(ctx, `SELECT external_id FROM orders WHERE source=? AND external_id <> '' AND external_id IN (`+
		strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, rows.Err()
}

// rowQuerier is what reserveSerials needs: a transaction, or a create
// batch's txStmts (which keeps the statement compiled on SQLite).
type rowQuerier interface {
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// reserveSerials reserves the day's next n serial numbers and returns the
// last of them.
func reserveSerials(ctx context.Context, tx rowQuerier, day string, n int) (int, error) {
	var last int
	err := tx.QueryRowContext(ctx, `INSERT INTO day_serials(day, last) VALUES ($1, $2)
		ON CONFLICT(day) DO UPDATE SET last = day_serials.last + $2 RETURNING last`, day, n).Scan(&last)
	return last, err
}

// bulkPostgres runs the batch on one pgx connection in one transaction,
// with COPY for the rows.
func (s *Store) bulkPostgres(ctx context.Context, batch []BulkOrder) (BulkResult, error) {
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return BulkResult{}, mapErr(err)
	}
	defer conn.Close()
	var plan bulkPlan
	err = conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		tx, err := pc.Begin(ctx)
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx)
		// One query for the whole batch. The "external_id <> ''" is what lets
		// the planner use the partial unique index orders_external (it cannot
		// prove the index's predicate from an = ANY of more than 100 values):
		// without it every check scanned the whole table, quadratic — the
		// 100,000-order import took 46.5 s with it missing, 9.7 s with it.
		plan, err = planExisting(batch, 1<<20, func(src string, ids []string) (map[string]bool, error) {
			rows, err := tx.Query(ctx, `SELECT external_id FROM orders WHERE source=$1 AND external_id <> '' AND external_id = ANY($2)`, src, ids)
			if err != nil {
				return nil, err
			}
			out := map[string]bool{}
			for rows.Next() {
				var id string
				if err := rows.Scan(&id); err != nil {
					rows.Close()
					return nil, err
				}
				out[id] = true
			}
			rows.Close()
			return out, rows.Err()
		})
		if err != nil {
			return err
		}
		if len(plan.keep) == 0 {
			return tx.Commit(ctx)
		}
		rows, err := tx.Query(ctx, `SELECT nextval(pg_get_serial_sequence('orders', 'id')) FROM generate_series(1, $1)`, len(plan.keep))
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
		if err != nil {
			return err
		}
		// Every day of the batch in one statement (a year of history spans
		// hundreds of days per batch: one round trip each was the rest of
		// the per-batch chatter). Rows are locked in day order.
		if err := plan.number(batch, ids, func(days []string, counts []int) ([]int, error) {
			rows, err := tx.Query(ctx, `INSERT INTO day_serials(day, last)
				SELECT d, n FROM unnest($1::text[], $2::bigint[]) AS u(d, n) ORDER BY d
				ON CONFLICT(day) DO UPDATE SET last = day_serials.last + excluded.last RETURNING day, last`, days, counts)
			if err != nil {
				return nil, err
			}
			got := make(map[string]int, len(days))
			for rows.Next() {
				var d string
				var last int
				if err := rows.Scan(&d, &last); err != nil {
					rows.Close()
					return nil, err
				}
				got[d] = last
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, err
			}
			lasts := make([]int, len(days))
			for k, d := range days {
				if lasts[k] = got[d]; lasts[k] == 0 {
					return nil, fmt.Errorf("day serials: nothing reserved for %s", d)
				}
			}
			return lasts, nil
		}); err != nil {
			return err
		}
		orders := make([][]any, 0, len(plan.keep))
		events := make([][]any, 0, len(plan.keep))
		for k, i := range plan.keep {
			b := &batch[i]
			orders = append(orders, append(bulkOrderValues(b, ids[k]), searchText(b.Tokens)))
			ev, err := s.bulkEventValues(&b.Event, ids[k])
			if err != nil {
				return err
			}
			events = append(events, ev)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"orders"}, append(append([]string{}, bulkCols...), "search_text"), pgx.CopyFromRows(orders)); err != nil {
			return err
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"order_events"}, eventCols, pgx.CopyFromRows(events)); err != nil {
			return err
		}
		return tx.Commit(ctx)
	})
	if err != nil {
		return BulkResult{}, mapErr(err)
	}
	return plan.res, nil
}

func jsonBody(m map[string]any) (string, error) {
	b, err := json.Marshal(m)
	return string(b), err
}

// BulkColumns are the orders' columns a bulk import writes, in the order of
// BulkValues (for internal/gen's baseline of the import benchmark).
func BulkColumns() []string { return append([]string(nil), bulkCols...) }

// BulkValues is the row of one imported order with id, as the import writes it.
func BulkValues(b *BulkOrder, id int64) []any { return bulkOrderValues(b, id) }

// numberedInsert is multiInsert with PostgreSQL's $N parameters.
func numberedInsert(table string, cols []string, rows int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
	n := 1
	for r := 0; r < rows; r++ {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for c := range cols {
			if c > 0 {
				b.WriteByte(',')
			}
			b.WriteString("$" + strconv.Itoa(n))
			n++
		}
		b.WriteByte(')')
	}
	return b.String()
}
