package patrolapi_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"hotline/internal/access"
	"hotline/internal/app/communitytest"
	"hotline/internal/calendar"
	"hotline/internal/order"
	"hotline/internal/service"
)

type obj = communitytest.Obj

// window returns today's date in Shanghai and a two-hour window around now
// (clamped to the day), so that a check-in now falls inside it.
func window() (string, string, string) {
	now := time.Now().In(calendar.Shanghai)
	m := now.Hour()*60 + now.Minute()
	start, end := max(m-30, 0), min(m+90, 24*60)
	if end-start < 60 {
		start = end - 60
	}
	hm := func(x int) string { return fmt.Sprintf("%02d:%02d", x/60, x%60) }
	return now.Format("2006-01-02"), hm(start), hm(end)
}

func id(o obj) string { return o["id"].(string) }

func TestPatrolAPI(t *testing.T) {
	t.Parallel()
	communitytest.EachParallel(t, func(t *testing.T, s *communitytest.Server) {
		binyang, yuehe, leader, disp := s.Login("binyang"), s.Login("yuehe"), s.Login("leader"), s.Login("dispatcher")
		vol, vol2, admin := s.Login("volunteer"), s.Login("volunteer2"), s.Login("admin")

		// Teams: the area's workers and admins add them; others are refused.
		team := binyang.Must(201, "POST", "/api/v1/volunteer_teams", obj{"name": "三江巡逻队"})
		if team["area"] != "binyang" || id(team) == "" {
			t.Fatalf("team %v", team)
		}
		yuehe.Fails(403, "forbidden", "POST", "/api/v1/volunteer_teams", obj{"name": "x", "area": "binyang"})
		vol.Fails(403, "forbidden", "POST", "/api/v1/volunteer_teams", obj{"name": "x", "area": "binyang"})
		binyang.Fails(400, "invalid", "POST", "/api/v1/volunteer_teams", obj{"name": " "})
		binyang.Fails(400, "invalid", "POST", "/api/v1/volunteer_teams", obj{"name": "三江巡逻队"})
		admin.Fails(400, "invalid", "POST", "/api/v1/volunteer_teams", obj{"name": "x", "area": "cityops"})
		if n := len(communitytest.List(leader.Must(200, "GET", "/api/v1/volunteer_teams", nil), "teams")); n != 1 {
			t.Fatalf("leader sees %d teams", n)
		}

		// Volunteers: phone sealed at rest and masked; bad input writes nothing.
		before := s.Count("volunteers")
		f := binyang.Fails(400, "invalid", "POST", "/api/v1/volunteers", obj{"name": "测试志愿者甲", "phone": "12345", "team": id(team)})
		if f["phone"] == nil {
			t.Fatalf("fields %v", f)
		}
		binyang.Fails(400, "invalid", "POST", "/api/v1/volunteers", obj{"name": "测试志愿者甲", "user": "binyang", "team": id(team)})
		binyang.Fails(400, "invalid", "POST", "/api/v1/volunteers", obj{"name": "测试志愿者甲", "team": "999999"})
		binyang.Fails(400, "invalid", "POST", "/api/v1/volunteers", obj{"name": "测试志愿者甲", "team": id(team), "unavailable": []string{"someday"}})
		yuehe.Fails(403, "forbidden", "POST", "/api/v1/volunteers", obj{"name": "测试志愿者甲", "team": id(team)})
		if s.Count("volunteers") != before {
			t.Fatal("a refused volunteer was written")
		}
		a := binyang.Must(201, "POST", "/api/v1/volunteers", obj{"name": "测试志愿者甲", "phone": "13812345678", "team": id(team),
			"party_member": true, "skills": []string{"急救"}, "user": "volunteer"})
		if a["phone"] != "138****5678" || a["area"] != "binyang" || a["user"] != "volunteer" || a["version"] != 1.0 {
			t.Fatalf("volunteer %v", a)
		}
		binyang.Fails(400, "invalid", "POST", "/api/v1/volunteers", obj{"name": "重复登录", "team": id(team), "user": "volunteer"})
		var sealed []byte
		if err := s.M.Store.DB().R.QueryRow("SELECT phone_sealed FROM volunteers WHERE id = $1", id(a)).Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		if len(sealed) == 0 || bytes.Contains(sealed, []byte("13812345678")) {
			t.Fatalf("phone not sealed at rest: %q", sealed)
		}
		b := binyang.Must(201, "POST", "/api/v1/volunteers", obj{"name": "测试志愿者乙", "team": id(team)})
		c := binyang.Must(201, "POST", "/api/v1/volunteers", obj{"name": "测试志愿者丙", "team": id(team), "user": "volunteer2"})

		// Reading: area, role, search by name and by phone (blind index).
		if l := communitytest.List(binyang.Must(200, "GET", "/api/v1/volunteers?team="+id(team), nil), "volunteers"); len(l) != 3 {
			t.Fatalf("binyang sees %d", len(l))
		}
		yuehe.Fails(403, "forbidden", "GET", "/api/v1/volunteers?area=binyang", nil)
		if l := communitytest.List(yuehe.Must(200, "GET", "/api/v1/volunteers", nil), "volunteers"); len(l) != 0 {
			t.Fatalf("yuehe sees %d", len(l))
		}
		disp.Fails(403, "forbidden", "GET", "/api/v1/volunteers", nil)
		vol.Fails(403, "forbidden", "GET", "/api/v1/volunteers", nil)
		vol.Must(200, "GET", "/api/v1/volunteers/"+id(a), nil)
		vol.Fails(403, "forbidden", "GET", "/api/v1/volunteers/"+id(b), nil)
		yuehe.Fails(403, "forbidden", "GET", "/api/v1/volunteers/"+id(a), nil)
		if l := communitytest.List(leader.Must(200, "GET", "/api/v1/volunteers?q=13812345678", nil), "volunteers"); len(l) != 1 || l[0].(obj)["id"] != id(a) {
			t.Fatalf("phone search: %v", l)
		}
		if l := communitytest.List(leader.Must(200, "GET", "/api/v1/volunteers?q=乙", nil), "volunteers"); len(l) != 1 {
			t.Fatalf("name search: %v", l)
		}
		page := binyang.Must(200, "GET", "/api/v1/volunteers?limit=2", nil)
		if len(communitytest.List(page, "volunteers")) != 2 || page["next_cursor"] == "" {
			t.Fatalf("page %v", page)
		}
		if l := communitytest.List(binyang.Must(200, "GET", "/api/v1/volunteers?limit=2&cursor="+page["next_cursor"].(string), nil), "volunteers"); len(l) != 1 {
			t.Fatalf("second page %v", l)
		}
		binyang.Fails(400, "invalid", "GET", "/api/v1/volunteers?cursor=zz", nil)
		binyang.Fails(400, "invalid", "GET", "/api/v1/volunteers?limit=0", nil)

		// Edits take the version; stale is 409; the phone changes only when given.
		p := binyang.Must(200, "PATCH", "/api/v1/volunteers/"+id(b), obj{"version": 1, "phone": "021-64561234", "skills": []string{"巡逻"}})
		if p["phone"] != "021****1234" || p["version"] != 2.0 {
			t.Fatalf("patched %v", p)
		}
		binyang.Fails(409, "conflict", "PATCH", "/api/v1/volunteers/"+id(b), obj{"version": 1, "name": "x"})
		binyang.Fails(400, "invalid", "PATCH", "/api/v1/volunteers/"+id(b), obj{"name": "x"})
		yuehe.Fails(403, "forbidden", "PATCH", "/api/v1/volunteers/"+id(b), obj{"version": 2, "name": "x"})
		if p := binyang.Must(200, "PATCH", "/api/v1/volunteers/"+id(b), obj{"version": 2, "name": "测试志愿者乙二"}); p["phone"] != "021****1234" {
			t.Fatalf("phone lost on an edit without it: %v", p)
		}

		// A shift now, at 三江小区, for 甲 and 乙.
		date, start, end := window()
		sh := binyang.Must(201, "POST", "/api/v1/shifts", obj{"compound": "sanjiang", "date": date, "start": start, "end": end,
			"volunteers": []string{id(a), id(b)}})
		if sh["status"] != "planned" || sh["compound"] != "sanjiang" || len(communitytest.List(sh, "volunteers")) != 2 {
			t.Fatalf("shift %v", sh)
		}
		shifts := s.Count("patrol_shifts")
		f = binyang.Fails(400, "invalid", "POST", "/api/v1/shifts", obj{"compound": "ruiyuan", "date": date, "start": start, "end": end,
			"volunteers": []string{id(c), id(a)}})
		if f["volunteers"] == nil {
			t.Fatalf("overlap fields %v", f)
		}
		binyang.Fails(400, "invalid", "POST", "/api/v1/shifts", obj{"compound": "ruiyuan", "date": date, "start": "10:00", "end": "09:00", "volunteers": []string{id(c)}})
		binyang.Fails(400, "invalid", "POST", "/api/v1/shifts", obj{"compound": "nowhere", "date": date, "start": "08:00", "end": "09:00", "volunteers": []string{id(c)}})
		binyang.Fails(400, "invalid", "POST", "/api/v1/shifts", obj{"compound": "ruiyuan", "date": "2026-02-30", "start": "08:00", "end": "09:00", "volunteers": []string{id(c)}})
		yuehe.Fails(403, "forbidden", "POST", "/api/v1/shifts", obj{"compound": "ruiyuan", "date": date, "start": "08:00", "end": "09:00", "volunteers": []string{id(c)}})
		vol.Fails(403, "forbidden", "POST", "/api/v1/shifts", obj{"compound": "ruiyuan", "date": date, "start": "08:00", "end": "09:00", "volunteers": []string{id(c)}})
		if s.Count("patrol_shifts") != shifts {
			t.Fatal("a refused shift was written")
		}

		// A volunteer sees only their own shifts and checks only into them.
		if l := communitytest.List(vol2.Must(200, "GET", "/api/v1/shifts?date="+date, nil), "shifts"); len(l) != 0 {
			t.Fatalf("volunteer2 sees %v", l)
		}
		if l := communitytest.List(vol.Must(200, "GET", "/api/v1/shifts?date="+date, nil), "shifts"); len(l) != 1 {
			t.Fatalf("volunteer sees %v", l)
		}
		vol2.Fails(403, "forbidden", "GET", "/api/v1/shifts/"+id(sh), nil)
		vol2.Fails(403, "forbidden", "POST", "/api/v1/shifts/"+id(sh)+"/check_in", obj{})
		vol2.Fails(403, "forbidden", "POST", "/api/v1/shifts/"+id(sh)+"/findings", obj{"text": "别人的班"})
		vol.Fails(403, "forbidden", "POST", "/api/v1/shifts/"+id(sh)+"/check_in", obj{"volunteer": id(b)})
		vol.Fails(400, "invalid", "POST", "/api/v1/shifts/"+id(sh)+"/check_in", obj{"position": obj{"lat": 123, "lng": 0}})
		vol.Fails(409, "conflict", "POST", "/api/v1/shifts/"+id(sh)+"/check_out", nil)
		in := vol.Must(200, "POST", "/api/v1/shifts/"+id(sh)+"/check_in", obj{"position": obj{"lat": 31.1755, "lng": 121.448}})
		if in["status"] != "on_duty" {
			t.Fatalf("after check-in %v", in)
		}
		vol.Fails(409, "conflict", "POST", "/api/v1/shifts/"+id(sh)+"/check_in", nil)
		if l := communitytest.List(leader.Must(200, "GET", "/api/v1/shifts?on_duty=true", nil), "shifts"); len(l) != 1 || l[0].(obj)["id"] != id(sh) {
			t.Fatalf("on duty %v", l)
		}
		binyang.Fails(409, "conflict", "PATCH", "/api/v1/shifts/"+id(sh), obj{"version": in["version"], "cancel": true})

		// The patrol log: a finding, and a finding that becomes an order.
		orders, findings := s.Count("orders"), s.Count("patrol_findings")
		vol.Fails(400, "invalid", "POST", "/api/v1/shifts/"+id(sh)+"/findings", obj{"text": "x", "building": "99号楼", "create_order": true})
		vol.Fails(400, "invalid", "POST", "/api/v1/shifts/"+id(sh)+"/findings", obj{"text": " ", "create_order": true})
		vol.Fails(400, "invalid", "POST", "/api/v1/shifts/"+id(sh)+"/findings", obj{"text": "x", "photo": "bm90IGFuIGltYWdl"})
		if s.Count("orders") != orders || s.Count("patrol_findings") != findings {
			t.Fatal("refused findings wrote something")
		}
		plain := vol.Must(201, "POST", "/api/v1/shifts/"+id(sh)+"/findings", obj{"text": "28号楼门口一切正常"})
		if plain["order"] != nil || plain["volunteer"] != id(a) {
			t.Fatalf("plain finding %v", plain)
		}
		fo := vol.Must(201, "POST", "/api/v1/shifts/"+id(sh)+"/findings", obj{"text": "29号楼东侧建筑垃圾堆放在消防通道上", "building": "29号楼", "create_order": true,
			"photo": "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="})
		oid, _ := fo["order"].(string)
		if oid == "" || fo["order_number"] == nil || fo["photo"] != true {
			t.Fatalf("finding with order %v", fo)
		}
		o := disp.Must(200, "GET", "/api/v1/orders/"+oid, nil)
		if o["source"] != "patrol" || o["compound"] != "sanjiang" || o["building"] != "29号楼" || o["number"] != fo["order_number"] {
			t.Fatalf("order from finding %v", o)
		}
		if o["category"] != "sanitation.construction_waste" {
			t.Errorf("category %v, want the intake suggestion sanitation.construction_waste", o["category"])
		}
		if st, _, body := s.Raw("GET", "/api/v1/findings/"+id(fo)+"/photo", vol.Token, nil); st != 200 || !bytes.HasPrefix(body, []byte("\x89PNG")) {
			t.Fatalf("photo %d", st)
		}
		if l := communitytest.List(binyang.Must(200, "GET", "/api/v1/shifts/"+id(sh)+"/findings", nil), "findings"); len(l) != 2 {
			t.Fatalf("log %v", l)
		}

		// After check-out the shift is done and its log closed.
		out := vol.Must(200, "POST", "/api/v1/shifts/"+id(sh)+"/check_out", obj{})
		if out["status"] != "on_duty" { // 乙 never checked in; 甲 is out: nobody on duty, someone served
			if out["status"] != "done" {
				t.Fatalf("after check-out %v", out)
			}
		}
		orders, findings = s.Count("orders"), s.Count("patrol_findings")
		vol.Fails(409, "conflict", "POST", "/api/v1/shifts/"+id(sh)+"/findings", obj{"text": "迟到的发现", "create_order": true})
		if s.Count("orders") != orders || s.Count("patrol_findings") != findings {
			t.Fatal("a finding on a closed shift wrote something")
		}

		// Yesterday's shift nobody checked into is missed; coverage says so.
		yday := time.Now().In(calendar.Shanghai).AddDate(0, 0, -1).Format("2006-01-02")
		missed := binyang.Must(201, "POST", "/api/v1/shifts", obj{"compound": "ruiyuan", "date": yday, "start": "08:00", "end": "10:00", "volunteers": []string{id(c)}})
		if missed["status"] != "missed" {
			t.Fatalf("yesterday's shift %v", missed)
		}
		cov := leader.Must(200, "GET", "/api/v1/patrols/coverage?from="+yday+"&to="+date+"&windows=08:00-10:00", nil)
		cells := communitytest.List(cov, "cells")
		var sawMissed bool
		for _, x := range cells {
			cl := x.(obj)
			if cl["compound"] == "ruiyuan" && cl["date"] == yday {
				sawMissed = cl["status"] == "missed"
			}
		}
		if !sawMissed || len(cells) != 2*8 {
			t.Fatalf("coverage cells %d, ruiyuan yesterday missed %v", len(cells), sawMissed)
		}
		if l := communitytest.List(binyang.Must(200, "GET", "/api/v1/patrols/coverage?from="+yday+"&to="+date, nil), "compounds"); len(l) != 6 {
			t.Fatalf("binyang coverage compounds %d", len(l))
		}
		binyang.Fails(400, "invalid", "GET", "/api/v1/patrols/coverage?from=2026-01-01&to=2026-12-31", nil)
		disp.Fails(403, "forbidden", "GET", "/api/v1/patrols/coverage", nil)

		// Hours: served time within the shift, and the month's workbook.
		hs := vol.Must(200, "GET", "/api/v1/volunteers/"+id(a)+"/hours?from="+yday+"&to="+date, nil)
		if hs["shifts"] != 1.0 || hs["shifts_served"] != 1.0 {
			t.Fatalf("hours %v", hs)
		}
		vol.Fails(403, "forbidden", "GET", "/api/v1/volunteers/"+id(c)+"/hours", nil)
		if h := binyang.Must(200, "GET", "/api/v1/volunteers/"+id(c)+"/hours?from="+yday+"&to="+yday, nil); h["shifts_missed"] != 1.0 {
			t.Fatalf("missed hours %v", h)
		}
		st, _, xl := s.Raw("GET", "/api/v1/volunteer_hours.xlsx?month="+date[:7], binyang.Token, nil)
		if st != 200 {
			t.Fatalf("export %d", st)
		}
		wb, err := excelize.OpenReader(bytes.NewReader(xl))
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := wb.GetRows("志愿时长 Hours")
		if len(rows) != 4 || !strings.Contains(strings.Join(rows[0], ","), "服务时长") {
			t.Fatalf("workbook rows %v", rows)
		}
		binyang.Fails(400, "invalid", "GET", "/api/v1/volunteer_hours.xlsx?month=2026-13", nil)

		// Swap and cancel a planned shift, at its version.
		tomorrow := time.Now().In(calendar.Shanghai).AddDate(0, 0, 1).Format("2006-01-02")
		ts := binyang.Must(201, "POST", "/api/v1/shifts", obj{"compound": "ruiyuan", "date": tomorrow, "start": "08:00", "end": "10:00", "volunteers": []string{id(a)}})
		sw := binyang.Must(200, "PATCH", "/api/v1/shifts/"+id(ts), obj{"version": 1, "swap": obj{"from": id(a), "to": id(c)}})
		if v := communitytest.List(sw, "volunteers"); len(v) != 1 || v[0] != id(c) {
			t.Fatalf("swapped %v", sw)
		}
		binyang.Fails(409, "conflict", "PATCH", "/api/v1/shifts/"+id(ts), obj{"version": 1, "cancel": true})
		binyang.Fails(400, "invalid", "PATCH", "/api/v1/shifts/"+id(ts), obj{"version": 2, "swap": obj{"from": id(a), "to": id(b)}})
		yuehe.Fails(403, "forbidden", "PATCH", "/api/v1/shifts/"+id(ts), obj{"version": 2, "cancel": true})
		if cl := binyang.Must(200, "PATCH", "/api/v1/shifts/"+id(ts), obj{"version": 2, "cancel": true}); cl["status"] != "cancelled" {
			t.Fatalf("cancelled %v", cl)
		}
		// A cancelled shift frees its volunteers' time.
		binyang.Must(201, "POST", "/api/v1/shifts", obj{"compound": "sanjiang", "date": tomorrow, "start": "09:00", "end": "11:00", "volunteers": []string{id(c)}})
	})
}

