package service_test

import (
	"context"
	"math"
	"testing"
	"time"

	"hotline/internal/apperr"
	"hotline/internal/dashboard"
	"hotline/internal/order"
	"hotline/internal/testenv"
)

/*
The hand-built scenario of TestStatsHandWorked. Period 2026-03-02 (Mon) to
2026-03-06 (Fri), Asia/Shanghai; the figures are read at 2026-03-11 12:00.
No holidays in March 2026, so a normal order dispatched on day D has
contact_due = end of the next working day and due = end of the 5th working
day after D; urgent: contact 2 h, due 24 h; reopened: contact 1, due 3
working days. B = binyang, C = cityops; housing has no orders at all.

 #   unit type       dispatched       contact              reply                    callbacks / end
 o1  B   complaint  03-02 09:00      exactly contact_due  03-04 (due 03-09)        satisfied, resolved      closed
 o2  B   complaint  03-02 09:10      03-04 (late)         due + 1 s (late)         basically_sat., unres.   closed
 o3  B   help       03-02 09:20      03-02 (r1)           03-03 (r1)               dissatisfied, unres. →
                    reopened 03-10   03-10 (r2 c_due 03-11) 03-10 (r2 due 03-13)  satisfied, resolved      closed
 o4  B   complaint  03-02 09:30      03-02                none; due 03-09 passed                            in_progress
 o5  B   complaint  03-06 23:30      none (c_due passed)  none; due 03-13 not yet                           dispatched
 o6  C   complaint  03-02 10:00      03-02                03-05                    unreachable              closed
 o7  C   report     03-03 10:00      03-05 (late)         03-06 (due 03-10)        none, dispatcher close   closed
 o14 C   complaint  03-03 09:00 to B, redispatched 03-03 10:00 to C (new c_due 03-04, due 03-10)
                                     03-03                none; due 03-10 passed                            in_progress
 o15 C   urgent     03-04 10:00      12:00:01 (c_due 12:00, late)  exactly at due 03-05 10:00          replied
 excluded from every rate:
 o8  C   praise     03-02, replied (explained), approved, closed
 o9  -   invalid    created 03-02, never dispatched
 o10 C   complaint  03-02, contacted and replied on time, callback dissatisfied, then merged into o5 (03-09)
 o11 -   consultation answered at intake
 o12 B   complaint  created and dispatched 03-07 00:30 (outside: 03-06 16:30 UTC), contacted at once
 o13 C   complaint  created 03-06 22:00 (inside), dispatched 03-09 (outside)

Paper calculation:

 dispatched in the period, counted:  B: o1 o2 o3 o4 o5 = 5   C: o6 o7 o14 o15 = 4   all: 9
 response (contact ≤ contact_due):   B: o1 o3 o4 = 3/5 = 0.6
                                     C: o6 o14 = 2/4 = 0.5
                                     all: 5/9
 on-time base (replied or due < now): B: o1 o2 o3 o4 = 4 (o5 not: due 03-13)
                                     C: o6 o7 o14 o15 = 4
 on time (first reply of the round ≤ due):
                                     B: o1 o3 = 2/4 = 0.5
                                     C: o6 o7 o15 = 3/4 = 0.75
                                     all: 5/8 = 0.625
 callbacks other than unreachable:   B: o1 sat/yes, o2 basic/no, o3 dis/no, o3 sat/yes = 4
                                     C: o6 is unreachable (left out), o10's is on a merged order = 0
 resolution:                         B: 2/4 = 0.5;  C: 0/0 = null;  all: 2/4 = 0.5
 satisfaction:                       B: 3/4 = 0.75; C: 0/0 = null;  all: 3/4 = 0.75
 closed / reopened:                  B: o1 o2 o3 closed, o3 reopened = 1/3
                                     C: o6 o7 closed, none reopened = 0/2 = 0 (zero, not null)
                                     all: 1/5 = 0.2
 housing: nothing dispatched: every rate null.

 orders (created in the period) and by status:
   all 14 = o1-o11, o13, o14, o15: closed 6 (o1 o2 o3 o6 o7 o8), in_progress 2 (o4 o14),
            dispatched 2 (o5 o13), replied 1 (o15), merged 1 (o10), invalid 1 (o9), answered 1 (o11)
   B 5: closed 3, in_progress 1, dispatched 1
   C 7: closed 3 (o6 o7 o8), merged 1, dispatched 1 (o13), in_progress 1 (o14), replied 1 (o15)
 ranking: B is ranked (5 dispatched ≥ 5), C and housing are not (fewer than 5):
   binyang rank 1, then cityops (response 0.5) before housing (all null).
*/

