package meetingapi_test

import (
	"testing"

	"hotline/internal/app/communitytest"
)

// TestOrderMeetingsLogNoView: an order's meeting thread shows no caller, so
// it writes no view_caller entry to the audit log. It used to look the
// order up through the order page's read, which logged the administrator as
// having seen the caller's number each time.
func TestOrderMeetingsLogNoView(t *testing.T) {
	t.Parallel()
	communitytest.EachParallel(t, func(t *testing.T, s *communitytest.Server) {
		disp, admin := s.Login("dispatcher"), s.Login("admin")
		o := disp.Must(201, "POST", "/api/v1/orders", obj{"type": "complaint", "source": "hotline", "title": "楼道堆物",
			"description": "楼道堆物，居民反映多次", "compound": "sanjiang", "building": "29号楼",
			"caller": obj{"name": "测试市民", "phone": "13800001234"}})
		target := "order:" + id(o)
		views := func() int {
			n := 0
			for _, e := range communitytest.List(admin.Must(200, "GET", "/api/v1/audit?action=view_caller&limit=500", nil), "entries") {
				if e.(obj)["target"] == target {
					n++
				}
			}
			return n
		}
		before := views()
		// The administrator sees callers in full and reads every area's
		// threads (a dispatcher reads no community records).
		admin.Must(200, "GET", "/api/v1/meetings/thread?order="+id(o), nil)
		admin.Must(200, "GET", "/api/v1/meetings/thread?order="+id(o), nil)
		if got := views(); got != before {
			t.Fatalf("the order's meeting thread logged %d view_caller entries, want none", got-before)
		}
		// The count sees views: the order page is one.
		disp.Must(200, "GET", "/api/v1/orders/"+id(o), nil)
		if got := views(); got != before+1 {
			t.Fatalf("the order page logged %d view_caller entries, want 1", got-before)
		}
	})
}
