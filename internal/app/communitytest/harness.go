// Package communitytest starts the real server (the demo subdistrict, a
// data key) on a real database for the community modules' HTTP tests, and
// gives them logged-in clients. It is imported by tests only.
package communitytest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"hotline/internal/access"
	"hotline/internal/app"
	"hotline/internal/app/apptest"
	"hotline/internal/intel"
	"hotline/internal/testenv"
)

// Server is a running hotline server.
type Server struct {
	T    testing.TB
	Base string
	M    *app.Main
}

// Start runs the demo server on dbURL until the test ends. Besides the
// demo accounts it adds "yuehe" (a handler of the 月河 committee) and
// "volunteer2" (a second volunteer login of 宾阳路).
func Start(t testing.TB, dbURL string) *Server { return start(t, dbURL, false) }

// StartDemo is Start with the community modules' demo loaded too.
func StartDemo(t testing.TB, dbURL string) *Server { return start(t, dbURL, true) }

func start(t testing.TB, dbURL string, community bool) *Server {
	t.Helper()
	keys, _ := apptest.NewKeys(t)
	m := apptest.Start(t, app.Config{DB: dbURL, Demo: true, Intel: intel.New(), Sweep: time.Hour, DataKey: keys, DemoCommunity: community},
		func(ctx context.Context, m *app.Main) error {
			for _, u := range [][3]string{{"yuehe", "handler", "yuehe"}, {"volunteer2", "volunteer", "binyang"}} {
				if _, err := m.Svc.CreateUser(ctx, u[0], "demo12345", access.Role(u[1]), u[2], u[0]); err != nil {
					return fmt.Errorf("add user %s: %w", u[0], err)
				}
			}
			return nil
		})
	return &Server{T: t, Base: apptest.Base(m), M: m}
}

// Each runs fn against a fresh server on SQLite and on PostgreSQL.
func Each(t *testing.T, fn func(t *testing.T, s *Server)) {
	testenv.ForEachDB(t, func(t *testing.T, dbURL string) { fn(t, Start(t, dbURL)) })
}

// EachParallel is Each with the two servers side by side
// (testenv.ForEachDBParallel): for tests whose fn shares nothing with other
// tests.
func EachParallel(t *testing.T, fn func(t *testing.T, s *Server)) {
	testenv.ForEachDBParallel(t, func(t *testing.T, dbURL string) { fn(t, Start(t, dbURL)) })
}

// Obj is a JSON object.
type Obj = apptest.Obj

// Client is a logged-in user.
type Client struct {
	S     *Server
	Token string
	User  string
}

// Login logs a demo user in (password demo12345).
func (s *Server) Login(user string) *Client {
	s.T.Helper()
	st, body, _ := s.Raw("POST", "/api/v1/session", "", Obj{"username": user, "password": "demo12345"})
	if st != 200 {
		s.T.Fatalf("login %s: %d %v", user, st, body)
	}
	return &Client{S: s, Token: body["token"].(string), User: user}
}

// Raw sends a request and decodes a JSON object answer; a 5xx fails the
// test (never a 500 for anything a client sends).
func (s *Server) Raw(method, path, token string, body any) (int, Obj, []byte) {
	s.T.Helper()
	return apptest.Do(s.T, apptest.Request{Method: method, URL: s.Base + path, Token: token, Body: body})
}

// Do sends a request as the client.
func (c *Client) Do(method, path string, body any) (int, Obj) {
	c.S.T.Helper()
	st, out, _ := c.S.Raw(method, path, c.Token, body)
	return st, out
}

// Must sends a request and fails the test unless the status is want.
func (c *Client) Must(want int, method, path string, body any) Obj {
	c.S.T.Helper()
	st, out := c.Do(method, path, body)
	if st != want {
		c.S.T.Fatalf("%s %s %s: status %d, want %d: %v", c.User, method, path, st, want, out)
	}
	return out
}

// Fails sends a request that must be refused with status want and the
// error code code; for 400 it returns the fields.
func (c *Client) Fails(want int, code, method, path string, body any) map[string]any {
	c.S.T.Helper()
	st, out := c.Do(method, path, body)
	if st != want {
		c.S.T.Fatalf("%s %s %s: status %d, want %d: %v", c.User, method, path, st, want, out)
	}
	e, _ := out["error"].(map[string]any)
	if e == nil || e["code"] != code {
		c.S.T.Fatalf("%s %s %s: error %v, want code %s", c.User, method, path, out, code)
	}
	f, _ := e["fields"].(map[string]any)
	if want == 400 && len(f) == 0 {
		c.S.T.Fatalf("%s %s %s: 400 without fields: %v", c.User, method, path, out)
	}
	return f
}

// Count returns a table's row count (for "nothing written" checks).
func (s *Server) Count(table string) int {
	s.T.Helper()
	var n int
	if err := s.M.Store.DB().R.QueryRow(fmt.Sprintf("SELECT COUNT(*) FROM %s", table)).Scan(&n); err != nil {
		s.T.Fatalf("count %s: %v", table, err)
	}
	return n
}

// List returns a list answer's items.
func List(o Obj, key string) []any {
	l, _ := o[key].([]any)
	return l
}