// frac is an expected rate: num/den, or null when den is 0.
type frac struct{ num, den int }

func checkRate(t *testing.T, what string, got *float64, want frac) {
	t.Helper()
	if want.den == 0 {
		if got != nil {
			t.Errorf("%s = %v, want null (no data)", what, *got)
		}
		return
	}
	w := float64(want.num) / float64(want.den)
	switch {
	case got == nil:
		t.Errorf("%s = null, want %d/%d = %v", what, want.num, want.den, w)
	case math.Abs(*got-w) > 1e-12:
		t.Errorf("%s = %v, want %d/%d = %v", what, *got, want.num, want.den, w)
	}
}

type wantFigures struct {
	orders                                      int
	byStatus                                    map[order.Status]int
	response, onTime, resolution, satisf, reopn frac
	dispatched, onTimeBase, callbacks, closed   int
}

func checkSummary(t *testing.T, who string, got dashboard.Summary, w wantFigures) {
	t.Helper()
	if got.From != "2026-03-02" || got.To != "2026-03-06" {
		t.Errorf("%s: period %s..%s", who, got.From, got.To)
	}
	if got.Orders != w.orders {
		t.Errorf("%s: orders %d, want %d", who, got.Orders, w.orders)
	}
	for _, st := range order.Statuses {
		if got.ByStatus[st] != w.byStatus[st] {
			t.Errorf("%s: by_status[%s] = %d, want %d", who, st, got.ByStatus[st], w.byStatus[st])
		}
	}
	checkRate(t, who+" response_rate", got.Response, w.response)
	checkRate(t, who+" on_time_rate", got.OnTime, w.onTime)
	checkRate(t, who+" resolution_rate", got.Resolution, w.resolution)
	checkRate(t, who+" satisfaction_rate", got.Satisfaction, w.satisf)
	checkRate(t, who+" reopen_rate", got.Reopen, w.reopn)
	s := got.Samples
	if s.Dispatched != w.dispatched || s.OnTimeBase != w.onTimeBase || s.Callbacks != w.callbacks || s.Closed != w.closed {
		t.Errorf("%s: samples %+v, want dispatched %d, on_time_base %d, callbacks %d, closed %d",
			who, s, w.dispatched, w.onTimeBase, w.callbacks, w.closed)
	}
}

