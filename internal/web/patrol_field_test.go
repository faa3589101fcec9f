package web

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"hotline/internal/access"
	"hotline/internal/community/patrol"
)

// TestBrowserPatrolOffline: a volunteer on patrol without a connection
// writes two log entries and a finding with a photo that is to become an
// order; they wait on the phone through a reload without a connection,
// and once it returns each is stored exactly once and the finding became
// one order (source patrol).
func TestBrowserPatrolOffline(t *testing.T) {
	b := newBrowser(t, communityDemo)
	ctx := context.Background()
	vu := access.User{Username: "volunteer", Role: access.RoleVolunteer, Unit: "binyang"}
	d := today()
	from, to := d.UTC(), d.AddDate(0, 0, 1).UTC()
	shifts, _, err := b.m.Patrol.Shifts(ctx, vu, "", patrol.ShiftFilter{From: &from, To: &to, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	now, sid := time.Now(), ""
	for _, s := range shifts {
		if !s.StartsAt.After(now) && now.Before(s.EndsAt) && !s.Closed(now) {
			sid = s.ID
		}
	}
	if sid == "" {
		t.Fatalf("the demo volunteer has no open shift now: %+v", shifts)
	}
	count := func(q string) int {
		var n int
		if err := b.m.Store.DB().R.QueryRow(q, sid).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	const logged = `SELECT COUNT(*) FROM patrol_findings WHERE shift_id = $1`
	before := count(logged)
	orders := count(`SELECT COUNT(*) FROM orders WHERE source = 'patrol' AND $1 <> ''`)
	photo := filepath.Join(t.TempDir(), "photo.png")
	raw, _ := base64.StdEncoding.DecodeString(pngPixel)
	if err := os.WriteFile(photo, raw, 0o600); err != nil {
		t.Fatal(err)
	}

	v := b.as("volunteer")
	// The way in: the link on the volunteer's patrol page.
	v.do(chromedp.EmulateViewport(375, 740, chromedp.EmulateMobile), chromedp.Navigate(b.base+"/patrol"),
		chromedp.WaitVisible(chromedp.CSS("#field-log")))
	shift := `#shifts li[data-shift="` + sid + `"]`
	v.fieldReady("/field/patrol", `!!document.querySelector('`+shift+` form')`)
	v.setOnline(false)
	v.waitJS(`document.querySelector('#net').classList.contains('off')`)
	write := func(text, building string, withPhoto, order bool) {
		t.Helper()
		acts := []chromedp.Action[chromedp.Void]{chromedp.SendKeys(chromedp.CSS(shift+` textarea[name=text]`), text)}
		if building != "" {
			acts = append(acts, chromedp.SendKeys(chromedp.CSS(shift+` input[name=building]`), building))
		}
		if withPhoto {
			acts = append(acts, chromedp.SetUploadFiles(chromedp.CSS(shift+` input[name=photo]`), []string{photo}))
		}
		if order {
			acts = append(acts, chromedp.Click(chromedp.CSS(shift+` input[name=create_order]`)))
		}
		acts = append(acts, chromedp.Click(chromedp.CSS(shift+` button[type=submit]`)))
		v.do(acts...)
	}
	// An empty entry is refused on the phone and kept nowhere.
	v.do(chromedp.Click(chromedp.CSS(shift + ` button[type=submit]`)))
	v.waitJS(`document.querySelector('` + shift + ` .err').textContent !== ''`)
	write("8:10 三江小区南门巡查，一切正常", "", false, false)
	v.waitJS(`document.querySelector('#waiting').dataset.n === "1"`)
	write("28号楼楼道灯已修好", "28号楼", false, false)
	v.waitJS(`document.querySelector('#waiting').dataset.n === "2"`)
	write("29号楼东侧消防通道堆放建筑垃圾", "29号楼", true, true)
	v.waitJS(`document.querySelector('#waiting').dataset.n === "3"`)
	v.waitJS(`document.querySelectorAll('` + shift + ` li.entry.pending').length === 3`)
	v.screenshot("patrol_field_offline")

	v.do(chromedp.Reload())
	v.waitJS(`document.querySelectorAll('` + shift + ` li.entry.pending').length === 3 && document.querySelector('#waiting').dataset.n === "3"`)
	if n := count(logged); n != before {
		t.Fatalf("while offline the server holds %d findings of the shift, had %d", n, before)
	}

	v.setOnline(true)
	v.waitJS(`document.querySelector('#waiting').dataset.n === "0"`)
	v.waitJS(`document.querySelectorAll('` + shift + ` li.entry.pending').length === 0 && !!document.querySelector('` + shift + ` .ordernum')`)
	if n := count(logged); n != before+3 {
		t.Fatalf("after reconnecting the shift has %d findings, want %d", n, before+3)
	}
	if n := count(`SELECT COUNT(DISTINCT entry_id) FROM patrol_findings WHERE shift_id = $1`); n != 3 {
		t.Fatalf("%d distinct entry ids, want 3", n)
	}
	if n := count(`SELECT COUNT(*) FROM patrol_findings WHERE shift_id = $1 AND order_id IS NOT NULL AND photo IS NOT NULL AND building = '29号楼'`); n != 1 {
		t.Fatalf("%d findings with order and photo, want 1", n)
	}
	if n := count(`SELECT COUNT(*) FROM orders WHERE source = 'patrol' AND $1 <> ''`); n != orders+1 {
		t.Fatalf("patrol orders %d -> %d, want one more", orders, n)
	}
	// A second reload sends nothing again: the log is the server's.
	v.do(chromedp.Reload())
	v.waitJS(`document.querySelectorAll('` + shift + ` li.entry[data-finding]').length >= 3`)
	if n := count(logged); n != before+3 {
		t.Fatalf("after a reload the shift has %d findings, want %d", n, before+3)
	}
	if txt := v.text(shift + ` .findings`); !strings.Contains(txt, "28号楼楼道灯已修好") || !strings.Contains(txt, "工单") {
		t.Errorf("the log shows %q", txt)
	}
	v.screenshot("patrol_field_online")
}
