package api_test

import (
	"strings"
	"sync"
	"testing"
)

// TestLifecycle walks a complaint through its whole life over HTTP, each
// step by the right user, on both databases.
func TestLifecycle(t *testing.T) {
	t.Parallel()
	startEach(t, func(t *testing.T, s *server) {
		opr, disp, h, other, lead := s.login("operator"), s.admin(), s.login("binyang"), s.login("cityops"), s.login("leader")
		o := opr.create("小区门口路灯坏了", "宾阳新村南门口路灯坏了三天，晚上很黑。", obj{"compound": "binyang_xincun", "building": "3号楼"})
		id := o["id"].(string)
		if o["status"] != "received" || o["version"].(float64) != 1 || o["round"].(float64) != 1 {
			t.Fatalf("new order: %v", o)
		}
		if !strings.HasPrefix(o["number"].(string), "20") || len(o["number"].(string)) != 13 {
			t.Fatalf("number %v", o["number"])
		}
		if _, ok := o["suggestions"].(map[string]any); !ok {
			t.Fatalf("suggestions missing: %v", o["suggestions"])
		}
		if _, ok := o["similar"].([]any); !ok {
			t.Fatalf("similar missing: %v", o["similar"])
		}
		// A handler cannot see it before dispatch; the operator cannot dispatch.
		h.must(403, "GET", "/api/v1/orders/"+id, nil)
		opr.act(403, id, "dispatch", obj{"unit": "binyang"})
		disp.act(400, id, "dispatch", obj{"unit": "nosuchunit"})
		o = disp.act(200, id, "dispatch", obj{"unit": "binyang", "co_units": []string{"cityops"}, "note": "请尽快处理"})
		if o["status"] != "dispatched" || o["unit"] != "binyang" || o["due"] == nil || o["sign_due"] == nil || o["contact_due"] == nil {
			t.Fatalf("dispatched: %v", o)
		}
		// The co-unit can read and note but not act.
		other.must(200, "GET", "/api/v1/orders/"+id, nil)
		other.act(200, id, "note", obj{"text": "城管已知悉", "kind": "call"})
		other.act(403, id, "accept", nil)
		h.act(409, id, "contact", obj{"note": "x"}) // must sign first
		h.act(200, id, "accept", nil)
		h.act(400, id, "contact", obj{})
		o = h.act(200, id, "contact", obj{"note": "已电话联系，约定明早现场查看"})
		if o["status"] != "in_progress" || o["contacted_at"] == nil {
			t.Fatalf("contact: %v", o)
		}
		h.act(200, id, "note", obj{"text": "现场查看，灯杆线路老化", "kind": "site_visit"})
		h.act(200, id, "reply", obj{"result": "resolved", "text": "已更换灯泡和线路"})
		disp.act(200, id, "approve_reply", obj{"note": "可以"})
		o = opr.act(200, id, "callback", obj{"outcome": "dissatisfied", "resolved": false, "note": "说还是不亮"})
		if o["status"] != "reviewed" || o["satisfaction"] != "dissatisfied" {
			t.Fatalf("dissatisfied callback: %v", o)
		}
		disp.act(400, id, "reopen", obj{})
		o = disp.act(200, id, "reopen", obj{"note": "重办"})
		if o["status"] != "dispatched" || o["round"].(float64) != 2 || o["unit"] != "binyang" || o["contacted_at"] != nil {
			t.Fatalf("reopen: %v", o)
		}
		lead.act(200, id, "urge", obj{"note": "请抓紧"})
		lead.act(200, id, "supervise", obj{"note": "督办"})
		h.act(200, id, "accept", nil)
		h.act(200, id, "contact", obj{"note": "再次联系"})
		h.act(200, id, "reply", obj{"result": "resolved", "text": "已彻底修复"})
		disp.act(200, id, "approve_reply", nil)
		o = opr.act(200, id, "callback", obj{"outcome": "satisfied", "resolved": true})
		if o["status"] != "closed" || o["closed_at"] == nil || o["resolved"] != true || o["urge_count"].(float64) != 1 || o["supervised"] != true {
			t.Fatalf("closed: %v", o)
		}
		got := disp.must(200, "GET", "/api/v1/orders/"+id, nil)
		evs := got["events"].([]any)
		var actions []string
		for i, e := range evs {
			ev := e.(map[string]any)
			if ev["seq"].(float64) != float64(i+1) || len(ev["hash"].(string)) != 64 {
				t.Fatalf("event %d: %v", i, ev)
			}
			actions = append(actions, ev["action"].(string))
		}
		want := "create dispatch note accept contact note reply approve_reply callback reopen urge supervise accept contact reply approve_reply callback"
		if strings.Join(actions, " ") != want {
			t.Fatalf("timeline\n got %s\nwant %s", strings.Join(actions, " "), want)
		}
		// Nothing further once closed, except reopen.
		h.act(409, id, "reply", obj{"result": "resolved", "text": "x"})
		disp.act(409, id, "dispatch", obj{"unit": "binyang"})
	})
}

