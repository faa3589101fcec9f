package api_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestAuthRequired: nothing but health, readiness, metrics and the public
// routes answers without a login.
func TestAuthRequired(t *testing.T) {
	t.Parallel()
	s := start(t, "sqlite:"+t.TempDir()+"/a.db", true)
	for _, p := range []string{"/healthz", "/readyz", "/metrics", "/api/openapi.json"} {
		resp, err := http.Get(s.base + p)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET %s without login: %v %v", p, resp.StatusCode, err)
		}
		resp.Body.Close()
	}
	for _, r := range [][2]string{
		{"GET", "/api/v1/orders"}, {"POST", "/api/v1/orders"}, {"GET", "/api/v1/orders/1"}, {"POST", "/api/v1/orders/1/dispatch"},
		{"POST", "/api/v1/classify"}, {"GET", "/api/v1/stats/summary"}, {"GET", "/api/v1/stats/units"}, {"GET", "/api/v1/notifications"},
		{"GET", "/api/v1/units"}, {"GET", "/api/v1/users"}, {"GET", "/api/v1/audit"}, {"DELETE", "/api/v1/session"},
	} {
		st, out := s.raw(r[0], r[1], "", nil)
		if st != 401 || errCode(out) != "unauthorized" {
			t.Errorf("%s %s without login: %d %v", r[0], r[1], st, out)
		}
		st, _ = s.raw(r[0], r[1], "forged-token", nil)
		if st != 401 {
			t.Errorf("%s %s with a forged token: %d", r[0], r[1], st)
		}
	}
}

// TestLoginLogoutThrottle is serial: the throttle's waits (1 s, then 2 s
// after a failure) are what it checks, and a late request outlasts them.
func TestLoginLogoutThrottle(t *testing.T) {
	s := start(t, "sqlite:"+t.TempDir()+"/a.db", true)
	st, out := s.raw("POST", "/api/v1/session", "", obj{"username": "operator", "password": "wrong"})
	if st != 401 || errCode(out) != "unauthorized" {
		t.Fatalf("wrong password: %d %v", st, out)
	}
	st, _ = s.raw("POST", "/api/v1/session", "", obj{"username": "nobody", "password": "demo12345"})
	if st != 401 {
		t.Fatalf("unknown user: %d", st)
	}
	st, out = s.raw("POST", "/api/v1/session", "", obj{"username": "", "password": ""})
	if st != 400 || errFields(out)["username"] == nil {
		t.Fatalf("empty login: %d %v", st, out)
	}
	c := s.login("operator")
	c.must(200, "GET", "/api/v1/session", nil)
	c.must(200, "DELETE", "/api/v1/session", nil)
	c.must(401, "GET", "/api/v1/orders", nil)
	// Repeated failures are slowed down: after a few, even the right
	// password waits.
	for i := 0; i < 4; i++ {
		s.raw("POST", "/api/v1/session", "", obj{"username": "leader", "password": "bad"})
	}
	st, out = s.raw("POST", "/api/v1/session", "", obj{"username": "leader", "password": "demo12345"})
	if st != 401 || !strings.Contains(out["error"].(map[string]any)["message"].(string), "too many") {
		t.Fatalf("throttled login: %d %v", st, out)
	}
}

// TestMaskingAndAudit checks the caller is masked per role, hidden from
// handlers when confidential, and every unmasked view is audited.
func TestMaskingAndAudit(t *testing.T) {
	t.Parallel()
	startEach(t, func(t *testing.T, s *server) {
		opr, disp, h, lead, adm := s.login("operator"), s.admin(), s.login("binyang"), s.login("leader"), s.login("admin")
		o := opr.create("油烟扰民", "楼下饭店油烟", obj{"caller": obj{"name": "张三丰", "phone": "13812345678"}})
		id := o["id"].(string)
		if c := o["caller"].(map[string]any); c["phone"] != "13812345678" || c["name"] != "张三丰" {
			t.Fatalf("operator sees the caller in full: %v", c)
		}
		disp.act(200, id, "dispatch", obj{"unit": "binyang"})
		for _, c := range []*client{h, lead} {
			got := c.must(200, "GET", "/api/v1/orders/"+id, nil)["caller"].(map[string]any)
			if got["phone"] != "138****5678" || got["name"] != "张**" {
				t.Fatalf("%s sees %v, want masked", c.user, got)
			}
		}
		conf := opr.create("匿名举报群租", "延庆里群租", obj{"caller": obj{"name": "李四", "phone": "13900001111", "confidential": true}})
		cid := conf["id"].(string)
		disp.act(200, cid, "dispatch", obj{"unit": "binyang"})
		got := h.must(200, "GET", "/api/v1/orders/"+cid, nil)["caller"].(map[string]any)
		if got["phone"] != "" || got["name"] != "" || got["hidden"] != true {
			t.Fatalf("confidential caller shown to a handler: %v", got)
		}
		list := h.must(200, "GET", "/api/v1/orders?limit=50", nil)["orders"].([]any)
		for _, x := range list {
			c := x.(map[string]any)["caller"].(map[string]any)
			if strings.Contains(c["phone"].(string), "13900001111") || strings.Contains(c["phone"].(string), "13812345678") {
				t.Fatalf("unmasked phone in a handler's list: %v", c)
			}
		}
		// Audit: the operator's and dispatcher's unmasked views are logged;
		// only an admin may read the log.
		lead.must(403, "GET", "/api/v1/audit", nil)
		entries := adm.must(200, "GET", "/api/v1/audit?action=view_caller&limit=500", nil)["entries"].([]any)
		seen := map[string]bool{}
		for _, e := range entries {
			m := e.(map[string]any)
			seen[m["actor"].(string)+" "+m["target"].(string)] = true
		}
		for _, want := range []string{"operator order:" + id, "dispatcher order:" + id} {
			if !seen[want] {
				t.Fatalf("audit lacks %q", want)
			}
		}
		if seen["binyang order:"+id] || seen["leader order:"+id] {
			t.Fatal("masked views should not be audited as unmasked")
		}
	})
}

// TestHandlerSeesOwnUnitOnly: lists and reads are limited to the unit.
func TestHandlerSeesOwnUnitOnly(t *testing.T) {
	t.Parallel()
	startEach(t, func(t *testing.T, s *server) {
		for _, o := range s.login("binyang").must(200, "GET", "/api/v1/orders?limit=200", nil)["orders"].([]any) {
			m := o.(map[string]any)
			cos, _ := m["co_units"].([]any)
			ok := m["unit"] == "binyang"
			for _, c := range cos {
				ok = ok || c == "binyang"
			}
			if !ok {
				t.Fatalf("binyang sees order of %v", m["unit"])
			}
		}
		all := s.admin().must(200, "GET", "/api/v1/orders?unit=cityops&limit=1", nil)["orders"].([]any)
		if len(all) == 0 {
			t.Fatal("demo has no cityops orders")
		}
		id := all[0].(map[string]any)["id"].(string)
		s.login("binyang").must(403, "GET", "/api/v1/orders/"+id, nil)
		s.login("volunteer").must(403, "GET", "/api/v1/orders", nil)
	})
}
