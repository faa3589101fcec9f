package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"hotline/internal/api"
	"hotline/internal/app"
	"hotline/internal/app/apptest"
	"hotline/internal/intel"
	"hotline/internal/testenv"
)

// fuzzTarget is a real server's handler (in-process) over a real
// database, with a logged-in user's token.
type fuzzTarget struct {
	db    string
	h     http.Handler
	token string
}

// fuzzTargets starts the demo server on SQLite and, when HOTLINE_TEST_PG is
// set, on PostgreSQL too: what SQLite stores, PostgreSQL may refuse (a NUL
// byte, invalid UTF-8), so every input is fuzzed against both.
func fuzzTargets(f *testing.F, user string) []fuzzTarget {
	urls := []string{"sqlite:" + f.TempDir() + "/fuzz.db"}
	if os.Getenv(testenv.PGEnv) != "" {
		urls = append(urls, testenv.PostgresURL(f))
	}
	ctx, cancel := context.WithCancel(context.Background())
	f.Cleanup(cancel)
	// The servers start side by side: each start mostly waits on its
	// database, and the fuzz targets run one after another, after the
	// package's parallel tests.
	out := make([]fuzzTarget, len(urls))
	errs := make([]error, len(urls))
	var wg sync.WaitGroup
	for i, u := range urls {
		wg.Go(func() {
			m, err := app.New(ctx, app.Config{Addr: "127.0.0.1:0", DB: u, Demo: true, Intel: intel.New(), Sweep: time.Hour, PasswordParams: apptest.Passwords})
			if err != nil {
				errs[i] = err
				return
			}
			f.Cleanup(func() { m.Store.Close() })
			token, _, err := m.Svc.Login(ctx, user, "demo12345", "fuzz")
			if err != nil {
				errs[i] = err
				return
			}
			out[i] = fuzzTarget{db: string(m.Store.Dialect), h: m.Handler(), token: token}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			f.Fatal(err)
		}
	}
	return out
}

// serve sends one request and checks the contract every answer keeps:
// never a 5xx, and a refusal in the error shape.
func (ft fuzzTarget) serve(t *testing.T, method, target string, body io.Reader) *httptest.ResponseRecorder {
	t.Helper()
	// Built by hand: httptest.NewRequest panics on targets a client can
	// still send (a raw query is taken as is).
	path, query, _ := strings.Cut(target, "?")
	u, err := url.Parse(path)
	if err != nil {
		t.Fatalf("bad test path %q: %v", path, err)
	}
	u.RawQuery = query
	req := httptest.NewRequest(method, "/", body)
	req.URL, req.RequestURI = u, ""
	req.Header.Set("Authorization", "Bearer "+ft.token)
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	ft.h.ServeHTTP(rec, req)
	if rec.Code >= 500 {
		t.Fatalf("%s: %s %q: %d %s", ft.db, method, target, rec.Code, rec.Body.String())
	}
	if rec.Code >= 400 && !strings.Contains(rec.Body.String(), `"error":{"code":`) {
		t.Fatalf("%s: %s %q: %d without the error shape: %s", ft.db, method, target, rec.Code, rec.Body.String())
	}
	return rec
}

// badJSONText reports whether a body is JSON text no door may accept: not
// UTF-8, or holding a NUL in some string.
func badJSONText(body string) bool {
	if !utf8.ValidString(body) {
		return true
	}
	var v any
	if json.Unmarshal([]byte(body), &v) != nil {
		return false
	}
	var walk func(v any) bool
	walk = func(v any) bool {
		switch x := v.(type) {
		case string:
			return strings.ContainsRune(x, 0) || strings.ContainsRune(x, utf8.RuneError) && !strings.Contains(strings.ToLower(body), `\ufffd`) && !strings.Contains(body, "\uFFFD")
		case []any:
			for _, e := range x {
				if walk(e) {
					return true
				}
			}
		case map[string]any:
			for k, e := range x {
				if strings.ContainsRune(k, 0) || walk(e) {
					return true
				}
			}
		}
		return false
	}
	return walk(v)
}

// FuzzOrderEndpoints posts arbitrary bodies to the create and action
// endpoints of a real server on each database: the answer is never a 5xx,
// a non-2xx answer is always the contract's error shape, and a body with a
// NUL byte or invalid UTF-8 in its text is never accepted.
func FuzzOrderEndpoints(f *testing.F) {
	for _, s := range []string{
		`{"type":"complaint","source":"hotline","title":"路灯坏了","description":"小区门口路灯坏了"}`,
		`{"type":"praise","source":"web","title":"t","description":"d","caller":{"phone":"13800000000","confidential":true}}`,
		`{"unit":"binyang","version":1}`, `{"version":1,"into":"1"}`, `{"lat":1e400}`, `[]`, `null`, `{"title":"\u0000"}`,
		`{"type":"complaint","source":"hotline","title":"路灯\u0000","description":"d"}`,
		"{\"type\":\"complaint\",\"source\":\"hotline\",\"title\":\"t\",\"description\":\"\xff\xfe\"}",
		`{"type":"complaint","source":"hotline","title":"t","description":"d","address":"\ud800"}`,
		`{"type":"complaint","source":"hotline","title":"t","description":"d","caller":{"name":"\u0000"}}`,
		"{\"type\":\"complaint\",\"source\":\"hotline\",\"title\":\"t\",\"description\":\"d\",\"building\":\"29\xe5\x8f\"}",
		`{"version":1,"unit":"bin\u0000yang"}`, `{"version":1,"note":"\udfff"}`, `{"ti\u0000tle":"x"}`,
	} {
		f.Add(s, "dispatch")
	}
	f.Add(`{"version":2,"outcome":"satisfied","resolved":true}`, "callback")
	f.Add("{\"version\":1,\"reply\":\"\xc3\"}", "reply")
	f.Add(`{"version":1}`, "no\x00te")
	targets := fuzzTargets(f, "dispatcher")
	f.Fuzz(func(t *testing.T, body, action string) {
		for _, ft := range targets {
			for _, path := range []string{"/api/v1/orders", "/api/v1/orders/1/" + url.PathEscape(action)} {
				rec := ft.serve(t, "POST", path, strings.NewReader(body))
				if rec.Code < 300 && badJSONText(body) {
					t.Fatalf("%s: POST %s accepted bad text %q: %d %s", ft.db, path, body, rec.Code, rec.Body.String())
				}
			}
		}
	})
}

// FuzzQueryEndpoints sends arbitrary query strings to the list, dashboard,
// audit and stats endpoints on each database: never a 5xx, and a query
// whose decoded names or values hold a NUL byte or invalid UTF-8 is a 400.
func FuzzQueryEndpoints(f *testing.F) {
	for _, s := range []string{"status=received,dispatched&limit=5", "q=路灯&overdue=true", "unit=%00", "category=%FF", "actor=%00",
		"q=%E8%B7", "from=2026-01-01&to=2026-01-31&unit=binyang", "%00=1", "q=%C0%80", "cursor=%00", "compound=sanjiang%00", "%zz"} {
		f.Add(s)
	}
	targets := fuzzTargets(f, "admin")
	f.Fuzz(func(t *testing.T, q string) {
		if strings.ContainsAny(q, "# \t\r\n") || strings.ContainsFunc(q, func(r rune) bool { return r < 0x20 || r == 0x7f }) || !utf8.ValidString(q) {
			return // not sendable in a request line
		}
		vals, perr := url.ParseQuery(q)
		bad := false
		for k, vs := range vals {
			bad = bad || !utf8.ValidString(k) || strings.ContainsRune(k, 0)
			for _, v := range vs {
				bad = bad || !utf8.ValidString(v) || strings.ContainsRune(v, 0)
			}
		}
		for _, ft := range targets {
			for _, p := range []string{"/api/v1/orders", "/api/v1/dashboard/map", "/api/v1/audit", "/api/v1/stats/summary"} {
				rec := ft.serve(t, "GET", p+"?"+q, nil)
				if bad && perr == nil && rec.Code != 400 {
					t.Fatalf("%s: GET %s?%s: %d, want 400 for bad text", ft.db, p, q, rec.Code)
				}
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
