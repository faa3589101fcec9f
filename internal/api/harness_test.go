package api_test

import (
	"fmt"
	"testing"
	"time"

	"hotline/internal/app"
	"hotline/internal/app/apptest"
	"hotline/internal/intel"
	"hotline/internal/testenv"
)

// server is a real hotline server on 127.0.0.1:0 over a real database.
type server struct {
	t    *testing.T
	base string
	m    *app.Main
	disp *client
}

// start runs a server until the test ends; opts change its config (a
// faster poll, say) before it starts.
func start(t *testing.T, dbURL string, demo bool, opts ...func(*app.Config)) *server {
	t.Helper()
	cfg := app.Config{DB: dbURL, Demo: demo, Intel: intel.New(), Sweep: time.Hour}
	for _, o := range opts {
		o(&cfg)
	}
	m := apptest.Start(t, cfg)
	return &server{t: t, base: apptest.Base(m), m: m}
}

// startEach runs fn against a demo server on SQLite and on PostgreSQL, the
// two side by side (testenv.ForEachDBParallel): fn must share nothing with
// other tests.
func startEach(t *testing.T, fn func(t *testing.T, s *server)) {
	testenv.ForEachDBParallel(t, func(t *testing.T, dbURL string) { fn(t, start(t, dbURL, true)) })
}

// client is a logged-in API user.
type client struct {
	s     *server
	token string
	user  string
}

func (s *server) login(user string) *client {
	s.t.Helper()
	st, body := s.raw("POST", "/api/v1/session", "", map[string]string{"username": user, "password": "demo12345"})
	if st != 200 {
		s.t.Fatalf("login %s: %d %v", user, st, body)
	}
	return &client{s: s, token: body["token"].(string), user: user}
}

type obj = map[string]any

// raw sends a request and decodes a JSON object answer.
func (s *server) raw(method, path, token string, body any) (int, obj) {
	s.t.Helper()
	st, out, _ := apptest.Do(s.t, apptest.Request{Method: method, URL: s.base + path, Token: token, Body: body})
	return st, out
}

func (c *client) do(method, path string, body any) (int, obj) {
	c.s.t.Helper()
	return c.s.raw(method, path, c.token, body)
}

// must sends a request and fails the test unless the status is want.
func (c *client) must(want int, method, path string, body any) obj {
	c.s.t.Helper()
	st, out := c.do(method, path, body)
	if st != want {
		c.s.t.Fatalf("%s %s %s: status %d, want %d: %v", c.user, method, path, st, want, out)
	}
	return out
}

// act takes an action with the order's current version.
func (c *client) act(want int, id, action string, body obj) obj {
	c.s.t.Helper()
	o := c.s.admin().must(200, "GET", "/api/v1/orders/"+id, nil)
	if body == nil {
		body = obj{}
	}
	if _, ok := body["version"]; !ok {
		body["version"] = o["version"]
	}
	return c.must(want, "POST", fmt.Sprintf("/api/v1/orders/%s/%s", id, action), body)
}

func (s *server) admin() *client {
	if s.disp == nil {
		s.disp = s.login("dispatcher")
	}
	return s.disp
}

func (c *client) create(title, desc string, extra obj) obj {
	c.s.t.Helper()
	body := obj{"type": "complaint", "source": "hotline", "title": title, "description": desc,
		"caller": obj{"name": "测试市民", "phone": "13800001234"}}
	for k, v := range extra {
		body[k] = v
	}
	return c.must(201, "POST", "/api/v1/orders", body)
}

func errCode(o obj) string {
	e, _ := o["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func errFields(o obj) map[string]any {
	e, _ := o["error"].(map[string]any)
	f, _ := e["fields"].(map[string]any)
	return f
}
