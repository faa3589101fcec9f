package emergencyapi_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"hotline/internal/app"
	"hotline/internal/demo"
	"hotline/internal/place/placedb"

	"hotline/internal/app/fieldtest"
	"hotline/internal/testenv"
)

type obj = fieldtest.Obj

var start = fieldtest.Start

func count(ev obj, status string) int {
	return int(ev["counts"].(obj)[status].(float64))
}

func list(o obj, key string) []any { return o[key].([]any) }

// A typhoon's whole life on both databases: the check list generated from
// the registry (low-lying buildings preselected, only active care-tagged
// residents), checks idempotent by op_id, lost races answered with the
// current state, bad input refused writing nothing, tasks, history, close
// with its report and Excel export, and nothing accepted after the close.
func TestEmergencyLifecycle(t *testing.T) {
	t.Parallel()
	testenv.ForEachDBParallel(t, func(t *testing.T, db string) {
		s := start(t, db, true, nil)
		s.Seed()
		ev := s.Typhoon(nil)
		id := ev["id"].(string)
		if b := ev["buildings"].([]any); len(b) != 1 || b[0] != "sanjiang_t-29" {
			t.Fatalf("preselected buildings %v, want the low-lying sanjiang_t-29 only", b)
		}
		if count(ev, "unchecked") != 3 || ev["status"] != "active" || ev["area"] != "binyang" {
			t.Fatalf("new event: %v", ev)
		}
		if bb := ev["by_building"].(obj)["sanjiang_t-29"].(obj); bb["unchecked"].(float64) != 3 {
			t.Errorf("by_building %v", bb)
		}
		// Every household too: four non-vacant households in 29号楼.
		all := s.Typhoon(obj{"all_households": true, "name": "全部住户"})
		if count(all, "unchecked") != 3+5 {
			t.Errorf("with every household: %v, want 3 residents + 5 households", all["counts"])
		}
		// Named buildings replace the preselection; a building outside the
		// compounds is refused.
		fire := s.Must(201, "binyang", "POST", "/api/v1/emergencies", obj{"kind": "fire", "name": "火情", "level": "red", "compounds": []string{"sanjiang_t"}, "buildings": []string{"sanjiang_t-27"}})
		if count(fire, "unchecked") != 1 {
			t.Errorf("fire in 27号楼: %v", fire["counts"])
		}

		checks := s.Must(200, "binyang", "GET", "/api/v1/emergencies/"+id+"/checks", nil)
		cs := list(checks, "checks")
		if len(cs) != 3 {
			t.Fatalf("checks %v", cs)
		}
		c0 := cs[0].(obj)
		for _, k := range []string{"id", "resident", "household", "building", "status", "note", "checked_by", "checked_at", "version"} {
			if _, ok := c0[k]; !ok {
				t.Errorf("check lacks %q: %v", k, c0)
			}
		}
		if c0["resident_name"] == "" || len(c0["care_tags"].([]any)) == 0 {
			t.Errorf("check without the resident's name and tags: %v", c0)
		}
		cid := c0["id"].(string)
		path := "/api/v1/emergencies/" + id + "/checks/" + cid
		at := time.Now().UTC().Add(-10 * time.Minute).Format(time.RFC3339Nano)
		h0 := s.HistorySize(id)
		first := s.Must(200, "volunteer", "POST", path, obj{"status": "evacuated", "note": "转移到街道避难点", "op_id": "op-1", "at": at})
		if first["status"] != "evacuated" || first["checked_by"] != "volunteer" || first["note"] != "转移到街道避难点" || first["version"].(float64) != 2 {
			t.Fatalf("check answer %v", first)
		}
		// The same op again: stored once, answered as the first time.
		again := s.Must(200, "volunteer", "POST", path, obj{"status": "evacuated", "note": "转移到街道避难点", "op_id": "op-1", "at": at})
		if fmt.Sprint(again) != fmt.Sprint(first) {
			t.Errorf("replay answered %v, first %v", again, first)
		}
		if got := s.HistorySize(id); got != h0+1 {
			t.Errorf("history grew by %d for one op sent twice", got-h0)
		}
		// The same op_id with other content.
		s.Must(409, "volunteer", "POST", path, obj{"status": "safe", "op_id": "op-1", "at": at})
		// A phone that was offline marked it earlier than the last mark: it
		// lost the race and is told the current state.
		older := time.Now().UTC().Add(-20 * time.Minute).Format(time.RFC3339Nano)
		lost := s.Must(409, "binyang", "POST", path, obj{"status": "safe", "op_id": "op-2", "at": older})
		if cur := lost["current"].(obj); cur["status"] != "evacuated" || cur["checked_by"] != "volunteer" {
			t.Errorf("lost race answer %v", lost)
		}
		if lost["error"].(obj)["code"] != "conflict" {
			t.Errorf("error shape %v", lost)
		}
		// A stale version likewise.
		s.Must(409, "binyang", "POST", path, obj{"status": "safe", "op_id": "op-3", "version": 1})
		// Bad input: 400 with fields, nothing written.
		for _, bad := range []obj{
			{"status": "unchecked", "op_id": "b1"},
			{"status": "drowned", "op_id": "b2"},
			{"status": "safe"},
			{"status": "safe", "op_id": "b3", "note": string(bytes.Repeat([]byte("水"), 501))},
			{"status": "safe", "op_id": "b4", "at": time.Now().Add(time.Hour).Format(time.RFC3339)},
			{"status": 3, "op_id": "b5"},
		} {
			st, out, _ := s.Do("binyang", "POST", path, bad)
			if st != 400 || out["error"].(obj)["fields"] == nil {
				t.Errorf("%v: %d %v", bad, st, out)
			}
		}
		s.Must(400, "binyang", "POST", path, "{not json")
		s.Must(404, "binyang", "POST", "/api/v1/emergencies/"+id+"/checks/999999", obj{"status": "safe", "op_id": "x"})
		s.Must(404, "binyang", "POST", "/api/v1/emergencies/"+fire["id"].(string)+"/checks/"+cid, obj{"status": "safe", "op_id": "x2"})
		if got := s.HistorySize(id); got != h0+1 {
			t.Errorf("refused changes wrote history: %d entries more", got-h0-1)
		}
		// Another check: needs help; filters.
		c1 := cs[1].(obj)["id"].(string)
		s.Must(200, "binyang", "POST", "/api/v1/emergencies/"+id+"/checks/"+c1, obj{"status": "needs_help", "note": "行动不便，水已到膝", "op_id": "op-4"})
		if l := list(s.Must(200, "leader", "GET", "/api/v1/emergencies/"+id+"/checks?status=needs_help", nil), "checks"); len(l) != 1 || l[0].(obj)["id"] != c1 {
			t.Errorf("needs_help filter: %v", l)
		}
		if l := list(s.Must(200, "leader", "GET", "/api/v1/emergencies/"+id+"/checks?building=sanjiang_t-27", nil), "checks"); len(l) != 0 {
			t.Errorf("building filter: %v", l)
		}
		s.Must(400, "leader", "GET", "/api/v1/emergencies/"+id+"/checks?status=wet", nil)
		page := s.Must(200, "leader", "GET", "/api/v1/emergencies/"+id+"/checks?limit=2", nil)
		if len(list(page, "checks")) != 2 || page["next_cursor"] == "" {
			t.Errorf("page 1: %v", page)
		}
		if l := list(s.Must(200, "leader", "GET", "/api/v1/emergencies/"+id+"/checks?limit=2&cursor="+page["next_cursor"].(string), nil), "checks"); len(l) != 1 {
			t.Errorf("page 2: %v", l)
		}
		got := s.Must(200, "leader", "GET", "/api/v1/emergencies/"+id, nil)
		if count(got, "evacuated") != 1 || count(got, "needs_help") != 1 || count(got, "unchecked") != 1 || count(got, "safe") != 0 {
			t.Errorf("counts %v", got["counts"])
		}
		// Rescue task.
		task := s.Must(201, "binyang", "POST", "/api/v1/emergencies/"+id+"/tasks", obj{"what": "背出102室老人", "building": "sanjiang_t-29", "household": cs[1].(obj)["household"], "assignee": "volunteer"})
		if task["status"] != "open" {
			t.Errorf("task %v", task)
		}
		s.Must(400, "binyang", "POST", "/api/v1/emergencies/"+id+"/tasks", obj{"what": "x", "building": "yuehe_yuan-1", "assignee": "volunteer"})
		s.Must(400, "binyang", "POST", "/api/v1/emergencies/"+id+"/tasks", obj{"what": "x", "building": "sanjiang_t-29", "assignee": "nobody"})
		tp := "/api/v1/emergencies/" + id + "/tasks/" + task["id"].(string)
		s.Must(200, "volunteer", "POST", tp, obj{"status": "in_progress", "version": 1})
		s.Must(409, "binyang", "POST", tp, obj{"status": "done", "version": 1})
		s.Must(403, "volunteer2", "POST", tp, obj{"status": "done", "version": 2})
		s.Must(200, "binyang", "POST", tp, obj{"status": "done", "version": 2})
		s.Must(400, "binyang", "POST", tp, obj{"status": "open", "version": 3})
		board := s.Must(200, "leader", "GET", "/api/v1/emergencies/"+id+"/board", nil)
		if board["pending_total"].(float64) != 2 || len(list(board, "pending")) != 2 || list(board, "pending")[0].(obj)["status"] != "needs_help" {
			t.Errorf("board %v", board)
		}
		// History keeps every change.
		hist := list(s.Must(200, "leader", "GET", "/api/v1/emergencies/"+id+"/history", nil), "history")
		var actions []string
		for _, h := range hist {
			actions = append(actions, h.(obj)["action"].(string))
		}
		if want := []string{"declare", "check", "check", "task", "task", "task"}; !slices.Equal(actions, want) {
			t.Errorf("history %v, want %v", actions, want)
		}
		// Close: only the area's workers; then frozen, with its report.
		s.Must(403, "leader", "POST", "/api/v1/emergencies/"+id+"/close", nil)
		s.Must(409, "binyang", "GET", "/api/v1/emergencies/"+id+"/report", nil)
		s.Must(409, "binyang", "POST", "/api/v1/emergencies/"+id+"/close", obj{"version": 99})
		closed := s.Must(200, "binyang", "POST", "/api/v1/emergencies/"+id+"/close", obj{})
		rep := closed["report"].(obj)
		if closed["status"] != "closed" || rep["checks"].(float64) != 3 || len(list(rep, "evacuated")) != 1 || len(list(rep, "still_open")) != 2 {
			t.Fatalf("closed: %v", closed)
		}
		if e := list(rep, "evacuated")[0].(obj); e["note"] != "转移到街道避难点" {
			t.Errorf("evacuated where: %v", e)
		}
		s.Must(409, "binyang", "POST", "/api/v1/emergencies/"+id+"/close", nil)
		s.Must(409, "binyang", "POST", "/api/v1/emergencies/"+id+"/checks/"+c1, obj{"status": "safe", "op_id": "late"})
		s.Must(409, "binyang", "POST", "/api/v1/emergencies/"+id+"/tasks", obj{"what": "x", "building": "sanjiang_t-29", "assignee": "volunteer"})
		// A replay of an op applied before the close still answers as then.
		if again := s.Must(200, "volunteer", "POST", path, obj{"status": "evacuated", "note": "转移到街道避难点", "op_id": "op-1", "at": at}); fmt.Sprint(again) != fmt.Sprint(first) {
			t.Errorf("replay after close: %v", again)
		}
		st, _, data := s.Do("leader", "GET", "/api/v1/emergencies/"+id+"/report?format=xlsx", nil)
		if st != 200 || !bytes.HasPrefix(data, []byte("PK")) {
			t.Errorf("xlsx export: %d %q", st, data[:min(len(data), 40)])
		}
		s.Must(400, "leader", "GET", "/api/v1/emergencies/"+id+"/report?format=pdf", nil)
	})
}

