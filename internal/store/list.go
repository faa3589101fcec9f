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
	Tokens     []string // full-text query tokens, all must match
	From, To   *time.Time
	Now        time.Time
	Limit      int
	Cursor     string // the id of the last order of the previous page
}

// overdueSQL is Order.Overdue as SQL: a step's deadline passed, step not
// done; a return request keeps the clock of the state it was asked from.
const overdueSQL = `((status = 'dispatched' OR (status = 'return_requested' AND return_from = 'dispatched'))
		AND (sign_due < $N OR contact_due < $N OR due < $N)
	OR (status = 'accepted' OR (status = 'return_requested' AND return_from = 'accepted'))
		AND (contact_due < $N OR due < $N)
	OR (status = 'in_progress' OR (status = 'return_requested' AND return_from NOT IN ('dispatched', 'accepted')))
		AND due < $N)`

// where turns a filter into a WHERE clause (without the cursor) and its
// arguments; ListOrders and CountOrders share it.
func (s *Store) where(f Filter) (string, []any) {
	var (
		where []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
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
	if len(f.Tokens) > 0 {
		if s.Dialect == Postgres {
			where = append(where, "search_tokens @> "+arg(f.Tokens))
		} else {
			var q []string
			for _, t := range f.Tokens {
				q = append(q, `"`+strings.ReplaceAll(t, `"`, `""`)+`"`)
			}
			where = append(where, "id IN (SELECT rowid FROM order_fts WHERE order_fts MATCH "+arg(strings.Join(q, " "))+")")
		}
	}
	if len(where) == 0 {
		return "", args
	}
	return " WHERE " + strings.Join(where, " AND "), args
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
// the id of the last order of the previous page (ids grow with time).
func (s *Store) ListOrders(ctx context.Context, f Filter) ([]order.Order, string, error) {
	where, args := s.where(f)
	if f.Cursor != "" {
		c, err := strconv.ParseInt(f.Cursor, 10, 64)
		if err != nil || c <= 0 {
			return nil, "", apperr.Field("cursor", "not a cursor from a previous page")
		}
		args = append(args, c)
		if where == "" {
			where = " WHERE "
		} else {
			where += " AND "
		}
		where += "id < $" + strconv.Itoa(len(args))
	}
	limit := f.Limit
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	out, err := collect(ctx, s.r, "SELECT "+orderCols+" FROM orders"+where+" ORDER BY id DESC LIMIT "+strconv.Itoa(limit+1), args,
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
