package registryapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"hotline/internal/app"
	"hotline/internal/app/apptest"
	"hotline/internal/demo"
	"hotline/internal/testenv"
)

// TestNoDataKey: a server without a data key keeps the registry off, and
// every registry route says so in the contract's error shape (503
// unavailable, naming the data key and how to give one) instead of a bare
// 404; anonymous clients still get 401 and learn nothing.
func TestNoDataKey(t *testing.T) {
	t.Parallel()
	testenv.ForEachDBParallel(t, func(t *testing.T, dbURL string) {
		ctx, cancel := context.WithCancel(context.Background())
		m, err := app.New(ctx, app.Config{Addr: "127.0.0.1:0", DB: dbURL, Demo: true, Sweep: time.Hour, PasswordParams: apptest.Passwords})
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		if m.Registry != nil {
			t.Fatal("the registry is on without a data key")
		}
		done := make(chan error, 1)
		go func() { done <- m.Run(ctx) }()
		<-m.Ready()
		t.Cleanup(func() { cancel(); <-done })
		s := &server{t: t, base: "http://" + m.Addr, m: m, tokens: map[string]string{}}
		_, body := s.do("", "POST", "/api/v1/session", obj{"username": "binyang", "password": demo.Password})
		s.tokens["binyang"] = body["token"].(string)
		for _, c := range []struct{ method, path string }{
			{"GET", "/api/v1/residents?area=binyang"}, {"POST", "/api/v1/residents"}, {"GET", "/api/v1/residents/1"},
			{"PATCH", "/api/v1/residents/1"}, {"POST", "/api/v1/residents/1/reveal"}, {"GET", "/api/v1/registry/summary"},
			{"GET", "/api/v1/registry/export"}, {"POST", "/api/v1/registry/import"}, {"GET", "/api/v1/households"},
			{"GET", "/api/v1/compounds/sanjiang/buildings"},
		} {
			st, e := raw(t, s, "binyang", c.method, c.path)
			if st != 503 || e["error"] == nil {
				t.Errorf("%s %s without a data key: %d %v", c.method, c.path, st, e)
				continue
			}
			er := e["error"].(map[string]any)
			if er["code"] != "unavailable" || !strings.Contains(er["message"].(string), "data key") || !strings.Contains(er["message"].(string), "--data-key-file") {
				t.Errorf("%s %s: %v", c.method, c.path, er)
			}
			if st, _ := s.do("", c.method, c.path, obj{}); st != 401 {
				t.Errorf("%s %s anonymous: %d", c.method, c.path, st)
			}
		}
	})
}

// raw sends a request with an empty JSON object and decodes the answer,
// whatever its status (server.do stops at a 5xx, which is the point here).
func raw(t *testing.T, s *server, user, method, path string) (int, obj) {
	req, _ := http.NewRequest(method, s.base+path, strings.NewReader("{}"))
	req.Header.Set("Authorization", "Bearer "+s.tokens[user])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out obj
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s %s: not JSON: %s", method, path, b)
	}
	return resp.StatusCode, out
}
