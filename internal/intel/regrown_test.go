package intel_test

import (
	"context"
	"testing"

	"hotline/internal/intel"
	"hotline/internal/order"
	"hotline/internal/service"
	"hotline/internal/testenv"
)

// TestHotspotRegrowsAfterHandling: residents of one compound call about one
// nuisance in their own words; the calls form one hotspot (not copies), a
// dispatcher turns it into one case, and when a new call about it comes in
// after that, the hotspot is flagged as growing again — on both databases.
func TestHotspotRegrowsAfterHandling(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db string) {
		t.Parallel() // own app and database; sqlite and postgres overlap
		m := startDemo(t, db, intel.New())
		ctx := context.Background()
		create := func(title, desc string) {
			t.Helper()
			if _, err := m.Svc.CreateOrder(ctx, opr, order.NewOrder{Type: order.Complaint, Source: order.SourceHotline,
				Title: title, Description: desc}); err != nil {
				t.Fatal(err)
			}
		}
		find := func() service.Hotspot {
			t.Helper()
			hs, err := m.Svc.Hotspots(ctx, leader, 50)
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range hs {
				if h.Place == "三江小区" && h.Size >= 3 {
					return h
				}
			}
			t.Fatalf("no 三江小区 hotspot of 3 or more in %+v", hs)
			return service.Hotspot{}
		}
		create("三江小区楼下烧烤店油烟太大", "三江小区临街门面烧烤，油烟直排进家里，晚上没法开窗")
		create("三江小区底层餐馆油烟扰民", "三江小区一楼的夜宵摊营业到凌晨，油烟大，吵得睡不着")
		create("三江小区商铺没有排烟管道", "三江小区商铺烧烤油烟，整个小区都是烧烤味")
		h := find()
		if h.Size != 3 || h.Distinct != 3 || h.Regrown || h.Heat <= 0 {
			t.Fatalf("before handling: %+v", h)
		}
		if _, err := m.Svc.MergeHotspot(ctx, disp, h.ID); err != nil {
			t.Fatal(err)
		}
		if h := find(); h.Regrown || h.Open != 1 {
			t.Fatalf("just handled: %+v", h)
		}
		create("三江小区烧烤油烟又来了", "三江小区临街烧烤店油烟直排，之前反映过")
		if h := find(); !h.Regrown || h.Open != 2 || h.Size != 4 {
			t.Fatalf("a new call after handling is not flagged: %+v", h)
		}
	})
}
