package web

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"hotline/internal/order"
	"hotline/internal/service"
)

// TestBrowserHotspotCase: a dispatcher clicks 主动立案处置 on a hotspot of
// three calls about one compound's fumes and lands on the new case — a
// patrol order sent to the compound's committee, the calls merged into it;
// the hotspot list then shows the case as handling it, to the leader too,
// and offers the button no more.
func TestBrowserHotspotCase(t *testing.T) {
	b := newBrowser(t, withIntel)
	ctx := context.Background()
	opr := order.Actor{Username: "operator", Role: order.RoleOperator}
	var ids []string
	for _, c := range [][2]string{
		{"三江小区楼下烧烤店油烟太大", "三江小区临街门面烧烤，油烟直排进家里，晚上没法开窗"},
		{"三江小区底层餐馆油烟扰民", "三江小区一楼的夜宵摊营业到凌晨，油烟大，吵得睡不着"},
		{"三江小区商铺没有排烟管道", "三江小区商铺烧烤油烟，整个小区都是烧烤味"},
	} {
		v, err := b.m.Svc.CreateOrder(ctx, opr, order.NewOrder{Type: order.Complaint, Source: order.SourceHotline,
			Title: c[0], Description: c[1], Compound: "sanjiang"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, v.ID)
	}
	hotspot := func() service.Hotspot {
		t.Helper()
		hs, err := b.m.Svc.Hotspots(ctx, order.Actor{Username: "leader", Role: order.RoleLeader}, 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range hs {
			if slices.Contains(h.Members, ids[0]) {
				return h
			}
		}
		t.Fatalf("no hotspot holds %s", ids[0])
		return service.Hotspot{}
	}
	h := hotspot()
	disp := b.as("dispatcher")
	disp.open("/hotspots")
	btn := `#hs-` + h.ID + ` button[data-hotspot-case]`
	disp.do(chromedp.WaitVisible(chromedp.CSS(btn)), chromedp.Click(chromedp.CSS(btn)), chromedp.WaitVisible(chromedp.CSS(".flash.ok")))
	loc := disp.eval(`location.pathname`)
	m := orderLink.FindStringSubmatch(loc)
	if m == nil {
		t.Fatalf("after the click the dispatcher is at %s, not on an order", loc)
	}
	c, err := b.m.Store.GetOrder(ctx, m[1])
	if err != nil {
		t.Fatal(err)
	}
	if c.Source != order.SourcePatrol || c.Status != order.Dispatched || c.Unit != "binyang" || !slices.Equal(slices.Sorted(slices.Values(c.Children)), slices.Sorted(slices.Values(ids))) {
		t.Fatalf("the case: source %s status %s unit %s children %v (calls %v)", c.Source, c.Status, c.Unit, c.Children, ids)
	}
	for _, id := range ids {
		if st := disp.status(id); st != order.Merged {
			t.Errorf("call %s is %s, not merged into the case", id, st)
		}
	}
	disp.open("/hotspots")
	disp.do(chromedp.WaitVisible(chromedp.CSS(`#hs-` + h.ID + ` a[data-case="` + c.ID + `"]`)))
	if n := disp.eval(`String(document.querySelectorAll('` + btn + `').length)`); n != "0" {
		t.Errorf("the handled hotspot still offers the case button (%s)", n)
	}
	lead := b.as("leader")
	lead.open("/hotspots")
	if s := lead.text(`#hs-` + h.ID + ` a[data-case="` + c.ID + `"]`); !strings.Contains(s, c.Number) {
		t.Errorf("the leader's hotspot row shows %q, not the case %s", s, c.Number)
	}
	disp.screenshot("hotspot-case")
}
