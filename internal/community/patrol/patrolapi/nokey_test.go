package patrolapi_test

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
	"hotline/internal/testenv"
)

// TestNoDataKey: a server without a data key keeps volunteers and patrols
// off, as the registry is (volunteers' phones are sealed, never kept in
// plaintext), and every patrol route says so in the contract's error shape
// — 503 unavailable naming the data key and how to give one — instead of a
// 404; anonymous clients still get 401. The meetings stay on.
func TestNoDataKey(t *testing.T) {
	t.Parallel()
	testenv.ForEachDBParallel(t, func(t *testing.T, dbURL string) {
		ctx, cancel := context.WithCancel(context.Background())
		m, err := app.New(ctx, app.Config{Addr: "127.0.0.1:0", DB: dbURL, Demo: true, Sweep: time.Hour, DemoCommunity: true, PasswordParams: apptest.Passwords})
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		if m.Patrol != nil {
			t.Fatal("patrols are on without a data key")
		}
		done := make(chan error, 1)
		go func() { done <- m.Run(ctx) }()
		<-m.Ready()
		t.Cleanup(func() { cancel(); <-done })
		base := "http://" + m.Addr
		send := func(token, method, path string) (int, map[string]any) {
			req, _ := http.NewRequest(method, base+path, strings.NewReader("{}"))
			req.Header.Set("Content-Type", "application/json")
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			var out map[string]any
			if err := json.Unmarshal(b, &out); err != nil {
				t.Fatalf("%s %s: not JSON: %s", method, path, b)
			}
			return resp.StatusCode, out
		}
		req, _ := http.NewRequest("POST", base+"/api/v1/session", strings.NewReader(`{"username":"binyang","password":"demo12345"}`))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var sess map[string]any
		json.NewDecoder(resp.Body).Decode(&sess)
		resp.Body.Close()
		token, _ := sess["token"].(string)
		for _, c := range []struct{ method, path string }{
			{"GET", "/api/v1/volunteer_teams"}, {"POST", "/api/v1/volunteers"}, {"GET", "/api/v1/volunteers/1"},
			{"POST", "/api/v1/shifts/plan"}, {"GET", "/api/v1/shifts?date=2026-12-01"}, {"POST", "/api/v1/shifts/1/check_in"},
			{"POST", "/api/v1/shifts/1/findings"}, {"GET", "/api/v1/patrols/coverage"}, {"GET", "/api/v1/volunteer_hours.xlsx"},
		} {
			st, e := send(token, c.method, c.path)
			er, _ := e["error"].(map[string]any)
			if st != 503 || er == nil || er["code"] != "unavailable" || !strings.Contains(er["message"].(string), "--data-key-file") {
				t.Errorf("%s %s without a data key: %d %v", c.method, c.path, st, e)
			}
			if st, _ := send("", c.method, c.path); st != 401 {
				t.Errorf("%s %s anonymous: %d", c.method, c.path, st)
			}
		}
		if st, e := send(token, "GET", "/api/v1/meetings?compound=sanjiang"); st != 200 || len(e["meetings"].([]any)) == 0 {
			t.Errorf("meetings without a data key: %d %v", st, e)
		}
	})
}