// Who may do what, role × area × action, through the real server: refused
// requests are 403 and write nothing.
func TestEmergencyAccessMatrix(t *testing.T) {
	t.Parallel()
	testenv.ForEachDBParallel(t, func(t *testing.T, db string) {
		s := start(t, db, true, nil)
		s.Seed()
		ev := s.Typhoon(nil)
		id := ev["id"].(string)
		check := list(s.Must(200, "binyang", "GET", "/api/v1/emergencies/"+id+"/checks", nil), "checks")[0].(obj)["id"].(string)
		newEv := obj{"kind": "typhoon", "name": "x", "level": "blue", "compounds": []string{"sanjiang_t"}}
		type cell struct {
			user                          string
			create, read, check, task, cl int
		}
		matrix := []cell{
			{"binyang", 201, 200, 200, 201, 0},   // the area's worker
			{"admin", 201, 200, 200, 201, 0},     // manages everything
			{"leader", 403, 200, 403, 403, 403},  // watches every board
			{"yuehe", 403, 403, 403, 403, 403},   // another area's worker
			{"cityops", 403, 403, 403, 403, 403}, // a section's handler
			{"dispatcher", 403, 403, 403, 403, 403},
			{"operator", 403, 403, 403, 403, 403},
			{"volunteer", 403, 200, 200, 403, 403},  // assigned to this event
			{"volunteer2", 403, 403, 403, 403, 403}, // not assigned
		}
		n := 0
		for _, c := range matrix {
			h := s.HistorySize(id)
			if st, out, _ := s.Do(c.user, "POST", "/api/v1/emergencies", newEv); st != c.create {
				t.Errorf("%s create: %d, want %d (%v)", c.user, st, c.create, out)
			}
			if st, _, _ := s.Do(c.user, "GET", "/api/v1/emergencies/"+id, nil); st != c.read {
				t.Errorf("%s read: %d, want %d", c.user, st, c.read)
			}
			for _, p := range []string{"/checks", "/board", "/history", "/tasks"} {
				if st, _, _ := s.Do(c.user, "GET", "/api/v1/emergencies/"+id+p, nil); st != c.read {
					t.Errorf("%s GET %s: %d, want %d", c.user, p, st, c.read)
				}
			}
			n++
			if st, _, _ := s.Do(c.user, "POST", "/api/v1/emergencies/"+id+"/checks/"+check, obj{"status": "safe", "op_id": fmt.Sprintf("m%d", n)}); st != c.check {
				t.Errorf("%s check: %d, want %d", c.user, st, c.check)
			}
			if st, _, _ := s.Do(c.user, "POST", "/api/v1/emergencies/"+id+"/tasks", obj{"what": "x", "building": "sanjiang_t-29", "assignee": "volunteer"}); st != c.task {
				t.Errorf("%s task: %d, want %d", c.user, st, c.task)
			}
			if c.cl != 0 {
				if st, _, _ := s.Do(c.user, "POST", "/api/v1/emergencies/"+id+"/close", nil); st != c.cl {
					t.Errorf("%s close: %d, want %d", c.user, st, c.cl)
				}
			}
			want := h
			if c.check == 200 {
				want++
			}
			if c.task == 201 {
				want++
			}
			if got := s.HistorySize(id); got != want {
				t.Errorf("%s: history %d, want %d (a refusal wrote something)", c.user, got, want)
			}
		}
		// Lists: a volunteer sees only their events; another area's worker
		// none of binyang's; asking for another area is refused.
		vl := list(s.Must(200, "volunteer", "GET", "/api/v1/emergencies", nil), "emergencies")
		if len(vl) != 1 || vl[0].(obj)["id"] != id {
			t.Errorf("volunteer's list %v", vl)
		}
		for _, e := range vl {
			if !slices.Contains(e.(obj)["volunteers"].([]any), any("volunteer")) {
				t.Errorf("volunteer sees an event not theirs: %v", e)
			}
		}
		if l := list(s.Must(200, "volunteer2", "GET", "/api/v1/emergencies", nil), "emergencies"); len(l) != 0 {
			t.Errorf("unassigned volunteer's list %v", l)
		}
		if l := list(s.Must(200, "yuehe", "GET", "/api/v1/emergencies", nil), "emergencies"); len(l) != 0 {
			t.Errorf("other area's list %v", l)
		}
		s.Must(403, "yuehe", "GET", "/api/v1/emergencies?area=binyang", nil)
		s.Must(403, "dispatcher", "GET", "/api/v1/emergencies", nil)
		if l := list(s.Must(200, "leader", "GET", "/api/v1/emergencies", nil), "emergencies"); len(l) != 3 {
			t.Errorf("leader's list: %d events, want 3", len(l))
		}
		// Declaring on another area's compound, or on two areas at once.
		s.Must(403, "yuehe", "POST", "/api/v1/emergencies", newEv)
		s.Must(400, "admin", "POST", "/api/v1/emergencies", obj{"kind": "flood", "name": "x", "level": "blue", "compounds": []string{"sanjiang_t", "yuehe_yuan"}})
		s.Must(201, "yuehe", "POST", "/api/v1/emergencies", obj{"kind": "flood", "name": "月河", "level": "blue", "compounds": []string{"yuehe_yuan"}})
		for _, bad := range []obj{
			{"kind": "meteor", "name": "x", "level": "blue", "compounds": []string{"sanjiang_t"}},
			{"kind": "flood", "name": "", "level": "blue", "compounds": []string{"sanjiang_t"}},
			{"kind": "flood", "name": "x", "level": "purple", "compounds": []string{"sanjiang_t"}},
			{"kind": "flood", "name": "x", "level": "blue", "compounds": []string{}},
			{"kind": "flood", "name": "x", "level": "blue", "compounds": []string{"nowhere"}},
			{"kind": "flood", "name": "x", "level": "blue", "compounds": []string{"binyang_xincun"}}, // no low-lying building
			{"kind": "flood", "name": "x", "level": "blue", "compounds": []string{"sanjiang_t"}, "volunteers": []string{"ghost"}},
			{"kind": "flood", "name": "x", "level": "blue", "compounds": "sanjiang_t"},
		} {
			if st, out, _ := s.Do("binyang", "POST", "/api/v1/emergencies", bad); st != 400 || out["error"].(obj)["fields"] == nil {
				t.Errorf("%v: %d %v", bad, st, out)
			}
		}
		s.Must(404, "binyang", "GET", "/api/v1/emergencies/nope", nil)
		s.Must(404, "binyang", "GET", "/api/v1/emergencies/999999", nil)
		s.Must(401, "", "GET", "/api/v1/emergencies/"+id, nil)
		s.Must(403, "yuehe", "GET", "/api/v1/emergencies/"+id+"/stream", nil)
	})
}

