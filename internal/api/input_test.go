package api_test

import (
	"fmt"
	"strings"
	"testing"
)

// TestBadInput: every malformed request gets the contract's error shape with
// a useful field, and nothing is written.
func TestBadInput(t *testing.T) {
	t.Parallel()
	startEach(t, func(t *testing.T, s *server) {
		opr, disp := s.login("operator"), s.admin()
		count := func() int {
			return len(disp.must(200, "GET", "/api/v1/orders?limit=200", nil)["orders"].([]any))
		}
		before := count()
		long := strings.Repeat("很", 10001)
		cases := []struct {
			name   string
			body   any
			status int
			field  string
		}{
			{"malformed JSON", `{"type": "complaint",`, 400, "body"},
			{"not an object", `[1,2]`, 400, "body"},
			{"empty body", ``, 400, "body"},
			{"two objects", `{} {}`, 400, "body"},
			{"wrong type", obj{"type": 5, "source": "hotline", "title": "t", "description": "d"}, 400, "type"},
			{"wrong nested type", obj{"type": "complaint", "source": "hotline", "title": "t", "description": "d", "caller": obj{"confidential": "yes"}}, 400, "caller.confidential"},
			{"unknown enum", obj{"type": "rant", "source": "hotline", "title": "t", "description": "d"}, 400, "type"},
			{"unknown source", obj{"type": "complaint", "source": "fax", "title": "t", "description": "d"}, 400, "source"},
			{"unknown urgency", obj{"type": "complaint", "source": "hotline", "urgency": "asap", "title": "t", "description": "d"}, 400, "urgency"},
			{"empty title", obj{"type": "complaint", "source": "hotline", "title": "  ", "description": "d"}, 400, "title"},
			{"missing description", obj{"type": "complaint", "source": "hotline", "title": "t"}, 400, "description"},
			{"too long", obj{"type": "complaint", "source": "hotline", "title": "t", "description": long}, 400, "description"},
			{"bad phone", obj{"type": "complaint", "source": "hotline", "title": "t", "description": "d", "caller": obj{"phone": "call me"}}, 400, "caller.phone"},
			{"lat out of range", obj{"type": "complaint", "source": "hotline", "title": "t", "description": "d", "lat": 91, "lng": 121}, 400, "lat"},
			{"unknown category", obj{"type": "complaint", "source": "hotline", "title": "t", "description": "d", "category": "no.such"}, 400, "category"},
			{"unknown compound", obj{"type": "complaint", "source": "hotline", "title": "t", "description": "d", "compound": "atlantis"}, 400, "compound"},
			{"too large", `{"description": "` + strings.Repeat("x", 1<<20+10) + `"}`, 413, ""},
		}
		for _, c := range cases {
			st, out := opr.do("POST", "/api/v1/orders", c.body)
			if st != c.status {
				t.Errorf("%s: status %d, want %d (%v)", c.name, st, c.status, out)
				continue
			}
			e, _ := out["error"].(map[string]any)
			if e == nil || e["message"] == "" {
				t.Errorf("%s: no error shape: %v", c.name, out)
				continue
			}
			if c.field != "" && errFields(out)[c.field] == nil {
				t.Errorf("%s: fields lack %q: %v", c.name, c.field, out)
			}
		}
		if after := count(); after != before {
			t.Fatalf("bad input wrote orders: %d -> %d", before, after)
		}
		// Actions: unknown action, unknown order, missing version, bad enum.
		id := opr.create("测试", "测试", nil)["id"].(string)
		disp.must(404, "POST", "/api/v1/orders/"+id+"/explode", obj{"version": 1})
		disp.must(404, "POST", "/api/v1/orders/999999/dispatch", obj{"version": 1, "unit": "binyang"})
		disp.must(404, "GET", "/api/v1/orders/not-a-number", nil)
		out := disp.must(400, "POST", "/api/v1/orders/"+id+"/dispatch", obj{"unit": "binyang"})
		if errFields(out)["version"] == nil {
			t.Fatalf("missing version: %v", out)
		}
		out = disp.must(400, "POST", "/api/v1/orders/"+id+"/dispatch", obj{"unit": "binyang", "version": "one"})
		if errFields(out)["version"] == nil {
			t.Fatalf("wrong version type: %v", out)
		}
		disp.act(400, id, "dispatch", obj{"unit": "binyang", "co_units": []string{"ghost"}})
		// Lists and stats.
		disp.must(400, "GET", "/api/v1/orders?status=lost", nil)
		disp.must(400, "GET", "/api/v1/orders?limit=100000", nil)
		disp.must(400, "GET", "/api/v1/orders?cursor=abc", nil)
		disp.must(400, "GET", "/api/v1/orders?from=yesterday", nil)
		disp.must(400, "GET", "/api/v1/stats/summary?from=2026-13-01", nil)
		disp.must(400, "GET", "/api/v1/stats/summary?unit=ghost", nil)
		disp.must(404, "GET", "/api/v1/nothing-here", nil)
		if o := disp.must(200, "GET", "/api/v1/orders/"+id, nil); o["version"].(float64) != 1 || len(o["events"].([]any)) != 1 {
			t.Fatalf("refused actions wrote: %v", o)
		}
	})
}