// TestPlanAPI plans a rota over the real server: fair, no double booking,
// unavailable days respected, a second plan adds nothing.
func TestPlanAPI(t *testing.T) {
	t.Parallel()
	communitytest.EachParallel(t, func(t *testing.T, s *communitytest.Server) {
		binyang, yuehe := s.Login("binyang"), s.Login("yuehe")
		team := binyang.Must(201, "POST", "/api/v1/volunteer_teams", obj{"name": "周末队"})
		from := time.Now().In(calendar.Shanghai).AddDate(0, 0, 2)
		sunday := ""
		for d := range 7 {
			if x := from.AddDate(0, 0, d); x.Weekday() == time.Sunday {
				sunday = x.Format("2006-01-02")
			}
		}
		var ids []string
		for i := range 6 {
			in := obj{"name": fmt.Sprintf("测试队员%d", i), "team": id(team)}
			if i == 0 {
				in["unavailable"] = []string{"sun"}
			}
			ids = append(ids, id(binyang.Must(201, "POST", "/api/v1/volunteers", in)))
		}
		body := obj{"compounds": []string{"sanjiang", "ruiyuan"}, "from": from.Format("2006-01-02"), "to": from.AddDate(0, 0, 6).Format("2006-01-02"),
			"windows": []string{"08:00-10:00", "14:00-16:00"}, "team": id(team)}
		yuehe.Fails(403, "forbidden", "POST", "/api/v1/shifts/plan", body)
		bad := obj{}
		for k, v := range body {
			bad[k] = v
		}
		bad["windows"] = []string{"08:00-10:00", "09:00-11:00"}
		binyang.Fails(400, "invalid", "POST", "/api/v1/shifts/plan", bad)
		bad["windows"] = []string{"8-10"}
		binyang.Fails(400, "invalid", "POST", "/api/v1/shifts/plan", bad)
		if s.Count("patrol_shifts") != 0 {
			t.Fatal("a refused plan wrote shifts")
		}
		res := binyang.Must(201, "POST", "/api/v1/shifts/plan", body)
		shifts := communitytest.List(res, "shifts")
		if len(shifts) != 2*7*2 || len(communitytest.List(res, "unfilled")) != 0 {
			t.Fatalf("plan: %d shifts, unfilled %v", len(shifts), res["unfilled"])
		}
		count := map[string]int{}
		at := map[string]bool{}
		for _, x := range shifts {
			sh := x.(obj)
			for _, v := range communitytest.List(sh, "volunteers") {
				count[v.(string)]++
				k := v.(string) + sh["date"].(string) + sh["start"].(string)
				if at[k] {
					t.Fatalf("volunteer %s twice at %s", v, k)
				}
				at[k] = true
				if v == ids[0] && sh["date"] == sunday {
					t.Fatalf("volunteer unavailable on Sundays planned on %s", sunday)
				}
			}
		}
		lo, hi := 1<<30, 0
		for _, v := range ids {
			lo, hi = min(lo, count[v]), max(hi, count[v])
		}
		if hi-lo > 1 {
			t.Fatalf("unfair: shifts per volunteer %v", count)
		}
		if again := binyang.Must(201, "POST", "/api/v1/shifts/plan", body); len(communitytest.List(again, "shifts")) != 0 {
			t.Fatalf("a second plan added %d shifts", len(communitytest.List(again, "shifts")))
		}
	})
}