// The live board: a check made on one instance reaches a board open on
// another within a second (PostgreSQL, LISTEN/NOTIFY), and on SQLite the
// board open on the one instance. Not parallel: it measures a latency, and
// the package's other tests beside it would only add load to it.
func TestBoardStream(t *testing.T) {
	t.Run("postgres two instances", func(t *testing.T) {
		url := testenv.PostgresURL(t)
		a := start(t, url, true, nil)
		a.Seed()
		b := start(t, url, false, a.M.DataKey)
		ev := a.Typhoon(nil)
		id := ev["id"].(string)
		boards, stop := b.Stream("leader", id)
		defer stop()
		first := <-boards
		if first["event"].(obj)["id"] != id || first["pending_total"].(float64) != 3 {
			t.Fatalf("first board %v", first)
		}
		check := list(a.Must(200, "binyang", "GET", "/api/v1/emergencies/"+id+"/checks", nil), "checks")[0].(obj)["id"].(string)
		for i, st := range []string{"safe", "needs_help", "evacuated"} {
			start := time.Now()
			a.Must(200, "binyang", "POST", "/api/v1/emergencies/"+id+"/checks/"+check, obj{"status": st, "op_id": fmt.Sprintf("s%d", i)})
			// B may also send a board for a change before this one (the
			// declaration's NOTIFY can arrive after B subscribed): the test
			// waits for the board that shows this check, within a second.
			deadline := time.After(time.Second)
			var last obj
		wait:
			for {
				select {
				case got := <-boards:
					last = got["event"].(obj)["counts"].(obj)
					if last[st].(float64) == 1 {
						t.Logf("check on A → board on B: %v", time.Since(start))
						break wait
					}
				case <-deadline:
					t.Fatalf("no board on B showed %s within a second (last board %v)", st, last)
				}
			}
		}
	})
	t.Run("sqlite", func(t *testing.T) {
		s := start(t, testenv.SQLiteURL(t), true, nil)
		s.Seed()
		id := s.Typhoon(nil)["id"].(string)
		boards, stop := s.Stream("volunteer", id)
		defer stop()
		<-boards
		task := s.Must(201, "binyang", "POST", "/api/v1/emergencies/"+id+"/tasks", obj{"what": "送药", "building": "sanjiang_t-29", "assignee": "volunteer"})
		select {
		case got := <-boards:
			if ts := list(got, "tasks"); len(ts) != 1 || ts[0].(obj)["id"] != task["id"] {
				t.Errorf("board tasks %v", ts)
			}
		case <-time.After(time.Second):
			t.Fatal("no board update within a second")
		}
	})
}

