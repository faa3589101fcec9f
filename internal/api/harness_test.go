package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"hotline/internal/app"
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

func start(t *testing.T, dbURL string, demo bool) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	m, err := app.New(ctx, app.Config{Addr: "127.0.0.1:0", DB: dbURL, Demo: demo, Intel: intel.New(), Sweep: time.Hour})
	if err != nil {
		cancel()
		t.Fatalf("start server: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	select {
	case <-m.Ready():
	case err := <-done:
		cancel()
		t.Fatalf("server stopped: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server shutdown: %v", err)
		}
	})
	return &server{t: t, base: "http://" + m.Addr, m: m}
}

// startEach runs fn against a demo server on SQLite and on PostgreSQL.
func startEach(t *testing.T, fn func(t *testing.T, s *server)) {
	testenv.ForEachDB(t, func(t *testing.T, dbURL string) { fn(t, start(t, dbURL, true)) })
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
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		js, _ := json.Marshal(b)
		rd = bytes.NewReader(js)
	}
	req, err := http.NewRequest(method, s.base+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var out obj
	if len(data) > 0 && data[0] == '{' {
		if err := json.Unmarshal(data, &out); err != nil {
			s.t.Fatalf("%s %s: answer is not JSON: %s", method, path, data)
		}
	}
	if resp.StatusCode >= 500 {
		s.t.Fatalf("%s %s: server error %d: %s", method, path, resp.StatusCode, data)
	}
	return resp.StatusCode, out
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
