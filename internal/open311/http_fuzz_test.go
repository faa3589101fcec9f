package open311_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"hotline/internal/app"
	"hotline/internal/app/apptest"
	"hotline/internal/testenv"
)

// FuzzOpen311HTTP sends any form body to POST requests (with a valid API
// key) and any query to GET requests and tokens, on SQLite and, when
// HOTLINE_TEST_PG is set, PostgreSQL: never a 5xx, and a decoded value
// with a NUL byte or invalid UTF-8 is never accepted.
func FuzzOpen311HTTP(f *testing.F) {
	for _, s := range []string{
		"service_code=facilities.manhole&lat=31.17&long=121.44&description=%E4%BA%95%E7%9B%96",
		"service_code=facilities.manhole&lat=31.17&long=121.44&address_string=%00",
		"service_code=env%FF&lat=31.17&long=121.44",
		"service_code=facilities.manhole&address_string=x&first_name=%C3&description=d",
		"status=open&service_code=%00", "start_date=2026-01-01T00:00:00Z%00", "service_request_id=1%FF", "%00=1",
	} {
		f.Add(s, "abc")
	}
	f.Add("", "%00")
	urls := map[string]string{"sqlite": "sqlite:" + f.TempDir() + "/fuzz.db"}
	if os.Getenv(testenv.PGEnv) != "" {
		urls["postgres"] = testenv.PostgresURL(f)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type target struct {
		h   http.Handler
		key string
	}
	targets := map[string]target{}
	for name, u := range urls {
		m, err := app.New(ctx, app.Config{Addr: "127.0.0.1:0", DB: u, Demo: true, Sweep: time.Hour, PasswordParams: apptest.Passwords})
		if err != nil {
			f.Fatal(err)
		}
		defer m.Store.Close()
		key, err := m.Svc.CreateAPIKey(ctx, "fuzz")
		if err != nil {
			f.Fatal(err)
		}
		targets[name] = target{m.Handler(), key}
	}
	f.Fuzz(func(t *testing.T, form, token string) {
		if strings.ContainsAny(form, "# \t\r\n") || !utf8.ValidString(form) || strings.ContainsFunc(form, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return // not sendable in a request line
		}
		vals, perr := url.ParseQuery(form)
		bad := false
		for k, vs := range vals {
			for _, v := range append(vs, k) {
				bad = bad || !utf8.ValidString(v) || strings.ContainsRune(v, 0)
			}
		}
		for db, tg := range targets {
			send := func(method, path, query, body string) int {
				req := httptest.NewRequest(method, "/", strings.NewReader(body))
				req.URL = &url.URL{Path: path, RawQuery: query}
				req.RequestURI = ""
				if method == "POST" {
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				}
				rec := httptest.NewRecorder()
				tg.h.ServeHTTP(rec, req)
				if rec.Code >= 500 {
					t.Fatalf("%s: %s %s?%s %q: %d %s", db, method, path, query, body, rec.Code, rec.Body.String())
				}
				return rec.Code
			}
			if st := send("POST", "/open311/v2/requests.json", "", form+"&api_key="+url.QueryEscape(tg.key)); bad && perr == nil && st < 400 {
				t.Fatalf("%s: POST requests accepted bad text %q: %d", db, form, st)
			}
			if st := send("GET", "/open311/v2/requests.json", form, ""); bad && perr == nil && st != 400 {
				t.Fatalf("%s: GET requests?%s: %d, want 400", db, form, st)
			}
			send("GET", "/open311/v2/tokens/"+token+".xml", "", "")
			send("GET", "/open311/v2/requests/"+token+".json", "", "")
		}
	})
}