// A phone that resends the same op many times at once (a flaky network,
// a retry racing the first send): every answer is the first one and the
// change is stored exactly once, on both databases.
func TestConcurrentReplays(t *testing.T) {
	t.Parallel()
	testenv.ForEachDBParallel(t, func(t *testing.T, db string) {
		s := start(t, db, true, nil)
		s.Seed()
		id := s.Typhoon(nil)["id"].(string)
		check := list(s.Must(200, "binyang", "GET", "/api/v1/emergencies/"+id+"/checks", nil), "checks")[0].(obj)["id"].(string)
		s.Token("volunteer")
		h := s.HistorySize(id)
		body := obj{"status": "safe", "note": "在家，安全", "op_id": "same-op", "at": time.Now().UTC().Format(time.RFC3339Nano)}
		answers := make(chan string, 8)
		for range 8 {
			go func() {
				st, out, _ := s.Do("volunteer", "POST", "/api/v1/emergencies/"+id+"/checks/"+check, body)
				answers <- fmt.Sprint(st, out)
			}()
		}
		first := <-answers
		for range 7 {
			if a := <-answers; a != first {
				t.Errorf("answers differ:\n%s\n%s", a, first)
			}
		}
		if got := s.HistorySize(id); got != h+1 {
			t.Errorf("one op sent 8 times at once wrote %d history entries", got-h)
		}
		c := list(s.Must(200, "binyang", "GET", "/api/v1/emergencies/"+id+"/checks?status=safe", nil), "checks")
		if len(c) != 1 || c[0].(obj)["version"].(float64) != 2 {
			t.Errorf("check after 8 replays: %v", c)
		}
	})
}

