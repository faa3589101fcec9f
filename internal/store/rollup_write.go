package store

import (
	"cmp"
	"context"
	"database/sql"
	"slices"
	"strconv"
	"strings"
	"time"

	"hotline/internal/order"
)

// The write side of the rollups: every order write turns the order's old
// and new rows into a delta of counters (rollDelta) and adds it, daily and
// monthly, in the write's own transaction; RebuildRollups recounts from
// scratch. Nothing here reads for a dashboard (rollup_read.go does).

// rollKey names one row of a rollup table: day, unit, category, type and a
// fifth part each table uses its own way (the status, or the compound for
// the map's places).
type rollKey struct {
	day                        int64
	unit, category, typ, state string
}

func cmpKey(a, b rollKey) int {
	return cmp.Or(cmp.Compare(a.day, b.day), strings.Compare(a.unit, b.unit), strings.Compare(a.category, b.category),
		strings.Compare(a.typ, b.typ), strings.Compare(a.state, b.state))
}

// rollDelta is what one transaction adds to the rollups.
type rollDelta struct {
	created map[rollKey]int64
	closed  map[rollKey]int64
	rates   map[rollKey]*[rN]int64
	// places: orders by the day of creation × unit × category × compound
	// (the compound in state) for the map.
	places map[rollKey]int64
}

func newDelta() *rollDelta {
	return &rollDelta{created: map[rollKey]int64{}, closed: map[rollKey]int64{}, rates: map[rollKey]*[rN]int64{}, places: map[rollKey]int64{}}
}

// counted is whether an order counts in the rates at all.
func countedOrder(o *order.Order) bool {
	if o.Type == order.Praise || o.DispatchedAt == nil {
		return false
	}
	switch o.Status {
	case order.Invalid, order.Merged, order.Answered:
		return false
	}
	return true
}

func leq(a, b *time.Time) bool { return a != nil && b != nil && a.UnixMicro() <= b.UnixMicro() }

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func (d *rollDelta) rate(k rollKey) *[rN]int64 {
	v := d.rates[k]
	if v == nil {
		v = new([rN]int64)
		d.rates[k] = v
	}
	return v
}

// order adds sign × the order's contribution (the callbacks aside).
func (d *rollDelta) order(o *order.Order, sign int64) {
	d.created[rollKey{DayOf(o.CreatedAt), o.Unit, o.Category, string(o.Type), string(o.Status)}] += sign
	d.places[rollKey{DayOf(o.CreatedAt), o.Unit, o.Category, "", o.Compound}] += sign
	if o.Status == order.Closed && o.ClosedAt != nil {
		d.closed[rollKey{DayOf(*o.ClosedAt), o.Unit, o.Category, string(o.Type), ""}] += sign
	}
	if !countedOrder(o) {
		return
	}
	v := d.rate(rollKey{DayOf(*o.DispatchedAt), o.Unit, o.Category, string(o.Type), ""})
	closed := o.Status == order.Closed
	v[rDispatched] += sign
	v[rResponded] += sign * b2i(leq(o.ContactedAt, o.ContactDue))
	v[rReplied] += sign * b2i(o.RepliedAt != nil)
	v[rOnTime] += sign * b2i(leq(o.RepliedAt, o.Due))
	v[rClosed] += sign * b2i(closed)
	v[rReopened] += sign * b2i(closed && o.ReopenCount > 0)
}

// callback adds sign × one callback's contribution, with the order as it is.
func (d *rollDelta) callback(o *order.Order, unit, outcome string, resolved bool, sign int64) {
	if !countedOrder(o) {
		return
	}
	v := d.rate(rollKey{DayOf(*o.DispatchedAt), unit, o.Category, string(o.Type), ""})
	reached := outcome != "unreachable"
	v[rCallbacks] += sign * b2i(reached)
	v[rCbResolved] += sign * b2i(reached && resolved)
	v[rCbSatisfied] += sign * b2i(outcome == "satisfied" || outcome == "basically_satisfied")
}

// callbackKey is what decides where (and whether) an order's callbacks count.
func callbackKey(o *order.Order) rollKey {
	if !countedOrder(o) {
		return rollKey{day: -1 << 62}
	}
	return rollKey{DayOf(*o.DispatchedAt), "", o.Category, string(o.Type), ""}
}

