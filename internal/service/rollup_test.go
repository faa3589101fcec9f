package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hotline/internal/gen"
	"hotline/internal/order"
	"hotline/internal/org"
	"hotline/internal/place"
	"hotline/internal/service"
	"hotline/internal/stats"
	"hotline/internal/store"
	"hotline/internal/testenv"
	"hotline/internal/textproc"
)

// bruteOrder is an order as its timeline tells it.
type bruteOrder struct {
	typ, category string
	status        order.Status
	unit          string
	created       time.Time
	dispatched    *time.Time
	contacted     *time.Time
	replied       *time.Time
	closed        *time.Time
	reopened      bool
	contactDue    *time.Time
	due           *time.Time
	callbacks     []bruteCallback
}

type bruteCallback struct {
	unit, outcome string
	resolved      bool
}

// replay reads an order's story from its events: the status, the unit holding
// it after each event, the first dispatch, the first contact and reply after
// the last (re)dispatch or reopen, the close, the reopens and the callbacks
// with the unit holding the order when each was made. Only the type, the
// category and the current round's deadlines are taken from the order row
// (deadlines are computed from the calendar, not written in the events).
func replay(t *testing.T, o order.Order, evs []order.Event) bruteOrder {
	t.Helper()
	b := bruteOrder{typ: string(o.Type), category: o.Category, contactDue: o.ContactDue, due: o.Due}
	ptr := func(x time.Time) *time.Time { return &x }
	for i, e := range evs {
		if i == 0 {
			b.created = e.At
		}
		switch order.Action(e.Action) {
		case order.ActDispatch, order.ActRedispatch, order.ActReopen:
			if u, ok := e.Body["unit"].(string); ok {
				b.unit = u
			}
			if e.Action != string(order.ActReopen) && b.dispatched == nil {
				b.dispatched = ptr(e.At)
			}
			if e.Action == string(order.ActReopen) {
				b.reopened = true
			}
			b.contacted, b.replied = nil, nil
		case order.ActApproveReturn:
			b.unit = ""
		case order.ActContact:
			if b.contacted == nil {
				b.contacted = ptr(e.At)
			}
		case order.ActReply:
			if b.replied == nil {
				b.replied = ptr(e.At)
			}
		case order.ActCallback:
			res, _ := e.Body["resolved"].(bool)
			out, _ := e.Body["outcome"].(string)
			b.callbacks = append(b.callbacks, bruteCallback{unit: b.unit, outcome: out, resolved: res})
		}
		if e.To == order.Closed && e.From != order.Closed {
			b.closed = ptr(e.At)
		}
		b.status = e.To
	}
	if b.unit != o.Unit || b.status != o.Status {
		t.Fatalf("order %s: replay gives unit %q status %s, the row %q %s", o.ID, b.unit, b.status, o.Unit, o.Status)
	}
	return b
}

// bruteMetrics computes workflow.md's counts from the replayed orders: the
// reference for the rollups.
func bruteMetrics(orders []bruteOrder, from, to, now time.Time, unit string, byUnit bool) map[string]*store.MetricCounts {
	out := map[string]*store.MetricCounts{}
	get := func(u string) *store.MetricCounts {
		if !byUnit {
			u = unit
		}
		if out[u] == nil {
			out[u] = &store.MetricCounts{Unit: u, ByStatus: map[order.Status]int{}}
		}
		return out[u]
	}
	in := func(t time.Time) bool { return !t.Before(from) && t.Before(to) }
	mine := func(u string) bool { return unit == "" || u == unit }
	le := func(a, b *time.Time) bool { return a != nil && b != nil && !a.After(*b) }
	for _, o := range orders {
		if in(o.created) && mine(o.unit) {
			m := get(o.unit)
			m.Orders++
			m.ByStatus[o.status]++
		}
		if o.typ == "praise" || o.status == order.Invalid || o.status == order.Merged || o.status == order.Answered || o.dispatched == nil || !in(*o.dispatched) {
			continue
		}
		if mine(o.unit) {
			m := get(o.unit)
			m.Dispatched++
			// Issue 18: the response rate counts an order once it was
			// contacted or its contact deadline has passed.
			if o.contacted != nil || o.contactDue == nil || o.contactDue.Before(now) {
				m.ResponseDue++
			}
			if le(o.contacted, o.contactDue) {
				m.Responded++
			}
			if o.replied != nil || (o.due != nil && o.due.Before(now)) {
				m.OnTimeDue++
			}
			if le(o.replied, o.due) {
				m.OnTime++
			}
			if o.status == order.Closed {
				m.Closed++
				if o.reopened {
					m.ClosedReopened++
				}
			}
		}
		for _, c := range o.callbacks {
			if !mine(c.unit) {
				continue
			}
			m := get(c.unit)
			if c.outcome != "unreachable" {
				m.Callbacks++
				if c.resolved {
					m.CallbacksSolved++
				}
			}
			if c.outcome == "satisfied" || c.outcome == "basically_satisfied" {
				m.CallbacksHappy++
			}
		}
	}
	return out
}

