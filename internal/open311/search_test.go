package open311_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestSearch(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s *server) {
		disp, h := s.staff("dispatcher"), s.staff("cityops")
		a := s.create("facilities.street_light", "三江小区路灯不亮", nil)
		b := s.create("environment.noise", "夜间施工噪音扰民", nil)
		c := s.create("facilities.street_light", "同一盏路灯不亮", nil)

		// Walk a through to a reply the center approved; merge c into a.
		ida := s.staffID(disp, a)
		act(disp, ida, "dispatch", map[string]any{"unit": "cityops"})
		act(h, ida, "accept", nil)
		act(h, ida, "contact", map[string]any{"note": "已电话联系王先生 13900001111"})
		act(h, ida, "note", map[string]any{"text": "现场查看：王先生家门口", "kind": "site_visit"})
		act(h, ida, "reply", map[string]any{"result": "resolved", "text": "已更换灯泡"})
		act(disp, ida, "approve_reply", map[string]any{"note": "内部备注不公开"})
		act(disp, s.staffID(disp, c), "merge", map[string]any{"into": ida})

		all := s.readRequests("/open311/v2/requests.json", "json")
		if len(all) < 3 || all[0].ServiceRequestID != c || all[1].ServiceRequestID != b {
			t.Fatalf("default search, newest first: %d %+v", len(all), all[:min(3, len(all))])
		}
		for _, f := range formats {
			r := s.readRequests("/open311/v2/requests."+f+"?service_code=facilities.street_light&status=closed", f)
			if len(r) == 0 || r[0].ServiceRequestID != c || r[0].Status != "closed" || !strings.HasPrefix(*r[0].StatusNotes, "merged") ||
				!strings.Contains(*r[0].StatusNotes, a) {
				t.Fatalf("closed street lights: %+v", r)
			}
			r = s.readRequests("/open311/v2/requests."+f+"?service_code=facilities.street_light,environment.noise&status=open", f)
			if len(r) < 2 || r[0].ServiceRequestID != b || r[1].ServiceRequestID != a {
				t.Fatalf("open: %+v", r)
			}
			for _, x := range r {
				if x.Status != "open" || (x.ServiceCode != "facilities.street_light" && x.ServiceCode != "environment.noise") {
					t.Fatalf("filter let through %+v", x)
				}
			}
			q := r[1]
			if q.AgencyResponsible != "城市管理办" || q.ExpectedDatetime == nil || q.AddressID == nil || *q.AddressID != "sanjiang" ||
				q.Address != "三江小区 29号楼" || q.Lat == nil || q.ExtendedAttributes != nil || q.Notes != nil {
				t.Fatalf("dispatched request: %+v", q)
			}
			checkTime(t, "expected_datetime", *q.ExpectedDatetime)
			// Several ids override every other filter; an empty parameter is absent.
			r = s.readRequests("/open311/v2/requests."+f+"?service_request_id="+a+","+b+"&status=closed&service_code=&start_date=", f)
			if len(r) != 2 {
				t.Fatalf("by ids: %+v", r)
			}
			// extensions=true: channel, duplicate, parent, and the public timeline.
			r = s.readRequests("/open311/v2/requests."+f+"?extensions=true&service_request_id="+a+","+c, f)
			var pa, pc xRequest
			for _, x := range r {
				if x.ServiceRequestID == a {
					pa = x
				} else {
					pc = x
				}
			}
			if pc.ExtendedAttributes == nil || !pc.ExtendedAttributes.Duplicate || *pc.ExtendedAttributes.ParentServiceRequestID != a ||
				pc.ExtendedAttributes.Channel != "open311" || pa.ExtendedAttributes.Duplicate || pa.ExtendedAttributes.ParentServiceRequestID != nil {
				t.Fatalf("extended attributes: %+v / %+v", pa.ExtendedAttributes, pc.ExtendedAttributes)
			}
			var types, texts []string
			for _, n := range pa.Notes {
				checkTime(t, "note datetime", n.Datetime)
				types = append(types, n.Type)
				texts = append(texts, n.Summary+"|"+n.Description)
			}
			joined := strings.Join(texts, "\n")
			if types[0] != "opened" || !strings.Contains(joined, "已更换灯泡") || !strings.Contains(joined, "城市管理办") {
				t.Fatalf("notes: %v\n%s", types, joined)
			}
			for _, secret := range []string{"王先生", "13900001111", "内部备注", "现场查看："} {
				if strings.Contains(joined, secret) {
					t.Fatalf("notes show internal %q: %s", secret, joined)
				}
			}
			if pc.Notes[len(pc.Notes)-1].Type != "closed" {
				t.Fatalf("merged order's last note: %+v", pc.Notes)
			}
		}

		// Dates: a window, and what is refused.
		now := time.Now()
		day := func(d int) string { return url.QueryEscape(now.AddDate(0, 0, d).Format(time.RFC3339)) }
		if r := s.readRequests("/open311/v2/requests.json?start_date="+day(-1)+"&end_date="+day(1), "json"); len(r) < 3 {
			t.Fatalf("window: %d", len(r))
		}
		if r := s.readRequests("/open311/v2/requests.json?start_date="+day(1), "json"); len(r) != 0 {
			t.Fatalf("future window: %d", len(r))
		}
		if r := s.readRequests("/open311/v2/requests.json?updated_after="+day(-1), "json"); len(r) < 3 {
			t.Fatalf("updated_after: %d", len(r))
		}
		if r := s.readRequests("/open311/v2/requests.json?updated_before="+day(-1), "json"); len(r) != 0 {
			t.Fatalf("updated_before a day ago: %d", len(r))
		}
		if r := s.readRequests("/open311/v2/requests.json?updated_before="+day(1)+"&updated_after="+day(-1), "json"); len(r) < 3 {
			t.Fatalf("updated window: %d", len(r))
		}
		for _, f := range formats {
			p := "/open311/v2/requests." + f + "?"
			wantErrors(t, s.get(p+"start_date="+day(-100)+"&end_date="+day(0)), 400, f, "90 days")
			wantErrors(t, s.get(p+"start_date="+day(0)+"&end_date="+day(-1)), 400, f, "before")
			wantErrors(t, s.get(p+"start_date=yesterday"), 400, f, "start_date")
			wantErrors(t, s.get(p+"start_date=2026-11-01T00:00:00"), 400, f, "timezone")
			wantErrors(t, s.get(p+"status=pending"), 400, f, "status")
			wantErrors(t, s.get(p+"service_code=no.such"), 400, f, "service_code")
			wantErrors(t, s.get(p+"service_request_id=abc"), 400, f, "service_request_id")
			wantErrors(t, s.get(p+"page=0"), 400, f, "page")
			wantErrors(t, s.get(p+"page_size=501"), 400, f, "page_size")
			wantErrors(t, s.get(p+"extensions=maybe"), 400, f, "extensions")
			wantErrors(t, s.get(p+"updated_after="+day(0)+"&updated_before="+day(-1)), 400, f, "updated_before")
		}
	})
}

