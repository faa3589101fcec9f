package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"sync"
	"time"

	"hotline/internal/order"
)

// The read side of the rollups: the dashboards' counts, read from the daily
// and monthly tables the write side keeps (rollup_write.go), plus the few
// reads that must scan orders (a period not on day boundaries, repeat
// callers by place). Nothing here writes.

// dayRange is one part of a period: days [from, to) read from the daily
// tables, or whole months (monthly true, from and to first days of months)
// read from the monthly ones.
type dayRange struct {
	from, to int64
	monthly  bool
}

// splitDays cuts [d0, d1) into leading days, whole months and trailing days,
// so that a long period reads about 30 times fewer rollup rows.
func splitDays(d0, d1 int64, daily bool) []dayRange {
	if d1 <= d0 {
		return []dayRange{{d0, d1, false}}
	}
	m0 := monthStart(d0)
	if m0 < d0 {
		m0 = nextMonth(d0)
	}
	m1 := monthStart(d1)
	if daily || m0 >= m1 {
		return []dayRange{{d0, d1, false}}
	}
	var out []dayRange
	if d0 < m0 {
		out = append(out, dayRange{d0, m0, false})
	}
	out = append(out, dayRange{m0, m1, true})
	if m1 < d1 {
		out = append(out, dayRange{m1, d1, false})
	}
	return out
}

// RollupFilter selects rollup rows: Shanghai days [FromDay, ToDay) and
// optionally one unit, category (a code or a parent's prefix "env.") or type.
// Whole months of the period are read from the monthly tables (whose day is
// the first day of the month) unless Daily is set.
type RollupFilter struct {
	FromDay, ToDay int64
	Unit           string
	Category       string
	Type           string
	NoPraise       bool
	// Daily reads the daily tables only (for grouping by day or by week).
	Daily bool
}

func (f RollupFilter) cond(d0, d1 int64, args *[]any) string {
	arg := func(v any) string {
		*args = append(*args, v)
		return "$" + strconv.Itoa(len(*args))
	}
	w := "day >= " + arg(d0) + " AND day < " + arg(d1)
	if f.Unit != "" {
		w += " AND unit = " + arg(f.Unit)
	}
	if f.Category != "" {
		w += " AND (category = " + arg(f.Category) + " OR category LIKE " + arg(likeEscape(f.Category)+".%") + " ESCAPE '\\')"
	}
	if f.Type != "" {
		w += " AND type = " + arg(f.Type)
	}
	if f.NoPraise {
		w += " AND type <> 'praise'"
	}
	return w
}

// Column lists of the rollup tables, for source.
var (
	createdCols = "day, unit, category, type, status, n"
	closedCols  = "day, unit, category, type, n"
	ratesCols   = "day, unit, category, type, " + strings.Join(rateCols[:], ", ")
)

// source is what a query reads the filter's rows of a rollup from (what
// follows FROM): the daily table with the filter's condition, or, for a
// period holding whole months, the union of the leading days, the months
// (from table_m) and the trailing days. extra is appended to each condition.
func (f RollupFilter) source(table, cols, extra string, args *[]any) string {
	parts := splitDays(f.FromDay, f.ToDay, f.Daily)
	if len(parts) == 1 && !parts[0].monthly {
		return table + " WHERE " + f.cond(parts[0].from, parts[0].to, args) + extra
	}
	qs := make([]string, len(parts))
	for i, p := range parts {
		t := table
		if p.monthly {
			t += "_m"
		}
		qs[i] = "SELECT " + cols + " FROM " + t + " WHERE " + f.cond(p.from, p.to, args) + extra
	}
	return "(" + strings.Join(qs, " UNION ALL ") + ") r"
}

// Dimensions a rollup can be grouped by.
var rollupDims = map[string]string{"": "''", "day": "day", "unit": "unit", "category": "category", "type": "type", "status": "status"}

// Count is one group of a rollup count.
type Count struct {
	Key string
	Day int64
	N   int64
}

// CreatedCounts counts orders created in the filter's days, grouped by dim
// ("", day, unit, category, type or status).
func (s *Store) CreatedCounts(ctx context.Context, f RollupFilter, dim string) ([]Count, error) {
	return s.counts(ctx, "rollup_created", createdCols, f, dim)
}

