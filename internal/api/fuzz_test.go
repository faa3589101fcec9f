package api_test

import (
	"context"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"hotline/internal/api"
	"hotline/internal/app"
	"hotline/internal/intel"
)

// FuzzOrderEndpoints posts arbitrary bodies to the create and action
// endpoints of a real server (handler in-process, real SQLite): the answer
// is never a 5xx, and a non-2xx answer is always the contract's error shape.
func FuzzOrderEndpoints(f *testing.F) {
	for _, s := range []string{
		`{"type":"complaint","source":"hotline","title":"路灯坏了","description":"小区门口路灯坏了"}`,
		`{"type":"praise","source":"web","title":"t","description":"d","caller":{"phone":"13800000000","confidential":true}}`,
		`{"unit":"binyang","version":1}`, `{"version":1,"into":"1"}`, `{"lat":1e400}`, `[]`, `null`, `{"title":"\u0000"}`,
	} {
		f.Add(s, "dispatch")
	}
	f.Add(`{"version":2,"outcome":"satisfied","resolved":true}`, "callback")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m, err := app.New(ctx, app.Config{Addr: "127.0.0.1:0", DB: "sqlite:" + f.TempDir() + "/fuzz.db", Demo: true, Intel: intel.New(), Sweep: time.Hour})
	if err != nil {
		f.Fatal(err)
	}
	defer m.Store.Close()
	h := m.Handler()
	token, _, err := m.Svc.Login(ctx, "dispatcher", "demo12345", "fuzz")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body, action string) {
		for _, path := range []string{"/api/v1/orders", "/api/v1/orders/1/" + url.PathEscape(action)} {
			req := httptest.NewRequest("POST", path, strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+token)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code >= 500 {
				t.Fatalf("POST %s %q: %d %s", path, body, rec.Code, rec.Body.String())
			}
			if rec.Code >= 400 && !strings.Contains(rec.Body.String(), `"error":{"code":`) {
				t.Fatalf("POST %s %q: %d without the error shape: %s", path, body, rec.Code, rec.Body.String())
			}
		}
	})
}

// FuzzListQuery feeds arbitrary query strings to the list filter parser.
func FuzzListQuery(f *testing.F) {
	for _, s := range []string{"status=received,dispatched&limit=5", "q=路灯&overdue=true", "from=2026-01-01&to=2026-01-31", "cursor=-1", "limit=abc", "%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		v, err := url.ParseQuery(q)
		if err != nil {
			return
		}
		lq, err := api.ParseListQuery(v)
		if err == nil && (lq.Limit < 0 || lq.Limit > 200) {
			t.Fatalf("limit %d accepted", lq.Limit)
		}
	})
}