// TestReturnsMergeInvalidate covers the side paths of the workflow.
func TestReturnsMergeInvalidate(t *testing.T) {
	t.Parallel()
	startEach(t, func(t *testing.T, s *server) {
		opr, disp, h := s.login("operator"), s.admin(), s.login("binyang")
		a := opr.create("夜间施工噪音", "工地夜间施工", nil)["id"].(string)
		b := opr.create("夜间施工噪音又来了", "隔壁工地半夜施工", nil)["id"].(string)
		c := opr.create("无声电话", "来电无声", nil)["id"].(string)
		disp.act(200, a, "dispatch", obj{"unit": "binyang"})
		h.act(200, a, "accept", nil)
		h.act(400, a, "request_return", obj{})
		o := h.act(200, a, "request_return", obj{"reason": "不是本单位职责"})
		if o["status"] != "return_requested" {
			t.Fatal(o)
		}
		disp.act(400, a, "reject_return", obj{})
		o = disp.act(200, a, "reject_return", obj{"note": "属于居委会协调范围"})
		if o["status"] != "accepted" {
			t.Fatalf("reject_return goes back to accepted: %v", o["status"])
		}
		h.act(200, a, "request_return", obj{"reason": "确实不是"})
		o = disp.act(200, a, "approve_return", nil)
		if o["status"] != "returned" || o["unit"] != nil {
			t.Fatalf("approve_return: %v", o)
		}
		h.must(403, "GET", "/api/v1/orders/"+a, nil)
		disp.act(200, a, "dispatch", obj{"unit": "cityops"})
		disp.act(200, a, "redispatch", obj{"unit": "binyang"})

		// Merge b into a: b is merged, a lists b and b's caller.
		o = disp.act(200, b, "merge", obj{"into": a})
		if o["status"] != "merged" || o["parent"] != a {
			t.Fatalf("merge: %v", o)
		}
		p := disp.must(200, "GET", "/api/v1/orders/"+a, nil)
		if kids := p["children"].([]any); len(kids) != 1 || kids[0] != b {
			t.Fatalf("children: %v", p["children"])
		}
		if cc := p["co_callers"].([]any); len(cc) != 1 {
			t.Fatalf("co_callers: %v", p["co_callers"])
		}
		// Merge into a closed or missing order, or itself, is refused and writes nothing.
		disp.act(200, c, "invalidate", obj{"reason": "无声电话"})
		d := opr.create("另一个", "描述", nil)["id"].(string)
		before := disp.must(200, "GET", "/api/v1/orders/"+d, nil)
		out := disp.act(400, d, "merge", obj{"into": c})
		if errFields(out)["into"] == nil {
			t.Fatalf("merge into invalid order: %v", out)
		}
		disp.act(400, d, "merge", obj{"into": "999999"})
		disp.act(400, d, "merge", obj{"into": d})
		after := disp.must(200, "GET", "/api/v1/orders/"+d, nil)
		if after["version"] != before["version"] || len(after["events"].([]any)) != 1 {
			t.Fatalf("refused merge wrote something: %v", after)
		}
		// A consultation answered directly.
		e := opr.create("咨询", "垃圾投放时间？", obj{"type": "consultation"})["id"].(string)
		if o := opr.act(200, e, "answer", obj{"reply": "7点到9点"}); o["status"] != "answered" {
			t.Fatal(o)
		}
	})
}

// TestExtension covers the extension request and its approval.
func TestExtension(t *testing.T) {
	t.Parallel()
	startEach(t, func(t *testing.T, s *server) {
		opr, disp, h := s.login("operator"), s.admin(), s.login("binyang")
		id := opr.create("楼上漏水", "漏水到楼下", nil)["id"].(string)
		disp.act(200, id, "dispatch", obj{"unit": "binyang"})
		h.act(200, id, "accept", nil)
		h.act(400, id, "request_extension", obj{"days": 31, "reason": "x"})
		before := h.act(200, id, "request_extension", obj{"days": 3, "reason": "需协调维修"})
		h.act(409, id, "request_extension", obj{"days": 2, "reason": "again"})
		o := disp.act(200, id, "approve_extension", obj{"note": "同意"})
		if o["due"] == before["due"] || o["pending_extension"] != nil {
			t.Fatalf("extension not applied: %v -> %v", before["due"], o["due"])
		}
		disp.act(409, id, "approve_extension", nil)
	})
}

// TestConcurrentActions races two identical actions: exactly one wins and
// the loser gets 409 with nothing changed.
func TestConcurrentActions(t *testing.T) {
	t.Parallel()
	startEach(t, func(t *testing.T, s *server) {
		opr := s.login("operator")
		d1, d2 := s.login("dispatcher"), s.login("dispatcher")
		for round := 0; round < 5; round++ {
			id := opr.create("并发测试", "两个派单员同时派单", nil)["id"].(string)
			var wg sync.WaitGroup
			codes := make([]int, 2)
			for i, c := range []*client{d1, d2} {
				wg.Add(1)
				go func(i int, c *client) {
					defer wg.Done()
					codes[i], _ = c.do("POST", "/api/v1/orders/"+id+"/dispatch", obj{"unit": []string{"binyang", "cityops"}[i], "version": 1})
				}(i, c)
			}
			wg.Wait()
			if !((codes[0] == 200 && codes[1] == 409) || (codes[0] == 409 && codes[1] == 200)) {
				t.Fatalf("round %d: statuses %v, want one 200 and one 409", round, codes)
			}
			o := d1.must(200, "GET", "/api/v1/orders/"+id, nil)
			if o["version"].(float64) != 2 || len(o["events"].([]any)) != 2 {
				t.Fatalf("round %d: version %v, %d events", round, o["version"], len(o["events"].([]any)))
			}
		}
		// A stale version is refused.
		id := opr.create("版本", "旧版本", nil)["id"].(string)
		d1.must(200, "POST", "/api/v1/orders/"+id+"/urge", obj{"version": 1})
		out := d2.must(409, "POST", "/api/v1/orders/"+id+"/urge", obj{"version": 1})
		if errCode(out) != "conflict" {
			t.Fatal(out)
		}
	})
}