// ClosedCounts counts orders closed in the filter's days (status closed).
func (s *Store) ClosedCounts(ctx context.Context, f RollupFilter, dim string) ([]Count, error) {
	if dim == "status" {
		dim = ""
	}
	return s.counts(ctx, "rollup_closed", closedCols, f, dim)
}

func (s *Store) counts(ctx context.Context, table, cols string, f RollupFilter, dim string) ([]Count, error) {
	col, ok := rollupDims[dim]
	if !ok {
		col = "''"
	}
	if dim == "day" {
		f.Daily = true
	}
	var args []any
	q := `SELECT ` + col + `, COALESCE(SUM(n), 0) FROM ` + f.source(table, cols, "", &args)
	if dim != "" {
		q += ` GROUP BY ` + col
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []Count
	for rows.Next() {
		var c Count
		var k any
		if err := rows.Scan(&k, &c.N); err != nil {
			return nil, mapErr(err)
		}
		switch v := k.(type) {
		case int64:
			c.Day, c.Key = v, DayDate(v)
		case []byte:
			c.Key = string(v)
		case string:
			c.Key = v
		}
		if c.N != 0 || dim == "" {
			out = append(out, c)
		}
	}
	return out, mapErr(rows.Err())
}

// RateCounts returns the rate counters grouped by dim ("", unit, category,
// type or day), with OnTimeDue including the unreplied orders whose due is
// before now. Keys are as in Count.
func (s *Store) RateCounts(ctx context.Context, f RollupFilter, dim string, now time.Time) (map[string]*MetricCounts, error) {
	col, ok := rollupDims[dim]
	if !ok || dim == "status" {
		col, dim = "''", ""
	}
	if dim == "day" {
		f.Daily = true
	}
	var args []any
	sums := make([]string, rN)
	for i, c := range rateCols {
		sums[i] = "COALESCE(SUM(" + c + "), 0)"
	}
	q := `SELECT ` + col + `, ` + strings.Join(sums, ", ") + ` FROM ` + f.source("rollup_rates", ratesCols, "", &args)
	if dim != "" {
		q += ` GROUP BY ` + col
	}
	out := map[string]*MetricCounts{}
	get := func(k string) *MetricCounts {
		m := out[k]
		if m == nil {
			m = &MetricCounts{Unit: k, ByStatus: map[order.Status]int{}}
			out[k] = m
		}
		return m
	}
	keyOf := func(k any) string {
		switch v := k.(type) {
		case int64:
			return DayDate(v)
		case []byte:
			return string(v)
		case string:
			return v
		}
		return ""
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	for rows.Next() {
		var k any
		var v [rN]int64
		if err := rows.Scan(&k, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8]); err != nil {
			rows.Close()
			return nil, mapErr(err)
		}
		m := get(keyOf(k))
		m.Dispatched += int(v[rDispatched])
		m.ResponseDue += int(v[rDispatched])
		m.Responded += int(v[rResponded])
		m.OnTimeDue += int(v[rReplied])
		m.OnTime += int(v[rOnTime])
		m.Closed += int(v[rClosed])
		m.ClosedReopened += int(v[rReopened])
		m.Callbacks += int(v[rCallbacks])
		m.CallbacksSolved += int(v[rCbResolved])
		m.CallbacksHappy += int(v[rCbSatisfied])
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, mapErr(err)
	}

	// The time-dependent terms, over counted orders dispatched in the period
	// and not replied in their current round (orders_unreplied): those whose
	// due has passed join the on-time denominator; those not yet contacted
	// whose contact_due is still ahead leave the response denominator (a
	// contact can only come before the reply, so every such order is here).
	lcol := map[string]string{"": "''", "unit": "COALESCE(unit, '')", "category": "category", "type": "type",
		"day": "((dispatched_at + 28800000000) / 86400000000)"}[dim]
	largs := []any{micros(DayStart(f.FromDay)), micros(DayStart(f.ToDay)), micros(now)}
	lq := `SELECT ` + lcol + `, COALESCE(SUM(CASE WHEN due < $3 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN contacted_at IS NULL AND contact_due >= $3 THEN 1 ELSE 0 END), 0)
		FROM orders WHERE replied_at IS NULL AND due IS NOT NULL AND type <> 'praise' AND status NOT IN ('invalid', 'merged', 'answered')
		AND dispatched_at >= $1 AND dispatched_at < $2`
	if f.Unit != "" {
		// An expression, so that the planner stays on orders_unreplied
		// rather than walking a unit's whole history by a unit index.
		largs = append(largs, f.Unit)
		lq += ` AND COALESCE(unit, '') = $` + strconv.Itoa(len(largs))
	}
	if f.Category != "" {
		largs = append(largs, f.Category, likeEscape(f.Category)+".%")
		lq += ` AND (category = $` + strconv.Itoa(len(largs)-1) + ` OR category LIKE $` + strconv.Itoa(len(largs)) + ` ESCAPE '\')`
	}
	if f.Type != "" {
		largs = append(largs, f.Type)
		lq += ` AND type = $` + strconv.Itoa(len(largs))
	}
	if dim != "" {
		lq += ` GROUP BY ` + lcol
	}
	rows, err = s.r.QueryContext(ctx, lq, largs...)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k any
		var late, ahead int
		if err := rows.Scan(&k, &late, &ahead); err != nil {
			return nil, mapErr(err)
		}
		m := get(keyOf(k))
		m.OnTimeDue += late
		m.ResponseDue -= ahead
	}
	return out, mapErr(rows.Err())
}

