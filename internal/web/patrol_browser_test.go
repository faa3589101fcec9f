package web

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"hotline/internal/app"
	"hotline/internal/calendar"
	"hotline/internal/seal"
)

// communityDemo loads the patrol and meeting demo into the browser tests'
// server, with a data key (patrols are off without one).
func communityDemo(c *app.Config) {
	c.DemoCommunity = true
	if c.DataKey == nil {
		content, err := seal.Generate()
		if err != nil {
			panic(err)
		}
		if c.DataKey, err = seal.Parse(content); err != nil {
			panic(err)
		}
	}
}

// a 1×1 PNG, as a phone camera's photo stands in.
const pngPixel = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="

// TestBrowserPatrolPhone: the volunteer's phone home on a 375-px screen:
// today's shift, check in, a finding with a photo that becomes a work
// order (source patrol), check out.
func TestBrowserPatrolPhone(t *testing.T) {
	b := newBrowser(t, communityDemo)
	v := b.as("volunteer")
	v.do(chromedp.EmulateViewport(375, 800), chromedp.Navigate(b.base+"/"), chromedp.WaitVisible(chromedp.CSS(".shift")))
	if loc := v.eval("location.pathname"); loc != "/patrol" {
		t.Fatalf("a volunteer lands on %s", loc)
	}
	if w := v.eval("String(document.documentElement.scrollWidth)"); w != "375" {
		t.Errorf("the phone page is %s px wide at 375", w)
	}
	v.screenshot("patrol-phone")
	v.clickAway("form[action$='/check_in'] button")
	v.do(chromedp.WaitVisible(chromedp.CSS(".flash.ok")))
	if !strings.Contains(v.text(".flash.ok"), "已签到") {
		t.Fatalf("flash %q", v.text(".flash.ok"))
	}
	photo := filepath.Join(t.TempDir(), "photo.png")
	raw, _ := base64.StdEncoding.DecodeString(pngPixel)
	if err := os.WriteFile(photo, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	orders := 0
	b.m.Store.DB().R.QueryRow(`SELECT COUNT(*) FROM orders WHERE source = 'patrol'`).Scan(&orders)
	v.do(chromedp.Click(chromedp.CSS("details.finding > summary")),
		chromedp.SendKeys(chromedp.CSS("details.finding textarea[name=text]"), "29号楼东侧消防通道堆放建筑垃圾"),
		chromedp.SendKeys(chromedp.CSS("details.finding input[name=building]"), "29号楼"),
		chromedp.SetUploadFiles(chromedp.CSS("details.finding input[name=photo]"), []string{photo}),
		chromedp.Click(chromedp.CSS("details.finding input[name=create_order]")))
	// What the form sends, kept to send it again (a double tap, a resend).
	resend := v.eval(`(() => { const f = document.querySelector("details.finding form"); const d = new FormData(f);
		return JSON.stringify({action: f.action, csrf: d.get("csrf"), entry: d.get("entry_id")}) })()`)
	if !strings.Contains(resend, `"entry":"`) || strings.Contains(resend, `"entry":""`) {
		t.Fatalf("the finding form carries no entry_id: %s", resend)
	}
	v.clickAway("details.finding button[type=submit]")
	if msg := v.text(".flash.ok"); !strings.Contains(msg, "生成工单") {
		t.Fatalf("flash %q", msg)
	}
	// The same form sent again stores nothing new.
	got, err := chromedp.Run(v.ctx, chromedp.Evaluate[string](`(async () => { const s = `+resend+`; const d = new FormData(); d.set("csrf", s.csrf); d.set("entry_id", s.entry);
		d.set("text", "29号楼东侧消防通道堆放建筑垃圾"); d.set("building", "29号楼"); d.set("create_order", "on");
		d.set("photo", new Blob([Uint8Array.from(atob("`+pngPixel+`"), c => c.charCodeAt(0))], {type: "image/png"}), "photo.png");
		const r = await fetch(s.action, {method: "POST", body: d}); return r.ok ? "true" : r.status + " " + (await r.text()).slice(0, 300) })()`, chromedp.EvalAwaitPromise))
	if err != nil || got != "true" {
		t.Errorf("resending the finding form: ok=%s, %v", got, err)
	}
	after := 0
	b.m.Store.DB().R.QueryRow(`SELECT COUNT(*) FROM orders WHERE source = 'patrol'`).Scan(&after)
	var withPhoto int
	b.m.Store.DB().R.QueryRow(`SELECT COUNT(*) FROM patrol_findings WHERE photo IS NOT NULL AND order_id IS NOT NULL`).Scan(&withPhoto)
	if after != orders+1 || withPhoto != 1 {
		t.Fatalf("patrol orders %d -> %d, findings with photo and order %d", orders, after, withPhoto)
	}
	if !strings.Contains(v.text(".findings"), "工单") {
		t.Error("the finding does not show its order")
	}
	v.screenshot("patrol-phone-finding")
	v.clickAway("form[action$='/check_out'] button")
	v.do(chromedp.WaitVisible(chromedp.CSS(".flash.ok")))
	if !strings.Contains(v.text(".flash.ok"), "已签退") {
		t.Fatalf("flash %q", v.text(".flash.ok"))
	}
}

// TestBrowserPatrolPlan: a committee worker plans a week for a team and
// reads the rota and the coverage grid.
func TestBrowserPatrolPlan(t *testing.T) {
	b := newBrowser(t, communityDemo)
	w := b.as("binyang")
	from := time.Now().In(calendar.Shanghai).AddDate(0, 0, 8)
	to := from.AddDate(0, 0, 6)
	w.open("/patrol/plan")
	w.do(chromedp.WaitVisible(chromedp.CSS(".planform")),
		chromedp.SetValue(chromedp.CSS("#from"), from.Format("2006-01-02")),
		chromedp.SetValue(chromedp.CSS("#to"), to.Format("2006-01-02")),
		chromedp.Click(chromedp.CSS("input[name=compounds][value=sanjiang]")),
		chromedp.Click(chromedp.CSS("input[name=compounds][value=binyang_xincun]")))
	w.clickAway(".planform button[type=submit]")
	w.do(chromedp.WaitVisible(chromedp.CSS(".flash.ok")))
	if msg := w.text(".flash.ok"); !strings.Contains(msg, "已排 28 个班次") {
		t.Fatalf("flash %q", msg)
	}
	if rows := w.eval("String(document.querySelectorAll('table.rota tbody tr').length)"); rows == "0" {
		t.Fatal("no rota rows")
	}
	if !strings.Contains(w.text("table.rota"), "（演示）") {
		t.Error("the rota shows no volunteer names")
	}
	w.screenshot("patrol-plan")
	w.open("/patrol/coverage")
	w.do(chromedp.WaitVisible(chromedp.CSS("table.covgrid")))
	if n := w.eval("String(document.querySelectorAll('td.cov-covered').length)"); n == "0" {
		t.Error("the coverage grid shows nothing covered this week")
	}
	w.do(chromedp.EmulateViewport(375, 800))
	w.screenshot("patrol-coverage")
}

// TestBrowserMeetingOnOrder: a worker convenes a meeting about an order
// from the order's page; the meeting shows on the order's timeline and
// opens from there.
func TestBrowserMeetingOnOrder(t *testing.T) {
	b := newBrowser(t, communityDemo)
	w := b.as("binyang")
	w.open("/inbox?step=progress")
	w.do(chromedp.WaitVisible(chromedp.CSS(".ocard a.num")))
	href := w.eval("document.querySelector('.ocard a.num').getAttribute('href')")
	w.open(href)
	w.do(chromedp.Click(chromedp.CSS("a.meeting-new")), chromedp.WaitVisible(chromedp.CSS(".meetingform")),
		chromedp.SendKeys(chromedp.CSS("#topic"), "浏览器测试协调会"),
		chromedp.SetValue(chromedp.CSS("#starts_at"), time.Now().In(calendar.Shanghai).Add(48*time.Hour).Format("2006-01-02T15:04")),
		chromedp.SendKeys(chromedp.CSS("#place"), "居委会会议室"),
		chromedp.SendKeys(chromedp.CSS("#participants"), "居民代表（演示）"),
		chromedp.Click(chromedp.CSS(".meetingform button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(".tl-meeting a")))
	if loc := w.eval("location.pathname"); loc != href {
		t.Fatalf("after the meeting: %s, want the order %s", loc, href)
	}
	if tl := w.text(".timeline"); !strings.Contains(tl, "浏览器测试协调会") {
		t.Fatalf("the timeline lacks the meeting: %s", tl)
	}
	w.screenshot("meeting-on-order")
	w.do(chromedp.Click(chromedp.CSS(".tl-meeting a")), chromedp.WaitVisible(chromedp.CSS("h1.pagetitle")))
	if h := w.text("h1.pagetitle"); !strings.Contains(h, "浏览器测试协调会") || !strings.Contains(h, "协调会") {
		t.Fatalf("meeting page %q", h)
	}
}
