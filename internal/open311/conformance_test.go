package open311_test

// Conformance with GeoReport v2, written from the specification's text:
// every endpoint in both formats, every documented error, and a client that
// posts a request and reads it back.

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

var formats = []string{"xml", "json"}

func TestDiscoveryAndServices(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s *server) {
		var x xDiscovery
		checkXML(t, s.get("/open311/v2/discovery.xml"), "discovery", &x)
		var j jDiscovery
		checkJSON(t, s.get("/open311/v2/discovery.json"), &j)
		for _, d := range []struct {
			changeset, url, typ string
			formats             []string
		}{{x.Changeset, x.Endpoints[0].URL, x.Endpoints[0].Type, x.Endpoints[0].Formats}, {j.Changeset, j.Endpoints[0].URL, j.Endpoints[0].Type, j.Endpoints[0].Formats}} {
			checkTime(t, "changeset", d.changeset)
			if !strings.HasSuffix(d.url, "/open311/v2") || d.typ != "production" || strings.Join(d.formats, ",") != "text/xml,application/json" {
				t.Fatalf("endpoint: %+v", d)
			}
		}

		var xs xServices
		checkXML(t, s.get("/open311/v2/services.xml"), "services", &xs)
		var js []xService
		checkJSON(t, s.get("/open311/v2/services.json"), &js)
		if len(xs.Services) != len(js) || len(js) < 15 {
			t.Fatalf("services: %d xml, %d json", len(xs.Services), len(js))
		}
		byCode := map[string]xService{}
		for i, sv := range js {
			if sv != xs.Services[i] {
				t.Fatalf("formats differ: %+v vs %+v", sv, xs.Services[i])
			}
			byCode[sv.ServiceCode] = sv
		}
		if _, ok := byCode["environment"]; ok {
			t.Fatal("a group (a parent category) must not be a service")
		}
		n := byCode["environment.noise"]
		if n.ServiceName != "夜间施工噪音" || n.Group != "环境噪音与污染" || !n.Metadata || n.Type != "realtime" || n.Keywords != "噪音, 施工, 夜间, 扰民" {
			t.Fatalf("environment.noise: %+v", n)
		}

		for _, f := range formats {
			a := s.get("/open311/v2/services/environment.noise." + f)
			if a.status != 200 {
				t.Fatalf("definition: %d %s", a.status, a.body)
			}
			var d xDefinition
			if f == "xml" {
				checkXML(t, a, "service_definition", &d)
			} else {
				checkJSON(t, a, &d)
			}
			if d.ServiceCode != "environment.noise" || len(d.Attributes) != 1 || d.Attributes[0].Code != "location_detail" ||
				d.Attributes[0].Datatype != "string" || !d.Attributes[0].Variable || d.Attributes[0].Order != 1 {
				t.Fatalf("definition %s: %+v", f, d)
			}
			wantErrors(t, s.get("/open311/v2/services/no.such."+f), 404, f, "not found")
			wantErrors(t, s.get("/open311/v2/services/environment."+f), 404, f, "not found") // a group
			wantErrors(t, s.get("/open311/v2/nothing."+f), 404, f, "no such resource")
			wantErrors(t, s.get("/open311/v2/requests/1."+f), 404, f, "not found")
			wantErrors(t, s.get("/open311/v2/requests/2026010100001."+f), 404, f, "not found")
			wantErrors(t, s.get("/open311/v2/tokens/nope."+f), 404, f, "not found")
		}
		// No format, or one we do not speak: not a resource (answered in XML, the required format).
		wantErrors(t, s.get("/open311/v2/services"), 404, "xml", "no such resource")
		wantErrors(t, s.get("/open311/v2/services.csv"), 404, "xml", "no such resource")
		// jurisdiction_id is accepted and ignored.
		checkJSON(t, s.get("/open311/v2/services.json?jurisdiction_id=shanghai.xuhui.binyang"), &js)
	})
}

