package api_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"hotline/internal/app"
	"hotline/internal/place"
	"hotline/internal/testenv"
)

// TestAdminChangesReachEveryInstance runs two real servers on one database
// (a SQLite file, then PostgreSQL) and makes every kind of admin change on
// A: each must be in force on B within seconds, without a restart. Issue
// 12: B kept the old deadline policy (a dispatch through B was due 120
// minutes out, through A 3 minutes), and a unit added on A was "unknown
// unit" on B, until B restarted.
func TestAdminChangesReachEveryInstance(t *testing.T) {
	t.Parallel()
	testenv.ForEachDBParallel(t, func(t *testing.T, db string) {
		// Both instances look for changes every 100 ms instead of every
		// second (app.Config.SettingsPoll): the same refresh, sooner.
		poll := func(c *app.Config) { c.SettingsPoll = 100 * time.Millisecond }
		a := start(t, db, true, poll)
		b := start(t, db, true, poll)
		adminA, adminB := a.login("admin"), b.login("admin")
		dispB := b.login("dispatcher")
		opB := b.login("operator")

		// within polls B until check passes, for at most 5 s (the
		// instances look every 100 ms).
		within := func(what string, check func() (bool, string)) {
			t.Helper()
			deadline := time.Now().Add(5 * time.Second)
			for {
				ok, got := check()
				if ok {
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s: not in force on instance B after 5 s (%s)", what, got)
				}
				time.Sleep(50 * time.Millisecond)
			}
		}

		// The deadline policy: emergencies replied to within 3 minutes.
		pol := adminA.must(200, "GET", "/api/v1/policy", nil)
		for _, r := range pol["rules"].([]any) {
			rule := r.(map[string]any)
			if rule["urgency"] == "emergency" {
				rule["reply"] = obj{"minutes": 3}
			}
		}
		adminA.must(200, "PUT", "/api/v1/policy", pol)
		within("the policy", func() (bool, string) {
			got := adminB.must(200, "GET", "/api/v1/policy", nil)
			return fmt.Sprint(got) == fmt.Sprint(pol), fmt.Sprint(got)
		})
		o := opB.create("燃气泄漏", "楼道里有很重的煤气味", obj{"urgency": "emergency"})
		id := o["id"].(string)
		before := time.Now()
		d := dispB.act(200, id, "dispatch", obj{"unit": "binyang"})
		due, err := time.Parse(time.RFC3339, fmt.Sprint(d["due"]))
		if err != nil || due.Sub(before) > 4*time.Minute {
			t.Errorf("an emergency dispatched through B is due %v (%v), want within 3 minutes of %v", d["due"], err, before)
		}

		// A unit added on A takes orders on B.
		adminA.must(200, "PUT", "/api/v1/units/jiangpu", obj{"name": "江浦居委", "name_en": "Jiangpu", "kind": "committee", "active": true})
		o = opB.create("路灯不亮", "江浦小区门口路灯坏了", nil)
		within("a new unit", func() (bool, string) {
			st, out := dispB.do("POST", "/api/v1/orders/"+o["id"].(string)+"/dispatch", obj{"unit": "jiangpu", "version": o["version"]})
			return st == 200, fmt.Sprint(st, out)
		})

		// A category added on A is accepted by B.
		adminA.must(200, "PUT", "/api/v1/categories/environment.smell", obj{"name": "异味", "name_en": "Smell", "unit": "jiangpu", "keywords": "异味,臭味", "active": true})
		within("a new category", func() (bool, string) {
			st, out := opB.do("POST", "/api/v1/orders", obj{"type": "complaint", "source": "hotline", "title": "垃圾房异味", "description": "垃圾房臭味很重",
				"category": "environment.smell", "caller": obj{"name": "测试市民", "phone": "13800001234"}})
			return st == 201, fmt.Sprint(st, out)
		})

		// A compound added on A (there is no API for it: the store, as the
		// demo and the importer write it) is known to B.
		if err := a.m.Store.PutCompound(context.Background(), place.OrderCompound{Code: "jiangpu_xincun", Name: "江浦新村", Committee: "jiangpu"}); err != nil {
			t.Fatal(err)
		}
		within("a new compound", func() (bool, string) {
			st, out := opB.do("POST", "/api/v1/orders", obj{"type": "complaint", "source": "hotline", "title": "楼道堆物", "description": "楼道里堆满杂物",
				"compound": "jiangpu_xincun", "caller": obj{"name": "测试市民", "phone": "13800001234"}})
			return st == 201, fmt.Sprint(st, out)
		})

		// A make-up working day put on A is in B's calendar.
		adminA.must(200, "PUT", "/api/v1/calendar/days/2031-01-04", obj{"name": "调休上班", "off_day": false})
		within("a calendar day", func() (bool, string) {
			got := adminB.must(200, "GET", "/api/v1/calendar/2031", nil)
			for _, d := range got["days"].([]any) {
				// calendar.Day has no JSON tags: its fields go out as Date, OffDay.
				if day := d.(map[string]any); day["date"] == "2031-01-04" && day["off_day"] == false {
					return true, ""
				}
			}
			return false, fmt.Sprint(got["days"])
		})

		// A user added on A logs in on B (users are read from the database
		// on every request; the version moves for them too).
		adminA.must(201, "POST", "/api/v1/users", obj{"username": "jiangpu1", "password": "jiangpu-pass-1", "role": "handler", "unit": "jiangpu", "display_name": "江浦社工"})
		if st, out := b.raw("POST", "/api/v1/session", "", map[string]string{"username": "jiangpu1", "password": "jiangpu-pass-1"}); st != 200 {
			t.Errorf("a user added on A cannot log in on B: %d %v", st, out)
		}
	})
}
