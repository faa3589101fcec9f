package service_test

import (
	"context"
	"testing"

	"hotline/internal/order"
	"hotline/internal/service"
	"hotline/internal/testenv"
)

// TestRankedSearchKeepsPermissions: a ranked search (q) still shows a
// handler only its own unit's orders, masks callers for the roles that see
// them masked, and pages the ranked list to the end. (Without the text
// intelligence the service splits the query on spaces and punctuation.)
func TestRankedSearchKeepsPermissions(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dbURL string) {
		clk := &clock{}
		clk.Set(sh(t, "2026-03-02 09:00:00"))
		svc := openService(t, dbURL, clk)
		putUnits(t, svc)
		ctx := context.Background()
		mine := map[string]bool{}
		for i, title := range []string{"路灯 坏了", "路灯 不亮", "路灯 楼道 坏了", "路灯 倒了", "噪音 扰民"} {
			id := newOrder(t, svc, order.Complaint, order.Normal, title)
			unit := "binyang"
			if i%2 == 1 {
				unit = "cityops"
			}
			act(t, svc, dispatcher, id, order.ActDispatch, order.Input{Unit: unit})
			if unit == "binyang" && i != 4 {
				mine[id] = true
			}
		}
		page := func(a order.Actor, q, cursor string) ([]service.OrderView, string) {
			vs, next, err := svc.ListOrders(ctx, a, service.ListQuery{Q: q, Limit: 1, Cursor: cursor, Sort: service.SortRelevance})
			if err != nil {
				t.Fatal(err)
			}
			return vs, next
		}
		seen := map[string]bool{}
		cursor := ""
		for {
			vs, next := page(handler("binyang"), "路灯 坏了", cursor)
			for _, v := range vs {
				if !mine[v.ID] || seen[v.ID] {
					t.Fatalf("handler binyang got order %s (unit %s, seen before %v)", v.ID, v.Unit, seen[v.ID])
				}
				seen[v.ID] = true
				if v.CallerView.Unmasked || v.CallerView.Phone == "13800000101" {
					t.Fatalf("handler sees the caller unmasked: %+v", v.CallerView)
				}
			}
			if next == "" {
				break
			}
			cursor = next
		}
		if len(seen) != len(mine) {
			t.Fatalf("handler binyang saw %d of its %d matching orders", len(seen), len(mine))
		}
		// The exact phrase first, for the dispatcher, who sees callers.
		vs, _ := page(dispatcher, "路灯 坏了", "")
		if len(vs) != 1 || vs[0].Title != "路灯 坏了" || !vs[0].CallerView.Unmasked {
			t.Fatalf("dispatcher's first result: %+v", vs)
		}
		if _, _, err := svc.ListOrders(ctx, order.Actor{Username: "v", Role: order.RoleVolunteer}, service.ListQuery{Q: "路灯"}); err == nil {
			t.Fatal("a volunteer searched work orders")
		}
	})
}
