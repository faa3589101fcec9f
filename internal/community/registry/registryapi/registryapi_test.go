package registryapi_test

import (
	"context"
	"fmt"
	"net/url"
	"testing"

	"hotline/internal/testenv"
)

var users = []string{"admin", "leader", "binyang", "yuehe_w", "dispatcher", "operator", "volunteer"}

// count is how many rows a table has (to see that a refused request wrote
// nothing).
func (s *server) count(table string) int {
	s.t.Helper()
	if table == "audit_log" {
		// On SQLite the views of orders wait in the journal up to 250 ms
		// before they join audit_log (store.AuditDurable): the demo's
		// meetings looked their orders up as views, and their entries
		// arriving during a refused request looked like its writes. The
		// audit log's reader moves them first.
		if _, err := s.m.Store.AuditLog(context.Background(), "", "", "", 1); err != nil {
			s.t.Fatal(err)
		}
	}
	var n int
	if err := s.m.Store.DB().R.QueryRowContext(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		s.t.Fatal(err)
	}
	return n
}

// household creates a household in a binyang building as admin.
func (s *server) household(building, room string) string {
	s.t.Helper()
	h := s.must(201, "admin", "POST", "/api/v1/households", obj{"building": building, "room": room})
	return h["id"].(string)
}

func (s *server) resident(hh string, seq int, extra obj) obj {
	s.t.Helper()
	body := obj{"household": hh, "name": fmt.Sprintf("测试居民%d", seq), "id_number": fakeID("19400315", seq), "phone": fmt.Sprintf("139%08d", seq),
		"relation": "head", "residence": "registered", "care_tags": []string{"elderly_alone", "elderly_80plus"}, "notes": "需要每周探访"}
	for k, v := range extra {
		body[k] = v
	}
	return s.must(201, "admin", "POST", "/api/v1/residents", body)
}

// TestAccessMatrix drives every registry action as every role, on its own
// area and on another, through the real server on both databases. A
// refused request is 403 and writes nothing (no resident, household or
// audit row).
func TestAccessMatrix(t *testing.T) {
	t.Parallel()
	testenv.ForEachDBParallel(t, func(t *testing.T, dbURL string) {
		s := start(t, dbURL)
		hh := s.household("sanjiang-29", "101")
		r := s.resident(hh, 1, nil)
		id := r["id"].(string)
		seq := 100
		type action struct {
			name    string
			allowed map[string]int // user → status; absent → 403
			run     func(user string) (int, obj)
		}
		read := map[string]int{"admin": 200, "leader": 200, "binyang": 200}
		places := map[string]int{"admin": 200, "leader": 200, "binyang": 200, "dispatcher": 200, "operator": 200}
		edit := map[string]int{"admin": 200, "binyang": 200}
		create := map[string]int{"admin": 201, "binyang": 201}
		actions := []action{
			{"list buildings", places, func(u string) (int, obj) { return s.do(u, "GET", "/api/v1/compounds/sanjiang/buildings", nil) }},
			{"edit a building", edit, func(u string) (int, obj) {
				return s.do(u, "PUT", "/api/v1/buildings/sanjiang-28", obj{"floors": 7, "low_lying": true})
			}},
			{"list households", places, func(u string) (int, obj) { return s.do(u, "GET", "/api/v1/households?area=binyang", nil) }},
			{"add a household", create, func(u string) (int, obj) {
				seq++
				return s.do(u, "POST", "/api/v1/households", obj{"building": "sanjiang-28", "room": fmt.Sprint(seq)})
			}},
			{"list residents", read, func(u string) (int, obj) { return s.do(u, "GET", "/api/v1/residents?area=binyang", nil) }},
			{"read a resident", read, func(u string) (int, obj) { return s.do(u, "GET", "/api/v1/residents/"+id, nil) }},
			{"register a resident", create, func(u string) (int, obj) {
				seq++
				return s.do(u, "POST", "/api/v1/residents", obj{"household": hh, "name": "新居民", "id_number": fakeID("19800101", seq)})
			}},
			{"edit a resident", edit, func(u string) (int, obj) {
				cur := s.must(200, "admin", "GET", "/api/v1/residents/"+id, nil)
				return s.do(u, "PATCH", "/api/v1/residents/"+id, obj{"version": cur["version"], "notes": "改了 " + u})
			}},
			{"move a resident out", edit, func(u string) (int, obj) {
				seq++
				other := s.resident(hh, seq, nil)
				return s.do(u, "POST", "/api/v1/residents/"+other["id"].(string)+"/move_out", obj{})
			}},
			{"reveal a phone", read, func(u string) (int, obj) {
				return s.do(u, "POST", "/api/v1/residents/"+id+"/reveal", obj{"field": "phone", "reason": "电话回访"})
			}},
			{"area summary", read, func(u string) (int, obj) { return s.do(u, "GET", "/api/v1/registry/summary?area=binyang", nil) }},
		}
		for _, a := range actions {
			for _, u := range users {
				want, ok := a.allowed[u]
				if !ok {
					want = 403
				}
				before := [3]int{s.count("residents"), s.count("households"), s.count("audit_log")}
				st, body := a.run(u)
				if st != want {
					t.Errorf("%s as %s: %d %v, want %d", a.name, u, st, body, want)
				}
				if want == 403 {
					if e, _ := body["error"].(map[string]any); e == nil || e["code"] != "forbidden" {
						t.Errorf("%s as %s: error shape %v", a.name, u, body)
					}
					// Setup rows of "move out" are written before the refused
					// request: compare what the request itself could write.
					after := [3]int{s.count("residents"), s.count("households"), s.count("audit_log")}
					if a.name == "move a resident out" {
						before[0]++
						before[2]++
					}
					if after != before {
						t.Errorf("%s as %s was refused but wrote: %v → %v", a.name, u, before, after)
					}
				}
			}
		}
		// A handler asking for another area's lists is refused, not narrowed.
		for _, p := range []string{"/api/v1/residents?area=yuehe", "/api/v1/registry/summary?area=yuehe", "/api/v1/households?area=yuehe"} {
			s.must(403, "binyang", "GET", p, nil)
		}
		// The other area's worker sees their (empty) area only.
		out := s.must(200, "yuehe_w", "GET", "/api/v1/residents", nil)
		if n := len(out["residents"].([]any)); n != 0 {
			t.Errorf("yuehe's worker sees %d binyang residents", n)
		}
		s.must(403, "yuehe_w", "PUT", "/api/v1/buildings/sanjiang-29", obj{"floors": 3})
		s.must(403, "yuehe_w", "PATCH", "/api/v1/residents/"+id, obj{"version": 1, "name": "x"})
	})
}

