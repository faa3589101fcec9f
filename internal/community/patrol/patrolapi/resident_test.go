package patrolapi_test

import (
	"testing"

	"hotline/internal/app/communitytest"
)

// TestVolunteerResident: a volunteer's resident must be a registry
// resident who is active and lives in the volunteer's area; anything else
// is a 400 on "resident" that writes nothing, on create and on edit.
func TestVolunteerResident(t *testing.T) {
	t.Parallel()
	communitytest.EachParallel(t, func(t *testing.T, s *communitytest.Server) {
		admin, binyang := s.Login("admin"), s.Login("binyang")
		resident := func(building, room, name string) string {
			hh := admin.Must(201, "POST", "/api/v1/households", obj{"building": building, "room": room})
			return id(admin.Must(201, "POST", "/api/v1/residents", obj{"household": id(hh), "name": name, "gender": "f",
				"relation": "head", "residence": "registered"}))
		}
		here := resident("sanjiang-29", "101", "测试居民甲")
		gone := resident("sanjiang-29", "102", "测试居民乙")
		binyang.Must(200, "POST", "/api/v1/residents/"+gone+"/move_out", nil)
		away := resident("yuehe_yuan-1", "201", "测试居民丙")
		team := binyang.Must(201, "POST", "/api/v1/volunteer_teams", obj{"name": "居民志愿队"})

		before := s.Count("volunteers")
		for _, bad := range []string{"999999", "abc", gone, away} {
			f := binyang.Fails(400, "invalid", "POST", "/api/v1/volunteers", obj{"name": "测试志愿者", "team": id(team), "resident": bad})
			if f["resident"] == nil {
				t.Fatalf("resident %s: fields %v", bad, f)
			}
		}
		if s.Count("volunteers") != before {
			t.Fatal("a volunteer with a bad resident was written")
		}
		v := binyang.Must(201, "POST", "/api/v1/volunteers", obj{"name": "测试志愿者", "team": id(team), "resident": here})
		if v["resident"] != here {
			t.Fatalf("volunteer %v", v)
		}
		if f := binyang.Fails(400, "invalid", "PATCH", "/api/v1/volunteers/"+id(v), obj{"version": 1, "resident": away}); f["resident"] == nil {
			t.Fatalf("fields %v", f)
		}
		// Once linked, the resident moving out does not block other edits.
		binyang.Must(200, "POST", "/api/v1/residents/"+here+"/move_out", nil)
		if p := binyang.Must(200, "PATCH", "/api/v1/volunteers/"+id(v), obj{"version": 1, "skills": []string{"巡逻"}}); p["resident"] != here {
			t.Fatalf("patched %v", p)
		}
		binyang.Must(200, "PATCH", "/api/v1/volunteers/"+id(v), obj{"version": 2, "resident": ""})
	})
}
