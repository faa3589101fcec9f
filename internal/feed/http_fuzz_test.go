package feed_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"hotline/internal/app"
	"hotline/internal/feed"
	"hotline/internal/testenv"
)

// FuzzWebhookHTTP pushes any correctly signed body through the real
// handler on SQLite and, when HOTLINE_TEST_PG is set, PostgreSQL: never a
// 5xx, and a body with invalid UTF-8 or a NUL in a string is never taken.
func FuzzWebhookHTTP(f *testing.F) {
	good := `{"platform_order_id":"SH-1","type":"complaint","urgency":"normal","title":"夜间施工噪音","description":"工地夜间施工","caller":{"name":"王先生","phone":"13912345678"},"address":"宾阳路 100 弄","created_at":"2026-11-27T09:30:00+08:00","deadline":"2026-12-04T17:00:00+08:00"}`
	f.Add([]byte(good))
	f.Add([]byte(strings.Replace(good, "王先生", `王\u0000`, 1)))
	f.Add([]byte(strings.Replace(good, "宾阳路", "宾阳\xff", 1)))
	f.Add([]byte(strings.Replace(good, "SH-1", `SH-\udc00`, 1)))
	f.Add([]byte(strings.Replace(good, "工地", "\u0000", 1)))
	urls := map[string]string{"sqlite": "sqlite:" + f.TempDir() + "/fuzz.db"}
	if os.Getenv(testenv.PGEnv) != "" {
		urls["postgres"] = testenv.PostgresURL(f)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hs := map[string]http.Handler{}
	for name, u := range urls {
		m, err := app.New(ctx, app.Config{Addr: "127.0.0.1:0", DB: u, Demo: true, Sweep: time.Hour, DataKey: testDataKey(f)})
		if err != nil {
			f.Fatal(err)
		}
		defer m.Store.Close()
		if _, err := m.Svc.PutFeedPlatform(ctx, "shanghai", sealedSecret(f, testSecret), "", true); err != nil {
			f.Fatal(err)
		}
		hs[name] = m.Handler()
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		bad := !utf8.Valid(body)
		var v map[string]any
		if !bad && json.Unmarshal(body, &v) == nil {
			bad = bytes.Contains(bytes.ReplaceAll(body, []byte(`\\`), nil), []byte(`\u0000`))
		}
		for db, h := range hs {
			ts := time.Now().Unix()
			req := httptest.NewRequest("POST", "/api/v1/feed/orders", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set(feed.HeaderPlatform, "shanghai")
			req.Header.Set(feed.HeaderTimestamp, strconv.FormatInt(ts, 10))
			req.Header.Set(feed.HeaderSignature, feed.Sign(testSecret, ts, body))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code >= 500 {
				t.Fatalf("%s: push %q: %d %s", db, body, rec.Code, rec.Body.String())
			}
			if bad && rec.Code < 400 {
				t.Fatalf("%s: push with bad text %q taken: %d %s", db, body, rec.Code, rec.Body.String())
			}
		}
	})
}
