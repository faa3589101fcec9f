package intel_test

import (
	"context"
	"fmt"
	"testing"

	"hotline/internal/intel"
	"hotline/internal/order"
	"hotline/internal/testenv"
)

// TestScopedViewsWiden (issue 12, defect 4): when the best candidates of a
// derived view all belong to other units, the service asks the index for
// more, so a handler still sees its own unit's past case and open order
// that rank below thirty other units' ones; and never the others'.
func TestScopedViewsWiden(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db string) {
		t.Parallel() // own app and database; sqlite and postgres overlap
		in := intel.New()
		m := startDemo(t, db, in)
		ctx := context.Background()
		const title, desc = "宾阳新村楼道堆放杂物堵塞消防通道", "宾阳新村3号楼楼道堆放杂物，堵塞消防通道，存在火灾隐患。"
		act := func(a order.Actor, id string, action order.Action, i order.Input) {
			t.Helper()
			o, err := m.Store.GetOrder(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			i.Version = &o.Version
			if _, err := m.Svc.Act(ctx, a, id, action, i); err != nil {
				t.Fatalf("%s: %v", action, err)
			}
		}
		create := func(title, desc, unit string, close bool) string {
			t.Helper()
			v, err := m.Svc.CreateOrder(ctx, opr, order.NewOrder{Type: order.Complaint, Source: order.SourceHotline, Urgency: order.Normal,
				Title: title, Description: desc})
			if err != nil {
				t.Fatal(err)
			}
			act(disp, v.ID, order.ActDispatch, order.Input{Unit: unit})
			if close {
				h := order.Actor{Username: unit, Role: order.RoleHandler, Unit: unit}
				act(h, v.ID, order.ActAccept, order.Input{})
				act(h, v.ID, order.ActContact, order.Input{Note: "已联系"})
				act(h, v.ID, order.ActReply, order.Input{Result: "resolved", Text: "已清理 " + unit})
				act(disp, v.ID, order.ActApproveReply, order.Input{})
				yes := true
				act(opr, v.ID, order.ActCallback, order.Input{Outcome: "satisfied", Resolved: &yes})
			}
			return v.ID
		}
		var others []string
		for i := range 30 {
			others = append(others, create(title, desc, "binyang", true), create(title, desc+fmt.Sprint(i), "binyang", false))
		}
		const lessAlike = "楼道里堆了杂物，消防通道不通畅，请城管来看看，已经反映过好几次了，一直没人管。"
		ownCase := create(title, lessAlike, "cityops", true)
		ownOpen := create(title, lessAlike+"再次反映", "cityops", false)
		asking := create(title, desc, "cityops", false)
		in.Flush()

		cityops := order.Actor{Username: "cityops", Role: order.RoleHandler, Unit: "cityops"}
		all, err := m.Svc.PastCases(ctx, disp, asking, 20)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range all {
			if c.ID == ownCase {
				t.Fatalf("cityops' case is among the dispatcher's first 20: the test needs it ranked lower")
			}
		}
		cases, err := m.Svc.PastCases(ctx, cityops, asking, 5)
		if err != nil {
			t.Fatal(err)
		}
		if len(cases) != 1 || cases[0].ID != ownCase {
			t.Errorf("cityops' past cases: %+v, want only its own closed case %s", cases, ownCase)
		}
		sim, err := m.Svc.SimilarOpen(ctx, cityops, title, desc, 5)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, s := range sim {
			seen[s.ID] = true
		}
		for _, id := range others {
			if seen[id] {
				t.Errorf("cityops is shown binyang's order %s as a similar open order", id)
			}
		}
		if !seen[ownOpen] || !seen[asking] {
			t.Errorf("cityops' similar open orders %+v lack its own %s and %s", sim, ownOpen, asking)
		}
		if s, _ := m.Svc.SimilarOpen(ctx, disp, title, desc, 5); len(s) != 5 {
			t.Errorf("the dispatcher's similar open orders: %d, want 5", len(s))
		}
		if s, err := m.Svc.SimilarOpen(ctx, order.Actor{Username: "v", Role: order.RoleVolunteer}, title, desc, 5); err != nil || len(s) != 0 {
			t.Errorf("a volunteer's similar open orders: %+v %v", s, err)
		}

	})
}
