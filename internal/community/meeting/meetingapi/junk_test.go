package meetingapi_test

import (
	"testing"

	"hotline/internal/app/communitytest"
)

// TestJunkNever500 sends every kind of bad body and query to every route of
// the patrol and meeting modules, as a worker and as a volunteer: never a
// 5xx (the harness fails the test on one), and bad bodies never a 2xx.
func TestJunkNever500(t *testing.T) {
	t.Parallel()
	communitytest.EachParallel(t, func(t *testing.T, s *communitytest.Server) {
		for _, who := range []string{"binyang", "volunteer"} {
			c := s.Login(who)
			for _, path := range []string{"/api/v1/volunteer_teams", "/api/v1/volunteers", "/api/v1/shifts", "/api/v1/shifts/plan",
				"/api/v1/shifts/1/check_in", "/api/v1/shifts/1/check_out", "/api/v1/shifts/1/findings", "/api/v1/meetings",
				"/api/v1/meetings/1/minutes", "/api/v1/meetings/1/actions", "/api/v1/meeting_actions/1/done"} {
				for _, body := range communitytest.Junk {
					if st, out := c.Do("POST", path, body); st < 400 && path != "/api/v1/meeting_actions/1/done" {
						t.Errorf("%s POST %s %v: %d %v", who, path, body, st, out)
					}
				}
			}
			for _, path := range []string{"/api/v1/volunteers/1", "/api/v1/volunteers/x", "/api/v1/shifts/1", "/api/v1/meetings/1", "/api/v1/meetings/-1"} {
				for _, body := range communitytest.Junk {
					if st, out := c.Do("PATCH", path, body); st < 400 {
						t.Errorf("%s PATCH %s %v: %d %v", who, path, body, st, out)
					}
				}
			}
			for _, q := range []string{"/api/v1/shifts?date=x", "/api/v1/shifts?from=2026-99-01", "/api/v1/shifts?on_duty=maybe", "/api/v1/shifts?cursor=a.b",
				"/api/v1/shifts?limit=99999", "/api/v1/volunteers?q=%00", "/api/v1/volunteers?team=abc", "/api/v1/patrols/coverage?windows=1-2",
				"/api/v1/patrols/coverage?from=2026-01-01&to=2025-01-01", "/api/v1/volunteers/1/hours?from=x", "/api/v1/volunteer_hours.xlsx?month=x",
				"/api/v1/meetings?from=x", "/api/v1/meetings?order=abc", "/api/v1/meetings?cursor=1", "/api/v1/meetings/thread?order=abc",
				"/api/v1/meetings/thread?compound=nowhere", "/api/v1/meeting_notices?limit=-1", "/api/v1/findings/abc/photo"} {
				c.Do("GET", q, nil)
			}
		}
	})
}
