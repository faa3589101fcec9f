package api_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestBadTextRefused (issue 12, defect 3): a NUL byte or invalid UTF-8 in
// any input — a JSON body of any door (logged in or not), a form post, a
// query parameter, a path — is a 400 naming the input (404 for a path),
// never a 500 on PostgreSQL nor a silent U+FFFD on either database, and
// writes nothing.
func TestBadTextRefused(t *testing.T) {
	t.Parallel()
	startEach(t, func(t *testing.T, s *server) {
		opr, disp, admin := s.login("operator"), s.admin(), s.login("admin")
		count := func() int {
			return len(disp.must(200, "GET", "/api/v1/orders?limit=200", nil)["orders"].([]any))
		}
		before := count()
		order := func(k, v string) string {
			return `{"type":"complaint","source":"hotline","title":"路灯坏了","description":"小区门口路灯坏了",` +
				`"caller":{"name":"陈先生","phone":"13800001234"},"` + k + `":"` + v + `"}`
		}
		caller := func(v string) string {
			return `{"type":"complaint","source":"hotline","title":"t","description":"d","caller":{"name":"` + v + `"}}`
		}
		jsonCases := []struct {
			name, method, path, token, body, field string
		}{
			{"title NUL", "POST", "/api/v1/orders", opr.token, order("title", `路灯\u0000坏了`), "title"},
			{"description raw 0xFF", "POST", "/api/v1/orders", opr.token, order("description", "坏了\xff"), "description"},
			{"address lone surrogate", "POST", "/api/v1/orders", opr.token, order("address", `\ud800号`), "address"},
			{"building truncated UTF-8", "POST", "/api/v1/orders", opr.token, order("building", "29\xe5\x8f"), "building"},
			{"caller name NUL", "POST", "/api/v1/orders", opr.token, caller(`陈\u0000`), "caller.name"},
			{"key NUL", "POST", "/api/v1/orders", opr.token, `{"ti\u0000tle":"x"}`, "body"},
			{"login username (no login)", "POST", "/api/v1/session", "", `{"username":"admin\u0000","password":"x"}`, "username"},
			{"login password invalid", "POST", "/api/v1/session", "", "{\"username\":\"admin\",\"password\":\"\xc3\"}", "password"},
			{"user", "POST", "/api/v1/users", admin.token, `{"username":"u\u0000","password":"longenough1","role":"operator"}`, "username"},
			{"unit", "PUT", "/api/v1/units/newunit", admin.token, `{"name":"单位\u0000","kind":"committee"}`, "name"},
			{"category", "PUT", "/api/v1/categories/x.y", admin.token, "{\"name\":\"\xfe\xff\"}", "name"},
			{"citizen form JSON (no login)", "POST", "/api/v1/public/orders", "", `{"type":"complaint","description":"楼道堆满杂物","compound":"sanjiang","address":"\u0000","phone":"13912345678"}`, "address"},
		}
		for _, c := range jsonCases {
			st, out := s.raw(c.method, c.path, c.token, []byte(c.body))
			if st != 400 || errFields(out)[c.field] == nil {
				t.Errorf("%s: %s %s: %d %v, want 400 naming %q", c.name, c.method, c.path, st, out, c.field)
			}
		}
		// A U+FFFD the client did write is text like any other.
		o := opr.must(201, "POST", "/api/v1/orders", []byte(order("address", `替换符\ufffd和`+"\uFFFD")))
		if strings.Count(o["address"].(string), "\uFFFD") != 2 {
			t.Errorf("a written U+FFFD was lost: %v", o["address"])
		}
		before++

		queryCases := []struct{ path, token, field string }{
			{"/api/v1/orders?unit=%00", disp.token, "unit"},
			{"/api/v1/orders?category=%FF", disp.token, "category"},
			{"/api/v1/orders?q=%E8%B7", disp.token, "q"},
			{"/api/v1/dashboard/map?category=%00", disp.token, "category"},
			{"/api/v1/audit?actor=%00", admin.token, "actor"},
			{"/api/v1/public/meta?x=%00", "", "x"},
			{"/api/v1/orders?%00=1", disp.token, "query"},
		}
		for _, c := range queryCases {
			st, out := s.raw("GET", c.path, c.token, nil)
			if st != 400 || errFields(out)[c.field] == nil {
				t.Errorf("GET %s: %d %v, want 400 naming %q", c.path, st, out, c.field)
			}
		}
		for _, p := range []string{"/open311/v2/tokens/%00.json", "/api/v1/orders/%FF", "/api/v1/public/orders/%00", "/open311/v2/requests/1%00.json"} {
			if st, out := s.raw("GET", p, disp.token, nil); st != 404 {
				t.Errorf("GET %s: %d %v, want 404", p, st, out)
			}
		}

		// Form posts: Open311 and the portal's form API, URL-encoded and multipart.
		form := func(path, ctype, body string) (int, string) {
			t.Helper()
			resp, err := http.Post(s.base+path, ctype, strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		o311 := url.Values{"service_code": {"env.sanitation"}, "description": {"垃圾没人收"}, "address_string": {"三江\x00小区"}, "lat": {"30.6"}, "long": {"114.3"}}
		if st, body := form("/open311/v2/requests.json", "application/x-www-form-urlencoded", o311.Encode()); st != 400 || !strings.Contains(body, "address_string") || !strings.HasPrefix(body, "[") {
			t.Errorf("Open311 POST with NUL: %d %s, want 400 in Open311's error list naming address_string", st, body)
		}
		pf := url.Values{"type": {"complaint"}, "description": {"楼道\xff堆满杂物"}, "compound": {"sanjiang"}, "phone": {"13912345678"}}
		if st, body := form("/api/v1/public/orders", "application/x-www-form-urlencoded", pf.Encode()); st != 400 || !strings.Contains(body, `"description"`) {
			t.Errorf("portal form with 0xFF: %d %s", st, body)
		}
		mp := "--XX\r\nContent-Disposition: form-data; name=\"type\"\r\n\r\ncomplaint\r\n" +
			"--XX\r\nContent-Disposition: form-data; name=\"address\"\r\n\r\n三江\x00\r\n" +
			"--XX\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\x00\xff\r\n--XX--\r\n"
		if st, body := form("/api/v1/public/orders", "multipart/form-data; boundary=XX", mp); st != 400 || !strings.Contains(body, `"address"`) || strings.Contains(body, `"photo"`) {
			t.Errorf("portal multipart with NUL: %d %s, want 400 naming address (not the binary photo)", st, body)
		}

		// The feed's platform header is looked up in the database.
		req, _ := http.NewRequest("POST", s.base+"/api/v1/feed/orders", strings.NewReader(`{}`))
		req.Header.Set("X-Hotline-Platform", "shanghai\xff")
		req.Header.Set("X-Hotline-Timestamp", "1")
		req.Header.Set("X-Hotline-Signature", "x")
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 400 {
			t.Errorf("feed push with a bad platform header: %v %v", resp, err)
		} else {
			resp.Body.Close()
		}

		if after := count(); after != before {
			t.Fatalf("refused input wrote orders: %d -> %d", before, after)
		}
		for _, u := range disp.must(200, "GET", "/api/v1/units", nil)["units"].([]any) {
			if u.(map[string]any)["code"] == "newunit" {
				t.Fatalf("a refused unit was stored: %v", u)
			}
		}
	})
}
