package portal_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"hotline/internal/app"
	"hotline/internal/app/apptest"
	"hotline/internal/testenv"
)

type server struct {
	t    *testing.T
	base string
	m    *app.Main
}

func start(t *testing.T, db string) *server {
	t.Helper()
	m := apptest.Start(t, app.Config{DB: db, Demo: true, Sweep: time.Hour})
	return &server{t: t, base: apptest.Base(m), m: m}
}

func each(t *testing.T, fn func(t *testing.T, s *server)) {
	testenv.ForEachDBParallel(t, func(t *testing.T, db string) { fn(t, start(t, db)) })
}

type obj = map[string]any

// call sends JSON (or nothing) and decodes a JSON answer.
func (s *server) call(method, path, token string, body any) (int, obj) {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		js, _ := json.Marshal(body)
		rd = bytes.NewReader(js)
	}
	req, _ := http.NewRequest(method, s.base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 500 {
		s.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, data)
	}
	var out obj
	_ = json.Unmarshal(data, &out)
	return resp.StatusCode, out
}

func (s *server) must(want int, method, path, token string, body any) obj {
	s.t.Helper()
	st, out := s.call(method, path, token, body)
	if st != want {
		s.t.Fatalf("%s %s: %d, want %d: %v", method, path, st, want, out)
	}
	return out
}

func (s *server) login(user string) string {
	return s.must(200, "POST", "/api/v1/session", "", obj{"username": user, "password": "demo12345"})["token"].(string)
}

// act takes a staff action with the current version.
func (s *server) act(token, id, action string, body obj) obj {
	s.t.Helper()
	o := s.must(200, "GET", "/api/v1/orders/"+id, token, nil)
	if body == nil {
		body = obj{}
	}
	body["version"] = o["version"]
	return s.must(200, "POST", "/api/v1/orders/"+id+"/"+action, token, body)
}

func fields(o obj) map[string]any {
	e, _ := o["error"].(map[string]any)
	f, _ := e["fields"].(map[string]any)
	return f
}

func report(desc, phone string) obj {
	return obj{"type": "complaint", "description": desc, "compound": "sanjiang", "building": "29号楼", "phone": phone, "name": "陈先生"}
}