// Metrics computes the counts behind the rates for orders dispatched in
// [from, to), per unit when byUnit, else for all (or one unit). It reads the
// rollups when from and to are Shanghai midnights (as Period gives), and
// falls back to the scan otherwise; both give the same figures.
func (s *Store) Metrics(ctx context.Context, from, to, now time.Time, unit string, byUnit bool) (map[string]*MetricCounts, error) {
	d0, ok0 := exactDay(from)
	d1, ok1 := exactDay(to)
	if !ok0 || !ok1 {
		return s.MetricsScan(ctx, from, to, now, unit, byUnit)
	}
	f := RollupFilter{FromDay: d0, ToDay: d1, Unit: unit}
	dim := ""
	if byUnit {
		dim = "unit"
	}
	out, err := s.RateCounts(ctx, f, dim, now)
	if err != nil {
		return nil, err
	}
	if !byUnit {
		m := out[""]
		if m == nil {
			m = &MetricCounts{ByStatus: map[order.Status]int{}}
		}
		m.Unit = unit
		out = map[string]*MetricCounts{unit: m}
	}
	var args []any
	src := f.source("rollup_created", createdCols, "", &args)
	q := `SELECT unit, status, COALESCE(SUM(n), 0) FROM ` + src + ` GROUP BY unit, status`
	if !byUnit {
		q = `SELECT '', status, COALESCE(SUM(n), 0) FROM ` + src + ` GROUP BY status`
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var u, st string
		var n int
		if err := rows.Scan(&u, &st, &n); err != nil {
			return nil, mapErr(err)
		}
		if n == 0 {
			continue
		}
		if !byUnit {
			u = unit
		}
		m := out[u]
		if m == nil {
			m = &MetricCounts{Unit: u, ByStatus: map[order.Status]int{}}
			out[u] = m
		}
		m.ByStatus[order.Status(st)] += n
		m.Orders += n
	}
	return out, mapErr(rows.Err())
}

// OverdueNow counts open orders overdue at now (Order.Overdue), optionally
// of one unit, through the covering partial index orders_open_deadlines.
func (s *Store) OverdueNow(ctx context.Context, now time.Time, unit string) (int, error) {
	args := []any{micros(now)}
	q := `SELECT COUNT(*) FROM orders WHERE status IN ('dispatched', 'accepted', 'in_progress', 'return_requested') AND ` +
		strings.ReplaceAll(overdueSQL, "$N", "$1")
	if unit != "" {
		args = append(args, unit)
		q += ` AND unit = $2`
	}
	var n int
	err := s.r.QueryRowContext(ctx, q, args...).Scan(&n)
	return n, mapErr(err)
}

