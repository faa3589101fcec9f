package open311_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"hotline/internal/open311"
	"hotline/internal/order"
	"hotline/internal/service"
)

// The departures from GeoReport v2 of issue 12, defect 6, each in JSON and
// XML, on SQLite and PostgreSQL (the unknown service_code and the POST
// answer without a token are in TestPostErrors and TestPostAndReadBack).

// noRedirect is a client that shows a redirect instead of following it.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// TestV2PlainSearchIsNotPaged: a GET requests without page or page_size
// returns every request of the last 90 days (up to 1,000), not 50; paging
// applies only when asked.
func TestV2PlainSearchIsNotPaged(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s *server) {
		ctx := context.Background()
		opr := service.Actor{Username: "operator", Role: order.RoleOperator}
		for i := range 60 {
			if _, err := s.m.Svc.CreateOrder(ctx, opr, order.NewOrder{Type: order.Complaint, Source: order.SourceHotline, Urgency: order.Normal,
				Title: fmt.Sprintf("路灯不亮 %d", i), Description: "宾阳路路灯不亮", Category: "facilities.street_light"}); err != nil {
				t.Fatal(err)
			}
		}
		for _, f := range formats {
			all := s.readRequests("/open311/v2/requests."+f, f)
			if len(all) < 60+10 {
				t.Fatalf("%s: a plain search returns %d requests, want every one of the last 90 days", f, len(all))
			}
			if n := len(s.readRequests("/open311/v2/requests."+f+"?page=1", f)); n != open311.DefaultPageSize {
				t.Errorf("%s: page=1 returns %d, want a page of %d", f, n, open311.DefaultPageSize)
			}
			if n := len(s.readRequests("/open311/v2/requests."+f+"?page_size=20", f)); n != 20 {
				t.Errorf("%s: page_size=20 returns %d", f, n)
			}
			if n := len(s.readRequests("/open311/v2/requests."+f+"?page=&page_size=", f)); n != len(all) {
				t.Errorf("%s: empty page parameters return %d, want %d (as absent)", f, n, len(all))
			}
		}
	})
}

// TestV2RepeatedParameters: status=open&status=closed takes both values, as
// status=open,closed does; so does a repeated service_code.
func TestV2RepeatedParameters(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s *server) {
		for _, f := range formats {
			p := "/open311/v2/requests." + f + "?"
			open, closed := len(s.readRequests(p+"status=open", f)), len(s.readRequests(p+"status=closed", f))
			if open == 0 || closed == 0 {
				t.Fatalf("the demo has %d open and %d closed requests", open, closed)
			}
			if n := len(s.readRequests(p+"status=open&status=closed", f)); n != open+closed {
				t.Errorf("%s: status=open&status=closed: %d, want %d", f, n, open+closed)
			}
			if n := len(s.readRequests(p+"status=open,closed", f)); n != open+closed {
				t.Errorf("%s: status=open,closed: %d, want %d", f, n, open+closed)
			}
			a, b := len(s.readRequests(p+"service_code=environment.noise", f)), len(s.readRequests(p+"service_code=facilities.parking", f))
			if n := len(s.readRequests(p+"service_code=environment.noise&service_code=facilities.parking", f)); n != a+b || a == 0 || b == 0 {
				t.Errorf("%s: repeated service_code: %d, want %d+%d", f, n, a, b)
			}
			wantErrors(t, s.get(p+"status=open&status=pending"), 400, f, "status")
		}
	})
}

// emptyRe finds an element with no content.
var emptyRe = regexp.MustCompile(`<([a-z_]+)></([a-z_]+)>|<([a-z_]+)/>`)

// lists are the elements that are lists: present even when empty.
var lists = []string{"attributes", "values", "notes", "endpoints", "formats", "services", "service_requests", "errors"}

