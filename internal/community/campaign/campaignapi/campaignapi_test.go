package campaignapi_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"hotline/internal/app/fieldtest"
	"hotline/internal/testenv"
)

type obj = fieldtest.Obj

var form = obj{"fields": []obj{
	{"code": "people", "label": "常住人数", "type": "number", "required": true},
	{"code": "head_name", "label": "户主说明", "type": "text"},
	{"code": "moved_in", "label": "迁入日期", "type": "date"},
	{"code": "housing", "label": "住房类型", "type": "choice", "required": true, "choices": []string{"自有", "租赁", "其他"}},
	{"code": "needs", "label": "需要的服务", "type": "multi", "choices": []string{"助餐", "助浴", "就医"}},
	{"code": "pets", "label": "养宠物", "type": "bool"},
}}

func newCampaign() obj {
	return obj{"name": "第七次人口普查 入户登记", "form": form, "scope": obj{"compounds": []string{"sanjiang_t"}},
		"collectors": []obj{{"user": "volunteer", "buildings": []string{"sanjiang_t-29"}}, {"user": "volunteer2", "buildings": []string{"sanjiang_t-27"}}},
		"starts":     "2026-11-01", "ends": "2026-12-10"}
}

func households(s *fieldtest.Server, user, id string) []any {
	return s.Must(200, user, "GET", "/api/v1/campaigns/"+id+"/households", nil)["households"].([]any)
}