// DashOrder is the little the trends, the map and the praise board read of
// an order.
type DashOrder struct {
	ID, Number, Type, Status string
	Category, Unit           string
	Compound, Address, Phone string
	Title                    string
	Lat, Lng                 *float64
	CreatedAt                time.Time
}

// DashFilter selects orders created in [From, To).
type DashFilter struct {
	From, To time.Time
	Unit     string
	Category string
	Type     string
	// Limit caps the rows (newest first) when > 0.
	Limit int
	// Text also reads the title and description (for the praise board).
	Text bool
	// Located keeps orders with a position or a compound (for the map).
	Located bool
}

func (f DashFilter) where(args *[]any) string {
	*args = append(*args, micros(f.From), micros(f.To))
	arg := func(v any) string { *args = append(*args, v); return "$" + strconv.Itoa(len(*args)) }
	q := `created_at >= $1 AND created_at < $2`
	if f.Type != "" {
		q += ` AND type = ` + arg(f.Type)
	}
	if f.Unit != "" {
		// An expression, so that the planner walks the period's range of
		// created_at instead of the unit's whole history by orders_unit_id.
		q += ` AND COALESCE(unit, '') = ` + arg(f.Unit)
	}
	if f.Category != "" {
		q += ` AND (category = ` + arg(f.Category) + ` OR category LIKE ` + arg(likeEscape(f.Category)+".%") + ` ESCAPE '\')`
	}
	if f.Located {
		q += ` AND (lat IS NOT NULL OR compound <> '')`
	}
	return q
}

