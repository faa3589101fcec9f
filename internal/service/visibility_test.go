package service_test

import (
	"context"
	"testing"

	"hotline/internal/order"
	"hotline/internal/service"
	"hotline/internal/testenv"
)

// TestListsKeepTheOneVisibilityRule: for every kind of actor, the lists and
// counts (whose store filter SeenBy spells the rule in SQL) hold exactly the
// orders order.Order.Visible admits: own unit, co-handled, none for a
// volunteer or a handler without a unit (which used to list every order).
func TestListsKeepTheOneVisibilityRule(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dbURL string) {
		clk := &clock{}
		clk.Set(sh(t, "2026-03-02 09:00:00"))
		svc := openService(t, dbURL, clk)
		putUnits(t, svc)
		ctx := context.Background()
		var ids []string
		for _, d := range []order.Input{{Unit: "binyang"}, {Unit: "cityops", CoUnits: []string{"binyang"}}, {Unit: "housing"}, {}} {
			id := newOrder(t, svc, order.Complaint, order.Normal, "楼道灯不亮")
			if d.Unit != "" {
				act(t, svc, dispatcher, id, order.ActDispatch, d)
			}
			ids = append(ids, id)
		}
		actors := []order.Actor{handler("binyang"), handler("cityops"), handler("housing"), {Username: "nounit", Role: order.RoleHandler},
			{Username: "v", Role: order.RoleVolunteer, Unit: "binyang"}, dispatcher, leader, operator}
		for _, a := range actors {
			want := map[string]bool{}
			for _, id := range ids {
				o := getOrder(t, svc, id)
				if o.Visible(a) {
					want[id] = true
				}
			}
			vs, _, err := svc.ListOrders(ctx, a, service.ListQuery{Limit: 200})
			if a.Role == order.RoleVolunteer {
				if err == nil || len(want) != 0 {
					t.Errorf("volunteer: list err %v, visible %v", err, want)
				}
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v", a.Username, err)
			}
			got := map[string]bool{}
			for _, v := range vs {
				got[v.ID] = true
			}
			if len(got) != len(want) {
				t.Errorf("%s lists %d orders, may read %d", a.Username, len(got), len(want))
			}
			for id := range got {
				if !want[id] {
					t.Errorf("%s lists order %s, which it may not read", a.Username, id)
				}
			}
			n, _, err := svc.CountOrders(ctx, a, service.ListQuery{}, 200)
			if err != nil || n != len(want) {
				t.Errorf("%s counts %d orders (%v), may read %d", a.Username, n, err, len(want))
			}
			counts, err := svc.StatusCounts(ctx, a)
			total := 0
			for _, c := range counts {
				total += c
			}
			if err != nil || total != len(want) {
				t.Errorf("%s status counts %d (%v), may read %d", a.Username, total, err, len(want))
			}
		}
	})
}

// TestHandlerWithoutUnitReadsNoFigures: the empty unit of a handler is not
// "every unit" for the dashboards and statistics either.
func TestHandlerWithoutUnitReadsNoFigures(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dbURL string) {
		clk := &clock{}
		clk.Set(sh(t, "2026-03-02 09:00:00"))
		svc := openService(t, dbURL, clk)
		putUnits(t, svc)
		ctx := context.Background()
		a := order.Actor{Username: "nounit", Role: order.RoleHandler}
		if _, err := dashOf(svc).Overview(ctx, a, "", "", ""); err == nil {
			t.Error("a handler without a unit reads the overview of every unit")
		}
		if _, err := dashOf(svc).Map(ctx, a, "", "", "", ""); err == nil {
			t.Error("a handler without a unit reads the map of every unit")
		}
		if _, err := dashOf(svc).Summary(ctx, a, "", "", ""); err == nil {
			t.Error("a handler without a unit reads the figures of every unit")
		}
		if _, err := dashOf(svc).Map(ctx, handler("binyang"), "", "", "", ""); err != nil {
			t.Errorf("binyang's own map: %v", err)
		}
	})
}
