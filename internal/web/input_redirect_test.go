package web

import (
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"hotline/internal/app"
	"hotline/internal/testenv"
)

// noFollow makes a logged-in client stop at redirects, to read Location.
func noFollow(c *client) *client {
	c.c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

func (c *client) location(method, path string, v url.Values) (int, string) {
	c.t.Helper()
	var body io.Reader
	if v != nil {
		body = strings.NewReader(v.Encode())
	}
	req, _ := http.NewRequest(method, c.base+path, body)
	if v != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location")
}

// TestNoOpenRedirect (issue 12, defect 2): no redirect target taken from a
// request leaves the server — after login (GET with a session, and the
// login form's POST), after marking read, after a bulk dispatch, after an
// action — whatever tab, backslash or double slash it hides.
func TestNoOpenRedirect(t *testing.T) {
	parallel(t)
	_, base := server(t)
	evil := []string{"/\t/evil.example/x", "//evil.example/x", "/\\evil.example", "/\n/evil.example", "https://evil.example/", "/\u3000/evil.example"}
	disp := noFollow(login(t, base, "dispatcher"))
	tok := disp.csrf()
	for _, e := range evil {
		if st, loc := disp.location("GET", "/login?next="+url.QueryEscape(e), nil); st != 303 || loc != "/" {
			t.Errorf("logged in, /login?next=%q: %d Location %q, want 303 /", e, st, loc)
		}
		anon := noFollow(&client{t: t, base: base, c: &http.Client{}})
		if st, loc := anon.location("POST", "/login", url.Values{"username": {"operator"}, "password": {"demo12345"}, "next": {e}}); st != 303 || loc != "/" {
			t.Errorf("login form with next=%q: %d Location %q, want 303 /", e, st, loc)
		}
		if st, loc := disp.location("POST", "/notifications/1/read", url.Values{"csrf": {tok}, "return": {e}}); st != 303 || loc != "/notifications" {
			t.Errorf("mark read with return=%q: %d Location %q", e, st, loc)
		}
		if st, loc := disp.location("POST", "/queue/dispatch", url.Values{"csrf": {tok}, "return": {e}}); st != 303 || !strings.HasPrefix(loc, "/queue?") {
			t.Errorf("bulk dispatch with return=%q: %d Location %q", e, st, loc)
		}
	}
	// A real local target is still followed.
	if st, loc := disp.location("GET", "/login?next="+url.QueryEscape("/orders/1?return=%2Fqueue"), nil); st != 303 || loc != "/orders/1?return=%2Fqueue" {
		t.Errorf("local next: %d %q", st, loc)
	}
}

// TestFormsRefuseBadText (issue 12, defect 3): the pages' and the portal's
// form posts with a NUL byte or invalid UTF-8 are a 400 naming the field on
// both databases (PostgreSQL answered 500), and nothing is stored.
func TestFormsRefuseBadText(t *testing.T) {
	parallel(t)
	testenv.ForEachDB(t, func(t *testing.T, dbURL string) {
		m, base := server(t, func(c *app.Config) { c.DB = dbURL })
		opr, adm := login(t, base, "operator"), login(t, base, "admin")
		otok, atok := opr.csrf(), adm.csrf()
		anon := &client{t: t, base: base, c: &http.Client{}}
		before, err := m.Store.CountOrders(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			c     *client
			path  string
			v     url.Values
			field string
		}{
			{anon, "/login", url.Values{"username": {"admin\x00"}, "password": {"x"}}, "username"},
			{opr, "/intake", url.Values{"csrf": {otok}, "type": {"complaint"}, "title": {"路灯\x00"}, "description": {"坏了"}, "caller_phone": {"13800001234"}}, "title"},
			{opr, "/intake", url.Values{"csrf": {otok}, "type": {"complaint"}, "title": {"路灯"}, "description": {"坏了\xff"}}, "description"},
			{adm, "/admin/users", url.Values{"csrf": {atok}, "username": {"new\xc3"}, "password": {"longenough1"}, "role": {"operator"}}, "username"},
			{adm, "/admin/units", url.Values{"csrf": {atok}, "code": {"newunit"}, "name": {"单位\x00"}, "kind": {"committee"}}, "name"},
			{anon, "/portal/report", url.Values{"type": {"complaint"}, "description": {"楼道堆满杂物"}, "address": {"\x00"}, "phone": {"13912345678"}}, "address"},
		}
		for _, c := range cases {
			body, st := c.c.post(c.path, c.v)
			if st != 400 || !strings.Contains(body, `"`+c.field+`"`) {
				t.Errorf("POST %s: %d, want 400 naming %q\n%.300s", c.path, st, c.field, body)
			}
		}
		// The calendar file is a file part, read by its page: its text too.
		year := `{"year":2031,"days":[{"name":"元旦\u0000","date":"2031-01-01","isOffDay":true}]}`
		if body, st := adm.post("/admin/calendar/year", url.Values{"csrf": {atok}, "json": {year}}); st != 400 {
			t.Errorf("calendar year with \\u0000: %d\n%.300s", st, body)
		}
		if after, err := m.Store.CountOrders(t.Context()); err != nil || after != before {
			t.Errorf("refused forms wrote orders: %d -> %d (%v)", before, after, err)
		}
	})
}

// TestWebLoginCookieAndThrottle: the login form's session cookie is Secure
// when the browser came over HTTPS through the configured proxy (and only
// then), and a throttled login page says the Retry-After's seconds.
func TestWebLoginCookieAndThrottle(t *testing.T) {
	parallel(t)
	testenv.ForEachDB(t, func(t *testing.T, dbURL string) {
		_, base := server(t, func(c *app.Config) {
			c.DB = dbURL
			c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
		})
		post := func(user, pw, proto, from string) *http.Response {
			v := url.Values{"username": {user}, "password": {pw}, "next": {"/"}}
			req, _ := http.NewRequest("POST", base+"/login?lang=en", strings.NewReader(v.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Forwarded-Proto", proto)
			req.Header.Set("X-Forwarded-For", from)
			resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			return resp
		}
		secure := func(resp *http.Response) bool {
			for _, c := range resp.Cookies() {
				if c.Name == "hotline_session" {
					return c.Secure
				}
			}
			t.Fatalf("no session cookie: %d", resp.StatusCode)
			return false
		}
		if r := post("operator", "demo12345", "https", "198.51.100.1"); r.StatusCode != 303 || !secure(r) {
			t.Errorf("over HTTPS via the proxy: %d, Secure %v", r.StatusCode, secure(r))
		}
		if r := post("operator", "demo12345", "http", "198.51.100.1"); r.StatusCode != 303 || secure(r) {
			t.Errorf("over HTTP: Secure cookie")
		}
		var last *http.Response
		for range 4 {
			last = post("leader", "wrong", "https", "198.51.100.2")
		}
		body, _ := io.ReadAll(last.Body)
		ra := last.Header.Get("Retry-After")
		if last.StatusCode != 401 || ra == "" || !strings.Contains(string(body), "try again in "+ra+" second") {
			t.Errorf("throttled login page: %d Retry-After %q\n%s", last.StatusCode, ra, body)
		}
	})
}
