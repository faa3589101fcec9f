package store

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"
)

// TestBigDBRollupsEqualScan checks, on a large generated database named by
// HOTLINE_BIG_DB (sqlite:PATH or postgres://…; skipped otherwise), that what
// the dashboards read from the rollups (daily, monthly and per-day totals,
// places) equals a recount from the orders and callbacks themselves, for a
// week, a month and a year ending today, for all units, per unit and one
// unit:
//
//	HOTLINE_BIG_DB=sqlite:/tmp/b/s10m.db go test ./internal/store -run BigDB -v -timeout 2h
func TestBigDBRollupsEqualScan(t *testing.T) {
	s := openBigDB(t, true)
	ctx := context.Background()
	now := time.Now()
	today := DayOf(now)
	for _, p := range [][2]int64{{today - 6, today + 1}, {monthStart(today - 40), monthStart(today)}, {today - 364, today + 1}} {
		from, to := DayStart(p[0]), DayStart(p[1])
		what := DayDate(p[0]) + ".." + DayDate(p[1]-1)
		for _, q := range []struct {
			unit   string
			byUnit bool
		}{{"", false}, {"", true}, {"binyang", false}} {
			t0 := time.Now()
			got, err := s.Metrics(ctx, from, to, now, q.unit, q.byUnit)
			if err != nil {
				t.Fatal(err)
			}
			t1 := time.Now()
			want, err := s.MetricsScan(ctx, from, to, now, q.unit, q.byUnit)
			if err != nil {
				t.Fatal(err)
			}
			if a, b := fmt.Sprint(bigNorm(got)), fmt.Sprint(bigNorm(want)); a != b {
				t.Errorf("%s unit=%q byUnit=%v:\nrollups %s\nscan    %s", what, q.unit, q.byUnit, a, b)
			}
			t.Logf("%s unit=%q byUnit=%v: rollups %v, scan %v", what, q.unit, q.byUnit, t1.Sub(t0).Round(time.Millisecond), time.Since(t1).Round(time.Millisecond))
		}
		// Orders in and closed per day (rollup_days), by compound (rollup_places).
		f := RollupFilter{FromDay: p[0], ToDay: p[1]}
		days, err := s.DayTotals(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		got := map[int64][2]int64{}
		for _, d := range days {
			got[d.Day] = [2]int64{d.In, d.Closed}
		}
		want := map[int64][2]int64{}
		// scan counts orders per Shanghai day of col into want[day][k].
		scan := func(col, cond string, k int) {
			rows, err := s.r.QueryContext(ctx, `SELECT (`+col+` + 28800000000) / 86400000000, COUNT(*) FROM orders WHERE `+
				cond+col+` >= $1 AND `+col+` < $2 GROUP BY 1`, micros(from), micros(to))
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var d, n int64
				if err := rows.Scan(&d, &n); err != nil {
					t.Fatal(err)
				}
				v := want[d]
				v[k] = n
				want[d] = v
			}
		}
		scan("created_at", "", 0)
		scan("closed_at", "status = 'closed' AND ", 1)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s per day:\nrollups %v\nscan    %v", what, got, want)
		}
		df := DashFilter{From: from, To: to}
		cr, err := s.CompoundCounts(ctx, df)
		if err != nil {
			t.Fatal(err)
		}
		df.Located = false
		df.Type = ""
		var args []any
		rows, err := s.r.QueryContext(ctx, `SELECT compound, COUNT(*) FROM orders WHERE `+df.where(&args)+` GROUP BY compound`, args...)
		if err != nil {
			t.Fatal(err)
		}
		cs := map[string]int{}
		for rows.Next() {
			var c string
			var n int
			if err := rows.Scan(&c, &n); err != nil {
				t.Fatal(err)
			}
			cs[c] = n
		}
		rows.Close()
		if fmt.Sprint(cr) != fmt.Sprint(cs) {
			t.Errorf("%s by compound:\nrollups %v\nscan    %v", what, cr, cs)
		}
		t.Logf("%s: per day and by compound checked (%d days)", what, len(want))
	}
}

func bigNorm(m map[string]*MetricCounts) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if v.Orders+v.Dispatched+v.OnTimeDue+v.Callbacks == 0 {
			continue
		}
		out[k] = fmt.Sprintf("%+v", *v)
	}
	return out
}

// TestBigDBPlaceOrders checks, on the database named by HOTLINE_BIG_DB, that
// the trends' read of a period's orders (PlaceOrders: on SQLite each day's
// rows packed in one string) gives exactly the rows of the plain row-by-row
// query, for the last 7 days (all units and one), and the longest period the
// trends allow (92 days), and reports both times.
func TestBigDBPlaceOrders(t *testing.T) {
	s := openBigDB(t, false)
	ctx := context.Background()
	today := DayOf(time.Now())
	for _, f := range []DashFilter{
		{From: DayStart(today - 6), To: DayStart(today + 1)},
		{From: DayStart(today - 6), To: DayStart(today + 1), Unit: "binyang"},
		{From: DayStart(today - 91), To: DayStart(today + 1)},
	} {
		read := func(get func(context.Context, DashFilter, func(int64, string, string, string, time.Time)) error) ([]string, time.Duration) {
			var out []string
			t0 := time.Now()
			if err := get(ctx, f, func(id int64, compound, address, phone string, at time.Time) {
				out = append(out, fmt.Sprintf("%d|%q|%q|%q|%d", id, compound, address, phone, at.UnixMicro()))
			}); err != nil {
				t.Fatal(err)
			}
			d := time.Since(t0)
			slices.Sort(out)
			return out, d
		}
		got, dGot := read(s.PlaceOrders)
		want, dWant := read(s.placeOrderRows)
		if !slices.Equal(got, want) {
			t.Errorf("%s..%s unit=%q: PlaceOrders gave %d rows, the row-by-row query %d, not the same", DayDate(DayOf(f.From)), DayDate(DayOf(f.To)-1), f.Unit, len(got), len(want))
		}
		t.Logf("%s..%s unit=%q: %d orders; PlaceOrders %v, row by row %v (both with building the comparison strings)",
			DayDate(DayOf(f.From)), DayDate(DayOf(f.To)-1), f.Unit, len(got), dGot.Round(time.Millisecond), dWant.Round(time.Millisecond))
	}
}
