package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"hotline/internal/access"
	"hotline/internal/calendar"
	"hotline/internal/community/meeting"
)

// TestBrowserMeetingForms: a committee worker records a meeting on its
// page — minutes and decisions, a follow-up action (a due date in the past
// is refused beside its field and stores nothing), the action marked done,
// an order linked by its number (which then shows the meeting on its
// timeline; an unknown number is refused) — and reads the compound's
// thread, on a desk and on a 375-px phone.
func TestBrowserMeetingForms(t *testing.T) {
	b := newBrowser(t, communityDemo)
	ctx := context.Background()
	binyang := access.User{Username: "binyang", Role: access.RoleHandler, Unit: "binyang"}
	kind, topic, place, compound := "coordination", "浏览器测试：三江小区停车协调会", "居委会会议室", "sanjiang"
	start := time.Now().Add(-time.Hour)
	m, err := b.m.Meetings.Create(ctx, binyang, meeting.Input{Kind: &kind, Topic: &topic, Place: &place, Compound: &compound, StartsAt: &start})
	if err != nil {
		t.Fatal(err)
	}
	var oid, number string
	if err := b.m.Store.DB().R.QueryRow(`SELECT id, number FROM orders WHERE unit = 'binyang' ORDER BY id LIMIT 1`).Scan(&oid, &number); err != nil {
		t.Fatal(err)
	}
	actions := func() int {
		var n int
		if err := b.m.Store.DB().R.QueryRow(`SELECT COUNT(*) FROM meeting_actions WHERE meeting_id = $1`, m.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	w := b.as("binyang")
	w.open("/meetings/" + m.ID)
	w.do(chromedp.WaitVisible(chromedp.CSS(".minutesform")),
		chromedp.SendKeys(chromedp.CSS("#minutes-in"), "居民代表、物业和城管中队就夜间停车达成一致。"),
		chromedp.SendKeys(chromedp.CSS("#decisions-in"), "东门夜间开放临时停车位\n\n物业每周巡查一次\n"))
	w.clickAway(".minutesform button[type=submit]")
	w.do(chromedp.WaitVisible(chromedp.CSS(".flash.ok")))
	if n := w.eval("String(document.querySelectorAll('ol.decisions li').length)"); n != "2" {
		t.Fatalf("%s decisions shown, want 2", n)
	}
	if st := w.text("#meeting-status"); st != "已召开" {
		t.Errorf("status after minutes %q", st)
	}

	yesterday := time.Now().In(calendar.Shanghai).AddDate(0, 0, -1).Format("2006-01-02")
	w.do(chromedp.SendKeys(chromedp.CSS("#action-text"), "物业在东门设置临时停车标识"),
		chromedp.SendKeys(chromedp.CSS("#action-owner"), "binyang"),
		chromedp.SetValue(chromedp.CSS("#action-due"), yesterday),
		chromedp.Click(chromedp.CSS(".actionform button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(".actionform .err")))
	if n := actions(); n != 0 {
		t.Fatalf("a refused action was stored (%d)", n)
	}
	if v := w.eval("document.querySelector('#action-text').value"); v != "物业在东门设置临时停车标识" {
		t.Errorf("the refused form lost its text: %q", v)
	}
	nextWeek := time.Now().In(calendar.Shanghai).AddDate(0, 0, 7).Format("2006-01-02")
	w.do(chromedp.SetValue(chromedp.CSS("#action-due"), nextWeek))
	w.clickAway(".actionform button[type=submit]")
	w.do(chromedp.WaitVisible(chromedp.CSS(".flash.ok")))
	if n := actions(); n != 1 {
		t.Fatalf("%d actions stored, want 1", n)
	}
	if !strings.Contains(w.text("ul.actions"), "物业在东门设置临时停车标识") {
		t.Fatalf("actions %q", w.text("ul.actions"))
	}
	w.screenshot("meeting-forms")
	w.clickAway("ul.actions .doneform button")
	w.do(chromedp.WaitVisible(chromedp.CSS(".flash.ok")))
	if n := w.eval("String(document.querySelectorAll('ul.actions li.st-done').length)"); n != "1" {
		t.Fatalf("%s actions done, want 1", n)
	}

	// Link an order by its number; an unknown number is refused.
	w.do(chromedp.SendKeys(chromedp.CSS("#link-order"), "NO-SUCH-ORDER"),
		chromedp.Click(chromedp.CSS(".linkform button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(".linkform .err")))
	w.do(chromedp.SetValue(chromedp.CSS("#link-order"), number))
	w.clickAway(".linkform button[type=submit]")
	w.do(chromedp.WaitVisible(chromedp.CSS(".flash.ok")))
	if got, err := b.m.Meetings.Get(ctx, binyang, m.ID); err != nil || len(got.Orders) != 1 || got.Orders[0] != oid {
		t.Fatalf("linked orders %v (%v), want [%s]", got.Orders, err, oid)
	}
	w.open("/orders/" + oid)
	w.do(chromedp.WaitVisible(chromedp.CSS(`.tl-meeting a[href="/meetings/` + m.ID + `"]`)))

	// The compound's thread: the meeting, its decisions, in time order.
	w.open("/meetings/" + m.ID)
	w.do(chromedp.Click(chromedp.CSS("#thread-link")), chromedp.WaitVisible(chromedp.CSS("ol.thread")))
	thread := w.text("ol.thread")
	for _, want := range []string{topic, "东门夜间开放临时停车位", "物业每周巡查一次"} {
		if !strings.Contains(thread, want) {
			t.Errorf("the thread lacks %q", want)
		}
	}
	w.do(chromedp.EmulateViewport(375, 800))
	if sw := w.eval("String(document.documentElement.scrollWidth)"); sw != "375" {
		t.Errorf("the thread is %s px wide on a 375-px phone", sw)
	}
	w.screenshot("meeting-thread-phone")
	w.open("/meetings/" + m.ID)
	w.do(chromedp.WaitVisible(chromedp.CSS(".actionform")))
	if sw := w.eval("String(document.documentElement.scrollWidth)"); sw != "375" {
		t.Errorf("the meeting page is %s px wide on a 375-px phone", sw)
	}
	w.screenshot("meeting-phone")
}
