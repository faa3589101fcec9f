package demo_test

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"hotline/internal/app"
	"hotline/internal/calendar"
	"hotline/internal/demo"
	"hotline/internal/gen"
	"hotline/internal/intel"
	"hotline/internal/order"
	"hotline/internal/service"
	"hotline/internal/testenv"
)

// TestDemoHistory starts the app as serve --demo does (DemoHistory) on
// SQLite and PostgreSQL and checks the year it holds: orders in every month
// of the last eleven, every final status, the typhoon week's burst of
// floods, a non-empty report for last week, past cases for a hand-written
// order, the hand-written orders on top, rollups that count what the
// orders say, and hash chains that verify.
func TestDemoHistory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes the demo's 20,000 orders")
	}
	testenv.ForEachDB(t, func(t *testing.T, dbURL string) {
		// Its own server and database: SQLite's run computes while
		// PostgreSQL's waits on the database server (issue 13).
		t.Parallel()
		ctx := context.Background()
		start := time.Now()
		m, err := app.New(ctx, app.Config{Addr: "127.0.0.1:0", DB: dbURL, Demo: true, DemoHistory: demo.HistoryOrders, Intel: intel.New(), Sweep: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		defer m.Store.Close()
		t.Logf("app.New with the demo's year: %v", time.Since(start))
		svc := m.Svc
		leader := order.Actor{Username: "leader", Role: order.RoleLeader, Unit: "center"}
		now := time.Now().In(calendar.Shanghai)
		from, to := now.AddDate(-1, 0, -1).Format("2006-01-02"), now.Format("2006-01-02")

		total, err := m.Store.CountOrders(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if total < demo.HistoryOrders {
			t.Fatalf("%d orders, want the history's %d and the hand-written ones", total, demo.HistoryOrders)
		}
		ov, err := m.Dash.Overview(ctx, leader, from, to, "")
		if err != nil {
			t.Fatal(err)
		}
		// The dashboards read rollups: they must count every order written.
		if ov.OrdersIn != int64(total) {
			t.Errorf("the year's rollups count %d orders in, the table holds %d", ov.OrdersIn, total)
		}
		months := map[string]int64{}
		perDay := map[string]int64{}
		for _, d := range ov.PerDay {
			months[d.Date[:7]] += d.In
			perDay[d.Date] = d.In
		}
		busy := 0
		for _, n := range months {
			if n >= 500 {
				busy++
			}
		}
		if busy < 11 {
			t.Errorf("only %d months with 500 orders or more: %v", busy, months)
		}
		for _, s := range []order.Status{order.Closed, order.Answered, order.Invalid, order.Merged, order.InProgress, order.Dispatched} {
			if ov.ByStatus[s] == 0 {
				t.Errorf("no %s order in the year: %v", s, ov.ByStatus)
			}
		}
		if ov.Samples.Callbacks < 5000 || ov.Rates.Satisfaction == nil || *ov.Rates.Satisfaction < 0.6 || *ov.Rates.Satisfaction > 0.98 {
			t.Errorf("callbacks %d, satisfaction %v: not a year's worth", ov.Samples.Callbacks, ov.Rates.Satisfaction)
		}

		// The typhoon's three days are each more than twice as busy as the
		// usual day of that summer.
		ty := gen.TyphoonWeek(time.Now())
		var summer []int64
		for d := ty.AddDate(0, 0, -28); d.Before(ty.AddDate(0, 0, 35)); d = d.AddDate(0, 0, 1) {
			if d.Sub(ty) < 0 || d.Sub(ty) >= 7*24*time.Hour {
				summer = append(summer, perDay[d.Format("2006-01-02")])
			}
		}
		slices.Sort(summer)
		median := summer[len(summer)/2]
		for i := range 3 {
			day := ty.AddDate(0, 0, i).Format("2006-01-02")
			if perDay[day] < 2*median {
				t.Errorf("typhoon day %s: %d orders, the summer's median day %d", day, perDay[day], median)
			}
		}
		floods, _, err := svc.ListOrders(ctx, leader, service.ListQuery{Category: "community.flooding", From: &ty, To: ptr(ty.AddDate(0, 0, 3)), Limit: 200})
		if err != nil || len(floods) < 100 {
			t.Errorf("the typhoon's flooding orders: %d (%v)", len(floods), err)
		}

		// Last week's report has last week's orders.
		b, err := m.Dash.WeeklyReport(ctx, leader, "")
		if err != nil || len(b.Sheets) == 0 {
			t.Fatalf("last week's report: %v", err)
		}
		lw := now.AddDate(0, 0, -7)
		wk, err := m.Dash.Overview(ctx, leader, lw.AddDate(0, 0, -int((lw.Weekday()+6)%7)).Format("2006-01-02"), lw.AddDate(0, 0, 6-int((lw.Weekday()+6)%7)).Format("2006-01-02"), "")
		if err != nil || wk.OrdersIn < 150 || wk.Rates.Satisfaction == nil {
			t.Errorf("last week: %d orders in, satisfaction %v (%v)", wk.OrdersIn, wk.Rates.Satisfaction, err)
		}

		// The hand-written orders are the newest; the first of them (night
		// construction noise at 三江小区) has closed cases like it.
		newest, _, err := svc.ListOrders(ctx, leader, service.ListQuery{Limit: 40})
		if err != nil {
			t.Fatal(err)
		}
		var noise string
		for _, v := range newest[:19] { // the 19 hand-written orders
			if id, _ := strconv.Atoi(v.ID); id <= demo.HistoryOrders {
				t.Errorf("a history order among the newest: %s %s", v.Number, v.Title)
			}
			if v.Title == "夜间施工噪音扰民" && v.Compound == "sanjiang" {
				noise = v.ID
			}
		}
		if noise == "" {
			t.Fatalf("the hand-written noise order is not among the newest")
		}
		cases, err := svc.PastCases(ctx, leader, noise, 5)
		if err != nil || len(cases) == 0 {
			t.Fatalf("past cases of the hand-written noise order: %v %v", cases, err)
		}
		for _, c := range cases {
			if c.Reply == "" {
				t.Errorf("past case %s has no reply", c.Number)
			}
		}
		hs, err := svc.Hotspots(ctx, leader, 10)
		if err != nil || len(hs) == 0 {
			t.Errorf("no hotspot in the demo: %v", err)
		}

		n, brk, err := m.Store.VerifyChains(ctx)
		if err != nil || brk != nil || n < total {
			t.Fatalf("verify: %d orders, break %+v, %v", n, brk, err)
		}
	})
}

func ptr[T any](v T) *T { return &v }