func normalize(m map[string]*store.MetricCounts) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		c := *v
		st := ""
		for _, s := range order.Statuses {
			if c.ByStatus[s] != 0 {
				st += fmt.Sprintf("%s=%d ", s, c.ByStatus[s])
			}
		}
		c.ByStatus = nil
		c.Unit = ""
		s := fmt.Sprintf("%+v", c)
		c.ByStatus = map[order.Status]int{}
		if s == fmt.Sprintf("%+v", store.MetricCounts{}) && st == "" {
			continue
		}
		out[k] = s + " " + st
	}
	return out
}

// randomLifecycles creates n orders and walks them through random allowed
// actions by random actors (every action of the machine, including
// redispatch, returns, extensions, merges, reopens and callbacks), with the
// clock moving forward so that deadlines are met and missed.
func randomLifecycles(t *testing.T, svc *service.Service, clk *clock, n int, seed uint64) {
	t.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 7))
	for _, c := range []string{"env.noise", "env.dust", "city.light", "housing.leak"} {
		if err := service.StoreOf(svc).PutCategory(ctx, org.Category{Code: c, Name: c, Attributes: []byte("[]"), Active: true}); err != nil {
			t.Fatal(err)
		}
	}
	if err := svc.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	clk.Set(time.Date(2026, 1, 5, 1, 0, 0, 0, time.UTC))
	walk(t, svc, clk, n, n*9, nil, rng)
}

// randomActions takes steps random actions on the orders already there.
func randomActions(t *testing.T, svc *service.Service, clk *clock, steps int, seed uint64) {
	t.Helper()
	ids, err := allOrderIDs(service.StoreOf(svc))
	if err != nil {
		t.Fatal(err)
	}
	walk(t, svc, clk, len(ids), steps, ids, rand.New(rand.NewPCG(seed, 7)))
}