// TestResidentContract checks the §1 contract word for word: masks, the
// reveal, validation with fields, versions, lookup by ID number and phone,
// paging, moving out, the summary.
func TestResidentContract(t *testing.T) {
	t.Parallel()
	testenv.ForEachDBParallel(t, func(t *testing.T, dbURL string) {
		s := start(t, dbURL)
		hh := s.household("sanjiang-29", "302")
		r := s.resident(hh, 7, nil)
		id := r["id"].(string)
		idn := fakeID("19400315", 7)
		if r["id_number"] != "999***********"+idn[14:] || r["phone"] != "139****0007" || r["notes"] != "***" || r["birth_date"] != "1940-03-15" ||
			r["gender"] != "m" || r["status"] != "active" || r["version"] != 1.0 || r["household"] != hh || r["updated_at"] == "" {
			t.Fatalf("created: %v", r)
		}
		if tags := r["care_tags"].([]any); len(tags) != 2 || tags[0] != "elderly_alone" {
			t.Fatalf("care_tags: %v", tags)
		}
		// Reveal: a reason is required; the value comes back whole.
		e := s.must(400, "binyang", "POST", "/api/v1/residents/"+id+"/reveal", obj{"field": "id_number"})
		if f := e["error"].(map[string]any)["fields"].(map[string]any); f["reason"] == nil {
			t.Fatalf("reveal without reason: %v", e)
		}
		s.must(400, "binyang", "POST", "/api/v1/residents/"+id+"/reveal", obj{"field": "name", "reason": "x"})
		v := s.must(200, "binyang", "POST", "/api/v1/residents/"+id+"/reveal", obj{"field": "id_number", "reason": "核对身份"})
		if v["field"] != "id_number" || v["value"] != idn {
			t.Fatalf("reveal: %v", v)
		}
		if v := s.must(200, "binyang", "POST", "/api/v1/residents/"+id+"/reveal", obj{"field": "notes", "reason": "探访"}); v["value"] != "需要每周探访" {
			t.Fatalf("reveal notes: %v", v)
		}
		var who, detail string
		s.m.Store.DB().R.QueryRow(`SELECT actor, detail FROM audit_log WHERE action = 'resident.reveal' AND target = $1 ORDER BY id LIMIT 1`, "resident:"+id).Scan(&who, &detail)
		if who != "binyang" || detail != "field=id_number reason=核对身份" {
			t.Fatalf("audit: %q %q", who, detail)
		}
		// Bad input: 400 with fields, nothing written.
		n := s.count("residents")
		bad := []struct {
			body  obj
			field string
		}{
			{obj{"household": hh, "name": "甲", "id_number": idn[:17] + "0"}, "id_number"},
			{obj{"household": hh, "name": "甲", "id_number": idn, "birth_date": "1941-03-15"}, "birth_date"},
			{obj{"household": hh, "name": "甲", "gender": "f", "phone": "12345"}, "phone"},
			{obj{"household": hh, "name": "甲", "gender": "x"}, "gender"},
			{obj{"household": hh, "name": "甲", "gender": "f", "care_tags": []string{"vip"}}, "care_tags"},
			{obj{"household": hh, "name": "", "gender": "f"}, "name"},
			{obj{"household": "999999", "name": "甲", "gender": "f"}, "household"},
			{obj{"household": hh, "name": "甲", "gender": "f", "relation": "boss"}, "relation"},
			{obj{"household": hh, "name": "甲", "gender": "f", "residence": "x"}, "residence"},
			{obj{"household": hh, "name": "同号", "id_number": idn}, "id_number"},
		}
		for _, b := range bad {
			e := s.must(400, "binyang", "POST", "/api/v1/residents", b.body)
			if f, _ := e["error"].(map[string]any)["fields"].(map[string]any); f[b.field] == nil {
				t.Errorf("%v: no %s in %v", b.body, b.field, e)
			}
		}
		for _, body := range []string{`{`, `[]`, `{"household": 5}`, `{"care_tags": "x"}`, "{\"household\":\"" + hh + "\",\"name\":\"a\\u0000b\",\"gender\":\"f\"}"} {
			s.must(400, "binyang", "POST", "/api/v1/residents", body)
		}
		if s.count("residents") != n {
			t.Fatal("a refused create wrote a resident")
		}
		// Edits take the version; a stale one is 409 and writes nothing.
		p := s.must(200, "binyang", "PATCH", "/api/v1/residents/"+id, obj{"version": 1, "phone": "021-55551234", "care_tags": []string{"disabled"}})
		if p["version"] != 2.0 || p["phone"] != "021****1234" || p["id_number"] != r["id_number"] {
			t.Fatalf("patch: %v", p)
		}
		s.must(409, "binyang", "PATCH", "/api/v1/residents/"+id, obj{"version": 1, "name": "改名"})
		s.must(400, "binyang", "PATCH", "/api/v1/residents/"+id, obj{"name": "改名"})
		s.must(400, "binyang", "PATCH", "/api/v1/residents/"+id, obj{"version": 2, "birth_date": "1950-01-01"})
		if g := s.must(200, "binyang", "GET", "/api/v1/residents/"+id, nil); g["name"] != r["name"] || g["version"] != 2.0 {
			t.Fatalf("a refused edit wrote: %v", g)
		}
		// Lookups: exact ID number and phone (through the blind index), name prefix.
		for q, want := range map[string]int{idn: 1, "02155551234": 1, "021-5555-1234": 1, "测试居民": 1, "13900000007": 0, fakeID("19400315", 8): 0} {
			out := s.must(200, "binyang", "GET", "/api/v1/residents?q="+url.QueryEscape(q), nil)
			if got := len(out["residents"].([]any)); got != want {
				t.Errorf("q=%s: %d residents, want %d", q, got, want)
			}
		}
		// Paging: limit and cursor walk every resident once.
		for i := 20; i < 25; i++ {
			s.resident(hh, i, obj{"care_tags": []string{}})
		}
		seen := map[string]bool{}
		cursor := ""
		for pages := 0; ; pages++ {
			out := s.must(200, "binyang", "GET", "/api/v1/residents?area=binyang&limit=2&cursor="+cursor, nil)
			for _, x := range out["residents"].([]any) {
				seen[x.(map[string]any)["id"].(string)] = true
			}
			nc, _ := out["next_cursor"].(string)
			if nc == "" {
				break
			}
			cursor = nc
			if pages > 10 {
				t.Fatal("paging does not end")
			}
		}
		if len(seen) != 6 {
			t.Fatalf("paging saw %d residents, want 6", len(seen))
		}
		for _, q := range []string{"limit=0", "limit=201", "limit=x", "cursor=x", "tag=vip", "status=gone", "household=x"} {
			s.must(400, "binyang", "GET", "/api/v1/residents?"+q, nil)
		}
		// Filters.
		if out := s.must(200, "binyang", "GET", "/api/v1/residents?building=sanjiang-29&tag=disabled", nil); len(out["residents"].([]any)) != 1 {
			t.Fatalf("tag filter: %v", out)
		}
		// Moving out and death keep the record.
		mo := s.must(200, "binyang", "POST", "/api/v1/residents/"+id+"/move_out", nil)
		if mo["status"] != "moved_out" {
			t.Fatalf("move out: %v", mo)
		}
		s.must(409, "binyang", "POST", "/api/v1/residents/"+id+"/move_out", nil)
		other := s.must(200, "binyang", "GET", "/api/v1/residents?limit=1&status=active", nil)["residents"].([]any)[0].(map[string]any)
		if d := s.must(200, "binyang", "POST", "/api/v1/residents/"+other["id"].(string)+"/move_out", obj{"status": "deceased"}); d["status"] != "deceased" {
			t.Fatalf("deceased: %v", d)
		}
		if g := s.must(200, "binyang", "GET", "/api/v1/residents/"+id, nil); g["status"] != "moved_out" {
			t.Fatalf("moved-out resident: %v", g)
		}
		if out := s.must(200, "binyang", "GET", "/api/v1/residents?status=moved_out", nil); len(out["residents"].([]any)) != 1 {
			t.Fatalf("status filter: %v", out)
		}
		s.must(404, "binyang", "GET", "/api/v1/residents/99999", nil)
		s.must(404, "binyang", "GET", "/api/v1/residents/abc", nil)
		// The summary counts active residents.
		sum := s.must(200, "binyang", "GET", "/api/v1/registry/summary?area=binyang", nil)
		if sum["compounds"] != 6.0 || sum["households"] != 1.0 || sum["residents"] != 4.0 || sum["low_lying_buildings"] != 1.0 || sum["buildings"] != 19.0 {
			t.Fatalf("summary: %v", sum)
		}
		if bt := sum["by_tag"].(map[string]any); len(bt) != 6 || bt["elderly_alone"] != 0.0 {
			t.Fatalf("by_tag: %v", bt)
		}
		// Buildings: code, name, low_lying; PUT edits floors and point.
		bs := s.must(200, "dispatcher", "GET", "/api/v1/compounds/sanjiang/buildings", nil)["buildings"].([]any)
		b0 := bs[0].(map[string]any)
		if len(bs) != 4 || b0["code"] != "sanjiang-27" || b0["name"] != "27号楼" {
			t.Fatalf("buildings: %v", bs)
		}
		b := s.must(200, "binyang", "PUT", "/api/v1/buildings/sanjiang-27", obj{"floors": 18, "point": obj{"lat": 31.1, "lng": 121.4}})
		if b["floors"] != 18.0 || b["point"].(map[string]any)["lat"] != 31.1 {
			t.Fatalf("put building: %v", b)
		}
		s.must(400, "binyang", "PUT", "/api/v1/buildings/sanjiang-27", obj{"floors": -1})
		s.must(400, "binyang", "PUT", "/api/v1/buildings/sanjiang-27", obj{"point": obj{"lat": 100, "lng": 0}})
		s.must(404, "binyang", "PUT", "/api/v1/buildings/nowhere-1", obj{"floors": 1})
		s.must(404, "binyang", "GET", "/api/v1/compounds/nowhere/buildings", nil)
		// Households: kinds, duplicates, unknown buildings.
		s.must(409, "binyang", "POST", "/api/v1/households", obj{"building": "sanjiang-29", "room": "302"})
		s.must(400, "binyang", "POST", "/api/v1/households", obj{"building": "sanjiang-29", "room": "303", "kind": "palace"})
		s.must(400, "binyang", "POST", "/api/v1/households", obj{"building": "nowhere-1", "room": "1"})
		s.must(400, "binyang", "POST", "/api/v1/households", obj{"building": "sanjiang-29"})
		shop := s.must(201, "binyang", "POST", "/api/v1/households", obj{"building": "sanjiang-29", "unit_no": "1", "room": "商铺1", "kind": "shop"})
		if shop["kind"] != "shop" || shop["unit_no"] != "1" || shop["id"] == "" {
			t.Fatalf("household: %v", shop)
		}
		if out := s.must(200, "operator", "GET", "/api/v1/households?building=sanjiang-29", nil); len(out["households"].([]any)) != 2 {
			t.Fatalf("households: %v", out)
		}
	})
}
