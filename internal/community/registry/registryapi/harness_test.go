package registryapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"hotline/internal/app"
	"hotline/internal/community/registry"
	"hotline/internal/community/registry/registrydb"
	"hotline/internal/demo"
	"hotline/internal/seal"
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
	ctx, cancel := context.WithCancel(context.Background())
	content, err := seal.Generate()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := seal.Parse(content)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	m, err := app.New(ctx, app.Config{Addr: "127.0.0.1:0", DB: dbURL, Demo: true, Sweep: time.Hour, DataKey: keys, Log: log})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if _, err := m.Svc.CreateUser(ctx, "yuehe_w", demo.Password, "handler", "yuehe", "月河 社工"); err != nil {
		t.Fatal(err)
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
	s := &server{t: t, base: "http://" + m.Addr, m: m, res: m.RegistryDB, keys: content, logs: logs, tokens: map[string]string{}}
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
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		js, _ := json.Marshal(b)
		rd = bytes.NewReader(js)
	}
	req, err := http.NewRequest(method, s.base+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+s.tokens[user])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var out obj
	if len(data) > 0 && data[0] == '{' {
		if err := json.Unmarshal(data, &out); err != nil {
			s.t.Fatalf("%s %s: not JSON: %s", method, path, data)
		}
	}
	if resp.StatusCode >= 500 {
		s.t.Fatalf("%s %s as %s: %d %s", method, path, user, resp.StatusCode, data)
	}
	return resp.StatusCode, out
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
