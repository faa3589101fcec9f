package meetingapi_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"hotline/internal/app/communitytest"
)

type obj = communitytest.Obj

func id(o obj) string { return o["id"].(string) }

// afterDue waits until due has passed (by 50 ms, a margin for the clocks'
// rounding): an action is made due 1.5 s out, the least a loaded machine's
// request is sure to beat, and the sweep must then find it overdue. It
// waited a fixed 2 s before, of which the request had often used half.
func afterDue(due time.Time) { time.Sleep(time.Until(due) + 50*time.Millisecond) }

// events returns an order's timeline as the dispatcher sees it.
func events(c *communitytest.Client, oid string) []any {
	return communitytest.List(c.Must(200, "GET", "/api/v1/orders/"+oid, nil), "events")
}

func TestMeetingsAPI(t *testing.T) {
	t.Parallel()
	communitytest.EachParallel(t, func(t *testing.T, s *communitytest.Server) {
		ctx := context.Background()
		binyang, yuehe, leader, disp := s.Login("binyang"), s.Login("yuehe"), s.Login("leader"), s.Login("dispatcher")
		vol, admin := s.Login("volunteer"), s.Login("admin")

		newOrder := func(title string) obj {
			return disp.Must(201, "POST", "/api/v1/orders", obj{"type": "complaint", "source": "hotline", "title": title,
				"description": title + "，居民反映多次", "compound": "sanjiang", "building": "29号楼"})
		}
		o1, o2 := newOrder("29号楼旁工地建筑垃圾堆放"), newOrder("三江小区租赁住房工地夜间施工噪音")
		disp.Must(200, "POST", "/api/v1/orders/"+id(o1)+"/dispatch", obj{"unit": "binyang", "version": o1["version"]})
		ev1, ev2 := len(events(disp, id(o1))), len(events(disp, id(o2)))

		starts := time.Now().UTC().Add(-48 * time.Hour).Truncate(time.Second)
		body := obj{"kind": "coordination", "topic": "29号楼建筑垃圾清运协调会", "starts_at": starts.Format(time.RFC3339), "place": "居委会会议室",
			"compound": "sanjiang", "orders": []string{id(o1)},
			"participants": []obj{{"name": "测试居民代表", "kind": "resident"}, {"name": "测试施工单位", "kind": "company"}, {"name": "城管", "kind": "unit", "unit": "cityops"}}}

		// Refusals and bad input write nothing, not even the order's note.
		meetings := s.Count("meetings")
		bad := obj{}
		for k, v := range body {
			bad[k] = v
		}
		bad["kind"] = "party"
		if f := binyang.Fails(400, "invalid", "POST", "/api/v1/meetings", bad); f["kind"] == nil {
			t.Fatalf("fields %v", f)
		}
		bad["kind"], bad["orders"] = "hearing", []string{id(o2)} // held by the center: not visible to the committee
		if f := binyang.Fails(400, "invalid", "POST", "/api/v1/meetings", bad); f["orders"] == nil {
			t.Fatalf("fields %v", f)
		}
		bad["orders"] = []string{id(o1), "999999"}
		binyang.Fails(400, "invalid", "POST", "/api/v1/meetings", bad)
		bad["orders"], bad["compound"] = []string{}, "nowhere"
		binyang.Fails(400, "invalid", "POST", "/api/v1/meetings", bad)
		bad["compound"], bad["participants"] = "sanjiang", []obj{{"name": "x", "kind": "alien"}}
		binyang.Fails(400, "invalid", "POST", "/api/v1/meetings", bad)
		yuehe.Fails(403, "forbidden", "POST", "/api/v1/meetings", body)
		vol.Fails(403, "forbidden", "POST", "/api/v1/meetings", body)
		disp.Fails(403, "forbidden", "POST", "/api/v1/meetings", body)
		if s.Count("meetings") != meetings || len(events(disp, id(o1))) != ev1 || len(events(disp, id(o2))) != ev2 {
			t.Fatal("a refused meeting wrote something")
		}

		// Linking appends a `note` event of kind meeting to the order's chain.
		m := binyang.Must(201, "POST", "/api/v1/meetings", body)
		if m["status"] != "planned" || m["area"] != "binyang" || len(communitytest.List(m, "orders")) != 1 || len(communitytest.List(m, "participants")) != 3 {
			t.Fatalf("meeting %v", m)
		}
		evs := events(disp, id(o1))
		last := evs[len(evs)-1].(obj)
		b, _ := last["body"].(map[string]any)
		if len(evs) != ev1+1 || last["action"] != "note" || b["kind"] != "meeting" || b["meeting_id"] != id(m) {
			t.Fatalf("order timeline ends with %v", last)
		}
		o := disp.Must(200, "GET", "/api/v1/orders/"+id(o1), nil)
		if ms := communitytest.List(o, "meetings"); len(ms) != 1 || ms[0].(obj)["id"] != id(m) {
			t.Fatalf("order's meetings %v", o["meetings"])
		}
		if ms := communitytest.List(disp.Must(200, "GET", "/api/v1/orders/"+id(o2), nil), "meetings"); len(ms) != 0 {
			t.Fatalf("unlinked order's meetings %v", ms)
		}

		// Reading: the area, leaders; a list by compound, order and period.
		binyang.Must(200, "GET", "/api/v1/meetings/"+id(m), nil)
		leader.Must(200, "GET", "/api/v1/meetings/"+id(m), nil)
		yuehe.Fails(403, "forbidden", "GET", "/api/v1/meetings/"+id(m), nil)
		vol.Fails(403, "forbidden", "GET", "/api/v1/meetings", nil)
		yuehe.Fails(403, "forbidden", "GET", "/api/v1/meetings?area=binyang", nil)
		for q, n := range map[string]int{"compound=sanjiang": 1, "compound=ruiyuan": 0, "order=" + id(o1): 1, "order=" + id(o2): 0,
			"from=" + starts.Add(-time.Hour).Format(time.RFC3339): 1, "from=" + starts.Add(time.Hour).Format(time.RFC3339): 0} {
			if l := communitytest.List(leader.Must(200, "GET", "/api/v1/meetings?"+q, nil), "meetings"); len(l) != n {
				t.Errorf("?%s: %d meetings, want %d", q, len(l), n)
			}
		}
		leader.Fails(400, "invalid", "GET", "/api/v1/meetings?from=yesterday", nil)
		leader.Fails(400, "invalid", "GET", "/api/v1/meetings?cursor=x", nil)

		// PATCH at the version; an admin links the center's order too.
		admin.Fails(400, "invalid", "PATCH", "/api/v1/meetings/"+id(m), obj{"topic": "x"})
		admin.Fails(409, "conflict", "PATCH", "/api/v1/meetings/"+id(m), obj{"version": 7, "orders": []string{id(o1), id(o2)}})
		yuehe.Fails(403, "forbidden", "PATCH", "/api/v1/meetings/"+id(m), obj{"version": 1, "topic": "x"})
		if len(events(disp, id(o2))) != ev2 {
			t.Fatal("a stale PATCH wrote the order's note")
		}
		p := admin.Must(200, "PATCH", "/api/v1/meetings/"+id(m), obj{"version": 1, "orders": []string{id(o1), id(o2)}})
		if p["version"] != 2.0 || len(communitytest.List(p, "orders")) != 2 {
			t.Fatalf("patched %v", p)
		}
		if len(events(disp, id(o2))) != ev2+1 || len(events(disp, id(o1))) != ev1+1 {
			t.Fatal("linking o2 must add exactly one note to o2 and none to o1")
		}

		// Minutes and decisions: the meeting is held.
		binyang.Fails(400, "invalid", "POST", "/api/v1/meetings/"+id(m)+"/minutes", obj{"minutes": " "})
		mm := binyang.Must(200, "POST", "/api/v1/meetings/"+id(m)+"/minutes", obj{"minutes": "施工单位承认堆放问题。", "decisions": []string{"三日内清运", "设置围挡"}})
		if mm["status"] != "held" || len(communitytest.List(mm, "decisions")) != 2 {
			t.Fatalf("minutes %v", mm)
		}

		// Actions: due in the future, an owner that exists.
		binyang.Fails(400, "invalid", "POST", "/api/v1/meetings/"+id(m)+"/actions", obj{"text": "清运", "owner": "greening", "due": "2020-01-01"})
		binyang.Fails(400, "invalid", "POST", "/api/v1/meetings/"+id(m)+"/actions", obj{"text": "清运", "owner": "nobody", "due": "2099-01-01"})
		binyang.Fails(400, "invalid", "POST", "/api/v1/meetings/"+id(m)+"/actions", obj{"text": "清运", "owner": "greening", "due": "soon"})
		yuehe.Fails(403, "forbidden", "POST", "/api/v1/meetings/"+id(m)+"/actions", obj{"text": "清运", "owner": "greening", "due": "2099-01-01"})
		later := binyang.Must(201, "POST", "/api/v1/meetings/"+id(m)+"/actions", obj{"text": "设置围挡", "owner": "binyang", "due": "2099-01-01"})
		due := time.Now().UTC().Add(1500 * time.Millisecond)
		a := binyang.Must(201, "POST", "/api/v1/meetings/"+id(m)+"/actions", obj{"text": "三日内清运建筑垃圾", "owner": "binyang", "due": due.Format(time.RFC3339Nano)})
		if a["status"] != "open" || a["meeting"] != id(m) {
			t.Fatalf("action %v", a)
		}
		afterDue(due)

		// Overdue: the owner is notified exactly once, however many sweep.
		var wg sync.WaitGroup
		total := 0
		var mu sync.Mutex
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := s.M.Meetings.Sweep(ctx)
				if err != nil {
					t.Errorf("sweep: %v", err)
				}
				mu.Lock()
				total += n
				mu.Unlock()
			}()
		}
		wg.Wait()
		if n, _ := s.M.Meetings.Sweep(ctx); total != 1 || n != 0 {
			t.Fatalf("sweeps stored %d notices (then %d), want exactly 1", total, n)
		}
		if l := communitytest.List(binyang.Must(200, "GET", "/api/v1/meeting_notices", nil), "notices"); len(l) != 1 || l[0].(obj)["action"] != id(a) {
			t.Fatalf("owner's notices %v", l)
		}
		if l := communitytest.List(yuehe.Must(200, "GET", "/api/v1/meeting_notices", nil), "notices"); len(l) != 0 {
			t.Fatalf("another area's notices %v", l)
		}
		// The notice is in the unit's inbox, where its workers read the
		// orders' notifications, and nowhere else.
		var inInbox obj
		for _, x := range communitytest.List(binyang.Must(200, "GET", "/api/v1/notifications", nil), "notifications") {
			if n := x.(obj); n["action_id"] == id(a) {
				inInbox = n
			}
		}
		if inInbox == nil || inInbox["meeting_id"] != id(m) || inInbox["kind"] != "action_overdue" || inInbox["read_at"] != nil {
			t.Fatalf("the owner unit's inbox lacks the notice: %v", inInbox)
		}
		for _, who := range []*communitytest.Client{yuehe, s.Login("leader")} {
			for _, x := range communitytest.List(who.Must(200, "GET", "/api/v1/notifications", nil), "notifications") {
				if x.(obj)["action_id"] != nil {
					t.Fatalf("%s's inbox has %v", who.User, x)
				}
			}
		}
		binyang.Must(200, "POST", "/api/v1/notifications/"+inInbox["id"].(string)+"/read", nil)
		if l := communitytest.List(binyang.Must(200, "GET", "/api/v1/meeting_notices", nil), "notices"); len(l) != 1 || l[0].(obj)["read_at"] == nil {
			t.Fatalf("read in the inbox, the notice is %v", l)
		}
		got := binyang.Must(200, "GET", "/api/v1/meetings/"+id(m), nil)
		for _, x := range communitytest.List(got, "actions") {
			if ax := x.(obj); ax["overdue"] != (ax["id"] == id(a)) {
				t.Fatalf("overdue flags %v", got["actions"])
			}
		}
		// An action owned by a login (not a unit) goes to that login's inbox.
		leader = s.Login("leader")
		due = time.Now().UTC().Add(1500 * time.Millisecond)
		la := binyang.Must(201, "POST", "/api/v1/meetings/"+id(m)+"/actions", obj{"text": "向街道汇报", "owner": "leader", "due": due.Format(time.RFC3339Nano)})
		afterDue(due)
		if n, err := s.M.Meetings.Sweep(ctx); err != nil || n != 1 {
			t.Fatalf("sweep for the login's action stored %d (%v), want 1", n, err)
		}
		var mine []any
		for _, x := range communitytest.List(leader.Must(200, "GET", "/api/v1/notifications", nil), "notifications") {
			if x.(obj)["action_id"] != nil {
				mine = append(mine, x)
			}
		}
		if len(mine) != 1 || mine[0].(obj)["action_id"] != id(la) || mine[0].(obj)["target"] != "user:leader" {
			t.Fatalf("the leader's inbox: %v", mine)
		}
		leader.Must(200, "POST", "/api/v1/meeting_actions/"+id(la)+"/done", nil) // its owner closes it

		// The thread: meeting, decisions, open actions, in time order.
		m2 := binyang.Must(201, "POST", "/api/v1/meetings", obj{"kind": "review", "topic": "清运效果评议会", "compound": "sanjiang",
			"starts_at": starts.Add(24 * time.Hour).Format(time.RFC3339)})
		th := communitytest.List(leader.Must(200, "GET", "/api/v1/meetings/thread?compound=sanjiang", nil), "items")
		kinds := ""
		for _, x := range th {
			kinds += x.(obj)["kind"].(string)[:1]
		}
		if kinds != "mddmaa" {
			t.Fatalf("thread kinds %q: %v", kinds, th)
		}
		if th[3].(obj)["meeting"] != id(m2) {
			t.Fatalf("thread order %v", th)
		}
		if l := communitytest.List(binyang.Must(200, "GET", "/api/v1/meetings/thread?order="+id(o1), nil), "items"); len(l) != 5 {
			t.Fatalf("order thread %v", l)
		}
		leader.Fails(400, "invalid", "GET", "/api/v1/meetings/thread", nil)
		yuehe.Fails(403, "forbidden", "GET", "/api/v1/meetings/thread?compound=sanjiang", nil)

		// Done: the owner (a worker of the owning unit) or the area's editors.
		vol.Fails(403, "forbidden", "POST", "/api/v1/meeting_actions/"+id(a)+"/done", nil)
		yuehe.Fails(403, "forbidden", "POST", "/api/v1/meeting_actions/"+id(a)+"/done", nil)
		d := binyang.Must(200, "POST", "/api/v1/meeting_actions/"+id(a)+"/done", nil)
		if d["status"] != "done" || d["done_at"] == nil {
			t.Fatalf("done %v", d)
		}
		binyang.Fails(409, "conflict", "POST", "/api/v1/meeting_actions/"+id(a)+"/done", nil)
		binyang.Fails(404, "not_found", "POST", "/api/v1/meeting_actions/abc/done", nil)
		_ = later

		// Cancelled meetings take no more minutes; every order chain verifies.
		binyang.Must(200, "PATCH", "/api/v1/meetings/"+id(m2), obj{"version": 1, "status": "cancelled"})
		binyang.Fails(409, "conflict", "POST", "/api/v1/meetings/"+id(m2)+"/minutes", obj{"minutes": "x"})
		if n, brk, err := s.M.Store.VerifyChains(ctx); err != nil || brk != nil || n == 0 {
			t.Fatalf("verify: %d %v %v", n, brk, err)
		}
	})
}