// applyDelta writes the delta to the daily rollups, the monthly ones (the
// same keys with the day replaced by the first day of its month) and the
// per-day totals, each table in key order and the tables always in the same
// order (so that concurrent PostgreSQL transactions lock rollup rows in one
// order and cannot deadlock).
func (s *Store) applyDelta(ctx context.Context, tx execer, d *rollDelta) error {
	m := newDelta()
	days := map[rollKey]*[2]int64{}
	total := func(k rollKey) *[2]int64 {
		k = rollKey{day: k.day, unit: k.unit}
		v := days[k]
		if v == nil {
			v = new([2]int64)
			days[k] = v
		}
		return v
	}
	for k, v := range d.created {
		total(k)[0] += v
		k.day = monthStart(k.day)
		m.created[k] += v
	}
	for k, v := range d.closed {
		total(k)[1] += v
		k.day = monthStart(k.day)
		m.closed[k] += v
	}
	for k, v := range d.places {
		k.day = monthStart(k.day)
		m.places[k] += v
	}
	for k, v := range d.rates {
		mv := m.rate(rollKey{monthStart(k.day), k.unit, k.category, k.typ, k.state})
		for i := range v {
			mv[i] += v[i]
		}
	}
	if err := s.writeDelta(ctx, tx, d, ""); err != nil {
		return err
	}
	if err := s.writeDelta(ctx, tx, m, "_m"); err != nil {
		return err
	}
	var dks []rollKey
	for k, v := range days {
		if *v != ([2]int64{}) {
			dks = append(dks, k)
		}
	}
	slices.SortFunc(dks, cmpKey)
	for _, k := range dks {
		v := days[k]
		if _, err := tx.ExecContext(ctx, `INSERT INTO rollup_days (day, unit, created, closed) VALUES ($1,$2,$3,$4)
			ON CONFLICT (day, unit) DO UPDATE SET created = rollup_days.created + excluded.created, closed = rollup_days.closed + excluded.closed`,
			k.day, k.unit, v[0], v[1]); err != nil {
			return err
		}
	}
	return nil
}

