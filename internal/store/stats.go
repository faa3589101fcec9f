package store

import (
	"context"
	"strconv"
	"time"

	"hotline/internal/order"
)

// MetricCounts are the numerators and denominators of workflow.md's rates
// for one population of orders (one period, optionally one unit).
type MetricCounts struct {
	Unit            string
	Orders          int // orders created in the period
	ByStatus        map[order.Status]int
	Dispatched      int // orders dispatched in the period
	ResponseDue     int // denominator of the response rate: dispatched orders contacted or past contact_due
	Responded       int
	OnTimeDue       int // dispatched orders replied or past due
	OnTime          int
	Callbacks       int // callbacks other than unreachable
	CallbacksSolved int
	CallbacksHappy  int
	Closed          int
	ClosedReopened  int
}

// counted excludes what the rates never count: praise, invalid, merged and
// answered orders.
const counted = `type <> 'praise' AND status NOT IN ('invalid', 'merged', 'answered')`

// MetricsScan computes the counts behind the rates for orders dispatched in
// [from, to), per unit when byUnit, else for all (or one unit), by scanning
// orders and callbacks: O(orders), the reference the rollups must equal.
func (s *Store) MetricsScan(ctx context.Context, from, to, now time.Time, unit string, byUnit bool) (map[string]*MetricCounts, error) {
	out := map[string]*MetricCounts{}
	get := func(u string) *MetricCounts {
		if !byUnit {
			u = unit
		}
		m, ok := out[u]
		if !ok {
			m = &MetricCounts{Unit: u, ByStatus: map[order.Status]int{}}
			out[u] = m
		}
		return m
	}
	args := []any{micros(from), micros(to)}
	unitCond, cbUnitCond := "", ""
	if unit != "" {
		args = append(args, unit)
		unitCond = " AND unit = $" + strconv.Itoa(len(args))
		cbUnitCond = " AND c.unit = $" + strconv.Itoa(len(args))
	}
	group, sel, cbGroup, cbSel := "", "''", "", "''"
	if byUnit {
		group, sel = " GROUP BY COALESCE(unit, '')", "COALESCE(unit, '')"
		cbGroup, cbSel = " GROUP BY c.unit", "c.unit"
	}

	// Orders in and by status: by creation time.
	rows, err := s.r.QueryContext(ctx, `SELECT `+sel+`, status, COUNT(*) FROM orders WHERE created_at >= $1 AND created_at < $2`+unitCond+
		func() string {
			if byUnit {
				return " GROUP BY COALESCE(unit, ''), status"
			}
			return " GROUP BY status"
		}(), args...)
	if err != nil {
		return nil, mapErr(err)
	}
	for rows.Next() {
		var u, st string
		var n int
		if err := rows.Scan(&u, &st, &n); err != nil {
			rows.Close()
			return nil, mapErr(err)
		}
		m := get(u)
		m.ByStatus[order.Status(st)] += n
		m.Orders += n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, mapErr(err)
	}

	nowArg := "$" + strconv.Itoa(len(args)+1)
	rows, err = s.r.QueryContext(ctx, `SELECT `+sel+`, COUNT(*),
		COALESCE(SUM(CASE WHEN contacted_at IS NOT NULL AND contacted_at <= contact_due THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN contacted_at IS NULL AND contact_due >= `+nowArg+` AND replied_at IS NULL AND due IS NOT NULL THEN 0 ELSE 1 END), 0),
		COALESCE(SUM(CASE WHEN replied_at IS NOT NULL OR due < `+nowArg+` THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN replied_at IS NOT NULL AND replied_at <= due THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN status = 'closed' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN status = 'closed' AND reopen_count > 0 THEN 1 ELSE 0 END), 0)
		FROM orders WHERE dispatched_at >= $1 AND dispatched_at < $2 AND `+counted+unitCond+group,
		append(args, micros(now))...)
	if err != nil {
		return nil, mapErr(err)
	}
	for rows.Next() {
		var u string
		var a, b, rd, c, d, e, f int
		if err := rows.Scan(&u, &a, &b, &rd, &c, &d, &e, &f); err != nil {
			rows.Close()
			return nil, mapErr(err)
		}
		m := get(u)
		m.Dispatched += a
		m.Responded += b
		m.ResponseDue += rd
		m.OnTimeDue += c
		m.OnTime += d
		m.Closed += e
		m.ClosedReopened += f
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, mapErr(err)
	}

	rows, err = s.r.QueryContext(ctx, `SELECT `+cbSel+`,
		COALESCE(SUM(CASE WHEN c.outcome <> 'unreachable' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN c.outcome <> 'unreachable' AND c.resolved THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN c.outcome IN ('satisfied', 'basically_satisfied') THEN 1 ELSE 0 END), 0)
		FROM callbacks c JOIN orders o ON o.id = c.order_id
		WHERE o.dispatched_at >= $1 AND o.dispatched_at < $2 AND o.type <> 'praise' AND o.status NOT IN ('invalid', 'merged', 'answered')`+cbUnitCond+cbGroup,
		args...)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var u string
		var a, b, c int64
		if err := rows.Scan(&u, &a, &b, &c); err != nil {
			return nil, mapErr(err)
		}
		m := get(u)
		m.Callbacks += int(a)
		m.CallbacksSolved += int(b)
		m.CallbacksHappy += int(c)
	}
	return out, mapErr(rows.Err())
}
