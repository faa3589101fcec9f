package api_test

import "testing"

// TestAPIPasswords: POST /api/v1/session/password changes one's own
// password (the old one required; other tokens end, this one stays);
// POST /api/v1/users/{username}/password is an admin's reset (every token
// of that user ends); bad input is a 400 with fields that changes nothing.
func TestAPIPasswords(t *testing.T) {
	t.Parallel()
	startEach(t, func(t *testing.T, s *server) {
		a, b := s.login("binyang"), s.login("binyang")
		for _, c := range []struct {
			body  obj
			field string
		}{
			{obj{"old_password": "wrong-one", "new_password": "ganggai-2026"}, "old_password"},
			{obj{"old_password": "demo12345", "new_password": "short"}, "new_password"},
			{obj{"new_password": "ganggai-2026"}, "old_password"},
			{obj{"old_password": "demo12345", "new_password": "demo12345"}, "new_password"},
		} {
			st, out := a.do("POST", "/api/v1/session/password", c.body)
			if _, ok := errFields(out)[c.field]; st != 400 || !ok {
				t.Errorf("%v: %d %v, want 400 naming %s", c.body, st, out, c.field)
			}
		}
		if st, out := a.do("POST", "/api/v1/session/password", `{"old_password": 5}`); st != 400 {
			t.Errorf("a number for a password: %d %v", st, out)
		}
		b.must(200, "GET", "/api/v1/session", nil)
		a.must(204, "POST", "/api/v1/session/password", obj{"old_password": "demo12345", "new_password": "ganggai-2026"})
		a.must(200, "GET", "/api/v1/session", nil)
		b.must(401, "GET", "/api/v1/session", nil)
		if st, _ := s.raw("POST", "/api/v1/session", "", obj{"username": "binyang", "password": "demo12345"}); st != 401 {
			t.Errorf("the old password still logs in: %d", st)
		}
		// The admin's reset.
		a.must(403, "POST", "/api/v1/users/operator/password", obj{"password": "xxxxxxxxxx"})
		ad := s.login("admin")
		ad.must(400, "POST", "/api/v1/users/binyang/password", obj{"password": "short"})
		ad.must(404, "POST", "/api/v1/users/nobody/password", obj{"password": "long-enough-1"})
		ad.must(204, "POST", "/api/v1/users/binyang/password", obj{"password": "reset-by-admin-1"})
		a.must(401, "GET", "/api/v1/session", nil)
		if st, _ := s.raw("POST", "/api/v1/session", "", obj{"username": "binyang", "password": "reset-by-admin-1"}); st != 200 {
			t.Errorf("the reset password does not log in: %d", st)
		}
		out := ad.must(200, "GET", "/api/v1/audit?action=password_reset", nil)
		if entries, _ := out["entries"].([]any); len(entries) != 1 {
			t.Errorf("audit of the reset: %v", out)
		}
	})
}