// writeDelta upserts a delta into the rollup tables with the given suffix
// ("" daily, "_m" monthly).
func (s *Store) writeDelta(ctx context.Context, tx execer, d *rollDelta, sfx string) error {
	keys := func(m map[rollKey]int64) []rollKey {
		var ks []rollKey
		for k, v := range m {
			if v != 0 {
				ks = append(ks, k)
			}
		}
		slices.SortFunc(ks, cmpKey)
		return ks
	}
	for _, k := range keys(d.created) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO rollup_created`+sfx+` (day, unit, category, type, status, n) VALUES ($1,$2,$3,$4,$5,$6)
			ON CONFLICT (day, unit, category, type, status) DO UPDATE SET n = rollup_created`+sfx+`.n + excluded.n`,
			k.day, k.unit, k.category, k.typ, k.state, d.created[k]); err != nil {
			return err
		}
	}
	for _, k := range keys(d.closed) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO rollup_closed`+sfx+` (day, unit, category, type, n) VALUES ($1,$2,$3,$4,$5)
			ON CONFLICT (day, unit, category, type) DO UPDATE SET n = rollup_closed`+sfx+`.n + excluded.n`,
			k.day, k.unit, k.category, k.typ, d.closed[k]); err != nil {
			return err
		}
	}
	for _, k := range keys(d.places) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO rollup_places`+sfx+` (day, unit, category, compound, n) VALUES ($1,$2,$3,$4,$5)
			ON CONFLICT (day, unit, category, compound) DO UPDATE SET n = rollup_places`+sfx+`.n + excluded.n`,
			k.day, k.unit, k.category, k.state, d.places[k]); err != nil {
			return err
		}
	}
	var rks []rollKey
	for k, v := range d.rates {
		if *v != ([rN]int64{}) {
			rks = append(rks, k)
		}
	}
	slices.SortFunc(rks, cmpKey)
	set := make([]string, rN)
	for i, c := range rateCols {
		set[i] = c + " = rollup_rates" + sfx + "." + c + " + excluded." + c
	}
	q := `INSERT INTO rollup_rates` + sfx + ` (day, unit, category, type, ` + strings.Join(rateCols[:], ", ") + `) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)
		ON CONFLICT (day, unit, category, type) DO UPDATE SET ` + strings.Join(set, ", ")
	for _, k := range rks {
		v := d.rates[k]
		args := []any{k.day, k.unit, k.category, k.typ}
		for _, x := range v {
			args = append(args, x)
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return err
		}
	}
	return nil
}

// rollupCreate counts a new order (called after createOrderTx, as the
// transaction's last writes: the lock order in store/orders.go).
func (s *Store) rollupCreate(ctx context.Context, tx *sql.Tx, o *order.Order) error {
	d := newDelta()
	d.order(o, 1)
	return s.applyDelta(ctx, tx, d)
}

// rollupUpdate moves the contributions of the orders a mutation changed and
// adds its callback (called by UpdateOrder before it inserts the callback).
func (s *Store) rollupUpdate(ctx context.Context, tx *sql.Tx, id int64, heads map[string]orderRow, m Mutation) error {
	final := map[string]order.Order{}
	var ids []string
	for _, c := range m.Changes {
		if _, ok := final[c.Order.ID]; !ok {
			ids = append(ids, c.Order.ID)
		}
		final[c.Order.ID] = c.Order
	}
	d := newDelta()
	for _, oid := range ids {
		old, nw := heads[oid].Order, final[oid]
		d.order(&old, -1)
		d.order(&nw, 1)
		if callbackKey(&old) != callbackKey(&nw) {
			rows, err := tx.QueryContext(ctx, `SELECT unit, outcome, resolved FROM callbacks WHERE order_id=$1`, mustID(oid))
			if err != nil {
				return err
			}
			for rows.Next() {
				var unit, outcome string
				var resolved bool
				if err := rows.Scan(&unit, &outcome, &resolved); err != nil {
					rows.Close()
					return err
				}
				d.callback(&old, unit, outcome, resolved, -1)
				d.callback(&nw, unit, outcome, resolved, 1)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
	}
	if cb := m.Callback; cb != nil {
		key := strconv.FormatInt(id, 10)
		o, ok := final[key]
		if !ok {
			o = heads[key].Order
		}
		d.callback(&o, cb.Unit, cb.Outcome, cb.Resolved, 1)
	}
	return s.applyDelta(ctx, tx, d)
}

// rollupStatements rebuild every rollup from orders and callbacks.
var rollupStatements = []string{
	`DELETE FROM rollup_created`,
	`DELETE FROM rollup_closed`,
	`DELETE FROM rollup_rates`,
	`INSERT INTO rollup_created (day, unit, category, type, status, n)
	SELECT (created_at + 28800000000) / 86400000000, COALESCE(unit, ''), category, type, status, COUNT(*)
	FROM orders GROUP BY 1, 2, 3, 4, 5`,
	`INSERT INTO rollup_closed (day, unit, category, type, n)
	SELECT (closed_at + 28800000000) / 86400000000, COALESCE(unit, ''), category, type, COUNT(*)
	FROM orders WHERE status = 'closed' AND closed_at IS NOT NULL GROUP BY 1, 2, 3, 4`,
	`INSERT INTO rollup_rates (day, unit, category, type, dispatched, responded, replied, on_time, closed, reopened, callbacks, cb_resolved, cb_satisfied)
	SELECT day, unit, category, type, SUM(a), SUM(b), SUM(c), SUM(d), SUM(e), SUM(f), SUM(g), SUM(h), SUM(i) FROM (
	    SELECT (dispatched_at + 28800000000) / 86400000000 AS day, COALESCE(unit, '') AS unit, category, type, 1 AS a,
	        CASE WHEN contacted_at IS NOT NULL AND contacted_at <= contact_due THEN 1 ELSE 0 END AS b,
	        CASE WHEN replied_at IS NOT NULL THEN 1 ELSE 0 END AS c,
	        CASE WHEN replied_at IS NOT NULL AND replied_at <= due THEN 1 ELSE 0 END AS d,
	        CASE WHEN status = 'closed' THEN 1 ELSE 0 END AS e,
	        CASE WHEN status = 'closed' AND reopen_count > 0 THEN 1 ELSE 0 END AS f,
	        0 AS g, 0 AS h, 0 AS i
	    FROM orders WHERE dispatched_at IS NOT NULL AND type <> 'praise' AND status NOT IN ('invalid', 'merged', 'answered')
	    UNION ALL
	    SELECT (o.dispatched_at + 28800000000) / 86400000000, c.unit, o.category, o.type, 0, 0, 0, 0, 0, 0,
	        CASE WHEN c.outcome <> 'unreachable' THEN 1 ELSE 0 END,
	        CASE WHEN c.outcome <> 'unreachable' AND c.resolved THEN 1 ELSE 0 END,
	        CASE WHEN c.outcome IN ('satisfied', 'basically_satisfied') THEN 1 ELSE 0 END
	    FROM callbacks c JOIN orders o ON o.id = c.order_id
	    WHERE o.dispatched_at IS NOT NULL AND o.type <> 'praise' AND o.status NOT IN ('invalid', 'merged', 'answered')
	) x GROUP BY day, unit, category, type`,
}

// monthStatements rebuild the map's rollup_places from the orders, and the
// monthly rollups and the per-day totals from the daily rollups (migration
// 0007 holds the same statements in SQL).
func (s *Store) monthStatements() []string {
	m := `CAST(julianday(date(day * 86400, 'unixepoch', 'start of month')) - 2440587.5 AS INTEGER)`
	if s.Dialect == Postgres {
		m = `(date_trunc('month', DATE '1970-01-01' + day::integer)::date - DATE '1970-01-01')`
	}
	return []string{
		`DELETE FROM rollup_places`,
		`INSERT INTO rollup_places (day, unit, category, compound, n)
		SELECT (created_at + 28800000000) / 86400000000, COALESCE(unit, ''), category, compound, COUNT(*)
		FROM orders GROUP BY 1, 2, 3, 4`,
		`DELETE FROM rollup_places_m`,
		`INSERT INTO rollup_places_m (day, unit, category, compound, n)
		SELECT ` + m + `, unit, category, compound, SUM(n) FROM rollup_places GROUP BY 1, 2, 3, 4`,
		`DELETE FROM rollup_created_m`,
		`DELETE FROM rollup_closed_m`,
		`DELETE FROM rollup_rates_m`,
		`DELETE FROM rollup_days`,
		`INSERT INTO rollup_created_m (day, unit, category, type, status, n)
		SELECT ` + m + `, unit, category, type, status, SUM(n) FROM rollup_created GROUP BY 1, 2, 3, 4, 5`,
		`INSERT INTO rollup_closed_m (day, unit, category, type, n)
		SELECT ` + m + `, unit, category, type, SUM(n) FROM rollup_closed GROUP BY 1, 2, 3, 4`,
		`INSERT INTO rollup_rates_m (day, unit, category, type, dispatched, responded, replied, on_time, closed, reopened, callbacks, cb_resolved, cb_satisfied)
		SELECT ` + m + `, unit, category, type, SUM(dispatched), SUM(responded), SUM(replied), SUM(on_time), SUM(closed), SUM(reopened),
		    SUM(callbacks), SUM(cb_resolved), SUM(cb_satisfied)
		FROM rollup_rates GROUP BY 1, 2, 3, 4`,
		`INSERT INTO rollup_days (day, unit, created, closed)
		SELECT day, unit, SUM(c), SUM(x) FROM (
		    SELECT day, unit, n AS c, 0 AS x FROM rollup_created
		    UNION ALL
		    SELECT day, unit, 0, n FROM rollup_closed
		) r GROUP BY day, unit`,
	}
}

// RebuildRollups recomputes every rollup (daily, then monthly and per-day
// totals from the daily ones) from the orders and callbacks in one
// transaction (after a bulk load, or to repair).
func (s *Store) RebuildRollups(ctx context.Context) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, q := range append(slices.Clone(rollupStatements), s.monthStatements()...) {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		return nil
	})
}

// RollupNewOrdersTx counts orders written by another bulk path inside its own
// transaction (each order as stored, with no callbacks yet), so the rollups
// stay exact without a rebuild.
func (s *Store) RollupNewOrdersTx(ctx context.Context, tx *sql.Tx, orders []order.Order) error {
	d := newDelta()
	for i := range orders {
		d.order(&orders[i], 1)
	}
	return s.applyDelta(ctx, tx, d)
}
