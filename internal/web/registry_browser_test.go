package web

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"hotline/internal/app"
	"hotline/internal/community/registry"
	"hotline/internal/place"
	"hotline/internal/seal"
)

// withRegistry serves the registry and its pages with a fresh data key;
// full also loads the demo registry at 宾阳路's real size.
func withRegistry(t testing.TB, full bool) func(*app.Config) {
	content, err := seal.Generate()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := seal.Parse(content)
	if err != nil {
		t.Fatal(err)
	}
	return func(c *app.Config) {
		c.DataKey, c.RegistryWeb, c.DemoRegistry, c.Sweep = keys, MountRegistry, full, time.Hour
	}
}

// auditCount counts the audit rows of an action on a target.
func auditCount(t testing.TB, m *app.Main, action, target string) int {
	t.Helper()
	var n int
	if err := m.Store.DB().R.QueryRowContext(context.Background(), `SELECT count(*) FROM audit_log WHERE action = $1 AND target = $2`, action, target).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// noHorizontalScroll fails when the page is wider than the phone.
func (u *user) noHorizontalScroll(page string) {
	u.b.t.Helper()
	if w := u.eval(`String(document.documentElement.scrollWidth) + "/" + String(window.innerWidth)`); func() bool {
		a, b, _ := strings.Cut(w, "/")
		return len(a) > len(b) || (len(a) == len(b) && a > b)
	}() {
		u.b.t.Errorf("%s scrolls sideways at 375 px: scrollWidth/innerWidth = %s", page, w)
	}
}

// TestBrowserRegistry walks the registry as 宾阳路's community worker:
// compound → building plan → household → resident, reveals an ID number
// (asked why, audited, shown), prints the care list, and checks every
// registry page on a 375-px phone for sideways scrolling.
func TestBrowserRegistry(t *testing.T) {
	b := newBrowser(t, withRegistry(t, true))
	if b.shot != "" && os.Getenv("HOTLINE_SCREENSHOTS_DIR") != "" {
		b.shot = os.Getenv("HOTLINE_SCREENSHOTS_DIR")
	}
	h := b.as("binyang")
	h.open("/registry")
	if s := h.text("main"); !strings.Contains(s, "实有人口") || !strings.Contains(s, "三江小区") {
		t.Fatalf("registry home: %s", s)
	}
	h.screenshot("registry-home")
	h.open("/registry/compounds/sanjiang")
	h.screenshot("registry-compound")
	h.open("/registry/buildings/sanjiang-29?tag=elderly_80plus")
	if s := h.text("main"); !strings.Contains(s, "低洼") || !strings.Contains(s, "户型分布图") {
		t.Fatalf("building page: %s", s)
	}
	h.screenshot("registry-building")
	// The first household with people: its page, then its first resident.
	h.do(chromedp.Click(chromedp.CSS(`td.hh.k-residential a`)), chromedp.WaitVisible(chromedp.CSS(`.reg-people a`)))
	h.screenshot("registry-household")
	h.do(chromedp.Click(chromedp.CSS(`.reg-people a`)), chromedp.WaitVisible(chromedp.CSS(`#pf`)))
	id := h.eval(`location.pathname.split("/").pop()`)
	masked := h.text(`.masked[data-field=id_number]`)
	if !strings.Contains(masked, "***") {
		t.Fatalf("the ID number is not masked: %q", masked)
	}
	// The reveal asks why: the reason is required before anything is sent.
	before := auditCount(t, b.m, "resident.reveal", "resident:"+id)
	h.do(chromedp.Click(chromedp.CSS(`#f-id_number summary`)), chromedp.WaitVisible(chromedp.CSS(`#reason-id_number`)))
	h.screenshot("registry-resident-reveal")
	h.do(chromedp.Click(chromedp.CSS(`#f-id_number button[type=submit]`)))
	if v := h.eval(`String(document.querySelector("#reason-id_number").validity.valueMissing)`); v != "true" {
		t.Fatalf("the reveal did not ask for a reason (valueMissing %s)", v)
	}
	if n := auditCount(t, b.m, "resident.reveal", "resident:"+id); n != before {
		t.Fatalf("a reveal without a reason was audited")
	}
	h.do(chromedp.SendKeys(chromedp.CSS(`#reason-id_number`), "上门走访前核对身份"),
		chromedp.Click(chromedp.CSS(`#f-id_number button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`output.revealed[data-field=id_number]`)))
	full := h.text(`output.revealed[data-field=id_number]`)
	if len(full) != 18 || !strings.HasPrefix(full, "990000") || full[len(full)-4:] != masked[len(masked)-4:] {
		t.Fatalf("revealed %q for masked %q", full, masked)
	}
	if n := auditCount(t, b.m, "resident.reveal", "resident:"+id); n != before+1 {
		t.Fatalf("the reveal wrote %d audit rows", n-before)
	}
	var detail string
	if err := b.m.Store.DB().R.QueryRow(`SELECT detail FROM audit_log WHERE action = 'resident.reveal' AND target = $1 ORDER BY id DESC LIMIT 1`, "resident:"+id).Scan(&detail); err != nil || !strings.Contains(detail, "上门走访前核对身份") || !strings.Contains(detail, "id_number") {
		t.Fatalf("the audit row does not say which field and why: %q %v", detail, err)
	}
	h.screenshot("registry-resident-revealed")
	// Shown once: reloading the page masks it again.
	h.open("/registry/residents/" + id)
	if s := h.text("main"); strings.Contains(s, full) {
		t.Fatal("the revealed ID number is still shown after a reload")
	}
	h.open("/registry/care?low_lying=1")
	if s := h.text("main"); !strings.Contains(s, "29号楼") {
		t.Fatalf("the low-lying care list lacks 29号楼: %s", s)
	}
	h.screenshot("registry-care")
	// Printed: no header, no filters, the print date shown.
	media := func(m string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: m})
			return err
		})
	}
	h.do(media("print"))
	if s := h.eval(`[getComputedStyle(document.querySelector("header.top")).display, getComputedStyle(document.querySelector("form.reg-filter")).display, getComputedStyle(document.querySelector(".printonly")).display].join(",")`); s != "none,none,block" {
		t.Errorf("the care list in print: header, filters, print date display %s", s)
	}
	h.do(media(""))

	// The phone: no registry page scrolls sideways at 375 px.
	h.do(chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile))
	for _, p := range []struct{ path, shot string }{
		{"/registry", "registry-home-phone"},
		{"/registry/compounds/ruiyuan", ""},
		{"/registry/buildings/ruiyuan-1", "registry-building-phone"},
		{"/registry/buildings/sanjiang-29", ""},
		{"/registry/households/1", ""},
		{"/registry/residents/" + id, "registry-resident-phone"},
		{"/registry/care", ""},
		{"/registry/care?low_lying=1&tag=elderly_alone", "registry-care-phone"},
		{"/registry/import", "registry-import-phone"},
	} {
		h.open(p.path)
		h.noHorizontalScroll(p.path)
		if p.shot != "" {
			h.screenshot(p.shot)
		}
	}
	// English, one language per page.
	h.open("/registry/buildings/sanjiang-29?lang=en&tag=elderly_alone")
	if s := h.text("main"); !strings.Contains(s, "Floor plan") || strings.Contains(s, "户型分布图") {
		t.Errorf("the English building page: %s", s)
	}
	h.screenshot("registry-building-en-phone")
	h.open("/registry?lang=zh")
	if b.shot != "" {
		if _, err := os.Stat(filepath.Join(b.shot, "registry-home.png")); err != nil {
			t.Error(err)
		}
	}
}

// demoID is a checksummed ID number in the demo's reserved region.
func demoID(birth string, seq int) string {
	first := "990000" + birth + fmt.Sprintf("%03d", seq)
	return first + string(registry.CheckDigitOf(first))
}

// TestBrowserRegistryImport uploads a sheet with one bad row: the page
// shows its line and reason and nothing is written; the corrected sheet
// then imports, with the progress bar run to its end.
func TestBrowserRegistryImport(t *testing.T) {
	b := newBrowser(t, withRegistry(t, false))
	if b.shot != "" && os.Getenv("HOTLINE_SCREENSHOTS_DIR") != "" {
		b.shot = os.Getenv("HOTLINE_SCREENSHOTS_DIR")
	}
	h := b.as("binyang")
	admin, err := b.m.Store.UserByName(context.Background(), "admin")
	if err != nil {
		t.Fatal(err)
	}
	residents := func() int {
		s, err := b.m.Registry.Summary(context.Background(), admin, "binyang")
		if err != nil {
			t.Fatal(err)
		}
		return s.Residents
	}
	dir := t.TempDir()
	head := "小区,楼号,室号,姓名,性别,身份证号,联系电话,关爱标签\n"
	good1 := "三江小区,29号楼,101,赵演示甲,男," + demoID("19400101", 1) + ",13800001001,独居老人\n"
	good2 := "三江小区,29号楼,102,钱演示乙,女," + demoID("19520202", 2) + ",13800001002,\n"
	bad := "三江小区,29号楼,103,孙演示丙,男,99000019400303,13800001003,\n"
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	before := residents()
	h.open("/registry/import")
	h.do(chromedp.SetUploadFiles(chromedp.CSS(`#file`), []string{write("bad.csv", head+good1+good2+bad)}),
		chromedp.Click(chromedp.CSS(`#import-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.import-bad .line`)))
	if s := h.text(`.import-bad`); !strings.Contains(s, "第 4 行") || !strings.Contains(s, "没有写入") || !strings.Contains(s, "应为 18 位") {
		t.Fatalf("the bad row is not reported with its line: %s", s)
	}
	if v := h.eval(`String(document.getElementById("import-progress").value)`); v != "100" {
		t.Errorf("progress bar at %s after the answer", v)
	}
	h.screenshot("registry-import-bad")
	if n := residents(); n != before {
		t.Fatalf("a sheet with a bad row wrote %d residents", n-before)
	}
	h.open("/registry/import")
	h.do(chromedp.SetUploadFiles(chromedp.CSS(`#file`), []string{write("good.csv", head+good1+good2)}),
		chromedp.Click(chromedp.CSS(`#import-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.import-done`)))
	if n := residents(); n != before+2 {
		t.Fatalf("the corrected sheet wrote %d residents, want 2", n-before)
	}
	h.screenshot("registry-import-done")
}

// TestBrowserRegistryEdit edits a resident as 宾阳路's community worker in
// Chromium: the form's save (with the version it read), a save that meets
// someone else's newer one (the page shows their record and keeps what was
// typed), a move-out from the resident page (the record stays, status
// changed); then the editing pages on a 375-px phone.
func TestBrowserRegistryEdit(t *testing.T) {
	b := newBrowser(t, withRegistry(t, false))
	if b.shot != "" && os.Getenv("HOTLINE_SCREENSHOTS_DIR") != "" {
		b.shot = os.Getenv("HOTLINE_SCREENSHOTS_DIR")
	}
	ctx := context.Background()
	admin, err := b.m.Store.UserByName(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	hh, err := b.m.Registry.CreateHousehold(ctx, admin, place.NewHousehold{Building: "sanjiang-29", UnitNo: "1", Room: "302"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := b.m.Registry.CreateResident(ctx, admin, registry.NewResident{Household: hh.ID, Name: "郑演示甲", IDNumber: demoID("19380808", 21),
		Phone: "13800001021", CareTags: []registry.CareTag{registry.Elderly80Plus}, Notes: "耳背，敲门要重"})
	if err != nil {
		t.Fatal(err)
	}
	id := mustID(t, r.ID)
	stored := func() registry.Resident {
		got, err := b.m.Registry.Resident(ctx, admin, id)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	h := b.as("binyang")
	h.open("/registry/residents/" + r.ID)
	h.do(chromedp.Click(chromedp.CSS(`#edit-resident`)), chromedp.WaitVisible(chromedp.CSS(`#resident-form`)))
	if ph := h.eval(`document.querySelector("#phone").placeholder`); ph != "138****1021" {
		t.Fatalf("the phone's placeholder is %q, want it masked", ph)
	}
	h.screenshot("registry-resident-edit")
	h.do(chromedp.SetValue(chromedp.CSS(`#name`), "郑演示乙"),
		chromedp.Click(chromedp.CSS(`input[name=care_tags][value=elderly_alone]`)),
		chromedp.SetValue(chromedp.CSS(`#phone`), "13800001022"),
		chromedp.Click(chromedp.CSS(`#resident-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash.ok`)))
	got := stored()
	if got.Name != "郑演示乙" || got.Version != 2 || len(got.CareTags) != 2 || got.Phone != "138****1022" || got.Notes == "" {
		t.Fatalf("after the save: %+v", got)
	}
	// Someone else saves while the form is open.
	h.open("/registry/residents/" + r.ID + "/edit")
	name := "郑演示丙"
	v := got.Version
	if _, err := b.m.Registry.PatchResident(ctx, admin, id, registry.Patch{Version: &v, Name: &name}); err != nil {
		t.Fatal(err)
	}
	h.do(chromedp.SetValue(chromedp.CSS(`#name`), "郑演示丁"),
		chromedp.Click(chromedp.CSS(`#resident-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.reg-current`)))
	if s := h.text("main"); !strings.Contains(s, "有人修改了这位居民的信息") || !strings.Contains(h.text(".reg-current"), "郑演示丙") {
		t.Fatalf("the stale save's page: %s", s)
	}
	if typed := h.eval(`document.querySelector("#name").value`); typed != "郑演示丁" {
		t.Fatalf("what was typed is lost: %q", typed)
	}
	h.screenshot("registry-resident-edit-stale")
	if got := stored(); got.Name != "郑演示丙" {
		t.Fatalf("the stale save wrote: %+v", got)
	}
	// Move out from the resident page.
	h.open("/registry/residents/" + r.ID)
	h.do(chromedp.Click(chromedp.CSS(`.reg-moveout summary`)), chromedp.WaitVisible(chromedp.CSS(`#moveout-form button`)))
	h.screenshot("registry-resident-moveout")
	h.do(chromedp.Click(chromedp.CSS(`#moveout-form button[type=submit]`)), chromedp.WaitVisible(chromedp.CSS(`.flash.ok`)))
	if got := stored(); got.Status != registry.MovedOut || got.Name != "郑演示丙" {
		t.Fatalf("after the move-out: %+v", got)
	}
	if s := h.text("main"); !strings.Contains(s, "已迁出") || strings.Contains(s, "修改信息") {
		t.Fatalf("the moved-out resident's page: %s", s)
	}
	// The household shows the moved-out person still, with the status.
	h.open("/registry/households/" + hh.ID)
	if s := h.text(".reg-people"); !strings.Contains(s, "郑演示丙") || !strings.Contains(s, "已迁出") {
		t.Fatalf("the household page: %s", s)
	}
	// The phone.
	h.do(chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile))
	other, err := b.m.Registry.CreateResident(ctx, admin, registry.NewResident{Household: hh.ID, Name: "王演示戊", IDNumber: demoID("19600101", 22), Relation: "spouse"})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []struct{ path, shot string }{
		{"/registry/residents/" + other.ID, "registry-resident-actions-phone"},
		{"/registry/residents/" + other.ID + "/edit", "registry-resident-edit-phone"},
		{"/registry/households/" + hh.ID, "registry-household-phone"},
		{"/registry/households/" + hh.ID + "/edit", "registry-household-edit-phone"},
		{"/registry/households/" + hh.ID + "/residents/new", ""},
		{"/registry/households/new?building=sanjiang-29", ""},
		{"/registry/export", "registry-export-phone"},
	} {
		h.open(p.path)
		h.noHorizontalScroll(p.path)
		if p.shot != "" {
			h.screenshot(p.shot)
		}
	}
	h.open("/registry/residents/" + other.ID + "/edit?lang=en")
	if s := h.text("main"); !strings.Contains(s, "ID number") || strings.Contains(s, "身份证号") {
		t.Errorf("the English edit page: %s", s)
	}
	h.screenshot("registry-resident-edit-en-phone")
}
