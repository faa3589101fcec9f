package web

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"hotline/internal/app"
	"hotline/internal/intel"
	"hotline/internal/order"
	"hotline/internal/service"
	"hotline/internal/testenv"
)

// TestOrderPageVisibility (issue 12, defect 4): the order page of a handler
// shows, among the similar past cases, only orders that handler may open;
// binyang's closed order (with its reply naming a room) is not shown to
// cityops on cityops' own order, and the other pages that list orders keep
// to the same rule. On SQLite and PostgreSQL.
func TestOrderPageVisibility(t *testing.T) {
	parallel(t)
	testenv.ForEachDB(t, func(t *testing.T, dbURL string) {
		m, base := server(t, func(c *app.Config) { c.DB = dbURL; c.Intel = intel.New() })
		ctx := context.Background()
		opr := service.Actor{Username: "operator", Role: order.RoleOperator}
		disp := service.Actor{Username: "dispatcher", Role: order.RoleDispatcher}
		by := service.Actor{Username: "binyang", Role: order.RoleHandler, Unit: "binyang"}
		act := func(a service.Actor, id string, action order.Action, in order.Input) {
			t.Helper()
			o, err := m.Store.GetOrder(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			in.Version = &o.Version
			if _, err := m.Svc.Act(ctx, a, id, action, in); err != nil {
				t.Fatalf("%s %s: %v", a.Username, action, err)
			}
		}
		create := func(desc string) string {
			t.Helper()
			v, err := m.Svc.CreateOrder(ctx, opr, order.NewOrder{Type: order.Complaint, Source: order.SourceHotline, Urgency: order.Normal,
				Title: "梅陇公寓楼道堆放杂物堵塞消防通道", Description: desc, Caller: &order.Caller{Name: "市民", Phone: "13900000001"}})
			if err != nil {
				t.Fatal(err)
			}
			return v.ID
		}
		closed := create("梅陇公寓B座三楼楼道长期堆放纸箱杂物，堵塞消防通道，存在火灾隐患。")
		act(disp, closed, order.ActDispatch, order.Input{Unit: "binyang"})
		act(by, closed, order.ActAccept, order.Input{})
		act(by, closed, order.ActContact, order.Input{Note: "已联系"})
		act(by, closed, order.ActReply, order.Input{Result: "resolved", Text: "已清理楼道杂物，1203室住户已整改"})
		act(disp, closed, order.ActApproveReply, order.Input{})
		yes := true
		act(opr, closed, order.ActCallback, order.Input{Outcome: "satisfied", Resolved: &yes})
		c, _ := m.Store.GetOrder(ctx, closed)
		if c.Status != order.Closed {
			t.Fatalf("not closed: %s", c.Status)
		}
		own := create("梅陇公寓B座楼道堆放杂物堵塞消防通道，再次反映。")
		act(disp, own, order.ActDispatch, order.Input{Unit: "cityops"})

		// The dispatcher's page of cityops' order shows the closed case
		// (once the intelligence has indexed it), so the check is not vacuous.
		d := login(t, base, "dispatcher")
		deadline := time.Now().Add(10 * time.Second)
		for {
			body, st := d.get("/orders/" + own)
			if st == 200 && strings.Contains(body, c.Number) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the dispatcher's order page never shows the similar closed case %s", c.Number)
			}
			time.Sleep(50 * time.Millisecond)
		}
		h := login(t, base, "cityops")
		if _, st := h.get("/orders/" + closed); st != 403 {
			t.Fatalf("cityops opening binyang's order: %d, want 403", st)
		}
		body, st := h.get("/orders/" + own)
		if st != 200 {
			t.Fatalf("cityops' own order page: %d", st)
		}
		// "1203室" (the reply's words), not "1203": a page's random CSRF token
		// holds "1203" about one time in twenty.
		if strings.Contains(body, c.Number) || strings.Contains(body, "1203室") {
			t.Errorf("cityops' order page shows binyang's closed order %s as a similar case", c.Number)
		}
		for _, p := range []string{"/search?q=" + url.QueryEscape("消防通道"), "/search?status=closed", "/inbox", "/dashboard/map", "/dashboard/trends", "/dashboard/praise", "/dashboard"} {
			body, st := h.get(p)
			if st >= 500 {
				t.Errorf("cityops %s: %d", p, st)
			}
			if strings.Contains(body, c.Number) || strings.Contains(body, "/orders/"+closed+`"`) {
				t.Errorf("cityops %s shows binyang's order %s", p, c.Number)
			}
		}
		// Intake (similar open orders) and hotspots are the center's pages.
		for _, p := range []string{"/intake/assist?title=" + url.QueryEscape("梅陇公寓楼道堆放杂物"), "/hotspots"} {
			if _, st := h.get(p); st != 403 {
				t.Errorf("cityops %s: %d, want 403", p, st)
			}
		}
	})
}