// TestSearchAndPaging: Chinese full-text search finds words inside longer
// phrases, and the cursor pages newest first without gaps.
func TestSearchAndPaging(t *testing.T) {
	t.Parallel()
	startEach(t, func(t *testing.T, s *server) {
		opr, disp := s.login("operator"), s.admin()
		lamp := opr.create("小区门口路灯坏了", "晚上很黑", nil)["id"].(string)
		prop := opr.create("物业公司不作为", "电梯坏了没人修", nil)["id"].(string)
		find := func(q string) []string {
			var ids []string
			for _, o := range disp.must(200, "GET", "/api/v1/orders?limit=200&q="+q, nil)["orders"].([]any) {
				ids = append(ids, o.(map[string]any)["id"].(string))
			}
			return ids
		}
		has := func(ids []string, id string) bool {
			for _, x := range ids {
				if x == id {
					return true
				}
			}
			return false
		}
		if ids := find("路灯"); !has(ids, lamp) || has(ids, prop) {
			t.Fatalf("q=路灯: %v (lamp %s, property %s)", ids, lamp, prop)
		}
		if ids := find("物业"); !has(ids, prop) || has(ids, lamp) {
			t.Fatalf("q=物业: %v", ids)
		}
		if ids := find("电梯"); !has(ids, prop) {
			t.Fatalf("q=电梯 (description): %v", ids)
		}
		if ids := find("火星基地"); len(ids) != 0 {
			t.Fatalf("q=火星基地: %v", ids)
		}
		// api.md: q lists newest first, every word matching; sort=relevance
		// asks for the ranked list (any word, the exact phrase first).
		older := opr.create("路灯坏了", "小区门口路灯坏了三天", nil)["id"].(string)
		newer := opr.create("路灯不亮", "居民反映楼下路灯一到晚上就不亮", nil)["id"].(string)
		if ids := find("路灯坏了"); len(ids) < 3 || ids[0] != older || has(ids, newer) {
			t.Fatalf("q=路灯坏了 newest first, all words: %v (older exact %s, newer partial %s)", ids, older, newer)
		}
		var ranked []string
		for _, o := range disp.must(200, "GET", "/api/v1/orders?limit=200&sort=relevance&q=路灯坏了", nil)["orders"].([]any) {
			ranked = append(ranked, o.(map[string]any)["id"].(string))
		}
		if len(ranked) < 4 || !has(ranked, newer) || ranked[len(ranked)-1] != newer {
			t.Fatalf("sort=relevance: the partial match should come last: %v (newer partial %s)", ranked, newer)
		}
		disp.must(400, "GET", "/api/v1/orders?sort=oldest&q=路灯", nil)
		// Paging: 3 per page over everything, newest first, no repeats.
		seen := map[string]bool{}
		cursor, last := "", int64(1<<62)
		for pages := 0; pages < 100; pages++ {
			out := disp.must(200, "GET", "/api/v1/orders?limit=3&cursor="+cursor, nil)
			for _, o := range out["orders"].([]any) {
				id := o.(map[string]any)["id"].(string)
				var n int64
				fmt.Sscan(id, &n)
				if seen[id] || n >= last {
					t.Fatalf("paging repeated or out of order at %s", id)
				}
				seen[id], last = true, n
			}
			next, _ := out["next_cursor"].(string)
			if next == "" {
				break
			}
			cursor = next
		}
		total := 0
		for range disp.must(200, "GET", "/api/v1/orders?limit=200", nil)["orders"].([]any) {
			total++
		}
		if len(seen) != total {
			t.Fatalf("paging saw %d of %d", len(seen), total)
		}
		// Filters.
		for _, o := range disp.must(200, "GET", "/api/v1/orders?status=dispatched,accepted&type=complaint", nil)["orders"].([]any) {
			m := o.(map[string]any)
			if (m["status"] != "dispatched" && m["status"] != "accepted") || m["type"] != "complaint" {
				t.Fatalf("filter leak: %v %v", m["status"], m["type"])
			}
		}
	})
}

// TestAdminCalendarAndPolicy: an admin corrects the calendar at run time
// and the next deadline follows it; others may not.
func TestAdminCalendarAndPolicy(t *testing.T) {
	t.Parallel()
	startEach(t, func(t *testing.T, s *server) {
		adm, disp := s.login("admin"), s.admin()
		disp.must(403, "PUT", "/api/v1/calendar/days/2027-02-06", obj{"name": "春节调休", "off_day": false})
		adm.must(400, "PUT", "/api/v1/calendar/days/2027-02-30", obj{"off_day": false})
		adm.must(400, "PUT", "/api/v1/calendar/days/2027-02-06", obj{"name": "x"})
		adm.must(200, "PUT", "/api/v1/calendar/days/2027-02-06", obj{"name": "春节调休", "off_day": false})
		days := adm.must(200, "GET", "/api/v1/calendar/2027", nil)["days"].([]any)
		if len(days) == 0 {
			t.Fatal("calendar day not stored")
		}
		doc := `{"year": 2028, "papers": [], "days": [{"name": "元旦", "date": "2028-01-03", "isOffDay": true}]}`
		if out := adm.must(200, "POST", "/api/v1/calendar/years", doc); out["days"].(float64) != 1 {
			t.Fatal(out)
		}
		adm.must(400, "POST", "/api/v1/calendar/years", `{"year": "soon"}`)
		p := adm.must(200, "GET", "/api/v1/policy", nil)
		adm.must(400, "PUT", "/api/v1/policy", obj{"rules": []any{}})
		adm.must(200, "PUT", "/api/v1/policy", p)
		disp.must(403, "PUT", "/api/v1/policy", p)
	})
}
