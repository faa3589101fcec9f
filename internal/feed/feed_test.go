package feed_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hotline/internal/app"
	"hotline/internal/app/apptest"
	"hotline/internal/feed"
	"hotline/internal/seal"
	"hotline/internal/testenv"
)

const (
	testKey    = "feed-test-key"
	testSecret = "0123456789abcdef-shared-secret"
)

type obj = map[string]any

// server is the real hotline server on 127.0.0.1:0.
type server struct {
	t      *testing.T
	base   string
	m      *app.Main
	stop   func()
	tokens map[string]string
}

// feedEnv is the environment a test's servers read their feed settings
// from: a map per test rather than the process's, so the tests can run in
// parallel (t.Setenv forbids it; issue 13).
type feedEnv map[string]string

func (e feedEnv) getenv(name string) string { return e[name] }

// fastFeed is the feed's fast settings for tests, as the variables serve
// reads (cmd/hotline passes os.Getenv to feed.SettingsFrom).
func fastFeed() feedEnv {
	return feedEnv{
		feed.LegacyKeyEnv:         testKey,
		"HOTLINE_FEED_POLL":       "20ms",
		"HOTLINE_FEED_RETRY_BASE": "20ms",
		"HOTLINE_FEED_RETRY_MAX":  "150ms",
		"HOTLINE_FEED_TIMEOUT":    "300ms",
	}
}

// parallelUnlessShort runs the test beside the package's other parallel
// ones in a plain go test, where they mostly wait (polls, timeouts, a slow
// receiver). With -short (make test's race step, the only place make test
// runs them) they stay one at a time:
// under the race detector their 20 ms polls and 300 ms timeouts compete for
// the cores (one parallel run took 54 s of CPU, one serial run 29 s, single
// runs on the loaded 2-core VM), and late retries are what the lease tests
// must not see.
func parallelUnlessShort(t *testing.T) {
	if !testing.Short() {
		t.Parallel()
	}
}

func start(t *testing.T, dbURL string, demo bool, env feedEnv) *server {
	t.Helper()
	// What cmd's serve passes: the worker's settings and the legacy key
	// from the environment (here env, from fastFeed), and a data key.
	m, stop := apptest.Run(t, app.Config{DB: dbURL, Demo: demo, Sweep: time.Hour, DataKey: testDataKey(t),
		Feed: feed.SettingsFrom(env.getenv), FeedLegacyKey: env.getenv(feed.LegacyKeyEnv)})
	return &server{t: t, base: apptest.Base(m), m: m, stop: stop, tokens: map[string]string{}}
}

func (s *server) addPlatform(name, deliverURL string, active bool) {
	s.t.Helper()
	if _, err := s.m.Svc.PutFeedPlatform(context.Background(), name, s.sealed(testSecret), deliverURL, active); err != nil {
		s.t.Fatal(err)
	}
}