// TestV2EmptyFields: one rule per format. A value we do not have is null in
// JSON and no element in XML; no scalar is ever an empty element; notes
// (and extended_attributes) appear in both formats exactly with
// extensions=true.
func TestV2EmptyFields(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s *server) {
		// A request with no description, and one with no category.
		ctx := context.Background()
		if _, err := s.m.Svc.CreateOrder(ctx, service.Actor{Username: "operator", Role: order.RoleOperator}, order.NewOrder{Type: order.Complaint,
			Source: order.SourceHotline, Urgency: order.Normal, Title: "无类别", Description: "未分类的来电"}); err != nil {
			t.Fatal(err)
		}
		for _, ext := range []string{"", "?extensions=true"} {
			xa, ja := s.get("/open311/v2/requests.xml"+ext), s.get("/open311/v2/requests.json"+ext)
			for _, m := range emptyRe.FindAllStringSubmatch(string(xa.body), -1) {
				name := m[1] + m[3]
				if !slices.Contains(lists, name) {
					t.Errorf("XML%s has an empty <%s>: a value we lack is left out", ext, name)
				}
			}
			if hasNotes := strings.Contains(string(xa.body), "<notes"); hasNotes != (ext != "") {
				t.Errorf("XML%s: <notes> present %v", ext, hasNotes)
			}
			var js []map[string]any
			if err := json.Unmarshal(ja.body, &js); err != nil {
				t.Fatal(err)
			}
			var x struct {
				Requests []struct {
					Fields []struct{ XMLName xml.Name } `xml:",any"`
				} `xml:"request"`
			}
			if err := xml.Unmarshal(xa.body, &x); err != nil {
				t.Fatal(err)
			}
			if len(js) != len(x.Requests) || len(js) == 0 {
				t.Fatalf("%d JSON requests, %d XML", len(js), len(x.Requests))
			}
			for i, j := range js {
				inXML := map[string]bool{}
				for _, f := range x.Requests[i].Fields {
					inXML[f.XMLName.Local] = true
				}
				for _, k := range []string{"service_request_id", "status", "status_notes", "service_name", "service_code", "description",
					"agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime", "address",
					"address_id", "zipcode", "lat", "long", "media_url"} {
					v, inJSON := j[k]
					if !inJSON {
						t.Fatalf("JSON request %v lacks %s (every field is there, null when we lack it)", j["service_request_id"], k)
					}
					if s, ok := v.(string); ok && s == "" {
						t.Errorf("JSON request %v: %s is \"\", want null", j["service_request_id"], k)
					}
					if (v == nil) == inXML[k] {
						t.Errorf("request %v: %s is %v in JSON but present=%v in XML", j["service_request_id"], k, v, inXML[k])
					}
				}
				_, notes := j["notes"]
				_, xattr := j["extended_attributes"]
				if notes != (ext != "") || xattr != (ext != "") || inXML["notes"] != notes || inXML["extended_attributes"] != xattr {
					t.Errorf("request %v%s: notes %v/%v, extended_attributes %v/%v (JSON/XML)", j["service_request_id"], ext, notes, inXML["notes"], xattr, inXML["extended_attributes"])
				}
			}
		}
		// The same rule in the services list and the definitions.
		for _, p := range []string{"/open311/v2/services.xml", "/open311/v2/services/environment.noise.xml", "/open311/v2/services/other.xml"} {
			for _, m := range emptyRe.FindAllStringSubmatch(string(s.get(p).body), -1) {
				if name := m[1] + m[3]; !slices.Contains(lists, name) {
					t.Errorf("%s has an empty <%s>", p, name)
				}
			}
		}
	})
}