func walk(t *testing.T, svc *service.Service, clk *clock, n, steps int, ids []string, rng *rand.Rand) {
	t.Helper()
	ctx := context.Background()
	units := []string{"binyang", "cityops", "housing"}
	cats := []string{"env.noise", "env.dust", "city.light", "housing.leak", ""}
	types := []order.Type{order.Complaint, order.Complaint, order.Help, order.Report, order.Suggestion, order.Consultation, order.Praise}
	now := clk.Now()
	yes, no := true, false
	for step := 0; step < steps; step++ {
		now = now.Add(time.Duration(rng.IntN(3*3600)) * time.Second)
		clk.Set(now)
		if len(ids) < n && (len(ids) == 0 || rng.IntN(9) == 0) {
			urg := order.Normal
			if rng.IntN(10) == 0 {
				urg = order.Urgent
			}
			v, err := svc.CreateOrder(ctx, operator, order.NewOrder{Type: types[rng.IntN(len(types))], Source: order.SourceHotline, Urgency: urg,
				Title: "工单" + strconv.Itoa(len(ids)), Description: "描述", Category: cats[rng.IntN(len(cats))],
				Caller: &order.Caller{Name: "张", Phone: "1380000" + strconv.Itoa(1000+rng.IntN(50))}})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, v.ID)
			continue
		}
		id := ids[rng.IntN(len(ids))]
		cur, err := service.StoreOf(svc).GetOrder(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		actors := []order.Actor{operator, dispatcher, leader}
		if cur.Unit != "" {
			actors = append(actors, handler(cur.Unit), handler(cur.Unit))
		}
		a := actors[rng.IntN(len(actors))]
		allowed := order.Allowed(&cur, a)
		// Mostly the usual next step, so that lifecycles get far.
		if next, ok := usual[cur.Status]; ok && rng.IntN(4) != 0 {
			for _, b := range actors {
				if order.Check(&cur, b, next) == nil {
					a, allowed = b, []order.Action{next}
					break
				}
			}
		}
		allowed = slices.DeleteFunc(allowed, func(x order.Action) bool {
			return x == order.ActNote || x == order.ActUrge || x == order.ActSupervise || (x == order.ActMerge && rng.IntN(4) != 0) ||
				(x == order.ActInvalidate && rng.IntN(3) != 0)
		})
		if len(allowed) == 0 {
			continue
		}
		act := allowed[rng.IntN(len(allowed))]
		unit := units[rng.IntN(len(units))]
		if act == order.ActRedispatch && unit == cur.Unit {
			unit = units[(slices.Index(units, unit)+1)%len(units)]
		}
		res := []string{"resolved", "partly_resolved", "unresolved", "explained"}[rng.IntN(4)]
		outcome := []string{"satisfied", "basically_satisfied", "dissatisfied", "dissatisfied", "unreachable"}[rng.IntN(5)]
		resolved := &no
		if rng.IntN(2) == 0 {
			resolved = &yes
		}
		in := order.Input{Version: &cur.Version, Unit: unit, Note: "备注", Reason: "原因", Text: "答复内容", Result: res, Outcome: outcome,
			Resolved: resolved, Days: 1 + rng.IntN(3), Reply: "已答复", Into: ids[rng.IntN(len(ids))]}
		_, _ = svc.Act(ctx, a, id, act, in) // refusals (a merge into a closed order, …) change nothing
	}
	clk.Set(now.Add(time.Duration(rng.IntN(5*24)) * time.Hour))
}

// usual is the common next step of each state.
var usual = map[order.Status]order.Action{order.Received: order.ActDispatch, order.Dispatched: order.ActAccept,
	order.Accepted: order.ActContact, order.InProgress: order.ActReply, order.Replied: order.ActApproveReply,
	order.Reviewed: order.ActCallback, order.Returned: order.ActDispatch}

func TestRollupsEqualBruteForce(t *testing.T) {
	testenv.SkipUnderRace(t, "rollups checked against a brute force")
	n := 200
	if testing.Short() {
		n = 100
	}
	if v, err := strconv.Atoi(os.Getenv("HOTLINE_ROLLUP_ORDERS")); err == nil && v > 0 {
		n = v
	}
	testenv.ForEachDB(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ctx := context.Background()
		clk := &clock{}
		svc := openService(t, dbURL, clk)
		putUnits(t, svc)
		randomLifecycles(t, svc, clk, n, 42)
		orders := checkRollups(t, service.StoreOf(svc), clk.Now())
		// Long periods read whole months from the monthly rollups and the
		// edge days from the daily ones; the overview's breakdowns and per-day
		// counts equal the replay.
		overviews := func() {
			for _, p := range [][2]string{{"2026-01-20", "2026-04-10"}, {"2026-02-01", "2026-03-31"}, {"2026-01-01", "2026-06-30"}, {"2026-01-31", "2026-03-01"}} {
				for _, u := range []string{"", "binyang", "housing"} {
					checkOverview(t, svc, orders, p[0], p[1], u)
				}
			}
		}
		overviews()
		for _, p := range [][2]string{{"2026-01-20", "2026-04-10"}, {"2026-02-03", "2026-02-20"}} {
			for _, u := range []string{"", "binyang"} {
				for _, c := range []string{"", "env"} {
					checkMap(t, svc, p[0], p[1], u, c)
				}
			}
		}
		for _, to := range []string{"2026-02-10", "2026-03-15", "2026-04-20"} {
			for _, from := range []string{"", "2026-01-20"} {
				checkTrends(t, svc, from, to)
			}
		}

		// A rebuild from scratch gives the same rollups as the incremental path.
		if err := service.StoreOf(svc).RebuildRollups(ctx); err != nil {
			t.Fatal(err)
		}
		checkRollups(t, service.StoreOf(svc), clk.Now())
		overviews()
	})
}