// PlaceOrders calls fn for each order created in the period with what repeat
// callers and places need: on SQLite from the covering index
// orders_created_place, on PostgreSQL through orders_created from the table
// (migration 0013).
func (s *Store) PlaceOrders(ctx context.Context, f DashFilter, fn func(id int64, compound, address, phone string, created time.Time)) error {
	if s.Dialect != SQLite {
		return s.placeOrderRows(ctx, f, fn)
	}
	// SQLite (modernc) costs about 1.5 µs per row and column read through
	// database/sql — each column is a locked call into the translated C
	// library and a new Go string — which made a city's week (≈ 64,000
	// orders at 10 million) about 100 ms. So each day's rows come packed in
	// one string, fields and rows joined by the control characters US and RS,
	// and are split here: about half the time. Two days are read at once, on
	// two reader connections. A text holding a separator would make the
	// packing ambiguous; the row count read with it shows that, and such a
	// day is read row by row instead.
	var days []DashFilter
	for from := f.From; from.Before(f.To); {
		to := from.Add(24 * time.Hour)
		if to.After(f.To) {
			to = f.To
		}
		day := f
		day.From, day.To = from, to
		days = append(days, day)
		from = to
	}
	type dayRows struct {
		rows []placeRow
		ok   bool
		err  error
	}
	for i := 0; i < len(days); i += 2 {
		part := days[i:min(i+2, len(days))]
		got := make([]dayRows, len(part))
		var wg sync.WaitGroup
		for j := range part {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var args []any
				var n int
				var packed string
				err := s.r.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(group_concat(id || char(31) || created_at || char(31) || caller_phone
					|| char(31) || compound || char(31) || address, char(30)), '') FROM orders WHERE `+part[j].where(&args), args...).Scan(&n, &packed)
				if err != nil {
					got[j].err = mapErr(err)
					return
				}
				got[j].rows, got[j].ok = parsePlaceRows(n, packed)
			}()
		}
		wg.Wait()
		for j, d := range got {
			if d.err != nil {
				return d.err
			}
			if !d.ok {
				if err := s.placeOrderRows(ctx, part[j], fn); err != nil {
					return err
				}
				continue
			}
			for _, r := range d.rows {
				fn(r.id, r.compound, r.address, r.phone, fromMicros(r.at))
			}
		}
	}
	return nil
}

// placeRow is one order as PlaceOrders packs it.
type placeRow struct {
	id, at                   int64
	phone, compound, address string
}

// unpackPlaceRows calls fn for each of the n rows packed by PlaceOrders, or
// for none and reports false when they are not n rows of five fields.
func unpackPlaceRows(n int, packed string, fn func(id int64, compound, address, phone string, created time.Time)) bool {
	rows, ok := parsePlaceRows(n, packed)
	for _, r := range rows {
		fn(r.id, r.compound, r.address, r.phone, fromMicros(r.at))
	}
	return ok
}

// parsePlaceRows splits the n rows packed by PlaceOrders. It checks the
// whole string and reports false, with no rows, when it is not n rows of
// five fields (a separator inside a text).
func parsePlaceRows(n int, packed string) ([]placeRow, bool) {
	if n == 0 {
		return nil, packed == ""
	}
	if strings.Count(packed, "\x1e") != n-1 || strings.Count(packed, "\x1f") != 4*n {
		return nil, false
	}
	rows := make([]placeRow, 0, n)
	for rest := packed; ; {
		rec, next, more := strings.Cut(rest, "\x1e")
		var f [5]string
		for i := 0; i < 4; i++ {
			f[i], rec, _ = strings.Cut(rec, "\x1f")
		}
		f[4] = rec
		if strings.Contains(f[4], "\x1f") {
			return nil, false
		}
		id, err1 := strconv.ParseInt(f[0], 10, 64)
		at, err2 := strconv.ParseInt(f[1], 10, 64)
		if err1 != nil || err2 != nil {
			return nil, false
		}
		rows = append(rows, placeRow{id, at, f[2], f[3], f[4]})
		if !more {
			break
		}
		rest = next
	}
	if len(rows) != n {
		return nil, false
	}
	return rows, true
}

// placeOrderRows is PlaceOrders row by row.
func (s *Store) placeOrderRows(ctx context.Context, f DashFilter, fn func(id int64, compound, address, phone string, created time.Time)) error {
	var args []any
	rows, err := s.r.QueryContext(ctx, `SELECT id, compound, address, caller_phone, created_at FROM orders WHERE `+f.where(&args), args...)
	if err != nil {
		return mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, at int64
		var c, a, p string
		if err := rows.Scan(&id, &c, &a, &p, &at); err != nil {
			return mapErr(err)
		}
		fn(id, c, a, p, fromMicros(at))
	}
	return mapErr(rows.Err())
}

// CompoundCounts counts the orders created in the period by compound ("" for
// none): from rollup_places (whole months from rollup_places_m) when the
// period is whole Shanghai days and only unit and category filter, else from
// orders_created_place (SQLite) or orders_created (PostgreSQL).
func (s *Store) CompoundCounts(ctx context.Context, f DashFilter) (map[string]int, error) {
	var args []any
	q := `SELECT compound, COUNT(*) FROM orders WHERE ` + f.where(&args) + ` GROUP BY compound`
	d0, ok0 := exactDay(f.From)
	d1, ok1 := exactDay(f.To)
	if ok0 && ok1 && f.Type == "" && !f.Located {
		args = nil
		rf := RollupFilter{FromDay: d0, ToDay: d1, Unit: f.Unit, Category: f.Category}
		q = `SELECT compound, COALESCE(SUM(n), 0) FROM ` + rf.source("rollup_places", "day, unit, category, compound, n", "", &args) + ` GROUP BY compound`
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var c string
		var n int
		if err := rows.Scan(&c, &n); err != nil {
			return nil, mapErr(err)
		}
		if n != 0 {
			out[c] = n
		}
	}
	return out, mapErr(rows.Err())
}

// DashOrders calls fn for each order created in the filter's period.
func (s *Store) DashOrders(ctx context.Context, f DashFilter, fn func(DashOrder) error) error {
	var args []any
	w := f.where(&args)
	text := "''"
	if f.Text {
		text = "title || ' ' || description"
	}
	q := `SELECT id, number, type, status, category, COALESCE(unit, ''), compound, address, caller_phone, ` + text + `, lat, lng, created_at
		FROM orders WHERE ` + w
	if f.Limit > 0 {
		// Pick the newest ids from an index alone, then read those rows.
		q = `SELECT id, number, type, status, category, COALESCE(unit, ''), compound, address, caller_phone, ` + text + `, lat, lng, created_at
			FROM orders WHERE id IN (SELECT id FROM orders WHERE ` + w + ` ORDER BY created_at DESC LIMIT ` + strconv.Itoa(f.Limit) + `)
			ORDER BY created_at DESC`
	}
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return mapErr(err)
	}
	defer rows.Close()
	for rows.Next() {
		var o DashOrder
		var id, created int64
		var lat, lng sql.NullFloat64
		if err := rows.Scan(&id, &o.Number, &o.Type, &o.Status, &o.Category, &o.Unit, &o.Compound, &o.Address, &o.Phone, &o.Title, &lat, &lng, &created); err != nil {
			return mapErr(err)
		}
		o.ID = strconv.FormatInt(id, 10)
		o.CreatedAt = fromMicros(created)
		o.Lat, o.Lng = nullFloat(lat), nullFloat(lng)
		if err := fn(o); err != nil {
			return err
		}
	}
	return mapErr(rows.Err())
}

// CreatedUnitDays counts orders created in the filter's days by unit (Key)
// and day; a whole month of the period comes as one row on its first day
// (unless f.Daily), so the caller may group by month, not by day.
func (s *Store) CreatedUnitDays(ctx context.Context, f RollupFilter) ([]Count, error) {
	return s.createdByDay(ctx, f, "unit")
}

// CreatedCategoryDays counts orders created in the filter's days by category
// (Key) and day, summed in the database (the trends' weekly categories).
func (s *Store) CreatedCategoryDays(ctx context.Context, f RollupFilter) ([]Count, error) {
	return s.createdByDay(ctx, f, "category")
}

// createdByDay sums rollup_created over the filter's days by col and day.
func (s *Store) createdByDay(ctx context.Context, f RollupFilter, col string) ([]Count, error) {
	var args []any
	q := `SELECT ` + col + `, day, SUM(n) FROM ` + f.source("rollup_created", createdCols, "", &args) +
		` GROUP BY ` + col + `, day HAVING SUM(n) <> 0`
	return collect(ctx, s.r, q, args, func(r rowScanner) (Count, error) {
		var c Count
		return c, r.Scan(&c.Key, &c.Day, &c.N)
	})
}

// CreatedRow is one row of rollup_created.
type CreatedRow struct {
	Day                          int64
	Unit, Category, Type, Status string
	N                            int64
}

// DayTotal is what one day of a period holds: orders created and closed.
type DayTotal struct {
	Day        int64
	In, Closed int64
}

// DayTotals returns the orders created and closed on each day of the
// filter's period that has any (f.Unit is the only other condition used),
// from rollup_days: a dozen rows a day at most.
func (s *Store) DayTotals(ctx context.Context, f RollupFilter) ([]DayTotal, error) {
	args := []any{f.FromDay, f.ToDay}
	q := `SELECT day, SUM(created), SUM(closed) FROM rollup_days WHERE day >= $1 AND day < $2`
	if f.Unit != "" {
		args = append(args, f.Unit)
		q += ` AND unit = $3`
	}
	q += ` GROUP BY day HAVING SUM(created) <> 0 OR SUM(closed) <> 0`
	return collect(ctx, s.r, q, args, func(r rowScanner) (DayTotal, error) {
		var t DayTotal
		return t, r.Scan(&t.Day, &t.In, &t.Closed)
	})
}

// CreatedGroups returns the orders created in the filter's days summed by
// unit, category, type and status (Day is 0): the overview's breakdowns, at
// most one row per key whatever the length of the period.
func (s *Store) CreatedGroups(ctx context.Context, f RollupFilter) ([]CreatedRow, error) {
	var args []any
	q := `SELECT unit, category, type, status, SUM(n) FROM ` + f.source("rollup_created", createdCols, " AND n <> 0", &args) +
		` GROUP BY unit, category, type, status HAVING SUM(n) <> 0`
	return collect(ctx, s.r, q, args, func(r rowScanner) (CreatedRow, error) {
		var c CreatedRow
		return c, r.Scan(&c.Unit, &c.Category, &c.Type, &c.Status, &c.N)
	})
}
