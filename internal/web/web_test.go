package web

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"hotline/internal/app"
	"hotline/internal/app/apptest"
	"hotline/internal/order"
	"hotline/internal/testenv"
)

func TestTemplatesParse(t *testing.T) {
	if _, err := New(nil, nil, false); err != nil {
		t.Fatal(err)
	}
}

// TestCatalogues checks that both languages have the same keys and that
// every literal key the templates and the code use exists.
func TestCatalogues(t *testing.T) {
	cat, err := loadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	for k := range cat["zh"] {
		if _, ok := cat["en"][k]; !ok {
			t.Errorf("en.json lacks %q", k)
		}
	}
	for k := range cat["en"] {
		if _, ok := cat["zh"][k]; !ok {
			t.Errorf("zh.json lacks %q", k)
		}
	}
	re := regexp.MustCompile(`(?:\.T|\bT\(|t\(lang,) ?\(?"([a-z_]+(?:\.[a-z_0-9]+)+|yes|no)"`)
	names, _ := files.ReadDir("templates")
	var srcs []string
	for _, n := range names {
		b, _ := files.ReadFile("templates/" + n.Name())
		srcs = append(srcs, string(b))
	}
	for _, src := range srcs {
		for _, m := range re.FindAllStringSubmatch(src, -1) {
			if _, ok := cat["zh"][m[1]]; !ok {
				t.Errorf("catalogue lacks %q", m[1])
			}
		}
	}
	for _, prefix := range []string{"status.", "action.", "type.", "urgency.", "source.", "role."} {
		var vals []string
		switch prefix {
		case "status.":
			for _, s := range order.Statuses {
				vals = append(vals, string(s))
			}
		case "action.":
			for _, a := range order.Actions {
				vals = append(vals, string(a))
			}
		case "type.":
			for _, s := range order.Types {
				vals = append(vals, string(s))
			}
		case "urgency.":
			for _, s := range order.Urgencies {
				vals = append(vals, string(s))
			}
		case "source.":
			for _, s := range order.Sources {
				vals = append(vals, string(s))
			}
		case "role.":
			for _, s := range order.Roles {
				vals = append(vals, string(s))
			}
		}
		for _, v := range vals {
			if _, ok := cat["zh"][prefix+v]; !ok {
				t.Errorf("catalogue lacks %q", prefix+v)
			}
		}
	}
}

// server starts the real server with the demo subdistrict and the pages;
// opts may change the configuration (e.g. add the text intelligence).
func server(t testing.TB, opts ...func(*app.Config)) (*app.Main, string) {
	t.Helper()
	cfg := app.Config{DB: testenv.SQLiteURL(t), Demo: true, Web: Mount, CommunityPages: MountCommunity}
	for _, o := range opts {
		o(&cfg)
	}
	m := apptest.Start(t, cfg)
	return m, apptest.Base(m)
}

type client struct {
	t    testing.TB
	base string
	c    *http.Client
}

func login(t testing.TB, base, user string) *client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &client{t: t, base: base, c: &http.Client{Jar: jar, Timeout: 20 * time.Second}}
	body, status := c.post("/login", url.Values{"username": {user}, "password": {"demo12345"}})
	if status != 200 || strings.Contains(body, `action="/login"`) {
		t.Fatalf("login %s: %d\n%s", user, status, body)
	}
	return c
}

func (c *client) get(path string) (string, int) {
	c.t.Helper()
	resp, err := c.c.Get(c.base + path)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b), resp.StatusCode
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