// checkRollups compares Metrics (rollups), MetricsScan and the replay over
// many periods, all units and each unit.
func checkRollups(t *testing.T, st *store.Store, now time.Time) []bruteOrder {
	t.Helper()
	day := func(y int, m time.Month, d int) time.Time {
		return store.DayStart(store.DayOf(time.Date(y, m, d, 12, 0, 0, 0, time.UTC)))
	}
	return checkRollupsPeriods(t, st, now, [][2]time.Time{
		{day(2026, 1, 1), day(2026, 12, 31)},
		{day(2026, 1, 5), day(2026, 1, 12)},
		{day(2026, 1, 12), day(2026, 1, 19)},
		{day(2026, 1, 20), day(2026, 2, 1)},
		{day(2026, 1, 7), day(2026, 1, 8)},
		{day(2026, 2, 1), day(2026, 3, 1)},
		// Several whole months with partial edges, and whole months only.
		{day(2026, 1, 20), day(2026, 4, 11)},
		{day(2026, 1, 31), day(2026, 3, 2)},
		{day(2026, 2, 1), day(2026, 5, 1)},
		{day(2026, 2, 15), day(2026, 4, 1)},
	})
}

// checkOverview compares the overview of from..to (Shanghai dates,
// inclusive) and a unit with the replayed orders: orders in, by status, type,
// category and unit, closed, and both per day.
func checkOverview(t *testing.T, svc *service.Service, orders []bruteOrder, from, to, unit string) {
	t.Helper()
	ov, err := dashOf(svc).Overview(context.Background(), leader, from, to, unit)
	if err != nil {
		t.Fatal(err)
	}
	d0, d1 := ov.Period.FromDay, ov.Period.ToDay
	type fig struct {
		In, Closed                 int64
		PerDay                     map[string][2]int64
		Status, Type, Cat, ByUnits map[string]int64
	}
	want := fig{PerDay: map[string][2]int64{}, Status: map[string]int64{}, Type: map[string]int64{}, Cat: map[string]int64{}, ByUnits: map[string]int64{}}
	for _, o := range orders {
		if unit != "" && o.unit != unit {
			continue
		}
		if d := store.DayOf(o.created); d >= d0 && d < d1 {
			want.In++
			v := want.PerDay[store.DayDate(d)]
			v[0]++
			want.PerDay[store.DayDate(d)] = v
			want.Status[string(o.status)]++
			want.Type[o.typ]++
			want.Cat[o.category]++
			want.ByUnits[o.unit]++
		}
		if o.status == order.Closed && o.closed != nil {
			if d := store.DayOf(*o.closed); d >= d0 && d < d1 {
				want.Closed++
				v := want.PerDay[store.DayDate(d)]
				v[1]++
				want.PerDay[store.DayDate(d)] = v
			}
		}
	}
	got := fig{In: ov.OrdersIn, Closed: ov.OrdersClosed, PerDay: map[string][2]int64{}, Status: map[string]int64{}, Type: map[string]int64{}, Cat: map[string]int64{}, ByUnits: map[string]int64{}}
	for _, d := range ov.PerDay {
		if d.In != 0 || d.Closed != 0 {
			got.PerDay[d.Date] = [2]int64{d.In, d.Closed}
		}
	}
	for k, n := range ov.ByStatus {
		if n != 0 {
			got.Status[string(k)] = int64(n)
		}
	}
	for _, c := range ov.ByType {
		if c.N != 0 {
			got.Type[c.Key] = c.N
		}
	}
	for _, c := range ov.ByCategory {
		got.Cat[c.Key] = c.N
	}
	for _, u := range ov.ByUnit {
		if u.Orders != 0 {
			got.ByUnits[u.Unit] = u.Orders
		}
	}
	if len(ov.PerDay) != int(d1-d0) {
		t.Errorf("%s..%s unit %q: %d days in per_day, want %d", from, to, unit, len(ov.PerDay), d1-d0)
	}
	a, _ := json.Marshal(got)
	b, _ := json.Marshal(want)
	if string(a) != string(b) {
		t.Errorf("%s..%s unit %q overview:\n got  %s\n want %s", from, to, unit, a, b)
	}
	if want.In == 0 || want.Closed == 0 {
		t.Logf("%s..%s unit %q: %d in, %d closed (a period with nothing proves little)", from, to, unit, want.In, want.Closed)
	}
}