// The community demo (serve --demo): a past typhoon, closed with its
// report, over fake people it added to 三江小区 29号楼, and an open census
// campaign half done; loading twice adds nothing.
func TestDemo(t *testing.T) {
	t.Parallel()
	testenv.ForEachDBParallel(t, func(t *testing.T, db string) {
		s := start(t, db, true, nil, func(c *app.Config) { c.DemoCommunity = true })
		evs := list(s.Must(200, "leader", "GET", "/api/v1/emergencies", nil), "emergencies")
		if len(evs) != 1 || evs[0].(obj)["status"] != "closed" {
			t.Fatalf("demo emergencies %v", evs)
		}
		ev := s.Must(200, "binyang", "GET", "/api/v1/emergencies/"+evs[0].(obj)["id"].(string), nil)
		rep := ev["report"].(obj)
		if rep["checks"].(float64) < 5 || len(list(rep, "evacuated")) < 2 || count(ev, "unchecked") != 0 {
			t.Errorf("demo typhoon report %v", rep)
		}
		for _, e := range list(rep, "evacuated") {
			if name := e.(obj)["resident_name"].(string); !strings.HasPrefix(name, "演示") {
				t.Errorf("a demo resident not marked as fake: %q", name)
			}
		}
		cs := s.Must(200, "leader", "GET", "/api/v1/campaigns", nil)["campaigns"].([]any)
		if len(cs) != 1 || cs[0].(obj)["status"] != "open" {
			t.Fatalf("demo campaigns %v", cs)
		}
		p := s.Must(200, "leader", "GET", "/api/v1/campaigns/"+cs[0].(obj)["id"].(string)+"/progress", nil)["total"].(obj)
		if visited := p["households"].(float64) - p["not_visited"].(float64); visited != p["households"].(float64)/2 {
			t.Errorf("demo campaign progress %v, want half visited", p)
		}
		if err := demo.Community(context.Background(), demo.CommunityDeps{Places: placedb.New(s.M.Store.DB()), Residents: s.M.RegistryDB, Emergency: s.M.Emergency, Campaign: s.M.Campaign}); err != nil {
			t.Fatal(err)
		}
		if n := len(list(s.Must(200, "leader", "GET", "/api/v1/emergencies", nil), "emergencies")); n != 1 {
			t.Errorf("a second load added emergencies: %d", n)
		}
	})
}
