package web

import (
	"os"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserDaily checks the layout points of issue 18 in Chromium: on a
// 375-px phone the order's actions come before its timeline; at 1,440 px
// the search button's label stays on one line. HOTLINE_SHOTS18=DIR saves
// screenshots of the changed pages there (desk and phone) to look at.
func TestBrowserDaily(t *testing.T) {
	b := newBrowser(t)
	if d := os.Getenv("HOTLINE_SHOTS18"); d != "" {
		b.shot = d
	}
	h := b.as("binyang")
	h.open("/inbox?step=progress")
	id := orderLink.FindStringSubmatch(h.eval(`document.querySelector('main a[href^="/orders/"]').getAttribute('href')`))
	if id == nil {
		t.Fatal("no order in progress for the committee")
	}
	h.do(chromedp.EmulateViewport(375, 812))
	h.open("/orders/" + id[1])
	act, _ := strconv.ParseFloat(h.eval(`String(document.querySelector('.actions-card').getBoundingClientRect().top)`), 64)
	tl, _ := strconv.ParseFloat(h.eval(`String(document.querySelector('#h-tl').getBoundingClientRect().top)`), 64)
	if act >= tl {
		t.Errorf("on a phone the actions (top %.0f) sit below the timeline (top %.0f)", act, tl)
	}
	h.screenshot("issue18-order-phone")
	h.do(chromedp.EmulateViewport(1280, 900))
	h.open("/orders/" + id[1])
	h.screenshot("issue18-order-desk")

	d := b.as("dispatcher")
	d.do(chromedp.EmulateViewport(1440, 900))
	d.open("/search?q=噪音")
	lines := d.eval(`(() => { const b = document.querySelector('.qrow .btn'); const lh = parseFloat(getComputedStyle(b).lineHeight) || 24; return String(Math.round(b.getBoundingClientRect().height / lh)) })()`)
	if n, _ := strconv.Atoi(lines); n > 2 {
		t.Errorf("the search button's label wraps at 1,440 px (%s line heights)", lines)
	}
	h2 := d.eval(`String(document.querySelector('.qrow .btn').scrollWidth <= document.querySelector('.qrow .btn').clientWidth + 1 && getComputedStyle(document.querySelector('.qrow .btn')).whiteSpace)`)
	if h2 != "nowrap" {
		t.Errorf("the search button may wrap: %s", h2)
	}
	d.screenshot("issue18-search-desk")
	d.open("/dashboard")
	d.screenshot("issue18-dashboard-desk")
	op := b.as("operator")
	op.open("/queue")
	op.screenshot("issue18-callbacks-desk")
	op.do(chromedp.EmulateViewport(375, 812))
	op.open("/notifications")
	op.screenshot("issue18-notifications-phone")
}
