package web

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"hotline/internal/app"
	"hotline/internal/community/registry"
	"hotline/internal/place"
	"hotline/internal/testenv"
)

// TestRegistryEditPages drives the registry's editing pages through the
// real server on SQLite and PostgreSQL: a resident edited with the version
// read (a stale save is a 409 page that says so, keeps what was typed and
// changes nothing), a bad ID number is a 400 next to its field, moving out
// keeps the record, a household is added and edited, a member added, and
// the export page answers the masked workbook. Leaders and another area's
// worker are refused every write.
func TestRegistryEditPages(t *testing.T) {
	parallel(t)
	testenv.ForEachDB(t, func(t *testing.T, dbURL string) {
		m, base, admin, hh, r, idn := registryFixture(t, dbURL)
		ctx := context.Background()
		c := login(t, base, "binyang")
		tok := c.csrf()
		form, status := c.get("/registry/residents/" + r.ID + "/edit")
		if status != 200 || !strings.Contains(form, `name="version" value="1"`) || strings.Contains(form, idn) || strings.Contains(form, "13800001011") || strings.Contains(form, "演示备注") {
			t.Fatalf("edit form: %d (shows a sealed field in full?)\n%s", status, form)
		}
		edit := url.Values{"csrf": {tok}, "version": {"1"}, "name": {"周演示乙"}, "gender": {"f"}, "birth_date": {"1940-05-05"}, "relation": {"head"},
			"residence": {"resident"}, "household": {hh.ID}, "care_tags": {"elderly_alone", "disabled"}, "phone": {"13800001012"}}
		if body, status := c.post("/registry/residents/"+r.ID+"/edit", edit); status != 200 || !strings.Contains(body, "已保存") || !strings.Contains(body, "周演示乙") {
			t.Fatalf("save: %d\n%s", status, body)
		}
		got, _ := m.Registry.Resident(ctx, admin, mustID(t, r.ID))
		phone, _ := m.RegistryDB.Open(ctx, mustID(t, r.ID), registry.FieldPhone)
		notes, _ := m.RegistryDB.Open(ctx, mustID(t, r.ID), registry.FieldNotes)
		idKept, _ := m.RegistryDB.Open(ctx, mustID(t, r.ID), registry.FieldIDNumber)
		if got.Name != "周演示乙" || got.Version != 2 || got.Residence != "resident" || len(got.CareTags) != 2 || phone != "13800001012" || notes != "演示备注" || idKept != idn {
			t.Fatalf("after the save: %+v phone %q notes %q id %q", got, phone, notes, idKept)
		}
		// The same form again (version 1): a conflict that says so, keeps the
		// typed name, shows the current record and writes nothing.
		edit.Set("name", "周演示丙")
		body, status := c.post("/registry/residents/"+r.ID+"/edit", edit)
		if status != 409 || !strings.Contains(body, "有人修改了这位居民的信息") || !strings.Contains(body, `value="周演示丙"`) || !strings.Contains(body, `name="version" value="2"`) {
			t.Fatalf("a stale save: %d\n%s", status, body)
		}
		if now, _ := m.Registry.Resident(ctx, admin, mustID(t, r.ID)); now.Version != 2 || now.Name != "周演示乙" {
			t.Fatalf("a stale save wrote: %+v", now)
		}
		// A bad ID number: 400 next to the field, nothing written.
		edit.Set("version", "2")
		edit.Set("id_number", "310101194005051234")
		if body, status := c.post("/registry/residents/"+r.ID+"/edit", edit); status != 400 || !strings.Contains(body, `id="id_number" name="id_number"`) || !strings.Contains(body, `class="ferr"`) {
			t.Fatalf("a bad ID number: %d\n%s", status, body)
		}
		// Leaders read, never write; another area's worker is refused.
		for _, u := range []string{"leader", "yuehe_w"} {
			o := login(t, base, u)
			if _, status := o.post("/registry/residents/"+r.ID+"/edit", url.Values{"csrf": {o.csrf()}, "version": {"2"}, "name": {"X"}}); status != 403 {
				t.Errorf("%s edits: %d", u, status)
			}
			if _, status := o.post("/registry/residents/"+r.ID+"/move_out", url.Values{"csrf": {o.csrf()}, "version": {"2"}}); status != 403 {
				t.Errorf("%s moves out: %d", u, status)
			}
		}
		// Move out: the record stays, status changed, audited.
		if body, status := c.post("/registry/residents/"+r.ID+"/move_out", url.Values{"csrf": {tok}, "version": {"1"}, "status": {"deceased"}}); status != 409 {
			t.Fatalf("a stale move-out: %d\n%s", status, body)
		}
		if body, status := c.post("/registry/residents/"+r.ID+"/move_out", url.Values{"csrf": {tok}, "version": {"2"}, "status": {"deceased"}}); status != 200 || !strings.Contains(body, "已故") || !strings.Contains(body, "记录保留") {
			t.Fatalf("move out: %d\n%s", status, body)
		}
		if got, err := m.Registry.Resident(ctx, admin, mustID(t, r.ID)); err != nil || got.Status != registry.Deceased || got.Name != "周演示乙" {
			t.Fatalf("after the move-out: %+v %v", got, err)
		}
		if n := auditCount(t, m, "resident.deceased", "resident:"+r.ID); n != 1 {
			t.Fatalf("move-out audit rows: %d", n)
		}
		// A household: added to the building, edited, a stale edit refused.
		body, status = c.post("/registry/households/new?building=sanjiang-29", url.Values{"csrf": {tok}, "unit_no": {"2"}, "room": {"502"}, "kind": {"residential"}})
		if status != 200 || !strings.Contains(body, "2单元502室") {
			t.Fatalf("new household: %d\n%s", status, body)
		}
		hs, _ := m.Registry.Households(ctx, admin, registry.HouseholdQuery{Area: "binyang", Building: "sanjiang-29", Limit: 100})
		var nh place.Household
		for _, h := range hs {
			if h.Room == "502" {
				nh = h
			}
		}
		if _, status := c.post("/registry/households/new?building=sanjiang-29", url.Values{"csrf": {tok}, "unit_no": {"2"}, "room": {"502"}}); status != 409 {
			t.Errorf("the same room twice: %d", status)
		}
		if body, status := c.post("/registry/households/"+nh.ID+"/edit", url.Values{"csrf": {tok}, "version": {"1"}, "unit_no": {"2"}, "room": {"503"}, "kind": {"collective"}}); status != 200 || !strings.Contains(body, "2单元503室") || !strings.Contains(body, "集体户") {
			t.Fatalf("edit household: %d\n%s", status, body)
		}
		if _, status := c.post("/registry/households/"+nh.ID+"/edit", url.Values{"csrf": {tok}, "version": {"1"}, "room": {"504"}}); status != 409 {
			t.Errorf("a stale household edit: %d", status)
		}
		if _, status := c.post("/registry/households/"+nh.ID+"/edit", url.Values{"csrf": {tok}, "version": {"2"}, "room": {""}}); status != 400 {
			t.Errorf("a household without a room: %d", status)
		}
		o := login(t, base, "yuehe_w")
		if _, status := o.post("/registry/households/"+nh.ID+"/edit", url.Values{"csrf": {o.csrf()}, "version": {"2"}, "room": {"9"}}); status != 403 {
			t.Errorf("another area's household edit: %d", status)
		}
		// The building: floors and the low-lying flag, from its page.
		if body, status := c.post("/registry/buildings/sanjiang-29/edit", url.Values{"csrf": {tok}, "floors": {"7"}}); status != 200 || !strings.Contains(body, "7 层") {
			t.Fatalf("edit building: %d\n%s", status, body)
		}
		if b, _ := m.Registry.Building(ctx, admin, "sanjiang-29"); b.Floors != 7 || b.LowLying {
			t.Fatalf("after the building edit: %+v", b)
		}
		if _, status := c.post("/registry/buildings/sanjiang-29/edit", url.Values{"csrf": {tok}, "floors": {"500"}, "low_lying": {"1"}}); status != 400 {
			t.Errorf("500 floors: %d", status)
		}
		if _, status := o.post("/registry/buildings/sanjiang-29/edit", url.Values{"csrf": {o.csrf()}, "floors": {"3"}}); status != 403 {
			t.Errorf("another area's building edit: %d", status)
		}
		if b, _ := m.Registry.Building(ctx, admin, "sanjiang-29"); b.Floors != 7 || b.LowLying {
			t.Fatalf("a refused building edit wrote: %+v", b)
		}
		// A member added to it.
		body, status = c.post("/registry/households/"+nh.ID+"/residents/new", url.Values{"csrf": {tok}, "household": {nh.ID}, "name": {"吴演示丁"},
			"id_number": {demoID("19520101", 12)}, "relation": {"head"}, "residence": {"registered"}, "care_tags": {"low_income"}})
		if status != 200 || !strings.Contains(body, "吴演示丁") || !strings.Contains(body, "低保") {
			t.Fatalf("add a member: %d\n%s", status, body)
		}
		if _, status := c.post("/registry/households/"+nh.ID+"/residents/new", url.Values{"csrf": {tok}, "household": {nh.ID}, "name": {"坏"}, "id_number": {"123"}}); status != 400 {
			t.Errorf("a member with a bad ID number: %d", status)
		}
		// The export page says what the file holds; the file is masked.
		if body, status := c.get("/registry/export"); status != 200 || !strings.Contains(body, "遮挡") || strings.Contains(body, `name="unmasked"`) {
			t.Fatalf("export page: %d", status)
		}
		xlsx, status := c.post("/registry/export", url.Values{"csrf": {tok}, "area": {"binyang"}})
		if status != 200 || strings.Contains(xlsx, idn) {
			t.Fatalf("export: %d", status)
		}
		f, err := excelize.OpenReader(strings.NewReader(xlsx))
		if err != nil {
			t.Fatalf("export is not a workbook: %v", err)
		}
		rows, _ := f.GetRows(f.GetSheetList()[0])
		if len(rows) != 3 || rows[0][7] != "身份证号" {
			t.Fatalf("export rows: %v", rows)
		}
		for _, row := range rows[1:] {
			if strings.Contains(strings.Join(row, ","), idn[6:14]) && !strings.Contains(row[7], "***") {
				t.Fatalf("an unmasked ID number in the export: %v", row)
			}
		}
		if _, status := c.post("/registry/export", url.Values{"csrf": {tok}, "unmasked": {"1"}, "reason": {"x"}}); status != 403 {
			t.Errorf("a worker's unmasked export: %d", status)
		}
		a := login(t, base, "admin")
		if body, status := a.post("/registry/export", url.Values{"csrf": {a.csrf()}, "area": {"binyang"}, "unmasked": {"1"}}); status != 400 || !strings.Contains(body, `id="reason"`) {
			t.Errorf("an unmasked export without a reason: %d", status)
		}
	})
}

// TestRegistryPagesWithoutKey: without a data key the registry's pages say
// why it is off and how to turn it on (503), instead of the 404 the nav
// link used to lead to.
func TestRegistryPagesWithoutKey(t *testing.T) {
	parallel(t)
	_, base := server(t, func(c *app.Config) { c.RegistryWeb = MountRegistry })
	for _, u := range []string{"admin", "binyang"} {
		c := login(t, base, u)
		for _, p := range []string{"/registry", "/registry/residents/1", "/registry/care"} {
			body, status := c.get(p)
			if status != 503 || !strings.Contains(body, "数据密钥") {
				t.Errorf("%s GET %s without a key: %d", u, p, status)
			}
			if u == "admin" && !strings.Contains(body, "--data-key-file") {
				t.Errorf("the admin is not told how to set a key")
			}
		}
	}
	if _, status := login(t, base, "dispatcher").get("/registry"); status != 403 {
		t.Errorf("a dispatcher: %d", status)
	}
}

func mustID(t *testing.T, s string) int64 {
	t.Helper()
	id, err := registry.ParseID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