func TestStatsHandWorked(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dbURL string) {
		t.Parallel()
		ctx := context.Background()
		clk := &clock{}
		svc := openService(t, dbURL, clk)
		putUnits(t, svc)
		B, C := handler("binyang"), handler("cityops")
		yes, no := true, false

		// at sets the clock; do takes an action at that time.
		at := func(s string) { clk.Set(sh(t, s)) }
		do := func(when string, a order.Actor, id string, action order.Action, in order.Input) order.Order {
			t.Helper()
			at(when)
			return act(t, svc, a, id, action, in)
		}
		// create makes an order and dispatches it at the same moment.
		create := func(when string, typ order.Type, urg order.Urgency, unit, title string) (string, order.Order) {
			t.Helper()
			at(when)
			id := newOrder(t, svc, typ, urg, title)
			if unit == "" {
				return id, getOrder(t, svc, id)
			}
			return id, act(t, svc, dispatcher, id, order.ActDispatch, order.Input{Unit: unit})
		}
		reply := order.Input{Result: "resolved", Text: "已处理"}
		contact := order.Input{Note: "已电话联系市民"}

		// o1: contact exactly at contact_due, reply on time, satisfied + resolved.
		o1, d1 := create("2026-03-02 09:00:00", order.Complaint, order.Normal, "binyang", "o1")
		if !d1.ContactDue.Truncate(time.Second).Equal(sh(t, "2026-03-03 23:59:59")) || !d1.Due.Truncate(time.Second).Equal(sh(t, "2026-03-09 23:59:59")) {
			t.Fatalf("o1 deadlines: contact %v, due %v", d1.ContactDue, d1.Due)
		}
		do("2026-03-02 09:30:00", B, o1, order.ActAccept, order.Input{})
		clk.Set(*d1.ContactDue)
		act(t, svc, B, o1, order.ActContact, contact)
		do("2026-03-04 10:00:00", B, o1, order.ActReply, reply)
		do("2026-03-04 11:00:00", dispatcher, o1, order.ActApproveReply, order.Input{})
		do("2026-03-04 15:00:00", operator, o1, order.ActCallback, order.Input{Outcome: "satisfied", Resolved: &yes})

		// o2: contact late, reply 1 s after due, basically satisfied, not resolved.
		o2, d2 := create("2026-03-02 09:10:00", order.Complaint, order.Normal, "binyang", "o2")
		do("2026-03-02 09:40:00", B, o2, order.ActAccept, order.Input{})
		do("2026-03-04 09:00:00", B, o2, order.ActContact, contact)
		clk.Set(d2.Due.Add(time.Second))
		act(t, svc, B, o2, order.ActReply, reply)
		do("2026-03-10 10:00:00", dispatcher, o2, order.ActApproveReply, order.Input{})
		do("2026-03-10 11:00:00", operator, o2, order.ActCallback, order.Input{Outcome: "basically_satisfied", Resolved: &no})

		// o3: dissatisfied, reopened, round 2 on time, satisfied + resolved.
		o3, _ := create("2026-03-02 09:20:00", order.Help, order.Normal, "binyang", "o3")
		do("2026-03-02 09:50:00", B, o3, order.ActAccept, order.Input{})
		do("2026-03-02 10:00:00", B, o3, order.ActContact, contact)
		do("2026-03-03 10:00:00", B, o3, order.ActReply, reply)
		do("2026-03-03 11:00:00", dispatcher, o3, order.ActApproveReply, order.Input{})
		if st := do("2026-03-04 10:00:00", operator, o3, order.ActCallback, order.Input{Outcome: "dissatisfied", Resolved: &no}).Status; st != order.Reviewed {
			t.Fatalf("o3 after a dissatisfied callback: %s", st)
		}
		r2 := do("2026-03-10 10:00:00", dispatcher, o3, order.ActReopen, order.Input{Note: "市民不满意，重办"})
		if r2.Round != 2 || !r2.ContactDue.Truncate(time.Second).Equal(sh(t, "2026-03-11 23:59:59")) || !r2.Due.Truncate(time.Second).Equal(sh(t, "2026-03-13 23:59:59")) {
			t.Fatalf("o3 reopened: round %d, contact %v, due %v", r2.Round, r2.ContactDue, r2.Due)
		}
		do("2026-03-10 10:30:00", B, o3, order.ActAccept, order.Input{})
		do("2026-03-10 11:00:00", B, o3, order.ActContact, contact)
		do("2026-03-10 15:00:00", B, o3, order.ActReply, reply)
		do("2026-03-10 15:30:00", dispatcher, o3, order.ActApproveReply, order.Input{})
		do("2026-03-10 16:00:00", operator, o3, order.ActCallback, order.Input{Outcome: "satisfied", Resolved: &yes})

		// o4: contacted, never replied, due passed.
		o4, _ := create("2026-03-02 09:30:00", order.Complaint, order.Normal, "binyang", "o4")
		do("2026-03-02 10:00:00", B, o4, order.ActAccept, order.Input{})
		do("2026-03-02 11:00:00", B, o4, order.ActContact, contact)

		// o5: dispatched late on the last evening of the period; nothing since.
		o5, d5 := create("2026-03-06 23:30:00", order.Complaint, order.Normal, "binyang", "o5")
		if !d5.Due.Truncate(time.Second).Equal(sh(t, "2026-03-13 23:59:59")) {
			t.Fatalf("o5 due %v", d5.Due)
		}

		// o6: on time everywhere, callback unreachable.
		o6, _ := create("2026-03-02 10:00:00", order.Complaint, order.Normal, "cityops", "o6")
		do("2026-03-02 10:30:00", C, o6, order.ActAccept, order.Input{})
		do("2026-03-02 12:00:00", C, o6, order.ActContact, contact)
		do("2026-03-05 10:00:00", C, o6, order.ActReply, reply)
		do("2026-03-05 11:00:00", dispatcher, o6, order.ActApproveReply, order.Input{})
		if st := do("2026-03-05 15:00:00", operator, o6, order.ActCallback, order.Input{Outcome: "unreachable", Resolved: &no}).Status; st != order.Closed {
			t.Fatalf("o6 after an unreachable callback: %s", st)
		}

		// o7: contact late, reply on time, closed by the dispatcher.
		o7, _ := create("2026-03-03 10:00:00", order.Report, order.Normal, "cityops", "o7")
		do("2026-03-03 11:00:00", C, o7, order.ActAccept, order.Input{})
		do("2026-03-05 09:00:00", C, o7, order.ActContact, contact)
		do("2026-03-06 10:00:00", C, o7, order.ActReply, reply)
		do("2026-03-06 11:00:00", dispatcher, o7, order.ActApproveReply, order.Input{})
		do("2026-03-06 15:00:00", dispatcher, o7, order.ActClose, order.Input{Note: "市民匿名，无法回访"})

		// o8: praise.
		o8, _ := create("2026-03-02 11:00:00", order.Praise, order.Normal, "cityops", "o8 表扬")
		do("2026-03-02 11:30:00", C, o8, order.ActAccept, order.Input{})
		do("2026-03-02 12:00:00", C, o8, order.ActContact, contact)
		do("2026-03-03 10:00:00", C, o8, order.ActReply, order.Input{Result: "explained", Text: "感谢表扬"})
		do("2026-03-03 11:00:00", dispatcher, o8, order.ActApproveReply, order.Input{})
		do("2026-03-03 11:30:00", dispatcher, o8, order.ActClose, order.Input{Note: "表扬已转达"})

		// o9: invalid.
		o9, _ := create("2026-03-02 12:00:00", order.Consultation, order.Normal, "", "o9 测试电话")
		do("2026-03-02 12:10:00", dispatcher, o9, order.ActInvalidate, order.Input{Reason: "无声电话"})

		// o10: handled on time with a callback, then merged into o5.
		o10, _ := create("2026-03-02 10:30:00", order.Complaint, order.Normal, "cityops", "o10")
		do("2026-03-02 11:00:00", C, o10, order.ActAccept, order.Input{})
		do("2026-03-02 11:30:00", C, o10, order.ActContact, contact)
		do("2026-03-03 10:00:00", C, o10, order.ActReply, reply)
		do("2026-03-03 11:00:00", dispatcher, o10, order.ActApproveReply, order.Input{})
		do("2026-03-04 10:00:00", operator, o10, order.ActCallback, order.Input{Outcome: "dissatisfied", Resolved: &no})
		do("2026-03-09 10:00:00", dispatcher, o10, order.ActMerge, order.Input{Into: o5})

		// o11: answered at intake.
		o11, _ := create("2026-03-02 13:00:00", order.Consultation, order.Normal, "", "o11 咨询")
		do("2026-03-02 13:05:00", operator, o11, order.ActAnswer, order.Input{Reply: "已答复"})

		// o12: just after the period (Saturday 00:30 in Shanghai is still Friday in UTC).
		o12, _ := create("2026-03-07 00:30:00", order.Complaint, order.Normal, "binyang", "o12")
		do("2026-03-07 01:00:00", B, o12, order.ActAccept, order.Input{})
		do("2026-03-07 01:10:00", B, o12, order.ActContact, contact)

		// o13: created in the period, dispatched after it.
		o13, _ := create("2026-03-06 22:00:00", order.Complaint, order.Normal, "", "o13")
		do("2026-03-09 09:00:00", dispatcher, o13, order.ActDispatch, order.Input{Unit: "cityops"})

		// o14: dispatched to B, redispatched to C: C's order.
		o14, _ := create("2026-03-03 09:00:00", order.Complaint, order.Normal, "binyang", "o14")
		d14 := do("2026-03-03 10:00:00", dispatcher, o14, order.ActRedispatch, order.Input{Unit: "cityops"})
		if !d14.Due.Truncate(time.Second).Equal(sh(t, "2026-03-10 23:59:59")) {
			t.Fatalf("o14 due after redispatch %v", d14.Due)
		}
		do("2026-03-03 10:30:00", C, o14, order.ActAccept, order.Input{})
		do("2026-03-03 11:00:00", C, o14, order.ActContact, contact)

		// o15: urgent: contact 1 s late, reply exactly at due.
		o15, d15 := create("2026-03-04 10:00:00", order.Complaint, order.Urgent, "cityops", "o15 停水")
		if !d15.ContactDue.Equal(sh(t, "2026-03-04 12:00:00")) || !d15.Due.Equal(sh(t, "2026-03-05 10:00:00")) {
			t.Fatalf("o15 deadlines: contact %v, due %v", d15.ContactDue, d15.Due)
		}
		do("2026-03-04 10:10:00", C, o15, order.ActAccept, order.Input{})
		clk.Set(d15.ContactDue.Add(time.Second))
		act(t, svc, C, o15, order.ActContact, contact)
		clk.Set(*d15.Due)
		act(t, svc, C, o15, order.ActReply, reply)

		// The end states the paper assumes.
		for id, st := range map[string]order.Status{o1: order.Closed, o2: order.Closed, o3: order.Closed, o4: order.InProgress,
			o5: order.Dispatched, o6: order.Closed, o7: order.Closed, o8: order.Closed, o9: order.Invalid, o10: order.Merged,
			o11: order.Answered, o12: order.InProgress, o13: order.Dispatched, o14: order.InProgress, o15: order.Replied} {
			if got := getOrder(t, svc, id).Status; got != st {
				t.Fatalf("order %s is %s, want %s", id, got, st)
			}
		}

		at("2026-03-11 12:00:00")
		all, err := dashOf(svc).Summary(ctx, leader, "2026-03-02", "2026-03-06", "")
		if err != nil {
			t.Fatal(err)
		}
		wantAll := wantFigures{orders: 14,
			byStatus: map[order.Status]int{order.Closed: 6, order.InProgress: 2, order.Dispatched: 2, order.Replied: 1,
				order.Merged: 1, order.Invalid: 1, order.Answered: 1},
			response: frac{5, 9}, onTime: frac{5, 8}, resolution: frac{2, 4}, satisf: frac{3, 4}, reopn: frac{1, 5},
			dispatched: 9, onTimeBase: 8, callbacks: 4, closed: 5}
		wantB := wantFigures{orders: 5,
			byStatus: map[order.Status]int{order.Closed: 3, order.InProgress: 1, order.Dispatched: 1},
			response: frac{3, 5}, onTime: frac{2, 4}, resolution: frac{2, 4}, satisf: frac{3, 4}, reopn: frac{1, 3},
			dispatched: 5, onTimeBase: 4, callbacks: 4, closed: 3}
		wantC := wantFigures{orders: 7,
			byStatus: map[order.Status]int{order.Closed: 3, order.Merged: 1, order.Dispatched: 1, order.InProgress: 1, order.Replied: 1},
			response: frac{2, 4}, onTime: frac{3, 4}, resolution: frac{0, 0}, satisf: frac{0, 0}, reopn: frac{0, 2},
			dispatched: 4, onTimeBase: 4, callbacks: 0, closed: 2}
		wantH := wantFigures{byStatus: map[order.Status]int{}}
		checkSummary(t, "all", all, wantAll)

		for _, u := range []struct {
			code string
			want wantFigures
		}{{"binyang", wantB}, {"cityops", wantC}, {"housing", wantH}} {
			got, err := dashOf(svc).Summary(ctx, dispatcher, "2026-03-02", "2026-03-06", u.code)
			if err != nil {
				t.Fatal(err)
			}
			checkSummary(t, "summary of "+u.code, got, u.want)
		}
		// A handler reads their own unit's figures, not another's.
		if got, err := dashOf(svc).Summary(ctx, B, "2026-03-02", "2026-03-06", "binyang"); err != nil {
			t.Errorf("handler of binyang reading binyang: %v", err)
		} else {
			checkSummary(t, "binyang as its handler", got, wantB)
		}
		if _, err := dashOf(svc).Summary(ctx, B, "2026-03-02", "2026-03-06", "cityops"); !apperr.Is(err, apperr.Forbidden) {
			t.Errorf("handler of binyang reading cityops: %v, want forbidden", err)
		}

		units, err := dashOf(svc).UnitStats(ctx, leader, "2026-03-02", "2026-03-06")
		if err != nil {
			t.Fatal(err)
		}
		wantOrder := []struct {
			code   string
			rank   int
			ranked bool
			want   wantFigures
		}{{"binyang", 1, true, wantB}, {"cityops", 0, false, wantC}, {"housing", 0, false, wantH}}
		if len(units) != len(wantOrder) {
			t.Fatalf("StatsUnits lists %d units, want %d: %+v", len(units), len(wantOrder), units)
		}
		for i, w := range wantOrder {
			u := units[i]
			if u.Code != w.code || u.Rank != w.rank || u.Ranked != w.ranked {
				t.Errorf("StatsUnits[%d] = %s rank %d ranked %v, want %s rank %d ranked %v", i, u.Code, u.Rank, u.Ranked, w.code, w.rank, w.ranked)
				continue
			}
			checkSummary(t, "units/"+u.Code, u.Summary, w.want)
		}

		// One day shorter: o5 (dispatched 03-06 23:30) drops out of B.
		b5, err := dashOf(svc).Summary(ctx, leader, "2026-03-02", "2026-03-05", "binyang")
		if err != nil {
			t.Fatal(err)
		}
		checkRate(t, "binyang 03-02..03-05 response_rate", b5.Response, frac{3, 4})
		checkRate(t, "binyang 03-02..03-05 on_time_rate", b5.OnTime, frac{2, 4})
		// One day later: o12 (dispatched 03-07 00:30 Shanghai) joins B, o13 C.
		b7, err := dashOf(svc).Summary(ctx, leader, "2026-03-02", "2026-03-09", "binyang")
		if err != nil {
			t.Fatal(err)
		}
		checkRate(t, "binyang 03-02..03-09 response_rate", b7.Response, frac{4, 6})
		checkRate(t, "binyang 03-02..03-09 on_time_rate", b7.OnTime, frac{2, 4})
	})
}
