package emergencyapi_test

import (
	"fmt"
	"testing"

	"hotline/internal/app/fieldtest"
	"hotline/internal/testenv"
)

// written is a fingerprint of every emergency table: row counts and the
// sum of versions (an update bumps a version without adding a row).
func written(t *testing.T, s *fieldtest.Server) string {
	t.Helper()
	var out string
	for _, q := range []string{"SELECT COUNT(*), COALESCE(SUM(version), 0) FROM emergencies", "SELECT COUNT(*), COALESCE(SUM(version), 0) FROM emergency_checks",
		"SELECT COUNT(*), COALESCE(SUM(version), 0) FROM emergency_tasks", "SELECT COUNT(*), 0 FROM emergency_ops", "SELECT COUNT(*), 0 FROM emergency_history",
		"SELECT COUNT(*), 0 FROM emergency_volunteers"} {
		var n, v int64
		if err := s.M.Store.DB().R.QueryRow(q).Scan(&n, &v); err != nil {
			t.Fatal(err)
		}
		out += fmt.Sprintf("%d/%d ", n, v)
	}
	return out
}

// TestJunkNever500 sends hostile bodies to every emergency route that takes
// one and hostile values in every query parameter and path segment, as a
// handler, a volunteer and a leader, on both databases: never a 5xx (the
// harness fails on one), a bad body never a 2xx, every refusal the
// contract's error shape, and nothing written.
func TestJunkNever500(t *testing.T) {
	t.Parallel()
	testenv.ForEachDBParallel(t, func(t *testing.T, db string) {
		s := start(t, db, true, nil)
		s.Seed()
		id := s.Typhoon(nil)["id"].(string)
		c := list(s.Must(200, "binyang", "GET", "/api/v1/emergencies/"+id+"/checks", nil), "checks")[0].(obj)["id"].(string)
		task := s.Must(201, "binyang", "POST", "/api/v1/emergencies/"+id+"/tasks", obj{"what": "背出老人", "building": "sanjiang_t-29", "assignee": "volunteer"})["id"].(string)
		before := written(t, s)
		ev := "/api/v1/emergencies/" + id
		for _, who := range []string{"binyang", "volunteer", "leader"} {
			for _, path := range []string{"/api/v1/emergencies", ev + "/checks/" + c, ev + "/tasks", ev + "/tasks/" + task, ev + "/close"} {
				bodies := fieldtest.Junk
				if path == ev+"/close" {
					// Close reads only a version; any other object is a
					// valid close that would end the event.
					bodies = []any{"{", "[]", `"x"`, "{}{}", "\"\xff\"", `{"version":"1"}`, `{"version":1e400}`, `{"version":-1}`, `{"version":99}`, `{"version":[1]}`}
				}
				for _, body := range bodies {
					st, out, _ := s.Do(who, "POST", path, body)
					if st < 400 {
						t.Errorf("%s POST %s %v: %d %v", who, path, body, st, out)
					}
					fieldtest.ErrorShape(t, fmt.Sprintf("%s POST %s %v", who, path, body), st, out)
				}
			}
			for _, v := range fieldtest.Odd {
				q, p := fieldtest.Esc(v)
				for _, path := range []string{"/api/v1/emergencies?area=" + q, "/api/v1/emergencies?status=" + q, "/api/v1/emergencies?limit=" + q,
					"/api/v1/emergencies?cursor=" + q, "/api/v1/emergencies/" + p, ev + "/checks?status=" + q, ev + "/checks?building=" + q,
					ev + "/checks?limit=" + q, ev + "/checks?cursor=" + q, ev + "/tasks?open=" + q, ev + "/history?limit=" + q, ev + "/history?after=" + q,
					ev + "/board?x=" + q, "/api/v1/emergencies/" + p + "/board", "/api/v1/emergencies/" + p + "/checks", "/api/v1/emergencies/" + p + "/history",
					ev + "/report?format=" + q, "/api/v1/emergencies/" + p + "/report"} {
					st, out, _ := s.Do(who, "GET", path, nil)
					fieldtest.ErrorShape(t, who+" GET "+path, st, out)
				}
				for _, path := range []string{ev + "/checks/" + p, "/api/v1/emergencies/" + p + "/checks/" + c, ev + "/tasks/" + p, "/api/v1/emergencies/" + p + "/close"} {
					st, out, _ := s.Do(who, "POST", path, obj{"status": "safe", "op_id": "odd", "version": 1})
					if st < 400 {
						t.Errorf("%s POST %s: %d %v", who, path, st, out)
					}
					fieldtest.ErrorShape(t, who+" POST "+path, st, out)
				}
			}
		}
		if after := written(t, s); after != before {
			t.Errorf("junk wrote something: before %s, after %s", before, after)
		}
	})
}
