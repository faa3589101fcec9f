package campaignapi_test

import (
	"fmt"
	"testing"

	"hotline/internal/app/fieldtest"
	"hotline/internal/testenv"
)

// written is a fingerprint of every campaign table and of the export
// audit: row counts and the sum of versions.
func written(t *testing.T, s *fieldtest.Server) string {
	t.Helper()
	var out string
	for _, q := range []string{"SELECT COUNT(*), COALESCE(SUM(version), 0) FROM campaigns", "SELECT COUNT(*), 0 FROM campaign_collectors",
		"SELECT COUNT(*), 0 FROM campaign_households", "SELECT COUNT(*), 0 FROM campaign_submissions", "SELECT COUNT(*), 0 FROM campaign_latest",
		"SELECT COUNT(*), 0 FROM audit_log WHERE action LIKE 'campaign%'"} {
		var n, v int64
		if err := s.M.Store.DB().R.QueryRow(q).Scan(&n, &v); err != nil {
			t.Fatal(err)
		}
		out += fmt.Sprintf("%d/%d ", n, v)
	}
	return out
}

// TestJunkNever500 sends hostile bodies to every campaign route that takes
// one and hostile values in every query parameter and path segment, as an
// admin, a handler, a collector and a leader, on both databases: never a
// 5xx (the harness fails on one), a bad body never a 2xx, every refusal
// the contract's error shape, and nothing written.
func TestJunkNever500(t *testing.T) {
	t.Parallel()
	testenv.ForEachDBParallel(t, func(t *testing.T, db string) {
		s := fieldtest.Start(t, db, true, nil)
		s.Seed()
		id := s.Must(201, "binyang", "POST", "/api/v1/campaigns", newCampaign())["id"].(string)
		draft := s.Must(201, "binyang", "POST", "/api/v1/campaigns", newCampaign())["id"].(string)
		s.Must(200, "binyang", "POST", "/api/v1/campaigns/"+id+"/open", nil)
		before := written(t, s)
		// open and close read only a version: any other object is a valid
		// change of status.
		versionJunk := []any{"{", "[]", `"x"`, "{}{}", "\"\xff\"", `{"version":"1"}`, `{"version":1e400}`, `{"version":-1}`, `{"version":99}`, `{"version":[1]}`}
		for _, who := range []string{"admin", "binyang", "volunteer", "leader"} {
			for _, c := range []string{id, draft} {
				cp := "/api/v1/campaigns/" + c
				for _, r := range []struct {
					method, path string
					bodies       []any
				}{{"POST", "/api/v1/campaigns", fieldtest.Junk}, {"PATCH", cp, fieldtest.Junk}, {"POST", cp + "/submissions", fieldtest.Junk},
					{"POST", cp + "/export", fieldtest.Junk}, {"POST", cp + "/open", versionJunk}, {"POST", cp + "/close", versionJunk}} {
					for _, body := range r.bodies {
						st, out, _ := s.Do(who, r.method, r.path, body)
						if st < 400 {
							t.Errorf("%s %s %s %v: %d %v", who, r.method, r.path, body, st, out)
						}
						fieldtest.ErrorShape(t, fmt.Sprintf("%s %s %s %v", who, r.method, r.path, body), st, out)
					}
				}
			}
			for _, v := range fieldtest.Odd {
				q, p := fieldtest.Esc(v)
				cp := "/api/v1/campaigns/" + id
				for _, path := range []string{"/api/v1/campaigns?area=" + q, "/api/v1/campaigns?status=" + q, "/api/v1/campaigns?limit=" + q,
					"/api/v1/campaigns?cursor=" + q, "/api/v1/campaigns/" + p, "/api/v1/campaigns/" + p + "/progress", "/api/v1/campaigns/" + p + "/households",
					cp + "/households?limit=" + q, cp + "/households?cursor=" + q, cp + "/progress?x=" + q} {
					st, out, _ := s.Do(who, "GET", path, nil)
					fieldtest.ErrorShape(t, who+" GET "+path, st, out)
				}
				for _, path := range []string{"/api/v1/campaigns/" + p + "/submissions", "/api/v1/campaigns/" + p + "/open", "/api/v1/campaigns/" + p + "/close",
					"/api/v1/campaigns/" + p + "/export", cp + "/export?format=" + q} {
					st, out, _ := s.Do(who, "POST", path, obj{"submission_id": "odd", "household": v, "outcome": "absent", "reason": "核对"})
					if st < 400 {
						t.Errorf("%s POST %s: %d %v", who, path, st, out)
					}
					fieldtest.ErrorShape(t, who+" POST "+path, st, out)
				}
				st, out, _ := s.Do(who, "PATCH", "/api/v1/campaigns/"+p, obj{"name": "x", "version": 1})
				if st < 400 {
					t.Errorf("%s PATCH %s: %d %v", who, p, st, out)
				}
			}
		}
		if after := written(t, s); after != before {
			t.Errorf("junk wrote something: before %s, after %s", before, after)
		}
	})
}
