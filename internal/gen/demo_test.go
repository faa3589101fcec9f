package gen

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"hotline/internal/calendar"
	"hotline/internal/order"
)

// TestDemoOrders runs the demo's simulation without a database: every text
// has its slots filled, every caller is in the demo's fake range, orders
// about a compound go to its committee when the committee handles them,
// handlers act in office hours on working days (urgent orders aside), and
// the typhoon's first days bring floods at the low-lying building.
func TestDemoOrders(t *testing.T) {
	cal, err := calendar.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	end := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	cfg := demoConfig(cal, 6000, 5, end)
	g := newGen(cfg)
	times := g.arrivals(end.AddDate(-1, 0, 0), end, cfg.Orders)
	ty := TyphoonWeek(end)
	floods, lowFloods := 0, 0
	committeeOrders, misrouted := 0, 0
	for i, at := range times {
		o, evs, _ := g.lifecycle(int64(i+1), strconv.Itoa(i+1), at)
		if strings.ContainsAny(o.Title+o.Description+o.Address, "{}") || o.Title == "" || o.Description == "" {
			t.Fatalf("unfilled text: %q %q %q", o.Title, o.Description, o.Address)
		}
		if p, _ := strconv.Atoi(o.Caller.Phone); p < DemoCallerFirst || p > DemoCallerLast || !o.Caller.Anonymous && !strings.Contains(o.Caller.Name, "演示") {
			t.Fatalf("caller %+v is not a demo caller", o.Caller)
		}
		if o.Category == "community.neighbour_dispute" && o.Unit != "" {
			committeeOrders++
			if (o.Compound == "yuehe_yuan") != (o.Unit == "yuehe") {
				misrouted++ // re-dispatched or returned (7 % of orders), or a bug
			}
		}
		if d := at.Sub(ty); d >= 0 && d < 72*time.Hour && o.Category == "community.flooding" {
			floods++
			if o.Building == "29号楼" {
				lowFloods++
			}
		}
		for _, e := range evs {
			l := e.At.In(calendar.Shanghai)
			handler := e.Actor != "operator" && e.Actor != "dispatcher" && e.Actor != "leader"
			if handler && o.Urgency == order.Normal &&
				(!cal.IsWorkingDay(e.At) || l.Hour() < 8 || l.Hour() >= 18) {
				t.Fatalf("order %s: %s by a handler at %s", o.ID, e.Action, l)
			}
		}
		if i > 0 && at.Before(times[i-1]) {
			t.Fatal("arrivals out of order")
		}
	}
	if misrouted > committeeOrders/10 {
		t.Errorf("%d of %d disputes went to another committee than their compound's", misrouted, committeeOrders)
	}
	if committeeOrders == 0 || floods < 60 || lowFloods < floods/3 {
		t.Errorf("disputes %d; typhoon floods %d, at the low-lying building %d", committeeOrders, floods, lowFloods)
	}
}