// addRequiredAttributes gives a service required attributes of every
// datatype, as an admin would.
func addRequiredAttributes(t *testing.T, s *server) {
	t.Helper()
	ctx := context.Background()
	c, _ := s.m.Svc.Category("facilities.manhole")
	c.Attributes = json.RawMessage(`[
	 {"code":"cover_state","datatype":"singlevaluelist","required":true,"description":"井盖状态 Cover state","order":1,
	  "values":[{"key":"missing","name":"缺失"},{"key":"broken","name":"破损"}]},
	 {"code":"hazards","datatype":"multivaluelist","required":false,"description":"危险 Hazards","order":2,
	  "values":[{"key":"traffic","name":"车辆"},{"key":"children","name":"儿童"}]},
	 {"code":"depth","datatype":"number","required":false,"description":"深度 Depth (m)","order":3},
	 {"code":"seen_at","datatype":"datetime","required":false,"description":"发现时间 Seen at","order":4},
	 {"code":"info","datatype":"text","variable":false,"required":true,"description":"仅说明 Information only","order":5}]`)
	if err := s.m.Store.PutCategory(ctx, c); err != nil {
		t.Fatal(err)
	}
	if err := s.m.Svc.Reload(ctx); err != nil {
		t.Fatal(err)
	}
}

func (s *server) orderCount() int {
	n, err := s.m.Store.CountOrders(context.Background())
	if err != nil {
		s.t.Fatal(err)
	}
	return n
}

func TestPostErrors(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s *server) {
		addRequiredAttributes(t, s)
		before := s.orderCount()
		good := func() url.Values {
			return url.Values{"api_key": {s.key}, "service_code": {"facilities.manhole"}, "lat": {"31.1755"}, "long": {"121.4480"},
				"description": {"三江小区29号楼门口井盖缺失"}, "attribute[cover_state]": {"missing"}}
		}
		with := func(k, v string) url.Values { f := good(); f.Set(k, v); return f }
		without := func(ks ...string) url.Values {
			f := good()
			for _, k := range ks {
				f.Del(k)
			}
			return f
		}
		for _, f := range formats {
			path := "/open311/v2/requests." + f
			wantErrors(t, s.post(path, without("api_key")), 403, f, "api_key")
			wantErrors(t, s.post(path, with("api_key", "wrong")), 403, f, "api_key")
			wantErrors(t, s.post(path, with("api_key", "")), 403, f, "api_key")
			wantErrors(t, s.post(path, without("service_code")), 400, f, "service_code is required")
			wantErrors(t, s.post(path, with("service_code", "")), 400, f, "service_code is required")
			// GeoReport v2: an unknown service is a 404, the error list alone.
			if list := wantErrors(t, s.post(path, with("service_code", "no.such")), 404, f, "service_code \"no.such\" provided was not found"); len(list) != 1 {
				t.Fatalf("unknown service: %+v, want the one 404 error", list)
			}
			wantErrors(t, s.post(path, with("service_code", "facilities")), 404, f, "not found") // a group
			noKey := without("lat", "long", "api_key")
			noKey.Set("service_code", "no.such")
			wantErrors(t, s.post(path, noKey), 403, f, "api_key") // the key is checked first
			noPlace := without("lat", "long")
			noPlace.Set("service_code", "no.such")
			wantErrors(t, s.post(path, noPlace), 404, f, "not found")
			wantErrors(t, s.post(path, without("lat", "long")), 400, f, "location is required")
			wantErrors(t, s.post(path, without("long")), 400, f, "together")
			wantErrors(t, s.post(path, with("lat", "91")), 400, f, "out of range")
			wantErrors(t, s.post(path, with("long", "-180.5")), 400, f, "out of range")
			wantErrors(t, s.post(path, with("lat", "north")), 400, f, "not a number")
			wantErrors(t, s.post(path, with("lat", "NaN")), 400, f, "not a number")
			wantErrors(t, s.post(path, with("address_id", "nowhere")), 400, f, "address_id")
			wantErrors(t, s.post(path, with("description", strings.Repeat("长", 4001))), 400, f, "too long")
			wantErrors(t, s.post(path, with("description", `井盖<script>alert(1)</script>`)), 400, f, "HTML")
			wantErrors(t, s.post(path, with("description", `<b>井盖</b>`)), 400, f, "HTML")
			wantErrors(t, s.post(path, with("email", "not-an-email")), 400, f, "email")
			wantErrors(t, s.post(path, with("phone", "call me")), 400, f, "phone")
			wantErrors(t, s.post(path, with("media_url", "javascript:alert(1)")), 400, f, "media_url")
			wantErrors(t, s.post(path, without("attribute[cover_state]")), 400, f, "attribute[cover_state] is required")
			wantErrors(t, s.post(path, with("attribute[cover_state]", "stolen")), 400, f, "not one of its values")
			wantErrors(t, s.post(path, with("attribute[depth]", "deep")), 400, f, "must be a number")
			wantErrors(t, s.post(path, with("attribute[seen_at]", "yesterday")), 400, f, "ISO 8601")
			wantErrors(t, s.post(path, with("attribute[hazards][]", "fire")), 400, f, "not one of its values")
			wantErrors(t, s.post(path, with("attribute[colour]", "red")), 400, f, "not an attribute")
			wantErrors(t, s.post(path, with("attribute[cover_state", "missing")), 400, f, "not an attribute parameter")
			two := good()
			two.Add("attribute[cover_state]", "broken")
			wantErrors(t, s.post(path, two), 400, f, "takes one value")
			// Several problems at once are all reported.
			many := without("service_code", "lat", "long")
			many.Set("email", "x")
			if list := wantErrors(t, s.post(path, many), 400, f, "service_code"); len(list) < 3 {
				t.Fatalf("want every error at once, got %+v", list)
			}
		}
		// Not a form at all.
		a := s.postRaw("/open311/v2/requests.json", "application/x-www-form-urlencoded", "%zz=%")
		wantErrors(t, a, 400, "json", "malformed")
		a = s.postRaw("/open311/v2/requests.xml", "application/x-www-form-urlencoded", "description="+strings.Repeat("a", 300<<10))
		wantErrors(t, a, 400, "xml", "too large")
		// POST anything else is not a resource.
		wantErrors(t, s.post("/open311/v2/services.json", good()), 404, "json", "no such resource")
		if n := s.orderCount(); n != before {
			t.Fatalf("refused requests wrote %d orders", n-before)
		}
	})
}