// checkTrends compares the trends of from..to (default from: a week before
// to) with a recount from the orders themselves: orders per category per
// week (praise excluded) and the repeat callers (count and newest orders).
func checkTrends(t *testing.T, svc *service.Service, from, to string) {
	t.Helper()
	ctx := context.Background()
	if from == "" {
		d, _ := time.Parse(time.DateOnly, to)
		from = d.AddDate(0, 0, -6).Format(time.DateOnly)
	}
	tv, err := dashOf(svc).Trends(ctx, leader, from, to, "", 8, 2)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := allOrderIDs(service.StoreOf(svc))
	if err != nil {
		t.Fatal(err)
	}
	wantWeeks := map[string][]int{}
	callers := map[string][]int64{}
	first := tv.Weeks[0].FromDay
	for _, id := range ids {
		o, err := service.StoreOf(svc).GetOrder(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		d := store.DayOf(o.CreatedAt)
		if o.Type != order.Praise && d >= first && d < first+int64(7*len(tv.Weeks)) {
			if wantWeeks[o.Category] == nil {
				wantWeeks[o.Category] = make([]int, len(tv.Weeks))
			}
			wantWeeks[o.Category][(d-first)/7]++
		}
		if p := stats.NormalizePhone(o.Caller.Phone); p != "" && d >= tv.Period.FromDay && d < tv.Period.ToDay {
			n, _ := strconv.ParseInt(o.ID, 10, 64)
			callers[p] = append(callers[p], n)
		}
	}
	// As stats.Trends: a category with nothing in either of the last two
	// weeks neither rises nor falls, and is not listed.
	for k, w := range wantWeeks {
		if len(w) >= 2 && w[len(w)-1] == 0 && w[len(w)-2] == 0 {
			delete(wantWeeks, k)
		}
	}
	gotWeeks := map[string][]int{}
	for _, c := range tv.Categories {
		gotWeeks[c.Key] = c.Weeks
	}
	var want, got []string
	for _, v := range callers {
		if len(v) < 2 {
			continue
		}
		slices.Sort(v)
		slices.Reverse(v)
		want = append(want, fmt.Sprint(len(v), v[:min(20, len(v))]))
	}
	for _, r := range tv.RepeatCallers {
		got = append(got, fmt.Sprint(r.Count, r.Orders))
		if len(r.Key) != 16 || strings.Contains(r.Key, "1380000") {
			t.Errorf("repeat caller key %q is not a 16-digit hash", r.Key)
		}
	}
	slices.Sort(want)
	slices.Sort(got)
	a, _ := json.Marshal([]any{gotWeeks, got})
	b, _ := json.Marshal([]any{wantWeeks, want})
	if string(a) != string(b) {
		t.Errorf("trends %s..%s:\n got  %s\n want %s", from, to, a, b)
	}
	if len(want) == 0 {
		t.Logf("trends %s..%s: no repeat callers (proves little)", from, to)
	}
}

// checkMap compares the map's counts (total and per compound) of from..to
// with a count of the orders themselves.
func checkMap(t *testing.T, svc *service.Service, from, to, unit, category string) {
	t.Helper()
	ctx := context.Background()
	mv, err := dashOf(svc).Map(ctx, leader, from, to, unit, category)
	if err != nil {
		t.Fatal(err)
	}
	ids, err := allOrderIDs(service.StoreOf(svc))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	total := 0
	for _, id := range ids {
		o, err := service.StoreOf(svc).GetOrder(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		d := store.DayOf(o.CreatedAt)
		if d < mv.Period.FromDay || d >= mv.Period.ToDay || (unit != "" && o.Unit != unit) ||
			(category != "" && o.Category != category && !strings.HasPrefix(o.Category, category+".")) {
			continue
		}
		total++
		if o.Compound != "" {
			want[o.Compound]++
		}
	}
	got := map[string]int{}
	for _, c := range mv.Compounds {
		if c.Orders != 0 {
			got[c.Code] = c.Orders
		}
	}
	if mv.Total != total || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("map %s..%s unit %q category %q: total %d %v, want %d %v", from, to, unit, category, mv.Total, got, total, want)
	}
}

func checkRollupsPeriods(t *testing.T, st *store.Store, now time.Time, periods [][2]time.Time) []bruteOrder {
	t.Helper()
	ctx := context.Background()
	ids, err := allOrderIDs(st)
	if err != nil {
		t.Fatal(err)
	}
	var orders []bruteOrder
	statuses := map[order.Status]int{}
	// Read the orders and their timelines with a few connections at once.
	type read struct {
		o   order.Order
		evs []order.Event
		err error
	}
	reads := make([]read, len(ids))
	var wg sync.WaitGroup
	next := make(chan int)
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				r := &reads[i]
				if r.o, r.err = st.GetOrder(ctx, ids[i]); r.err == nil {
					r.evs, r.err = st.Events(ctx, ids[i])
				}
			}
		}()
	}
	for i := range ids {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, r := range reads {
		if r.err != nil {
			t.Fatal(r.err)
		}
		b := replay(t, r.o, r.evs)
		statuses[b.status]++
		orders = append(orders, b)
	}
	t.Logf("%d orders, end states %v", len(orders), statuses)
	for _, p := range periods {
		for _, q := range []struct {
			unit   string
			byUnit bool
		}{{"", false}, {"", true}, {"binyang", false}, {"cityops", false}, {"housing", false}} {
			want := normalize(bruteMetrics(orders, p[0], p[1], now, q.unit, q.byUnit))
			got, err := st.Metrics(ctx, p[0], p[1], now, q.unit, q.byUnit)
			if err != nil {
				t.Fatal(err)
			}
			scan, err := st.MetricsScan(ctx, p[0], p[1], now, q.unit, q.byUnit)
			if err != nil {
				t.Fatal(err)
			}
			what := fmt.Sprintf("%s..%s unit=%q byUnit=%v", p[0].Format(time.DateOnly), p[1].Format(time.DateOnly), q.unit, q.byUnit)
			if g := normalize(got); fmt.Sprint(g) != fmt.Sprint(want) {
				t.Errorf("%s:\nrollups %v\nreplay  %v", what, g, want)
			}
			if g := normalize(scan); fmt.Sprint(g) != fmt.Sprint(want) {
				t.Errorf("%s:\nscan   %v\nreplay %v", what, g, want)
			}
		}
	}
	return orders
}