// push sends a signed webhook call; mutate may spoil the headers.
func (s *server) push(platform string, body []byte, ts int64, mutate func(h http.Header)) (int, obj) {
	s.t.Helper()
	req, _ := http.NewRequest("POST", s.base+"/api/v1/feed/orders", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(feed.HeaderPlatform, platform)
	req.Header.Set(feed.HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(feed.HeaderSignature, feed.Sign(testSecret, ts, body))
	if mutate != nil {
		mutate(req.Header)
	}
	return s.do(req)
}

func (s *server) do(req *http.Request) (int, obj) {
	s.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var out obj
	if err := json.Unmarshal(data, &out); err != nil {
		s.t.Fatalf("%s %s: answer is not JSON (%d): %s", req.Method, req.URL.Path, resp.StatusCode, data)
	}
	if resp.StatusCode >= 500 {
		s.t.Fatalf("%s %s: server error %d: %s", req.Method, req.URL.Path, resp.StatusCode, data)
	}
	return resp.StatusCode, out
}

func (s *server) api(user, method, path string, body any) (int, obj) {
	s.t.Helper()
	tok, ok := s.tokens[user]
	if !ok {
		js, _ := json.Marshal(obj{"username": user, "password": "demo12345"})
		req, _ := http.NewRequest("POST", s.base+"/api/v1/session", bytes.NewReader(js))
		st, out := s.do(req)
		if st != 200 {
			s.t.Fatalf("login %s: %d %v", user, st, out)
		}
		tok = out["token"].(string)
		s.tokens[user] = tok
	}
	var rd io.Reader
	if body != nil {
		js, _ := json.Marshal(body)
		rd = bytes.NewReader(js)
	}
	req, _ := http.NewRequest(method, s.base+path, rd)
	req.Header.Set("Authorization", "Bearer "+tok)
	return s.do(req)
}

func (s *server) act(user, id, action string, body obj) obj {
	s.t.Helper()
	_, o := s.api("dispatcher", "GET", "/api/v1/orders/"+id, nil)
	body["version"] = o["version"]
	st, out := s.api(user, "POST", "/api/v1/orders/"+id+"/"+action, body)
	if st != 200 {
		s.t.Fatalf("%s %s on %s: %d %v", user, action, id, st, out)
	}
	return out
}

func (s *server) countOrders() int {
	s.t.Helper()
	n, err := s.m.Store.CountOrders(context.Background())
	if err != nil {
		s.t.Fatal(err)
	}
	return n
}

func orderBody(id, title string) []byte {
	b, _ := json.Marshal(obj{"platform_order_id": id, "type": "complaint", "urgency": "normal", "title": title,
		"description": "市民反映：" + title + "，请尽快处理。", "caller": obj{"name": "王先生", "phone": "13912345678"},
		"address": "宾阳路 100 弄", "category": "environment.noise", "created_at": "2026-11-27T09:30:00+08:00", "deadline": "2026-12-04T17:00:00+08:00"})
	return b
}

func errCode(o obj) string {
	e, _ := o["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

func TestWebhookRefusesUnauthentic(t *testing.T) {
	parallelUnlessShort(t)
	env := fastFeed()
	testenv.ForEachDB(t, func(t *testing.T, db string) {
		s := start(t, db, true, env)
		s.addPlatform("shanghai", "", true)
		s.addPlatform("sleeping", "", false)
		before := s.countOrders()
		now := time.Now().Unix()
		body := orderBody("SH-1", "夜间施工噪音")
		cases := []struct {
			name     string
			platform string
			ts       int64
			mutate   func(h http.Header)
			status   int
			code     string
		}{
			{"unsigned", "shanghai", now, func(h http.Header) { h.Del(feed.HeaderSignature) }, 401, "unauthorized"},
			{"no timestamp", "shanghai", now, func(h http.Header) { h.Del(feed.HeaderTimestamp) }, 401, "unauthorized"},
			{"no platform", "", now, nil, 401, "unauthorized"},
			{"unknown platform", "beijing", now, nil, 401, "unauthorized"},
			{"wrong signature", "shanghai", now, func(h http.Header) { h.Set(feed.HeaderSignature, feed.Sign("not-the-secret-at-all", now, body)) }, 401, "unauthorized"},
			{"garbage signature", "shanghai", now, func(h http.Header) { h.Set(feed.HeaderSignature, "zz-not-hex") }, 401, "unauthorized"},
			{"signature of another body", "shanghai", now, func(h http.Header) { h.Set(feed.HeaderSignature, feed.Sign(testSecret, now, []byte("{}"))) }, 401, "unauthorized"},
			{"stale timestamp", "shanghai", now - 6*60, nil, 401, "unauthorized"},
			{"future timestamp", "shanghai", now + 6*60, nil, 401, "unauthorized"},
			{"timestamp not a number", "shanghai", now, func(h http.Header) { h.Set(feed.HeaderTimestamp, "yesterday") }, 401, "unauthorized"},
			{"disabled platform", "sleeping", now, nil, 403, "forbidden"},
		}
		for _, c := range cases {
			st, out := s.push(c.platform, body, c.ts, c.mutate)
			if st != c.status || errCode(out) != c.code {
				t.Errorf("%s: %d %v, want %d %s", c.name, st, out, c.status, c.code)
			}
		}
		if n := s.countOrders(); n != before {
			t.Fatalf("refused calls wrote orders: %d → %d", before, n)
		}
		// The genuine call works once; the same signed request again is a replay.
		st, out := s.push("shanghai", body, now, nil)
		if st != 201 || out["status"] != "received" || out["platform_order_id"] != "SH-1" {
			t.Fatalf("genuine push: %d %v", st, out)
		}
		st, out = s.push("shanghai", body, now, nil)
		if st != 403 || errCode(out) != "forbidden" || !strings.Contains(out["error"].(map[string]any)["message"].(string), "replay") {
			t.Fatalf("replay: %d %v", st, out)
		}
		if n := s.countOrders(); n != before+1 {
			t.Fatalf("orders: %d, want %d", n, before+1)
		}
		// Bad bodies, correctly signed: 400 naming the field, nothing written.
		for _, bad := range []struct {
			body  string
			field string
		}{
			{`{"platform_order_id": 7}`, "platform_order_id"},
			{`{"platform_order_id": "SH-2", "type": "complaint", "title": "x", "description": "y", "lat": "north"}`, "lat"},
			{`{"platform_order_id": "SH-2", "type": "rumour", "title": "x", "description": "y"}`, "type"},
			{`{"platform_order_id": "SH-2", "type": "complaint", "title": "", "description": "y"}`, "title"},
			{`{"platform_order_id": "SH-2", "type": "complaint", "title": "x", "description": "y", "lat": 95, "lng": 10}`, "lat"},
			{`{"platform_order_id": "SH-2", "type": "complaint", "title": "x", "description": "y", "deadline": "next week"}`, "deadline"},
			{`{"platform_order_id": "", "type": "complaint", "title": "x", "description": "y"}`, "platform_order_id"},
			{`{"platform_order_id": "SH-2", "type": "complaint", "title": "x", "description": "y"} {}`, "body"},
			{`[1,2`, "body"},
			{``, "body"},
		} {
			now++
			st, out := s.push("shanghai", []byte(bad.body), now, nil)
			f, _ := out["error"].(map[string]any)["fields"].(map[string]any)
			if st != 400 || f[bad.field] == nil {
				t.Errorf("bad body %s: %d %v, want 400 on %s", bad.body, st, out, bad.field)
			}
		}
		big := bytes.Repeat([]byte("x"), feed.MaxBody+10)
		if st, out := s.push("shanghai", big, now+1, nil); st != 413 || errCode(out) != "too_large" {
			t.Errorf("oversized: %d %v", st, out)
		}
		if n := s.countOrders(); n != before+1 {
			t.Fatalf("bad bodies wrote orders: %d, want %d", n, before+1)
		}
	})
}

func TestWebhookIdempotentAndUpdates(t *testing.T) {
	parallelUnlessShort(t)
	env := fastFeed()
	testenv.ForEachDB(t, func(t *testing.T, db string) {
		s := start(t, db, true, env)
		s.addPlatform("shanghai", "", true)
		s.addPlatform("pudong", "", true)
		now := time.Now().Unix()
		st, first := s.push("shanghai", orderBody("SH-9", "路灯不亮"), now, nil)
		if st != 201 || first["created"] != true {
			t.Fatalf("create: %d %v", st, first)
		}
		id := first["id"].(string)
		// The same id again (re-signed): the same order, 200, nothing new.
		st, again := s.push("shanghai", orderBody("SH-9", "路灯不亮"), now+1, nil)
		if st != 200 || again["id"] != id || again["created"] != false || again["updated"] != false {
			t.Fatalf("repeat: %d %v", st, again)
		}
		// Concurrent repeats still make one order.
		before := s.countOrders()
		var wg sync.WaitGroup
		for i := range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ts := now + 10 + int64(i)
				body := orderBody("SH-10", "井盖缺失")
				req, _ := http.NewRequest("POST", s.base+"/api/v1/feed/orders", bytes.NewReader(body))
				req.Header.Set(feed.HeaderPlatform, "shanghai")
				req.Header.Set(feed.HeaderTimestamp, strconv.FormatInt(ts, 10))
				req.Header.Set(feed.HeaderSignature, feed.Sign(testSecret, ts, body))
				resp, err := http.DefaultClient.Do(req)
				if err == nil {
					if resp.StatusCode != 200 && resp.StatusCode != 201 {
						t.Errorf("concurrent push: %d", resp.StatusCode)
					}
					resp.Body.Close()
				}
			}()
		}
		wg.Wait()
		if n := s.countOrders(); n != before+1 {
			t.Fatalf("6 concurrent pushes of one id made %d orders", n-before)
		}
		// An update: new title and urgency, appended as platform_update.
		upd := orderBody("SH-9", "路灯不亮，已三天")
		var m obj
		json.Unmarshal(upd, &m)
		m["urgency"] = "urgent"
		upd, _ = json.Marshal(m)
		st, u := s.push("shanghai", upd, now+2, nil)
		if st != 200 || u["updated"] != true || u["urgency"] != "urgent" || u["title"] != "路灯不亮，已三天" {
			t.Fatalf("update: %d %v", st, u)
		}
		_, full := s.api("dispatcher", "GET", "/api/v1/orders/"+id, nil)
		evs := full["events"].([]any)
		last := evs[len(evs)-1].(map[string]any)
		if last["action"] != "platform_update" || full["source"] != "city_platform" {
			t.Fatalf("timeline after update: %v", last)
		}
		// Another platform may not touch this id.
		if st, out := s.push("pudong", upd, now+3, nil); st != 409 {
			t.Fatalf("other platform's update: %d %v", st, out)
		}
		// A final order refuses updates but still answers repeats.
		s.act("dispatcher", id, "dispatch", obj{"unit": "binyang"})
		s.act("binyang", id, "accept", obj{})
		s.act("binyang", id, "contact", obj{"note": "已电话联系"})
		s.act("binyang", id, "reply", obj{"result": "resolved", "text": "已修复"})
		s.act("dispatcher", id, "approve_reply", obj{})
		s.act("dispatcher", id, "callback", obj{"outcome": "satisfied", "resolved": true})
		if st, out := s.push("shanghai", upd, now+4, nil); st != 200 || out["status"] != "closed" {
			t.Fatalf("repeat of a closed order: %d %v", st, out)
		}
		if st, out := s.push("shanghai", orderBody("SH-9", "又坏了"), now+5, nil); st != 409 || errCode(out) != "conflict" {
			t.Fatalf("update of a closed order: %d %v", st, out)
		}
		// One SH-10 order in the database.
		o, _, err := s.m.Store.FeedOrder(context.Background(), "city_platform", "SH-10")
		if err != nil || o.Title != "井盖缺失" {
			t.Fatalf("SH-10: %v %v", o, err)
		}
		if code, _, _ := verify(s); code != "" {
			t.Fatal(code)
		}
	})
}

func verify(s *server) (string, int, error) {
	n, brk, err := s.m.Store.VerifyChains(context.Background())
	if err != nil {
		return err.Error(), n, err
	}
	if brk != nil {
		return fmt.Sprintf("chain broken: %+v", brk), n, nil
	}
	return "", n, nil
}

// TestPlatformDeadline: the city platform's deadline caps a round's
// deadlines when it is earlier than the local working-day rule, is ignored
// when it has passed before the round starts, and a platform update that
// moves it pulls the running deadlines in or lets them out again.
func TestPlatformDeadline(t *testing.T) {
	parallelUnlessShort(t)
	env := fastFeed()
	testenv.ForEachDB(t, func(t *testing.T, db string) {
		s := start(t, db, true, env)
		s.addPlatform("shanghai", "", true)
		ts := time.Now().Unix()
		push := func(id string, deadline time.Time, title string) obj {
			t.Helper()
			var m obj
			json.Unmarshal(orderBody(id, title), &m)
			m["deadline"] = deadline.Format(time.RFC3339)
			b, _ := json.Marshal(m)
			ts++
			st, out := s.push("shanghai", b, ts, nil)
			if st != 200 && st != 201 {
				t.Fatalf("push %s: %d %v", id, st, out)
			}
			return out
		}
		due := func(o obj, field string) time.Time {
			t.Helper()
			v, _ := o[field].(string)
			tm, err := time.Parse(time.RFC3339, v)
			if err != nil {
				t.Fatalf("%s of %v: %v", field, o["number"], o[field])
			}
			return tm
		}
		now := time.Now().UTC().Truncate(time.Second)
		soon := now.Add(12 * time.Hour) // before any working-day limit of the default policy
		far := now.AddDate(0, 2, 0)     // after it

		// Far deadline: the local rule; it is the yardstick of the others.
		local := s.act("dispatcher", push("DL-far", far, "路面塌陷")["id"].(string), "dispatch", obj{"unit": "binyang"})
		if d := due(local, "due"); !d.Before(far) || !d.After(soon) {
			t.Fatalf("far deadline: due %v, want the local rule (between %v and %v)", d, soon, far)
		}
		// A sooner deadline caps every deadline of the round.
		created := push("DL-soon", soon, "占道经营")
		if created["created"] != true {
			t.Fatalf("create: %v", created)
		}
		id := created["id"].(string)
		o := s.act("dispatcher", id, "dispatch", obj{"unit": "binyang"})
		if d := due(o, "due"); !d.Equal(soon) {
			t.Fatalf("due %v, want the platform's %v", d, soon)
		}
		for _, f := range []string{"sign_due", "contact_due"} {
			if d := due(o, f); d.After(soon) {
				t.Errorf("%s %v after the platform's deadline %v", f, d, soon)
			}
		}
		// The platform pulls its deadline in: the running deadlines follow.
		sooner := now.Add(6 * time.Hour)
		if u := push("DL-soon", sooner, "占道经营"); u["updated"] != true {
			t.Fatalf("deadline-only update: %v", u)
		}
		_, o = s.api("dispatcher", "GET", "/api/v1/orders/"+id, nil)
		if d := due(o, "due"); !d.Equal(sooner) {
			t.Fatalf("after pulling in: due %v, want %v", d, sooner)
		}
		evs := o["events"].([]any)
		last := evs[len(evs)-1].(map[string]any)
		body, _ := last["body"].(map[string]any)
		if last["action"] != "platform_update" || body["platform_deadline"] != sooner.Format(time.RFC3339) {
			t.Fatalf("timeline: %v", last)
		}
		// The same deadline again is no change.
		if u := push("DL-soon", sooner, "占道经营"); u["updated"] != false {
			t.Fatalf("repeat: %v", u)
		}
		// The platform lets it out past the local rule: the local rule again.
		if u := push("DL-soon", far.Add(24*time.Hour), "占道经营"); u["updated"] != true {
			t.Fatalf("letting out: %v", u)
		}
		_, o = s.api("dispatcher", "GET", "/api/v1/orders/"+id, nil)
		if d, want := due(o, "due"), due(local, "due"); !d.Equal(want) {
			t.Fatalf("after letting out: due %v, want the local rule's %v", d, want)
		}
		if d, want := due(o, "contact_due"), due(local, "contact_due"); !d.Equal(want) {
			t.Fatalf("after letting out: contact_due %v, want the local rule's %v", d, want)
		}
		// A deadline already past when the round starts cannot be met: the
		// local rule applies (the order is not overdue on arrival).
		past := push("DL-past", now.Add(-time.Hour), "噪音扰民")
		o = s.act("dispatcher", past["id"].(string), "dispatch", obj{"unit": "binyang"})
		if d, want := due(o, "due"), due(local, "due"); !d.Equal(want) {
			t.Fatalf("past deadline: due %v, want the local rule's %v", d, want)
		}
		// An order not dispatched yet keeps no deadlines; the updated
		// platform deadline is the one its dispatch applies.
		rec := push("DL-received", far, "垃圾满溢")
		push("DL-received", soon, "垃圾满溢")
		_, o = s.api("dispatcher", "GET", "/api/v1/orders/"+rec["id"].(string), nil)
		if o["due"] != nil {
			t.Fatalf("received order has a due: %v", o["due"])
		}
		o = s.act("dispatcher", rec["id"].(string), "dispatch", obj{"unit": "binyang"})
		if d := due(o, "due"); !d.Equal(soon) {
			t.Fatalf("dispatch after an update: due %v, want %v", d, soon)
		}
		if code, _, _ := verify(s); code != "" {
			t.Fatal(code)
		}
	})
}

var (
	dataKeyOnce sync.Once
	dataKey     *seal.Keys
)

// testDataKey is one data key for every server of the test binary (two
// instances of one database must share it, as in production).
func testDataKey(t testing.TB) *seal.Keys {
	dataKeyOnce.Do(func() {
		content, err := seal.Generate()
		if err == nil {
			dataKey, err = seal.Parse(content)
		}
		if err != nil {
			t.Fatal(err)
		}
	})
	return dataKey
}

// sealed is a platform secret as `hotline feed add-platform` stores it.
func (s *server) sealed(secret string) string { return sealedSecret(s.t, secret) }

func sealedSecret(t testing.TB, secret string) string {
	t.Helper()
	v, err := feed.NewBox(testDataKey(t), "").Seal(secret)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
