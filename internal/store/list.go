package store

import (
	"context"
	"strconv"
	"strings"
	"time"

	"hotline/internal/apperr"
	"hotline/internal/order"
)

// Filter selects orders for a list. Zero values mean "any".
type Filter struct {
	Statuses   []order.Status
	Unit       string // holding unit
	SeenBy     string // handler's unit: orders it holds or co-handles
	Type       order.Type
	Category   string // a code; a first-level code also matches its children
	Overdue    bool
	Supervised bool
	// Tokens are the full-text query's tokens. ListOrders ranks the orders
	// matching any of them by relevance to Query (search.go); the counts
	// (CountMatching) take the orders matching all of them.
	Tokens []string
	Query  string // the query as typed: its exact phrase and place names rank first
	// Unranked lists the orders matching all tokens newest first, as before
	// ranking (the benchmarks' baseline).
	Unranked bool
	From, To *time.Time
	Now      time.Time
	Limit    int
	// Cursor is where the previous page ended: the id of its last order, or
	// for a ranked search the opaque position search.go writes.
	Cursor string
	// RankWindow bounds how many of the newest matches a ranked search
	// scores (0: DefaultRankWindow); older matches follow newest first.
	RankWindow int
}

// overdueSQL is Order.Overdue as SQL: a step's deadline passed, step not
// done; a return request keeps the clock of the state it was asked from.
const overdueSQL = `((status = 'dispatched' OR (status = 'return_requested' AND return_from = 'dispatched'))
		AND (sign_due < $N OR contact_due < $N OR due < $N)
	OR (status = 'accepted' OR (status = 'return_requested' AND return_from = 'accepted'))
		AND (contact_due < $N OR due < $N)
	OR (status = 'in_progress' OR (status = 'return_requested' AND return_from NOT IN ('dispatched', 'accepted')))
		AND due < $N)`

// args collects the arguments of a statement and hands out their
// placeholders ($1, $2, …), which both dialects accept.
type args struct{ vals []any }

func (a *args) add(v any) string {
	a.vals = append(a.vals, v)
	return "$" + strconv.Itoa(len(a.vals))
}

// where turns a filter into a WHERE clause (without the cursor) and its
// arguments; ListOrders and CountMatching share it. With tokens, every
// token must match (the unranked list and the counts).
func (s *Store) where(f Filter) (string, []any) {
	var a args
	conds := s.filterConds(f, &a)
	if len(f.Tokens) > 0 {
		conds = append(conds, s.matchAll(f.Tokens, &a))
	}
	return whereClause(conds), a.vals
}

