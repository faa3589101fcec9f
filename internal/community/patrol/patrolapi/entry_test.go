package patrolapi_test

import (
	"sync"
	"testing"

	"hotline/internal/app/communitytest"
)

// TestFindingEntryOnce: a log entry sent from a phone's offline queue
// carries the entry_id the phone made; sending it again (the answer was
// lost, the queue retried) stores nothing new and answers the first
// finding, even after the shift closed; four sends at once of an entry
// that becomes an order make one finding and one order.
func TestFindingEntryOnce(t *testing.T) {
	t.Parallel()
	communitytest.EachParallel(t, func(t *testing.T, s *communitytest.Server) {
		binyang, vol := s.Login("binyang"), s.Login("volunteer")
		team := binyang.Must(201, "POST", "/api/v1/volunteer_teams", obj{"name": "离线队"})
		a := binyang.Must(201, "POST", "/api/v1/volunteers", obj{"name": "离线志愿者", "team": id(team), "user": "volunteer"})
		date, start, end := window()
		sh := binyang.Must(201, "POST", "/api/v1/shifts", obj{"compound": "sanjiang", "date": date, "start": start, "end": end,
			"volunteers": []string{id(a)}})
		vol.Must(200, "POST", "/api/v1/shifts/"+id(sh)+"/check_in", obj{})
		path := "/api/v1/shifts/" + id(sh) + "/findings"

		orders, findings := s.Count("orders"), s.Count("patrol_findings")
		if f := vol.Fails(400, "invalid", "POST", path, obj{"text": "x", "entry_id": "short"}); f["entry_id"] == nil {
			t.Fatalf("fields %v", f)
		}
		vol.Fails(400, "invalid", "POST", path, obj{"text": "x", "entry_id": "has space in it"})
		if s.Count("patrol_findings") != findings {
			t.Fatal("a refused entry was written")
		}

		entry := "0f8e2a1c-6b1d-4c53-9a57-2f9c4d1e7b10"
		first := vol.Must(201, "POST", path, obj{"text": "28号楼门口一切正常", "entry_id": entry})
		again := vol.Must(200, "POST", path, obj{"text": "28号楼门口一切正常", "entry_id": entry})
		if id(again) != id(first) || again["entry_id"] != entry {
			t.Fatalf("replay %v, first %v", again, first)
		}
		vol.Fails(409, "conflict", "POST", path, obj{"text": "另一段文字", "entry_id": entry})
		if s.Count("patrol_findings") != findings+1 {
			t.Fatalf("findings %d, want %d", s.Count("patrol_findings"), findings+1)
		}

		// Four sends at once of an entry that becomes an order.
		body := obj{"text": "29号楼东侧建筑垃圾堆放在消防通道上", "building": "29号楼", "create_order": true, "entry_id": "a1b2c3d4e5f60718"}
		var wg sync.WaitGroup
		got := make([]obj, 4)
		codes := make([]int, 4)
		for i := range got {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i], got[i] = vol.Do("POST", path, body)
			}()
		}
		wg.Wait()
		created := 0
		for i := range got {
			if codes[i] == 201 {
				created++
			} else if codes[i] != 200 {
				t.Fatalf("send %d: %d %v", i, codes[i], got[i])
			}
			if got[i]["order"] == nil || got[i]["order"] != got[0]["order"] || id(got[i]) != id(got[0]) {
				t.Fatalf("send %d answered %v, send 0 %v", i, got[i], got[0])
			}
		}
		if created != 1 || s.Count("orders") != orders+1 || s.Count("patrol_findings") != findings+2 {
			t.Fatalf("four sends: %d created, orders +%d, findings +%d", created, s.Count("orders")-orders, s.Count("patrol_findings")-findings)
		}

		// After check-out the log is closed, but a late resend is still
		// answered with what was stored.
		vol.Must(200, "POST", "/api/v1/shifts/"+id(sh)+"/check_out", obj{})
		vol.Must(200, "POST", path, body)
		vol.Fails(409, "conflict", "POST", path, obj{"text": "迟到的新发现", "entry_id": "ffffeeee-0000-1111"})
		if s.Count("orders") != orders+1 || s.Count("patrol_findings") != findings+2 {
			t.Fatal("a resend after check-out wrote something")
		}
	})
}
