package demo_test

import (
	"context"
	"strings"
	"testing"

	"hotline/internal/app/communitytest"
	"hotline/internal/testenv"
)

// TestCommunityDemo loads the patrol and meeting demo on both databases and
// reads it back through the API: 60 volunteers in teams, this week's rota
// with check-ins, findings that became patrol orders, the 三江小区 thread of
// 22 meetings, and every order's hash chain intact.
func TestCommunityDemo(t *testing.T) {
	testenv.ForEachDB(t, func(t *testing.T, dbURL string) {
		s := communitytest.StartDemo(t, dbURL)
		leader, vol := s.Login("leader"), s.Login("volunteer")
		vs := communitytest.List(leader.Must(200, "GET", "/api/v1/volunteers?limit=500", nil), "volunteers")
		if len(vs) != 60 {
			t.Fatalf("%d volunteers", len(vs))
		}
		for _, v := range vs {
			o := v.(communitytest.Obj)
			if !strings.HasSuffix(o["name"].(string), "（演示）") || !strings.HasPrefix(o["phone"].(string), "138****") {
				t.Fatalf("a demo volunteer that does not look fake: %v", o)
			}
		}
		if l := communitytest.List(leader.Must(200, "GET", "/api/v1/volunteer_teams", nil), "teams"); len(l) != 3 {
			t.Fatalf("%d teams", len(l))
		}
		mine := communitytest.List(vol.Must(200, "GET", "/api/v1/shifts", nil), "shifts")
		if len(mine) == 0 {
			t.Fatal("the demo volunteer has no shifts")
		}
		var served, patrolOrders int
		if s.M.Store.DB().R.QueryRow(`SELECT COUNT(*) FROM patrol_shift_volunteers WHERE check_out IS NOT NULL`).Scan(&served); served == 0 {
			t.Fatal("no check-ins this week")
		}
		if s.M.Store.DB().R.QueryRow(`SELECT COUNT(*) FROM orders WHERE source = 'patrol'`).Scan(&patrolOrders); patrolOrders == 0 {
			t.Fatal("no finding became an order")
		}
		th := communitytest.List(leader.Must(200, "GET", "/api/v1/meetings/thread?compound=sanjiang", nil), "items")
		meetings, open := 0, 0
		for _, x := range th {
			switch x.(communitytest.Obj)["kind"] {
			case "meeting":
				meetings++
			case "action":
				open++
			}
		}
		if meetings != 22 || open == 0 {
			t.Fatalf("thread: %d meetings, %d open actions", meetings, open)
		}
		if n, brk, err := s.M.Store.VerifyChains(context.Background()); err != nil || brk != nil || n == 0 {
			t.Fatalf("verify %d %v %v", n, brk, err)
		}
	})
}