func (c *client) csrf() string {
	body, _ := c.get("/notifications")
	m := csrfRe.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

func (c *client) post(path string, v url.Values) (string, int) {
	c.t.Helper()
	req, _ := http.NewRequest("POST", c.base+path, strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b), resp.StatusCode
}

// TestPagesAnswer visits every page as the role that uses it.
func TestPagesAnswer(t *testing.T) {
	parallel(t)
	_, base := server(t)
	visits := map[string][]string{
		"operator":   {"/intake", "/queue", "/queue?tab=reviewed", "/search?q=噪音", "/notifications", "/intake/assist?title=夜间施工噪音&description=", "/intake/buildings?compound=sanjiang"},
		"dispatcher": {"/queue", "/queue?tab=returned", "/queue?tab=return_requested", "/queue?tab=replied", "/queue?tab=overdue", "/queue?tab=supervised", "/board", "/search?status=closed"},
		"binyang":    {"/inbox", "/inbox?step=contact", "/inbox?step=progress", "/inbox?step=near", "/notifications"},
		"leader":     {"/board", "/queue?tab=overdue", "/search?q=工地"},
		"admin":      {"/admin/users", "/admin/units", "/admin/categories", "/admin/policy", "/admin/calendar", "/admin/calendar?year=2026"},
		"volunteer":  {"/", "/notifications"},
	}
	for user, paths := range visits {
		c := login(t, base, user)
		for _, p := range paths {
			body, status := c.get(p)
			if status != 200 {
				t.Errorf("%s GET %s: %d\n%s", user, p, status, body)
			}
		}
	}
	// Every order page of the demo, as the dispatcher and in English.
	c := login(t, base, "dispatcher")
	body, _ := c.get("/search?lang=en")
	ids := regexp.MustCompile(`href="/orders/(\d+)"`).FindAllStringSubmatch(body, -1)
	if len(ids) < 10 {
		t.Fatalf("search lists %d orders", len(ids))
	}
	for _, m := range ids {
		if b, s := c.get("/orders/" + m[1]); s != 200 {
			t.Errorf("order %s: %d\n%s", m[1], s, b)
		}
	}
	if !strings.Contains(body, "Search orders") {
		t.Error("?lang=en did not switch to English")
	}
}

// TestBadInputNever500 sends nonsense to every form and query.
func TestBadInputNever500(t *testing.T) {
	parallel(t)
	_, base := server(t)
	c := login(t, base, "dispatcher")
	tok := c.csrf()
	gets := []string{"/orders/abc", "/orders/999999", "/orders/-1/callback", "/search?cursor=zz", "/search?from=2026-13-45", "/search?q=" + strings.Repeat("长", 300),
		"/queue?tab=nope&cursor=x", "/search?status=nope&type=%00", "/intake/buildings?compound=../../etc"}
	for _, p := range gets {
		if _, s := c.get(p); s >= 500 {
			t.Errorf("GET %s: %d", p, s)
		}
	}
	posts := map[string]url.Values{
		"/orders/1/act/dispatch":   {"csrf": {tok}, "version": {"x"}, "unit": {"nope"}},
		"/orders/1/act/nope":       {"csrf": {tok}},
		"/orders/abc/act/urge":     {"csrf": {tok}, "version": {"1"}},
		"/orders/1/act/note":       {"csrf": {tok}, "version": {"1"}, "days": {"abc"}},
		"/orders/1/callback":       {"csrf": {tok}, "version": {"99"}, "outcome": {"bad"}},
		"/intake":                  {"csrf": {tok}, "type": {"nope"}, "caller_phone": {"abc"}, "into": {"zzz"}},
		"/queue/dispatch":          {"csrf": {tok}, "unit": {"binyang"}, "pick": {"1:x", "abc:1", "::"}},
		"/notifications/abc/read":  {"csrf": {tok}},
		"/orders/1/act/dispatch?x": {"version": {"1"}}, // no CSRF token
	}
	for p, v := range posts {
		if b, s := c.post(p, v); s >= 500 {
			t.Errorf("POST %s: %d\n%s", p, s, b)
		}
	}
	a := login(t, base, "admin")
	atok := a.csrf()
	for p, v := range map[string]url.Values{
		"/admin/users":         {"csrf": {atok}, "username": {"a b"}, "password": {"x"}, "role": {"king"}},
		"/admin/units":         {"csrf": {atok}, "code": {"BAD"}, "kind": {"x"}},
		"/admin/categories":    {"csrf": {atok}, "code": {"x.y.z"}, "sort": {"-"}},
		"/admin/policy":        {"csrf": {atok}, "rows": {"3"}, "r0.sign": {"0"}, "r1.reply": {"abc"}},
		"/admin/calendar/day":  {"csrf": {atok}, "date": {"2027-02-30"}},
		"/admin/calendar/year": {"csrf": {atok}, "json": {"{not json"}},
	} {
		if b, s := a.post(p, v); s >= 500 || s == 200 && !strings.Contains(b, "ferr") {
			t.Errorf("POST %s: %d\n%s", p, s, b)
		}
	}
}
