package web

import (
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestAdminDisablesUser: an admin disables and re-enables an account from
// the users page; a disabled user cannot log in; nobody else may do it and
// an admin cannot lock themself out.
func TestAdminDisablesUser(t *testing.T) {
	parallel(t)
	_, base := server(t)
	adm := login(t, base, "admin")
	tok := adm.csrf()
	if body, st := adm.post("/admin/users/volunteer/active", url.Values{"csrf": {tok}, "active": {"0"}}); st != 200 || !strings.Contains(body, "volunteer") {
		t.Fatalf("disable: %d", st)
	}
	if _, st := adm.get("/admin/users"); st != 200 {
		t.Fatalf("users page: %d", st)
	}
	// The disabled volunteer's login is refused.
	c := &client{t: t, base: base, c: adm.c}
	c.c = newJarClient()
	body, _ := c.post("/login", url.Values{"username": {"volunteer"}, "password": {"demo12345"}})
	if !strings.Contains(body, `action="/login"`) {
		t.Fatal("a disabled user logged in")
	}
	if _, st := adm.post("/admin/users/volunteer/active", url.Values{"csrf": {tok}, "active": {"1"}}); st != 200 {
		t.Fatalf("enable: %d", st)
	}
	login(t, base, "volunteer")
	if _, st := adm.post("/admin/users/admin/active", url.Values{"csrf": {tok}, "active": {"0"}}); st != 400 {
		t.Fatalf("self-disable: %d, want 400", st)
	}
	disp := login(t, base, "dispatcher")
	if _, st := disp.post("/admin/users/volunteer/active", url.Values{"csrf": {disp.csrf()}, "active": {"0"}}); st != 403 {
		t.Fatalf("dispatcher disabling a user: %d, want 403", st)
	}
}

func newJarClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 20 * time.Second}
}