// pngPhoto is a real PNG with a text chunk standing in for metadata.
func pngPhoto(t *testing.T, w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 100, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReportTrackRate(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s *server) {
		disp, h := s.login("dispatcher"), s.login("binyang")
		photo := pngPhoto(t, 3000, 1000)
		body := report("29号楼楼道堆满杂物，消防通道被堵", "13912345678")
		body["photo"] = base64.StdEncoding.EncodeToString(photo)
		c := s.must(201, "POST", "/api/v1/public/orders", "", body)
		number, token := c["number"].(string), c["tracking_token"].(string)
		if len(number) != 13 || len(token) < 40 || c["tracking_url"] != "/portal/t/"+token || c["status"] != "received" {
			t.Fatalf("created: %v", c)
		}
		// Track by token and by number + last 4 digits; wrong ones say not found.
		byTok := s.must(200, "GET", "/api/v1/public/orders/"+number+"?token="+url.QueryEscape(token), "", nil)
		byPhone := s.must(200, "GET", "/api/v1/public/orders/"+number+"?phone=5678", "", nil)
		if byTok["status"] != "received" || byPhone["number"] != number || byTok["can_rate"] != false {
			t.Fatalf("track: %v / %v", byTok, byPhone)
		}
		raw, _ := json.Marshal(byPhone)
		for _, secret := range []string{"13912345678", "陈先生", "楼道堆满"} {
			if strings.Contains(string(raw), secret) {
				t.Fatalf("public view shows %q: %s", secret, raw)
			}
		}
		s.must(404, "GET", "/api/v1/public/orders/"+number+"?phone=1234", "", nil)
		s.must(404, "GET", "/api/v1/public/orders/2020010100001?phone=5678", "", nil)
		s.must(404, "GET", "/api/v1/public/orders/"+number+"?token=nope", "", nil)
		s.must(400, "GET", "/api/v1/public/orders/"+number+"?phone=12", "", nil)
		s.must(400, "GET", "/api/v1/public/orders/"+number, "", nil)

		// The staff see the order from the web, and the photo: re-encoded, shrunk.
		o := s.must(200, "GET", "/api/v1/orders?limit=1", disp, nil)["orders"].([]any)[0].(obj)
		id := o["id"].(string)
		if o["number"] != number || o["source"] != "web" || o["type"] != "complaint" {
			t.Fatalf("staff view: %v", o)
		}
		side := s.must(200, "GET", "/api/v1/orders/"+id+"/citizen", disp, nil)
		ph := side["photos"].([]any)
		if side["channel"] != "web" || len(ph) != 1 || ph[0].(obj)["width"].(float64) != 2000 || ph[0].(obj)["height"].(float64) != 666 {
			t.Fatalf("citizen side: %v", side)
		}
		purl := ph[0].(obj)["url"].(string)
		req, _ := http.NewRequest("GET", s.base+purl, nil)
		req.Header.Set("Authorization", "Bearer "+disp)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		jpg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/jpeg" || !bytes.HasPrefix(jpg, []byte{0xFF, 0xD8}) || bytes.Contains(jpg, []byte("Exif")) {
			t.Fatalf("photo: %d %s %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), len(jpg))
		}
		if st, _ := s.call("GET", purl, "", nil); st != 401 {
			t.Fatalf("photo without login: %d", st)
		}
		if st, _ := s.call("GET", purl, s.login("cityops"), nil); st != 403 {
			t.Fatalf("photo for another unit's handler: %d", st)
		}

		// Rating is refused until the unit replied.
		s.must(409, "POST", "/api/v1/public/orders/"+number+"/rating", "", obj{"phone": "5678", "outcome": "satisfied", "resolved": true})
		s.act(disp, id, "dispatch", obj{"unit": "binyang"})
		s.act(h, id, "accept", nil)
		s.act(h, id, "contact", obj{"note": "电话联系陈先生"})
		s.act(h, id, "reply", obj{"result": "resolved", "text": "已清理楼道杂物，消防通道已畅通"})
		// The reply is not public before the center approves it.
		if r := s.must(200, "GET", "/api/v1/public/orders/"+number+"?phone=5678", "", nil); len(r["replies"].([]any)) != 0 || r["can_rate"] != true {
			t.Fatalf("replied: %v", r)
		}
		// A rating now is kept pending; bad ones are refused.
		s.must(400, "POST", "/api/v1/public/orders/"+number+"/rating", "", obj{"phone": "5678", "outcome": "great", "resolved": true})
		s.must(400, "POST", "/api/v1/public/orders/"+number+"/rating", "", obj{"phone": "5678", "outcome": "satisfied"})
		s.must(404, "POST", "/api/v1/public/orders/"+number+"/rating", "", obj{"phone": "0000", "outcome": "satisfied", "resolved": true})
		r := s.must(200, "POST", "/api/v1/public/orders/"+number+"/rating", "", obj{"token": token, "outcome": "basically_satisfied", "resolved": true, "comment": "谢谢"})
		if r["rating"].(obj)["state"] != "pending" || r["can_rate"] != false || r["status"] != "replied" {
			t.Fatalf("pending rating: %v", r)
		}
		s.must(409, "POST", "/api/v1/public/orders/"+number+"/rating", "", obj{"token": token, "outcome": "satisfied", "resolved": true})
		// Once approved, the rating becomes the callback (by the citizen system actor) and the order closes.
		s.act(disp, id, "approve_reply", nil)
		r = s.must(200, "GET", "/api/v1/public/orders/"+number+"?token="+url.QueryEscape(token), "", nil)
		if r["status"] != "closed" || r["rating"].(obj)["state"] != "applied" || len(r["replies"].([]any)) != 1 ||
			r["replies"].([]any)[0].(obj)["text"] != "已清理楼道杂物，消防通道已畅通" {
			t.Fatalf("after approval: %v", r)
		}
		full := s.must(200, "GET", "/api/v1/orders/"+id, disp, nil)
		evs := full["events"].([]any)
		last := evs[len(evs)-1].(obj)
		if full["satisfaction"] != "basically_satisfied" || full["resolved"] != true || last["action"] != "callback" || last["actor"] != "citizen" {
			t.Fatalf("callback: %v %v %v", full["satisfaction"], full["resolved"], last)
		}
	})
}

