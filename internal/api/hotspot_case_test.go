package api_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestHotspotCaseThroughHTTP: three residents of 三江小区 call about the
// street shops' fumes in their own words; a dispatcher turns the hotspot
// into one proactive case in one request — a `patrol` order filed under the
// compound, the three calls merged into it, sent to the compound's committee
// — and the hotspot list shows the case as handling it; a second click is
// refused and opens nothing; a call after that flags the hotspot as growing
// again. Leaders and handlers may not open the case. Both databases.
func TestHotspotCaseThroughHTTP(t *testing.T) {
	t.Parallel()
	startEach(t, func(t *testing.T, s *server) {
		opr, disp, lead, handler := s.login("operator"), s.admin(), s.login("leader"), s.login("binyang")
		calls := [][2]string{
			{"三江小区楼下烧烤店油烟太大", "三江小区临街门面烧烤，油烟直排进家里，晚上没法开窗"},
			{"三江小区底层餐馆油烟扰民", "三江小区一楼的夜宵摊营业到凌晨，油烟大，吵得睡不着"},
			{"三江小区商铺没有排烟管道", "三江小区商铺烧烤油烟，整个小区都是烧烤味"},
		}
		var ids []string
		for i, c := range calls {
			o := opr.create(c[0], c[1], obj{"compound": "sanjiang", "urgency": []string{"normal", "urgent", "normal"}[i],
				"caller": obj{"name": fmt.Sprintf("油烟住户%d", i), "phone": fmt.Sprintf("1390000700%d", i)}})
			ids = append(ids, o["id"].(string))
		}
		find := func() obj {
			t.Helper()
			hs := lead.must(200, "GET", "/api/v1/hotspots?limit=100", nil)["hotspots"].([]any)
			for _, x := range hs {
				h := x.(map[string]any)
				for _, m := range h["members"].([]any) {
					if m == ids[0] {
						return h
					}
				}
			}
			t.Fatalf("no hotspot holds %s: %v", ids[0], hs)
			return nil
		}
		h := find()
		if h["case"] != nil || h["open"].(float64) != 3 || h["place"] != "三江小区" {
			t.Fatalf("before: %v", h)
		}
		hid := h["id"].(string)
		lead.must(403, "POST", "/api/v1/hotspots/"+hid+"/case", nil)
		handler.must(403, "POST", "/api/v1/hotspots/"+hid+"/case", nil)
		disp.must(404, "POST", "/api/v1/hotspots/no-such-hotspot/case", nil)

		c := disp.must(201, "POST", "/api/v1/hotspots/"+hid+"/case", nil)
		cid := c["id"].(string)
		if c["source"] != "patrol" || c["status"] != "dispatched" || c["unit"] != "binyang" || c["compound"] != "sanjiang" || c["urgency"] != "urgent" {
			t.Fatalf("case: source %v status %v unit %v compound %v urgency %v", c["source"], c["status"], c["unit"], c["compound"], c["urgency"])
		}
		if ch := toStrings(c["children"]); !slices.Equal(sortedCopy(ch), sortedCopy(ids)) {
			t.Fatalf("case children %v, want %v", ch, ids)
		}
		if cc, _ := c["co_callers"].([]any); len(cc) != 3 {
			t.Fatalf("the callers are not the case's co-callers: %v", c["co_callers"])
		}
		text := c["title"].(string) + c["description"].(string)
		if !strings.Contains(text, "三江小区") || !strings.Contains(c["title"].(string), "油烟") {
			t.Fatalf("the case does not name the place and problem: %q", text)
		}
		for i := range calls {
			if strings.Contains(text, fmt.Sprintf("油烟住户%d", i)) || strings.Contains(text, fmt.Sprintf("1390000700%d", i)) {
				t.Fatalf("the case's text holds a caller: %q", text)
			}
		}
		for _, id := range ids {
			o := disp.must(200, "GET", "/api/v1/orders/"+id, nil)
			if o["status"] != "merged" || o["parent"] != cid {
				t.Fatalf("call %s: status %v parent %v, want merged into %s", id, o["status"], o["parent"], cid)
			}
		}
		handler.must(200, "GET", "/api/v1/orders/"+cid, nil) // the committee has it

		h = find()
		cs, _ := h["case"].(map[string]any)
		if cs == nil || cs["id"] != cid || cs["number"] != c["number"] || cs["status"] != "dispatched" || h["open"].(float64) != 0 || h["regrown"] != false {
			t.Fatalf("after: the hotspot does not show its case: %v", h)
		}
		if slices.Contains(toStrings(h["members"]), cid) {
			t.Fatalf("the case itself joined the hotspot: %v", h["members"])
		}
		// A second click opens nothing.
		before := len(disp.must(200, "GET", "/api/v1/orders?limit=200", nil)["orders"].([]any))
		if st, out := disp.do("POST", "/api/v1/hotspots/"+hid+"/case", nil); st != 409 || errCode(out) != "conflict" {
			t.Fatalf("second case: %d %v", st, out)
		}
		if after := len(disp.must(200, "GET", "/api/v1/orders?limit=200", nil)["orders"].([]any)); after != before {
			t.Fatalf("a refused case wrote an order: %d orders, was %d", after, before)
		}
		// A call after the case: the hotspot grows again.
		late := opr.create("三江小区烧烤油烟又来了", "三江小区临街烧烤店油烟直排，之前反映过", obj{"compound": "sanjiang"})
		h = find()
		if h["regrown"] != true || h["open"].(float64) != 1 || !slices.Contains(toStrings(h["members"]), late["id"].(string)) {
			t.Fatalf("a call after the case is not flagged: %v", h)
		}
	})
}

func toStrings(v any) []string {
	xs, _ := v.([]any)
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}