func whereClause(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

// filterConds are the conditions of every filter except the text query.
func (s *Store) filterConds(f Filter, a *args) []string {
	var where []string
	arg := a.add
	if len(f.Statuses) > 0 {
		var ph []string
		for _, st := range f.Statuses {
			ph = append(ph, arg(string(st)))
		}
		where = append(where, "status IN ("+strings.Join(ph, ",")+")")
		if allOpen(f.Statuses) {
			// Lets the planner use the partial index of open orders.
			where = append(where, "status NOT IN ('answered', 'closed', 'merged', 'invalid')")
		}
	}
	if f.Unit != "" {
		where = append(where, "unit = "+arg(f.Unit))
	}
	if f.SeenBy != "" {
		u := arg(f.SeenBy)
		where = append(where, "(unit = "+u+" OR id IN (SELECT order_id FROM order_co_units WHERE unit = "+u+"))")
	}
	if f.Type != "" {
		where = append(where, "type = "+arg(string(f.Type)))
	}
	if f.Category != "" {
		where = append(where, "(category = "+arg(f.Category)+" OR category LIKE "+arg(likeEscape(f.Category)+".%")+" ESCAPE '\\')")
	}
	if f.Overdue {
		where = append(where, strings.ReplaceAll(overdueSQL, "$N", arg(micros(f.Now))))
		where = append(where, "status IN ('dispatched', 'accepted', 'in_progress', 'return_requested') AND due IS NOT NULL")
	}
	if f.Supervised {
		where = append(where, "supervised = TRUE")
	}
	if f.From != nil {
		where = append(where, "created_at >= "+arg(micros(*f.From)))
	}
	if f.To != nil {
		where = append(where, "created_at < "+arg(micros(*f.To)))
	}
	return where
}

// matchAll is the index condition "every token is in the order's search
// tokens": the GIN index of search_text (as an array) on PostgreSQL, FTS5 on SQLite.
func (s *Store) matchAll(tokens []string, a *args) string {
	if s.Dialect == Postgres {
		return pgSearchTokens + " @> " + a.add(tokens)
	}
	return "id IN (SELECT rowid FROM order_fts WHERE order_fts MATCH " + a.add(ftsQuery(tokens, " ")) + ")"
}

// ftsQuery quotes each token as an FTS5 string (no operator inside a token
// is ever interpreted) and joins them with sep (" " is AND).
func ftsQuery(tokens []string, sep string) string {
	q := make([]string, 0, len(tokens))
	for _, t := range tokens {
		q = append(q, `"`+strings.ReplaceAll(t, `"`, `""`)+`"`)
	}
	return strings.Join(q, sep)
}

func allOpen(sts []order.Status) bool {
	for _, st := range sts {
		if !st.Open() {
			return false
		}
	}
	return true
}

// ListOrders returns orders newest first, a page at a time. The cursor is
// the id of the last order of the previous page (ids grow with time). With
// tokens, the orders matching any of them come ranked by relevance instead
// (listRanked, search.go).
func (s *Store) ListOrders(ctx context.Context, f Filter) ([]order.Order, string, error) {
	if len(f.Tokens) > 0 && !f.Unranked {
		return s.listRanked(ctx, f)
	}
	where, vals := s.where(f)
	from, idCol := " FROM orders", "id"
	if len(f.Tokens) > 0 && s.Dialect == SQLite {
		// Newest first with words on SQLite: walk the FTS5 index itself in
		// descending rowid order and stop at the page's end, instead of
		// "id IN (SELECT rowid … MATCH …)", which first collects every
		// match (9 ms for a word in 29,000 orders, growing with them): the
		// first page of a common word then costs what a rare word's does.
		// CROSS JOIN keeps order_fts the outer loop.
		var a args
		conds := append(s.filterConds(f, &a), "order_fts MATCH "+a.add(ftsQuery(f.Tokens, " ")))
		where, vals = whereClause(conds), a.vals
		from, idCol = " FROM order_fts CROSS JOIN orders ON orders.id = order_fts.rowid", "order_fts.rowid"
	}
	var cursor int64
	if f.Cursor != "" {
		c, err := strconv.ParseInt(f.Cursor, 10, 64)
		if err != nil || c <= 0 {
			return nil, "", apperr.Field("cursor", "not a cursor from a previous page")
		}
		cursor = c
		vals = append(vals, c)
		if where == "" {
			where = " WHERE "
		} else {
			where += " AND "
		}
		where += idCol + " < $" + strconv.Itoa(len(vals))
	}
	limit := f.Limit
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	if len(f.Tokens) > 0 && s.Dialect == Postgres {
		if out, next, ok, err := s.listNewestProbe(ctx, f, cursor, limit); err != nil || ok {
			return out, next, err
		}
	}
	return s.listPage(ctx, "SELECT "+orderCols+from+where+" ORDER BY "+idCol+" DESC LIMIT "+strconv.Itoa(limit+1), vals, limit)
}

// newestProbe is how many of the newest orders (of the filter, before the
// cursor) listNewestProbe looks at for a page of matches: enough for words
// in a tenth of the newest orders (a surge is far above that), few enough
// that a rare word pays a fraction of a millisecond for the try (1,000
// cost 1–2 ms at 30,000 orders, about what the rare word's whole search
// costs; issue 19).
const newestProbe = 200

// listNewestProbe is the first try of a newest-first text search on
// PostgreSQL: look for the page among the newest newestProbe orders of the
// filter, walking the primary key backwards, and stop at the page's end.
// ok is false when they hold no more than a page (the page may then go on
// beyond them); the caller leaves the plan to PostgreSQL.
//
// Why not always leave it to the planner: it picks between walking the
// newest ids (cheap when the words are common) and fetching every match
// from the GIN index and sorting them (cheap when they are rare) by its
// estimate of how many orders match, and a word that floods the hotline is
// exactly one whose estimate is stale — 30,000 copies of a complaint in a
// 40,000-order table were still estimated at 57 rows, and the first page
// fetched and sorted all 29,970 (82–134 ms against 0.3 ms; issue 19). A
// surge puts its words in the newest orders, which this finds without any
// statistics; a word absent from them costs the probe (a bounded walk of
// newestProbe rows) before the planner's plan.
func (s *Store) listNewestProbe(ctx context.Context, f Filter, cursor int64, limit int) ([]order.Order, string, bool, error) {
	var a args
	conds := s.filterConds(f, &a)
	if cursor > 0 {
		conds = append(conds, "id < "+a.add(cursor))
	}
	q := "SELECT " + orderCols + " FROM (SELECT * FROM orders" + whereClause(conds) +
		" ORDER BY id DESC LIMIT " + strconv.Itoa(newestProbe) + ") AS newest WHERE " + s.matchAll(f.Tokens, &a) +
		" ORDER BY id DESC LIMIT " + strconv.Itoa(limit+1)
	out, next, err := s.listPage(ctx, q, a.vals, limit)
	if err != nil || next == "" {
		return nil, "", false, err
	}
	return out, next, true, nil
}

// listPage runs a page's query (limit+1 rows asked for, to know whether
// another page follows) and returns the page and the next page's cursor.
func (s *Store) listPage(ctx context.Context, q string, vals []any, limit int) ([]order.Order, string, error) {
	out, err := collect(ctx, s.r, q, vals,
		func(sc rowScanner) (order.Order, error) {
			r, err := scanOrder(sc)
			return r.Order, err
		})
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = out[limit-1].ID
	}
	return out, next, nil
}