func TestRatingWhenReviewedAndSuperseded(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s *server) {
		disp, h := s.login("dispatcher"), s.login("binyang")
		mk := func(phone string) (string, string) {
			c := s.must(201, "POST", "/api/v1/public/orders", "", report("小区垃圾房异味很大", phone))
			o := s.must(200, "GET", "/api/v1/orders?limit=1", disp, nil)["orders"].([]any)[0].(obj)
			id := o["id"].(string)
			s.act(disp, id, "dispatch", obj{"unit": "binyang"})
			s.act(h, id, "accept", nil)
			s.act(h, id, "contact", obj{"note": "已联系"})
			s.act(h, id, "reply", obj{"result": "resolved", "text": "已清洗垃圾房"})
			return c["number"].(string), id
		}
		// Reviewed: the rating is the callback at once; dissatisfied keeps it open for reopening.
		n1, id1 := mk("13900000001")
		s.act(disp, id1, "approve_reply", nil)
		r := s.must(200, "POST", "/api/v1/public/orders/"+n1+"/rating", "", obj{"phone": "0001", "outcome": "dissatisfied", "resolved": false})
		if r["status"] != "reviewed" || r["rating"].(obj)["state"] != "applied" {
			t.Fatalf("dissatisfied: %v", r)
		}
		if o := s.must(200, "GET", "/api/v1/orders/"+id1, disp, nil); o["satisfaction"] != "dissatisfied" {
			t.Fatalf("callback not recorded: %v", o["satisfaction"])
		}
		// Replied, rated, then the reply is rejected: the rating does not count.
		n2, id2 := mk("13900000002")
		s.must(200, "POST", "/api/v1/public/orders/"+n2+"/rating", "", obj{"phone": "0002", "outcome": "satisfied", "resolved": true})
		s.act(disp, id2, "reject_reply", obj{"note": "答复不完整"})
		s.act(h, id2, "reply", obj{"result": "resolved", "text": "补充：已更换垃圾桶"})
		s.act(disp, id2, "approve_reply", nil)
		r = s.must(200, "GET", "/api/v1/public/orders/"+n2+"?phone=0002", "", nil)
		if r["status"] != "reviewed" || r["rating"].(obj)["state"] != "superseded" {
			t.Fatalf("superseded: %v", r)
		}
		side := s.must(200, "GET", "/api/v1/orders/"+id2+"/citizen", disp, nil)
		if rs := side["ratings"].([]any); len(rs) != 1 || rs[0].(obj)["state"] != "superseded" {
			t.Fatalf("staff ratings: %v", side)
		}
	})
}

func TestBadInputAndLimits(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s *server) {
		before, _ := s.m.Store.CountOrders(context.Background())
		for _, c := range []struct {
			body  obj
			field string
		}{
			{obj{"description": "", "compound": "sanjiang", "phone": "13900000000"}, "description"},
			{obj{"description": strings.Repeat("长", 2001), "compound": "sanjiang", "phone": "13900000000"}, "description"},
			{obj{"description": "x", "phone": "13900000000"}, "address"},
			{obj{"description": "x", "compound": "nowhere", "phone": "13900000000"}, "compound"},
			{obj{"description": "x", "compound": "sanjiang"}, "phone"},
			{obj{"description": "x", "compound": "sanjiang", "phone": "call me"}, "phone"},
			{obj{"description": "x", "compound": "sanjiang", "phone": "13900000000", "type": "threat"}, "type"},
			{obj{"description": "x", "compound": "sanjiang", "phone": "13900000000", "type": "praise"}, "praised"},
			{obj{"description": "x", "compound": "sanjiang", "phone": "13900000000", "category": "no.such"}, "category"},
			{obj{"description": "x", "compound": "sanjiang", "phone": "13900000000", "photo": base64.StdEncoding.EncodeToString([]byte("GIF89a not a photo"))}, "photo"},
			{obj{"description": "x", "compound": "sanjiang", "phone": "13900000000", "photo": "!!!"}, "photo"},
			{obj{"description": 5}, "description"},
		} {
			st, out := s.call("POST", "/api/v1/public/orders", "", c.body)
			if st != 400 || fields(out)[c.field] == nil {
				t.Errorf("%v: %d %v, want 400 on %s", c.body, st, out, c.field)
			}
		}
		// The honeypot, bad JSON, and an oversized body.
		hp := report("x", "13900000000")
		hp["website"] = "http://spam.example"
		if st, out := s.call("POST", "/api/v1/public/orders", "", hp); st != 400 || out["error"] == nil {
			t.Fatalf("honeypot: %d %v", st, out)
		}
		for _, raw := range []string{"{", "[]", `{"description":"x"} {}`} {
			req, _ := http.NewRequest("POST", s.base+"/api/v1/public/orders", strings.NewReader(raw))
			resp, _ := http.DefaultClient.Do(req)
			resp.Body.Close()
			if resp.StatusCode != 400 {
				t.Fatalf("%q: %d", raw, resp.StatusCode)
			}
		}
		big := report("x", "13900000000")
		big["photo"] = strings.Repeat("A", 9<<20)
		if st, _ := s.call("POST", "/api/v1/public/orders", "", big); st != 413 {
			t.Fatalf("oversized: %d", st)
		}
		if n, _ := s.m.Store.CountOrders(context.Background()); n != before {
			t.Fatalf("refused reports wrote %d orders", n-before)
		}
		// Anonymous reports keep no phone or name and track by the link only.
		anon := s.must(201, "POST", "/api/v1/public/orders", "", obj{"type": "suggestion", "description": "建议增加晾衣架", "address": "龙华花园中心绿地", "anonymous": true, "phone": "13900009999", "name": "张三"})
		o, _ := s.m.Store.GetOrderByNumber(context.Background(), anon["number"].(string))
		if o.Caller.Phone != "" || o.Caller.Name != "" || !o.Caller.Anonymous {
			t.Fatalf("anonymous caller kept: %+v", o.Caller)
		}
		// Per phone: 3 reports, then 429 with Retry-After.
		for i := 0; i < 2; i++ {
			s.must(201, "POST", "/api/v1/public/orders", "", report("同一个号码", "13700000000"))
		}
		s.must(201, "POST", "/api/v1/public/orders", "", report("同一个号码", "137-0000-0000"))
		if st, out := s.call("POST", "/api/v1/public/orders", "", report("同一个号码", "13700000000")); st != 429 || out["error"] == nil {
			t.Fatalf("per phone: %d %v", st, out)
		}
		// Per address: 10 in all from here (4 so far), then 429.
		for i := 0; i < 6; i++ {
			s.must(201, "POST", "/api/v1/public/orders", "", report("另一个号码", "1360000000"+string(rune('0'+i))))
		}
		if st, _ := s.call("POST", "/api/v1/public/orders", "", report("再来", "13500000000")); st != 429 {
			t.Fatalf("per address: %d", st)
		}
		// Guessing phone digits: failures are limited per address.
		for i := 0; i < 20; i++ {
			s.call("GET", "/api/v1/public/orders/"+anon["number"].(string)+"?phone=000"+string(rune('0'+i%10)), "", nil)
		}
		if st, _ := s.call("GET", "/api/v1/public/orders/"+anon["number"].(string)+"?phone=1111", "", nil); st != 429 {
			t.Fatalf("look-ups: %d", st)
		}
	})
}

