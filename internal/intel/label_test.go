package intel_test

import (
	"context"
	"strings"
	"testing"

	"hotline/internal/intel"
	"hotline/internal/order"
	"hotline/internal/testenv"
)

// TestHotspotLabelsHoldNoCallerData: in the running service, callers who
// repeat their name and number in the message text (as callers do) and
// name the property manager produce a hotspot whose label names the place
// and the problem, and none of the caller fields, names or numbers.
func TestHotspotLabelsHoldNoCallerData(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db string) {
		t.Parallel() // own app and database; sqlite and postgres overlap
		m := startDemo(t, db, intel.New())
		ctx := context.Background()
		callers := []order.Caller{{Name: "张建国", Phone: "13812345678"}, {Name: "李娜", Phone: "13987654321"},
			{Name: "王芳", Phone: "13700001111"}, {Name: "刘德华", Phone: "0731-84512345"}}
		texts := []string{
			"我是张建国，三江小区12号楼楼顶漏水，物业经理赵立新不管，电话13812345678",
			"三江小区12号楼楼顶漏水，找物业赵立新多次不处理。我叫李娜，回电13987654321",
			"王芳反映三江小区12号楼楼顶漏水，物业赵立新经理推脱，联系电话13700001111",
			"业主刘德华：三江小区12号楼楼顶漏水没人修，物业经理赵立新不接电话，座机0731-84512345",
		}
		for i, c := range callers {
			c := c
			if _, err := m.Svc.CreateOrder(ctx, opr, order.NewOrder{Type: order.Complaint, Source: order.SourceHotline,
				Title: "三江小区漏水赵立新不管", Description: texts[i], Caller: &c}); err != nil {
				t.Fatal(err)
			}
		}
		hs, err := m.Svc.Hotspots(ctx, leader, 20)
		if err != nil {
			t.Fatal(err)
		}
		private := []string{"张建国", "建国", "李娜", "王芳", "刘德华", "德华", "赵立新", "立新",
			"13812345678", "13987654321", "13700001111", "84512345", "0731", "1381234", "5678"}
		found := false
		for _, h := range hs {
			shown := h.Label + "|" + h.Place + "|" + strings.Join(h.Terms, "|")
			for _, p := range private {
				if strings.Contains(shown, p) {
					t.Errorf("hotspot %s shows %q: %s", h.ID, p, shown)
				}
			}
			t.Logf("hotspot %s: %s", h.ID, shown)
			found = found || h.Size >= 4 && strings.Contains(h.Label, "漏水")
		}
		if !found {
			t.Fatalf("the leak reports form no hotspot about 漏水: %+v", hs)
		}
	})
}

// TestHotspotLabelsDropCallerNamesThatAreWords: a caller whose name is an
// ordinary word (向阳) and who says it in every call would make it the
// cluster's top term; the caller fields are cut out of the text before the
// clusterer counts anything, so it never reaches the label.
func TestHotspotLabelsDropCallerNamesThatAreWords(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, db string) {
		t.Parallel() // own app and database; sqlite and postgres overlap
		m := startDemo(t, db, intel.New())
		ctx := context.Background()
		c := order.Caller{Name: "向阳", Phone: "13812340000"}
		texts := []string{"向阳来电：三江小区东门下水道堵塞，污水外溢", "向阳再次反映三江小区东门下水道堵塞",
			"向阳说三江小区东门下水道堵塞三天了", "向阳投诉三江小区东门下水道堵塞没人疏通"}
		for _, tx := range texts {
			c := c
			if _, err := m.Svc.CreateOrder(ctx, opr, order.NewOrder{Type: order.Complaint, Source: order.SourceHotline,
				Title: "下水道堵塞", Description: tx, Caller: &c}); err != nil {
				t.Fatal(err)
			}
		}
		hs, err := m.Svc.Hotspots(ctx, leader, 20)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, h := range hs {
			shown := h.Label + "|" + h.Place + "|" + strings.Join(h.Terms, "|")
			if strings.Contains(shown, "向阳") {
				t.Errorf("hotspot %s shows the caller's name: %s", h.ID, shown)
			}
			found = found || h.Size >= 4 && strings.Contains(shown, "堵塞")
		}
		if !found {
			t.Fatalf("the blocked-drain reports form no hotspot: %+v", hs)
		}
	})
}