func allOrderIDs(st *store.Store) ([]string, error) {
	n, err := st.CountOrders(context.Background())
	if err != nil {
		return nil, err
	}
	// Ids are dense from 1 in these tests.
	ids := make([]string, n)
	for i := range ids {
		ids[i] = strconv.Itoa(i + 1)
	}
	return ids, nil
}

// TestGeneratedRollups generates orders through the bulk path (COPY on
// PostgreSQL, multi-row INSERTs on SQLite) and checks the hash chains and
// the rollups (rebuilt in bulk) against the replay of the events.
func TestGeneratedRollups(t *testing.T) {
	testenv.SkipUnderRace(t, "rollups checked against the events' replay")
	n := 2000
	if testing.Short() {
		// -short (a quick local run; the race step skips this test): 200
		// orders still cross every status, unit and month the checks compare.
		n = 200
	}
	if v, err := strconv.Atoi(os.Getenv("HOTLINE_ROLLUP_ORDERS")); err == nil && v > 0 {
		n = 10 * v
	}
	testenv.ForEachDB(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ctx := context.Background()
		clk := &clock{}
		svc := openService(t, dbURL, clk)
		putUnits(t, svc)
		if err := service.StoreOf(svc).PutCategory(ctx, org.Category{Code: "env.noise", Name: "噪音", Unit: "cityops", Attributes: []byte("[]"), Active: true}); err != nil {
			t.Fatal(err)
		}
		if err := service.StoreOf(svc).PutCategory(ctx, org.Category{Code: "housing.leak", Name: "漏水", Unit: "housing", Attributes: []byte("[]"), Active: true}); err != nil {
			t.Fatal(err)
		}
		var comps []place.OrderCompound
		for _, c := range []string{"c1", "c2", "c3"} {
			comps = append(comps, place.OrderCompound{Code: c, Name: c, Committee: "binyang"})
			if err := service.StoreOf(svc).PutCompound(ctx, comps[len(comps)-1]); err != nil {
				t.Fatal(err)
			}
		}
		end := time.Date(2026, 3, 1, 4, 0, 0, 0, time.UTC)
		units := testUnits[1:]
		cats, _ := service.StoreOf(svc).Categories(ctx)
		events, err := gen.Generate(ctx, service.StoreOf(svc), gen.Config{Orders: n, Years: 1, Seed: 3, End: end, Units: units, Categories: cats,
			Compounds: comps, Schedule: order.Schedule{Policy: svc.Policy(), Calendar: svc.Calendar},
			Tokens: textproc.Default().SearchTokens})
		if err != nil {
			t.Fatal(err)
		}
		// The generated orders are searchable as created ones are: every
		// order of 漏水 (its title) and no other is found by the word.
		byWord, _, err := service.StoreOf(svc).CountMatching(ctx, store.Filter{Tokens: []string{"漏水"}}, 1<<30)
		if err != nil {
			t.Fatal(err)
		}
		byCat, _, err := service.StoreOf(svc).CountMatching(ctx, store.Filter{Category: "housing.leak"}, 1<<30)
		if err != nil {
			t.Fatal(err)
		}
		if byWord == 0 || byWord != byCat {
			t.Errorf("search finds %d generated orders of 漏水, the category holds %d", byWord, byCat)
		}
		if events < 4*n {
			t.Errorf("%d events for %d orders: lifecycles too short", events, n)
		}
		checked, brk, err := service.StoreOf(svc).VerifyChains(ctx)
		if err != nil || brk != nil || checked != n {
			t.Fatalf("verify: %d checked, break %+v, %v", checked, brk, err)
		}
		checkRollupsPeriods(t, service.StoreOf(svc), end, [][2]time.Time{
			{store.DayStart(store.DayOf(end) - 400), store.DayStart(store.DayOf(end) + 1)},
			{store.DayStart(store.DayOf(end) - 30), store.DayStart(store.DayOf(end) + 1)},
			{store.DayStart(store.DayOf(end) - 7), store.DayStart(store.DayOf(end))},
			{store.DayStart(store.DayOf(end) - 200), store.DayStart(store.DayOf(end) - 170)},
		})
		// The overview (one read of the rollups per table) agrees with the
		// summary checked above, for all and for each unit.
		clk.Set(end)
		for _, u := range []string{"", "binyang", "cityops", "housing"} {
			from, to := store.DayDate(store.DayOf(end)-60), store.DayDate(store.DayOf(end))
			ov, err := dashOf(svc).Overview(ctx, leader, from, to, u)
			if err != nil {
				t.Fatal(err)
			}
			sum, err := dashOf(svc).Summary(ctx, leader, from, to, u)
			if err != nil {
				t.Fatal(err)
			}
			a, _ := json.Marshal([]any{ov.Rates, ov.Samples, ov.OrdersIn, ov.ByStatus})
			b, _ := json.Marshal([]any{sum.Rates, sum.Samples, sum.Orders, sum.ByStatus})
			if string(a) != string(b) {
				t.Errorf("unit %q: overview %s, summary %s", u, a, b)
			}
			var perDay int64
			for _, d := range ov.PerDay {
				perDay += d.In
			}
			if perDay != ov.OrdersIn || len(ov.PerDay) != 61 {
				t.Errorf("unit %q: per_day sums to %d over %d days, orders_in %d", u, perDay, len(ov.PerDay), ov.OrdersIn)
			}
		}

		maps := func() {
			for _, p := range [][2]int64{{-400, 0}, {-45, -3}} {
				from, to := store.DayDate(store.DayOf(end)+p[0]), store.DayDate(store.DayOf(end)+p[1])
				for _, u := range []string{"", "cityops"} {
					for _, c := range []string{"", "env"} {
						checkMap(t, svc, from, to, u, c)
					}
				}
			}
		}
		maps()
		// The rollups keep up with actions taken after a bulk load.
		clk.Set(end.Add(time.Hour))
		randomActions(t, svc, clk, 300, 5)
		checkRollupsPeriods(t, service.StoreOf(svc), clk.Now(), [][2]time.Time{
			{store.DayStart(store.DayOf(end) - 30), store.DayStart(store.DayOf(end) + 10)},
		})
		maps()
	})
}