// A census campaign's life on both databases: form and scope validated,
// submissions idempotent by submission_id, validated against the form,
// only in the collector's buildings, latest outcome counting, progress by
// building and collector, answers sealed at rest, export only by an admin
// with a recorded reason (audited), nothing taken once closed.
func TestCampaignLifecycle(t *testing.T) {
	t.Parallel()
	testenv.ForEachDBParallel(t, func(t *testing.T, db string) {
		s := fieldtest.Start(t, db, true, nil)
		s.Seed()
		c := s.Must(201, "binyang", "POST", "/api/v1/campaigns", newCampaign())
		id := c["id"].(string)
		if c["status"] != "draft" || c["households"].(float64) != 6 || c["area"] != "binyang" {
			t.Fatalf("new campaign %v", c)
		}
		for name, mod := range map[string]func(obj){
			"choice without choices": func(b obj) {
				b["form"] = obj{"fields": []obj{{"code": "x", "label": "x", "type": "choice"}}}
			},
			"unknown type": func(b obj) { b["form"] = obj{"fields": []obj{{"code": "x", "label": "x", "type": "photo"}}} },
			"duplicate code": func(b obj) {
				b["form"] = obj{"fields": []obj{{"code": "x", "label": "x", "type": "text"}, {"code": "x", "label": "y", "type": "bool"}}}
			},
			"no fields": func(b obj) { b["form"] = obj{"fields": []obj{}} },
			"collector outside scope": func(b obj) {
				b["collectors"] = []obj{{"user": "volunteer", "buildings": []string{"yuehe_yuan-1"}}}
			},
			"unknown collector": func(b obj) { b["collectors"] = []obj{{"user": "ghost", "buildings": []string{"sanjiang_t-29"}}} },
			"two areas": func(b obj) {
				b["scope"] = obj{"compounds": []string{"sanjiang_t"}, "buildings": []string{"yuehe_yuan-1"}}
			},
			"ends before starts": func(b obj) { b["ends"] = "2026-10-01" },
			"no name":            func(b obj) { delete(b, "name") },
		} {
			b := newCampaign()
			mod(b)
			if st, out, _ := s.Do("admin", "POST", "/api/v1/campaigns", b); st != 400 || out["error"].(obj)["fields"] == nil {
				t.Errorf("%s: %d %v", name, st, out)
			}
		}
		hs := households(s, "binyang", id)
		var in29, in27 []string
		for _, h := range hs {
			h := h.(obj)
			if h["building"] == "sanjiang_t-29" {
				in29 = append(in29, h["household"].(string))
			} else {
				in27 = append(in27, h["household"].(string))
			}
		}
		if len(in29) != 5 || len(in27) != 1 {
			t.Fatalf("households %v", hs)
		}
		sub := func(sid, hh, outcome string, answers obj, at time.Time) obj {
			return obj{"submission_id": sid, "household": hh, "outcome": outcome, "answers": answers, "collected_at": at.Format(time.RFC3339Nano)}
		}
		now := time.Now().UTC()
		good := obj{"people": 3, "housing": "自有", "needs": []string{"助餐", "就医"}, "pets": false, "head_name": "三口之家，户主独居老人", "moved_in": "2001-05-01"}
		sp := "/api/v1/campaigns/" + id + "/submissions"
		s.Must(409, "volunteer", "POST", sp, sub("a1", in29[0], "done", good, now)) // still a draft
		// Form and scope may change while a draft; stale version is 409.
		s.Must(409, "binyang", "PATCH", "/api/v1/campaigns/"+id, obj{"name": "x", "version": 9})
		c = s.Must(200, "binyang", "PATCH", "/api/v1/campaigns/"+id, obj{"name": "人口普查", "version": 1})
		c = s.Must(200, "binyang", "POST", "/api/v1/campaigns/"+id+"/open", obj{"version": c["version"]})
		if c["status"] != "open" {
			t.Fatalf("open: %v", c)
		}
		s.Must(409, "binyang", "POST", "/api/v1/campaigns/"+id+"/open", nil)
		s.Must(400, "binyang", "PATCH", "/api/v1/campaigns/"+id, obj{"form": form, "version": c["version"]})

		first := s.Must(201, "volunteer", "POST", sp, sub("a1", in29[0], "done", good, now.Add(-time.Hour)))
		if first["outcome"] != "done" || first["collector"] != "volunteer" || first["answers"].(obj)["housing"] != "自有" {
			t.Fatalf("submission %v", first)
		}
		again := s.Must(201, "volunteer", "POST", sp, sub("a1", in29[0], "done", good, now.Add(-time.Hour)))
		if fmt.Sprint(again) != fmt.Sprint(first) {
			t.Errorf("replay %v, first %v", again, first)
		}
		s.Must(409, "volunteer", "POST", sp, sub("a1", in29[0], "refused", nil, now.Add(-time.Hour)))
		s.Must(403, "volunteer", "POST", sp, sub("a2", in27[0], "absent", nil, now))  // not their building
		s.Must(403, "volunteer2", "POST", sp, sub("a3", in29[1], "absent", nil, now)) // nor theirs
		s.Must(400, "volunteer", "POST", sp, sub("a4", "999999", "absent", nil, now)) // not in the campaign
		for name, answers := range map[string]obj{
			"answers.people":   {"housing": "自有"},
			"answers.housing":  {"people": 2, "housing": "宿舍"},
			"answers.needs":    {"people": 2, "housing": "自有", "needs": []string{"助餐", "助餐"}},
			"answers.moved_in": {"people": 2, "housing": "自有", "moved_in": "2001-13-01"},
			"answers.pets":     {"people": 2, "housing": "自有", "pets": "yes"},
			"answers.color":    {"people": 2, "housing": "自有", "color": "red"},
		} {
			st, out, _ := s.Do("volunteer", "POST", sp, sub("bad-"+name, in29[1], "done", answers, now))
			if st != 400 || out["error"].(obj)["fields"].(obj)[name] == nil {
				t.Errorf("%s: %d %v", name, st, out)
			}
		}
		s.Must(400, "volunteer", "POST", sp, obj{"submission_id": "z", "household": in29[1], "outcome": "maybe"})
		// Absent, then done: the latest counts; an older visit sent late
		// does not undo a newer one.
		s.Must(201, "volunteer", "POST", sp, sub("b1", in29[1], "absent", nil, now.Add(-2*time.Hour)))
		s.Must(201, "volunteer", "POST", sp, sub("b2", in29[1], "done", obj{"people": 1, "housing": "租赁"}, now.Add(-time.Minute)))
		s.Must(201, "volunteer", "POST", sp, sub("b3", in29[1], "absent", nil, now.Add(-3*time.Hour)))
		s.Must(201, "volunteer", "POST", sp, sub("c1", in29[2], "refused", nil, now))
		s.Must(201, "volunteer2", "POST", sp, sub("d1", in27[0], "absent", nil, now))
		p := s.Must(200, "leader", "GET", "/api/v1/campaigns/"+id+"/progress", nil)
		tot := p["total"].(obj)
		if tot["households"].(float64) != 6 || tot["done"].(float64) != 2 || tot["refused"].(float64) != 1 || tot["absent"].(float64) != 1 || tot["not_visited"].(float64) != 2 {
			t.Errorf("progress %v", tot)
		}
		if b := p["by_building"].(obj)["sanjiang_t-29"].(obj); b["done"].(float64) != 2 || b["not_visited"].(float64) != 2 {
			t.Errorf("by building %v", b)
		}
		if v := p["by_collector"].(obj)["volunteer2"].(obj); v["households"].(float64) != 1 || v["absent"].(float64) != 1 {
			t.Errorf("by collector %v", p["by_collector"])
		}
		// Collectors see only their households.
		if n := len(households(s, "volunteer", id)); n != 5 {
			t.Errorf("volunteer sees %d households", n)
		}
		if n := len(households(s, "volunteer2", id)); n != 1 {
			t.Errorf("volunteer2 sees %d households", n)
		}
		s.Must(403, "volunteer", "GET", "/api/v1/campaigns/"+id+"/progress", nil)
		// Answers are sealed at rest.
		var raw []byte
		var plain int
		ctx := context.Background()
		rows, err := s.M.Store.DB().R.QueryContext(ctx, "SELECT answers FROM campaign_submissions WHERE answers IS NOT NULL")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			rows.Scan(&raw)
			if bytes.Contains(raw, []byte("自有")) || bytes.Contains(raw, []byte("people")) {
				plain++
			}
		}
		rows.Close()
		if plain > 0 {
			t.Errorf("%d submissions hold answers in the clear", plain)
		}
		// Export: an admin with a reason, audited.
		ep := "/api/v1/campaigns/" + id + "/export"
		s.Must(403, "binyang", "POST", ep, obj{"reason": "统计"})
		s.Must(403, "leader", "POST", ep, obj{"reason": "统计"})
		s.Must(400, "admin", "POST", ep, obj{"reason": " "})
		exp := s.Must(200, "admin", "POST", ep+"?format=json", obj{"reason": "区统计局复核"})
		if subs := exp["submissions"].([]any); len(subs) != 4 {
			t.Errorf("export has %d households, want 4 visited", len(subs))
		}
		st, _, data := s.Do("admin", "POST", ep, obj{"reason": "区统计局复核"})
		if st != 200 || !bytes.HasPrefix(data, []byte("PK")) {
			t.Errorf("xlsx export %d", st)
		}
		var audited int
		s.M.Store.DB().R.QueryRowContext(ctx, "SELECT COUNT(*) FROM audit_log WHERE action = 'campaign.export' AND actor = 'admin' AND detail = '区统计局复核'").Scan(&audited)
		if audited != 2 {
			t.Errorf("%d export audit rows, want 2", audited)
		}
		s.Must(200, "binyang", "POST", "/api/v1/campaigns/"+id+"/close", nil)
		s.Must(409, "volunteer", "POST", sp, sub("e1", in29[3], "absent", nil, now))
		// A replay of a submission stored before the close still answers.
		s.Must(201, "volunteer", "POST", sp, sub("a1", in29[0], "done", good, now.Add(-time.Hour)))
	})
}