func TestPaging(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s *server) {
		demo := len(s.readRequests("/open311/v2/requests.json?service_code=facilities.parking", "json"))
		for i := 0; i < 7-demo; i++ {
			s.create("facilities.parking", "乱停车", nil)
		}
		seen := map[string]bool{}
		for page := 1; page <= 3; page++ {
			r := s.readRequests("/open311/v2/requests.json?service_code=facilities.parking&page_size=3&page="+string(rune('0'+page)), "json")
			want := []int{3, 3, 1}[page-1]
			if len(r) != want {
				t.Fatalf("page %d: %d, want %d", page, len(r), want)
			}
			for _, x := range r {
				if seen[x.ServiceRequestID] {
					t.Fatalf("%s on two pages", x.ServiceRequestID)
				}
				seen[x.ServiceRequestID] = true
			}
		}
		if r := s.readRequests("/open311/v2/requests.json?service_code=facilities.parking", "json"); len(r) != 7 {
			t.Fatalf("default page size: %d", len(r))
		}
		// The first 1,000 at most: page 3 of 500 is past the cap.
		if r := s.readRequests("/open311/v2/requests.json?page_size=500&page=3", "json"); len(r) != 0 {
			t.Fatalf("past the cap: %d", len(r))
		}
	})
}

func TestConfidentialAndClosed(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, s *server) {
		opr, disp := s.staff("operator"), s.staff("dispatcher")
		o := opr("POST", "/api/v1/orders", map[string]any{"type": "complaint", "source": "hotline", "title": "群租举报",
			"description": "我家楼上302室群租，住了十几个人，我是301的李阿姨", "category": "property.group_rental", "compound": "sanjiang",
			"building": "29号楼", "address": "三江小区29号楼302室", "caller": map[string]any{"name": "李阿姨", "phone": "13700002222", "confidential": true}})
		id := o["number"].(string)
		r := s.readRequests("/open311/v2/requests/"+id+".json", "json")[0]
		if r.Description != "" || strings.Contains(r.Address, "302") || r.Address != "三江小区" || r.Lat == nil {
			t.Fatalf("a confidential caller's order shows only the compound: %+v", r)
		}
		// A consultation answered at once is closed, with the notes saying how.
		q := opr("POST", "/api/v1/orders", map[string]any{"type": "consultation", "source": "hotline", "title": "垃圾分类时间",
			"description": "湿垃圾几点投放", "category": "sanitation.garbage_sorting"})
		act(opr, q["id"].(string), "answer", map[string]any{"reply": "早7-9点，晚6-8点"})
		r = s.readRequests("/open311/v2/requests/"+q["number"].(string)+".xml?extensions=true", "xml")[0]
		if r.Status != "closed" || !strings.HasPrefix(*r.StatusNotes, "answered") || r.Notes[len(r.Notes)-1].Description != "早7-9点，晚6-8点" {
			t.Fatalf("answered: %+v", r)
		}
		inv := opr("POST", "/api/v1/orders", map[string]any{"type": "complaint", "source": "hotline", "title": "测试", "description": "测试电话"})
		act(disp, inv["id"].(string), "invalidate", map[string]any{"reason": "测试"})
		r = s.readRequests("/open311/v2/requests/"+inv["number"].(string)+".json", "json")[0]
		// No category: the catch-all service, which GET services lists.
		if r.Status != "closed" || !strings.HasPrefix(*r.StatusNotes, "invalid") || r.ServiceCode != "other" || r.ServiceName != "其他" {
			t.Fatalf("invalid: %+v", r)
		}
	})
}

// staffID finds the internal id of an order by number.
func (s *server) staffID(call func(string, string, any) map[string]any, number string) string {
	s.t.Helper()
	o, err := s.m.Store.GetOrderByNumber(t0(), number)
	if err != nil {
		s.t.Fatal(err)
	}
	return o.ID
}

func t0() context.Context { return context.Background() }