func TestPages(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s *server) {
		get := func(path string) (int, string) {
			resp, err := http.Get(s.base + path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		st, page := get("/portal/")
		if st != 200 || !strings.Contains(page, "三江小区") || !strings.Contains(page, "反映问题") || !strings.Contains(page, `name="website"`) {
			t.Fatalf("form: %d", st)
		}
		if st, page = get("/portal/?lang=en"); st != 200 || !strings.Contains(page, "Report a problem") {
			t.Fatalf("english: %d", st)
		}
		// Submit the form with a photo, as a phone's browser does.
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		for k, v := range map[string]string{"type": "praise", "praised": "宾阳路居委会王书记", "description": "王书记帮我们解决了停车难题", "compound": "sanjiang", "phone": "13811112222"} {
			mw.WriteField(k, v)
		}
		fw, _ := mw.CreateFormFile("photo", "p.png")
		fw.Write(pngPhoto(t, 40, 30))
		mw.Close()
		req, _ := http.NewRequest("POST", s.base+"/portal/report", &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 201 || !strings.Contains(string(b), "/portal/t/") {
			t.Fatalf("submit: %d %s", resp.StatusCode, b)
		}
		link := string(b)[strings.Index(string(b), `href="/portal/t/`)+6:]
		link = link[:strings.Index(link, `"`)]
		if st, page = get(link); st != 200 || !strings.Contains(page, "宾阳路居委会王书记") || !strings.Contains(page, "已受理") {
			t.Fatalf("tracking page: %d %s", st, page)
		}
		o, _ := s.m.Store.GetOrderByNumber(context.Background(), strings.TrimSpace(between(page, `<p class="number">`, "</p>")))
		if o.Type != "praise" || o.Category != "community.praise" {
			t.Fatalf("praise order: %+v", o)
		}
		if st, page = get("/portal/track?number=" + o.Number + "&phone=2222"); st != 200 || !strings.Contains(page, o.Number) {
			t.Fatalf("track by phone: %d", st)
		}
		if st, page = get("/portal/track?number=" + o.Number + "&phone=9999"); st != 404 || !strings.Contains(page, "没有找到") {
			t.Fatalf("wrong phone: %d", st)
		}
		// A bad form comes back with Chinese messages, not a 500.
		resp, err = http.PostForm(s.base+"/portal/report", url.Values{"description": {""}, "phone": {"abc"}})
		if err != nil {
			t.Fatal(err)
		}
		b, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || !strings.Contains(string(b), "请填写问题描述") || !strings.Contains(string(b), "请填写正确的手机号码") {
			t.Fatalf("bad form: %d %s", resp.StatusCode, b)
		}
		// Rating from the page before there is a reply: a clear message.
		resp, _ = http.PostForm(s.base+"/portal/rate", url.Values{"number": {o.Number}, "phone": {"2222"}, "outcome": {"satisfied"}, "resolved": {"yes"}})
		b, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 409 || !strings.Contains(string(b), "现在不能评价") {
			t.Fatalf("early rating page: %d", resp.StatusCode)
		}
	})
}

func between(s, a, b string) string {
	i := strings.Index(s, a)
	if i < 0 {
		return ""
	}
	s = s[i+len(a):]
	if j := strings.Index(s, b); j >= 0 {
		return s[:j]
	}
	return s
}