// CountMatching counts the orders of a filter, stopping at limit: it returns
// min(count, limit) and whether there are more. Tab counts need no more.
func (s *Store) CountMatching(ctx context.Context, f Filter, limit int) (int, bool, error) {
	where, args := s.where(f)
	var n int
	err := s.r.QueryRowContext(ctx, "SELECT COUNT(*) FROM (SELECT 1 FROM orders"+where+" LIMIT "+strconv.Itoa(limit+1)+") t", args...).Scan(&n)
	if err != nil {
		return 0, false, mapErr(err)
	}
	if n > limit {
		return limit, true, nil
	}
	return n, false, nil
}

// CountByStatus counts the open orders per status, optionally for one
// unit's view: the work queues' tab counts. Closed, answered, merged and
// invalid orders are history and not counted here, which keeps this an
// index search over the open orders instead of a scan of every order.
func (s *Store) CountByStatus(ctx context.Context, seenBy string) (map[order.Status]int, error) {
	q := "SELECT status, COUNT(*) FROM orders WHERE status NOT IN ('answered', 'closed', 'merged', 'invalid')"
	var args []any
	if seenBy != "" {
		q += ` AND (unit = $1 OR id IN (SELECT order_id FROM order_co_units WHERE unit = $1))`
		args = append(args, seenBy)
	}
	type count struct {
		st string
		n  int
	}
	rows, err := collect(ctx, s.r, q+" GROUP BY status", args, func(sc rowScanner) (count, error) {
		var c count
		err := sc.Scan(&c.st, &c.n)
		return c, err
	})
	out := map[order.Status]int{}
	for _, c := range rows {
		out[order.Status(c.st)] = c.n
	}
	return out, err
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