// Who may do what with campaigns, role × area × action, through the real
// server: refusals are 403 and write nothing.
func TestCampaignAccessMatrix(t *testing.T) {
	t.Parallel()
	testenv.ForEachDBParallel(t, func(t *testing.T, db string) {
		s := fieldtest.Start(t, db, true, nil)
		s.Seed()
		c := s.Must(201, "binyang", "POST", "/api/v1/campaigns", newCampaign())
		id := c["id"].(string)
		s.Must(200, "binyang", "POST", "/api/v1/campaigns/"+id+"/open", nil)
		hh := households(s, "binyang", id)[0].(obj)
		if hh["building"] != "sanjiang_t-27" && hh["building"] != "sanjiang_t-29" {
			t.Fatal(hh)
		}
		target := ""
		for _, h := range households(s, "binyang", id) {
			if h.(obj)["building"] == "sanjiang_t-29" {
				target = h.(obj)["household"].(string)
			}
		}
		type cell struct {
			user                                 string
			create, read, progress, submit, edit int
		}
		for i, c := range []cell{
			{"binyang", 201, 200, 200, 201, 200},
			{"admin", 201, 200, 200, 201, 200},
			{"leader", 403, 200, 200, 403, 403},
			{"yuehe", 403, 403, 403, 403, 403},
			{"cityops", 403, 403, 403, 403, 403},
			{"dispatcher", 403, 403, 403, 403, 403},
			{"operator", 403, 403, 403, 403, 403},
			{"volunteer", 403, 200, 403, 201, 403},  // collector of 29号楼
			{"volunteer2", 403, 200, 403, 403, 403}, // collector of 27号楼 only
		} {
			before := s.Must(200, "admin", "GET", "/api/v1/campaigns/"+id+"/progress", nil)["total"].(obj)["absent"].(float64)
			if st, _, _ := s.Do(c.user, "POST", "/api/v1/campaigns", newCampaign()); st != c.create {
				t.Errorf("%s create %d, want %d", c.user, st, c.create)
			}
			if st, _, _ := s.Do(c.user, "GET", "/api/v1/campaigns/"+id, nil); st != c.read {
				t.Errorf("%s read %d, want %d", c.user, st, c.read)
			}
			if st, _, _ := s.Do(c.user, "GET", "/api/v1/campaigns/"+id+"/households", nil); st != c.read {
				t.Errorf("%s households %d, want %d", c.user, st, c.read)
			}
			if st, _, _ := s.Do(c.user, "GET", "/api/v1/campaigns/"+id+"/progress", nil); st != c.progress {
				t.Errorf("%s progress %d, want %d", c.user, st, c.progress)
			}
			if st, _, _ := s.Do(c.user, "POST", "/api/v1/campaigns/"+id+"/submissions", obj{"submission_id": fmt.Sprint("m", i), "household": target, "outcome": "absent",
				"collected_at": time.Now().Add(time.Duration(i) * time.Second).UTC().Format(time.RFC3339Nano)}); st != c.submit {
				t.Errorf("%s submit %d, want %d", c.user, st, c.submit)
			}
			cur := s.Must(200, "admin", "GET", "/api/v1/campaigns/"+id, nil)
			if st, _, _ := s.Do(c.user, "PATCH", "/api/v1/campaigns/"+id, obj{"name": "人口普查", "version": cur["version"]}); st != c.edit {
				t.Errorf("%s edit %d, want %d", c.user, st, c.edit)
			}
			after := s.Must(200, "admin", "GET", "/api/v1/campaigns/"+id+"/progress", nil)["total"].(obj)["absent"].(float64)
			if c.submit != 201 && after != before {
				t.Errorf("%s: a refused submission counted", c.user)
			}
		}
		if l := s.Must(200, "volunteer2", "GET", "/api/v1/campaigns", nil)["campaigns"].([]any); len(l) != 3 {
			t.Errorf("volunteer2 lists %d campaigns, want the 3 they collect for", len(l))
		}
		if l := s.Must(200, "yuehe", "GET", "/api/v1/campaigns", nil)["campaigns"].([]any); len(l) != 0 {
			t.Errorf("yuehe lists %v", l)
		}
		s.Must(403, "dispatcher", "GET", "/api/v1/campaigns", nil)
		s.Must(404, "binyang", "GET", "/api/v1/campaigns/x", nil)
		s.Must(401, "", "GET", "/api/v1/campaigns", nil)
	})
}