func TestPostAndReadBack(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s *server) {
		addRequiredAttributes(t, s)
		for _, f := range formats {
			form := url.Values{"api_key": {s.key}, "service_code": {"facilities.manhole"}, "lat": {"31.17551"}, "long": {"121.44802"},
				"address_string": {"三江小区29号楼东侧"}, "description": {"29号楼东侧井盖缺失，联系电话13912345678，晚上很危险"},
				"attribute[cover_state]": {"missing"}, "attribute[hazards][]": {"traffic", "children"}, "attribute[depth]": {"1.5"},
				"attribute[seen_at]": {"2026-11-28T21:00:00+08:00"}, "email": {"wang@example.com"}, "first_name": {"小明"}, "last_name": {"王"},
				"phone": {"13912345678"}, "account_id": {"acct-7"}, "device_id": {"dev-1"}, "media_url": {"https://example.com/p/1.jpg"},
				"jurisdiction_id": {"binyang"}, "address_id": {""}, "zipcode": {""}}
			a := s.post("/open311/v2/requests."+f, form)
			if a.status != 201 {
				t.Fatalf("post %s: %d %s", f, a.status, a.body)
			}
			var created []xCreated
			if f == "xml" {
				var x xCreatedList
				checkXML(t, a, "service_requests", &x)
				created = x.Requests
			} else {
				checkJSON(t, a, &created)
			}
			// Realtime services: service_request_id alone, never with a token (v2).
			if len(created) != 1 || len(created[0].ServiceRequestID) != 13 || created[0].Token != "" || created[0].ServiceNotice == "" ||
				created[0].AccountID == nil || *created[0].AccountID != "acct-7" || bytes.Contains(a.body, []byte("token")) {
				t.Fatalf("created: %+v\n%s", created, a.body)
			}
			id := created[0].ServiceRequestID

			// Read it back, one by one and in the search, in both formats.
			for _, g := range formats {
				for _, path := range []string{"/open311/v2/requests/" + id + "." + g, "/open311/v2/requests." + g + "?service_request_id=" + id} {
					r := s.readRequests(path, g)
					if len(r) != 1 {
						t.Fatalf("%s: %d requests", path, len(r))
					}
					q := r[0]
					if q.ServiceRequestID != id || q.Status != "open" || q.ServiceCode != "facilities.manhole" || q.ServiceName != "窨井盖" ||
						q.AgencyResponsible != "城运中心" || q.Address != "三江小区29号楼东侧" || q.Lat == nil || *q.Lat != 31.17551 || *q.Long != 121.44802 ||
						q.MediaURL == nil || *q.MediaURL != "https://example.com/p/1.jpg" || q.StatusNotes == nil || !strings.HasPrefix(*q.StatusNotes, "received") {
						t.Fatalf("%s: %+v", path, q)
					}
					checkTime(t, "requested_datetime", q.RequestedDatetime)
					checkTime(t, "updated_datetime", q.UpdatedDatetime)
					if !strings.Contains(q.Description, "井盖缺失") || strings.Contains(q.Description, "13912345678") {
						t.Fatalf("description must be there with the phone masked: %q", q.Description)
					}
				}
			}
			// The caller's data never leaves through the public door.
			for _, g := range formats {
				body := string(s.get("/open311/v2/requests." + g + "?extensions=true&service_request_id=" + id).body)
				for _, secret := range []string{"13912345678", "王小明", "小明", "wang@example.com", "dev-1"} {
					if strings.Contains(body, secret) {
						t.Fatalf("public answer shows %q: %s", secret, body)
					}
				}
			}
			// The staff see a normal order from the open311 channel, attributes in the text.
			disp := s.staff("dispatcher")
			list := disp("GET", "/api/v1/orders?limit=1", nil)["orders"].([]any)
			o := list[0].(map[string]any)
			if o["number"] != id || o["source"] != "open311" || o["category"] != "facilities.manhole" || o["type"] != "complaint" ||
				!strings.Contains(o["description"].(string), "井盖状态 Cover state：缺失") || !strings.Contains(o["description"].(string), "车辆、儿童") {
				t.Fatalf("staff view: %v", o)
			}
			caller := o["caller"].(map[string]any)
			if caller["name"] != "王小明" || caller["phone"] != "13912345678" {
				t.Fatalf("caller: %v", caller)
			}
			meta, ok, err := s.m.Store.PublicMetaOf(context.Background(), o["id"].(string))
			if err != nil || !ok || meta.Attributes["hazards"][1] != "children" || meta.AccountID != "acct-7" {
				t.Fatalf("public side: %+v %v %v", meta, ok, err)
			}
		}
	})
}

func (s *server) postRaw(path, ctype, body string) answer {
	s.t.Helper()
	resp, err := http.Post(s.base+path, ctype, strings.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	return read(s.t, resp)
}

func (s *server) readRequests(path, f string) []xRequest {
	s.t.Helper()
	a := s.get(path)
	if a.status != 200 {
		s.t.Fatalf("%s: %d %s", path, a.status, a.body)
	}
	if f == "xml" {
		var x xRequests
		checkXML(s.t, a, "service_requests", &x)
		return x.Requests
	}
	var out []xRequest
	checkJSON(s.t, a, &out)
	return out
}

// create posts a simple request and returns its id.
func (s *server) create(code, desc string, extra url.Values) string {
	s.t.Helper()
	form := url.Values{"api_key": {s.key}, "service_code": {code}, "address_id": {"sanjiang/29号楼"}, "description": {desc}}
	for k, v := range extra {
		form[k] = v
	}
	a := s.post("/open311/v2/requests.json", form)
	if a.status != 201 {
		s.t.Fatalf("create: %d %s", a.status, a.body)
	}
	var c []xCreated
	checkJSON(s.t, a, &c)
	return c[0].ServiceRequestID
}
