package portal_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"hotline/internal/app"
	"hotline/internal/testenv"
)

// fuzzHandlers are the real server's handler on SQLite and, when
// HOTLINE_TEST_PG is set, on PostgreSQL (which refuses what SQLite stores:
// NUL bytes, invalid UTF-8).
func fuzzHandlers(f *testing.F) map[string]http.Handler {
	urls := map[string]string{"sqlite": "sqlite:" + f.TempDir() + "/fuzz.db"}
	if os.Getenv(testenv.PGEnv) != "" {
		urls["postgres"] = testenv.PostgresURL(f)
	}
	ctx, cancel := context.WithCancel(context.Background())
	f.Cleanup(cancel)
	out := map[string]http.Handler{}
	for name, u := range urls {
		m, err := app.New(ctx, app.Config{Addr: "127.0.0.1:0", DB: u, Demo: true, Sweep: time.Hour})
		if err != nil {
			f.Fatal(err)
		}
		f.Cleanup(func() { m.Store.Close() })
		out[name] = m.Handler()
	}
	return out
}

// holdsBadText reports whether decoded form values or a JSON body's strings
// hold a NUL byte or invalid UTF-8 (a U+FFFD the body did not spell).
func holdsBadText(body string, form bool) bool {
	if form {
		vals, err := url.ParseQuery(body)
		if err != nil {
			return false
		}
		for k, vs := range vals {
			for _, v := range append(vs, k) {
				if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
					return true
				}
			}
		}
		return false
	}
	if !utf8.ValidString(body) {
		return true
	}
	var v map[string]any
	if json.Unmarshal([]byte(body), &v) != nil {
		return false
	}
	for k, x := range v {
		s, _ := x.(string)
		if strings.ContainsRune(k+s, 0) || strings.ContainsRune(s, utf8.RuneError) && !strings.Contains(strings.ToLower(body), `\ufffd`) && !strings.Contains(body, "\uFFFD") {
			return true
		}
	}
	return false
}

// FuzzPublicEndpoints: a citizen's report (JSON and form) and the tracking
// lookup, with any body and query, on each database: never a 5xx, and
// text with a NUL byte or invalid UTF-8 is never accepted.
func FuzzPublicEndpoints(f *testing.F) {
	good := `{"type":"complaint","description":"楼道堆满杂物，消防通道被堵","compound":"sanjiang","building":"29号楼","phone":"13912345678","name":"陈先生"}`
	f.Add(good, "x=1")
	f.Add(strings.Replace(good, "陈先生", `陈\u0000`, 1), "x=%00")
	f.Add(strings.Replace(good, "29号楼", "29\xff", 1), "lang=%FF")
	f.Add(strings.Replace(good, "楼道", `\ud800`, 1), "token=%C0%80")
	f.Add("type=complaint&description=%E6%A5%BC%00&compound=sanjiang&phone=13912345678", "")
	f.Add("type=complaint&description=%FF%FE&address=x&phone=13912345678", "q=%E8")
	hs := fuzzHandlers(f)
	var n atomic.Int64
	f.Fuzz(func(t *testing.T, body, query string) {
		if strings.ContainsAny(query, "# \t\r\n") || !utf8.ValidString(query) || strings.ContainsFunc(query, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			return // not sendable in a request line
		}
		for db, h := range hs {
			for _, ct := range []string{"application/json", "application/x-www-form-urlencoded"} {
				for _, target := range []struct{ method, path string }{{"POST", "/api/v1/public/orders"}, {"GET", "/api/v1/public/orders/2026120700001"}, {"POST", "/portal/report"}} {
					req := httptest.NewRequest(target.method, target.path, strings.NewReader(body))
					req.URL.RawQuery = query
					req.Header.Set("Content-Type", ct)
					// Each request from its own address, past the portal's rate limit.
					i := n.Add(1)
					req.RemoteAddr = fmt.Sprintf("10.%d.%d.%d:1000", i>>16&255, i>>8&255, i&255)
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, req)
					if rec.Code >= 500 {
						t.Fatalf("%s: %s %s?%s %s %q: %d %s", db, target.method, target.path, query, ct, body, rec.Code, rec.Body.String())
					}
					if target.method == "POST" && rec.Code < 400 && holdsBadText(body, ct != "application/json") {
						t.Fatalf("%s: %s %s accepted bad text %q: %d", db, target.method, target.path, body, rec.Code)
					}
				}
			}
		}
	})
}