// TestFindingOrderAtomic: when the finding cannot be written, the order
// made for it is not written either (the orders' in-transaction hook).
func TestFindingOrderAtomic(t *testing.T) {
	t.Parallel()
	communitytest.EachParallel(t, func(t *testing.T, s *communitytest.Server) {
		orders := s.Count("orders")
		boom := errors.New("the finding failed")
		_, err := s.M.Svc.CreateOrderWith(context.Background(), service.Actor{Username: "volunteer", Role: access.RoleVolunteer},
			order.NewOrder{Type: order.Report, Source: order.SourcePatrol, Title: "巡逻发现", Description: "路灯不亮"}, []order.Source{order.SourcePatrol},
			func(ctx context.Context, tx *sql.Tx, o *order.Order) error {
				if o.ID == "" || o.Number == "" {
					t.Errorf("the hook runs before the order has its id and number: %+v", o)
				}
				if _, err := tx.ExecContext(ctx, "INSERT INTO volunteer_teams (name, area, created_at) VALUES ('hook', 'binyang', 1)"); err != nil {
					return err
				}
				return boom
			})
		if !errors.Is(err, boom) && (err == nil || !strings.Contains(err.Error(), boom.Error())) {
			t.Fatalf("err %v", err)
		}
		if s.Count("orders") != orders || s.Count("volunteer_teams") != 0 {
			t.Fatal("a failed hook left the order or its rows behind")
		}
		// The next order still gets the next number: no gap was consumed.
		v, err := s.M.Svc.CreateFromChannel(context.Background(), order.SourcePatrol, order.NewOrder{Type: order.Report, Title: "巡逻发现", Description: "路灯不亮"})
		if err != nil || v.ID == "" {
			t.Fatalf("create after a failed hook: %v", err)
		}
	})
}
