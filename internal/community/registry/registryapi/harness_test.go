package registryapi_test

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"hotline/internal/app"
	"hotline/internal/app/apptest"
	"hotline/internal/community/registry"
	"hotline/internal/community/registry/registrydb"
	"hotline/internal/demo"
)

type obj = map[string]any

// server is the real server (the API's routes and wrapping, the registry's
// routes, a real database) with the demo's users logged in, plus yuehe_w,
// a community worker of another area.
type server struct {
	t      *testing.T
	base   string
	m      *app.Main
	res    *registrydb.Store
	keys   []byte // the data key file's content
	logs   *syncBuffer
	tokens map[string]string
}

func start(t *testing.T, dbURL string) *server {
	t.Helper()
	keys, content := apptest.NewKeys(t)
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	m := apptest.Start(t, app.Config{DB: dbURL, Demo: true, Sweep: time.Hour, DataKey: keys, Log: log}, func(ctx context.Context, m *app.Main) error {
		_, err := m.Svc.CreateUser(ctx, "yuehe_w", demo.Password, "handler", "yuehe", "月河 社工")
		return err
	})
	s := &server{t: t, base: apptest.Base(m), m: m, res: m.RegistryDB, keys: content, logs: logs, tokens: map[string]string{}}
	for _, u := range []string{"admin", "leader", "binyang", "yuehe_w", "dispatcher", "operator", "volunteer"} {
		st, body := s.do("", "POST", "/api/v1/session", obj{"username": u, "password": demo.Password})
		if st != 200 {
			t.Fatalf("login %s: %d %v", u, st, body)
		}
		s.tokens[u] = body["token"].(string)
	}
	return s
}

// do sends a request as user ("" for none) and decodes a JSON object; a
// 5xx fails the test at once.
func (s *server) do(user, method, path string, body any) (int, obj) {
	s.t.Helper()
	// The registry's requests never said their Content-Type; they still don't.
	st, out, _ := apptest.Do(s.t, apptest.Request{Method: method, URL: s.base + path, Token: s.tokens[user], Body: body, NoType: true})
	return st, out
}

// must sends a request that has to answer want.
func (s *server) must(want int, user, method, path string, body any) obj {
	s.t.Helper()
	st, out := s.do(user, method, path, body)
	if st != want {
		s.t.Fatalf("%s %s as %s: %d %v, want %d", method, path, user, st, out, want)
	}
	return out
}

// fakeID is an ID number for a birth date with a correct check digit,
// under the made-up region 999999 (no real region), so it is nobody's.
func fakeID(birth string, seq int) string {
	s := "999999" + birth + string(rune('0'+seq/100%10)) + string(rune('0'+seq/10%10)) + string(rune('0'+seq%10))
	return s + string(registry.CheckDigitOf(s))
}

// syncBuffer is the server's log, written by many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