// TestV2CatchAllService: an order without a category is a request of the
// catch-all service, which GET services lists, which has a definition,
// which the search filters on, and to which a client may post.
func TestV2CatchAllService(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s *server) {
		ctx := context.Background()
		v, err := s.m.Svc.CreateOrder(ctx, service.Actor{Username: "operator", Role: order.RoleOperator}, order.NewOrder{Type: order.Complaint,
			Source: order.SourceHotline, Urgency: order.Normal, Title: "无类别来电", Description: "还没有分类的来电"})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range formats {
			var list []xService
			if f == "xml" {
				var x xServices
				checkXML(t, s.get("/open311/v2/services.xml"), "services", &x)
				list = x.Services
			} else {
				checkJSON(t, s.get("/open311/v2/services.json"), &list)
			}
			codes := map[string]bool{}
			for _, sv := range list {
				codes[sv.ServiceCode] = true
			}
			if !codes[open311.CatchAll] {
				t.Fatalf("%s: services does not list the catch-all %q", f, open311.CatchAll)
			}
			if a := s.get("/open311/v2/services/" + open311.CatchAll + "." + f); a.status != 200 {
				t.Errorf("%s: the catch-all's definition: %d %s", f, a.status, a.body)
			}
			// Every request of the search names a listed service.
			for _, r := range s.readRequests("/open311/v2/requests."+f, f) {
				if !codes[r.ServiceCode] {
					t.Errorf("%s: request %s has service_code %q, which services does not list", f, r.ServiceRequestID, r.ServiceCode)
				}
			}
			found := s.readRequests("/open311/v2/requests."+f+"?service_code="+open311.CatchAll, f)
			if i := slices.IndexFunc(found, func(r xRequest) bool { return r.ServiceRequestID == v.Number }); i < 0 {
				t.Errorf("%s: service_code=%s does not find the order without a category", f, open311.CatchAll)
			}
			for _, r := range found {
				if r.ServiceCode != open311.CatchAll {
					t.Errorf("%s: service_code=%s finds %s of %s", f, open311.CatchAll, r.ServiceRequestID, r.ServiceCode)
				}
			}
		}
		id := s.create(open311.CatchAll, "说不清属于哪一类的问题", nil)
		o, err := s.m.Store.GetOrderByNumber(ctx, id)
		if err != nil || o.Category != "" {
			t.Fatalf("a request to the catch-all: category %q (%v), want none (the center classifies it)", o.Category, err)
		}
	})
}

// TestV2EndpointURL: the discovery's endpoint URL has no trailing slash, and
// a client that joins with one anyway ("//requests.json") is served, GET
// and POST, without a redirect.
func TestV2EndpointURL(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s *server) {
		for _, f := range formats {
			a := s.get("/open311/v2/discovery." + f)
			var d struct {
				Endpoints []struct {
					URL string `json:"url" xml:"url"`
				} `json:"endpoints" xml:"endpoints>endpoint"`
			}
			var err error
			if f == "xml" {
				err = xml.Unmarshal(a.body, &d)
			} else {
				err = json.Unmarshal(a.body, &d)
			}
			if err != nil || len(d.Endpoints) != 1 {
				t.Fatalf("discovery %s: %v %s", f, err, a.body)
			}
			base := d.Endpoints[0].URL
			if strings.HasSuffix(base, "/") || base != s.base+"/open311/v2" {
				t.Fatalf("%s: endpoint url %q, want %q", f, base, s.base+"/open311/v2")
			}
			resp, err := noRedirect.Get(base + "/services." + f)
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("GET %s/services.%s: %v %v", base, f, err, resp)
			}
			resp.Body.Close()
			for _, p := range []string{base + "//services." + f, s.base + "/open311//v2//services." + f} {
				resp, err := noRedirect.Get(p)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != 200 {
					t.Errorf("GET %s: %d, want 200 served directly", p, resp.StatusCode)
				}
			}
			form := url.Values{"api_key": {s.key}, "service_code": {"facilities.street_light"}, "address_string": {"宾阳路1号"}, "description": {"路灯不亮"}}
			resp, err = noRedirect.PostForm(base+"//requests."+f, form)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 201 {
				t.Errorf("POST %s//requests.%s: %d, want 201 (no redirect a POST client would not follow)", base, f, resp.StatusCode)
			}
		}
		// Other paths keep the server's usual handling.
		resp, err := noRedirect.Get(s.base + "//healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Errorf("//healthz: %d; only Open311 paths are joined", resp.StatusCode)
		}
	})
}
