package web

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"hotline/internal/order"
	"hotline/internal/photoclean"
	"hotline/internal/service"
	"hotline/internal/store"
)

var pdfPage = regexp.MustCompile(`/Type\s*/Page\b`)

// TestBrowserPrintOrder: an order with a working life's timeline prints on
// one A4 page, without the site's header, and the order page links to it;
// the order page with site photos on a desk and on a phone (the
// thumbnails open large).
func TestBrowserPrintOrder(t *testing.T) {
	b := newBrowser(t)
	ctx := t.Context()
	o := inProgress(t, b.m)
	hand := service.Actor{Username: "binyang", Role: order.RoleHandler, Unit: "binyang"}
	c, err := photoclean.Process("photos", gpsJPEG(t))
	if err != nil {
		t.Fatal(err)
	}
	ph := store.Photo{ContentType: c.ContentType, Width: c.Width, Height: c.Height, Size: len(c.Data), Data: c.Data}
	for i, text := range []string{"现场查看：3号楼一至六楼楼道堆放纸箱、旧家具，消防通道宽度不足一米。", "已张贴限期清理通知，联系物业安排清运。",
		"物业清运两车，剩余旧家具业主承诺周末自行处理。", "周末复查，楼道已清空。"} {
		v, _ := b.m.Svc.GetOrder(ctx, hand, o.ID)
		var photos []store.Photo
		if i == 0 || i == 3 {
			photos = []store.Photo{ph, ph}
		}
		if _, err := b.m.Svc.ActWithPhotos(ctx, hand, o.ID, order.ActNote, order.Input{Version: &v.Version, Kind: "site_visit", Text: text}, photos); err != nil {
			t.Fatal(err)
		}
	}
	v, _ := b.m.Svc.GetOrder(ctx, hand, o.ID)
	yes := true
	if _, err := b.m.Svc.ActWithPhotos(ctx, hand, o.ID, order.ActReply, order.Input{Version: &v.Version, Result: "resolved",
		Text: "经现场查看，3号楼楼道杂物已由物业和业主全部清理，消防通道已畅通，已电话告知钱先生。", Resolved: &yes}, []store.Photo{ph}); err != nil {
		t.Fatal(err)
	}

	d := b.as("dispatcher")
	d.open("/orders/" + o.ID)
	d.do(chromedp.Click(chromedp.CSS("a.print-link")), chromedp.WaitVisible(chromedp.CSS("article.sheet")))
	if s := d.text("article.sheet"); !strings.Contains(s, o.Number) || !strings.Contains(s, "周末复查，楼道已清空") || !strings.Contains(s, "附照片 2 张") {
		t.Errorf("the print view lacks the number, the timeline or the photo count:\n%s", s)
	}
	d.screenshot("order-print")
	pdf, err := chromedp.Run(d.ctx, chromedp.Action[[]byte](func(ctx context.Context, tg *chromedp.Target) ([]byte, error) {
		res, err := cdp.Call(ctx, tg, page.PrintToPDF, page.PrintToPDFParams{PreferCSSPageSize: &yes})
		if err != nil {
			return nil, err
		}
		return res.Data, nil
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF")) {
		t.Fatalf("not a PDF: %q", pdf[:min(len(pdf), 20)])
	}
	if n := len(pdfPage.FindAll(pdf, -1)); n != 1 {
		t.Errorf("the order prints on %d pages, want one A4 page", n)
	}
	if s := d.eval(`getComputedStyle(document.querySelector(".tools")).display`); s == "none" {
		t.Errorf("the print button is hidden on screen")
	}

	// The order page with the site photos: thumbnails in the timeline,
	// one opens large; on a desk and on a phone.
	h := b.as("binyang")
	h.open("/orders/" + o.ID)
	if n := h.eval(`String(document.querySelectorAll(".timeline .tl-photos img").length)`); n != "10" { // 5 thumbnails + 5 enlargements
		t.Errorf("%s photo images in the timeline, want 10", n)
	}
	h.screenshot("order-site-photos")
	h.do(chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile))
	h.open("/orders/" + o.ID)
	if w := h.eval(`String(document.documentElement.scrollWidth)`); w != "375" {
		t.Errorf("the order page scrolls sideways on a phone: %s px", w)
	}
	h.screenshot("order-site-photos-phone")
	h.do(chromedp.Click(chromedp.CSS(".timeline .tl-photos li a[href^='#tlphoto-']")))
	if s := h.eval(`getComputedStyle(document.querySelector(".timeline .lightbox:target")).position`); s != "fixed" {
		t.Errorf("the thumbnail does not open the photo large: %s", s)
	}
	h.screenshot("order-site-photo-open-phone")
	h.open("/orders/" + o.ID + "/print")
	if w := h.eval(`String(document.documentElement.scrollWidth)`); w != "375" {
		t.Errorf("the print view scrolls sideways on a phone: %s px", w)
	}
	h.screenshot("order-print-phone")

	// Intake: typing a repeat caller's number lists the earlier order.
	op := b.as("operator")
	op.open("/intake")
	op.do(chromedp.SendKeys(chromedp.CSS("#caller_phone"), "13800007777"))
	// The lookup runs 400 ms after the last key: on a loaded machine the
	// keys come slower than that, and a lookup of the first digits answers
	// "no earlier orders" before the whole number's does. Wait for the
	// answer about the whole number (it names the order, or the wait fails).
	op.waitJS(fmt.Sprintf(`(document.querySelector('#caller-history')?.textContent ?? '').includes(%q)`, o.Number))
	if s := op.text("#caller-history"); !strings.Contains(s, o.Number) || !strings.Contains(s, "楼道堆放杂物") {
		t.Errorf("intake does not list the caller's earlier order: %s", s)
	}
	op.screenshot("intake-caller-history")
	op.do(chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile))
	if w := op.eval(`String(document.documentElement.scrollWidth)`); w != "375" {
		t.Errorf("intake scrolls sideways on a phone: %s px", w)
	}
	op.screenshot("intake-caller-history-phone")

	// The password page, from the header's name, on a phone and a desk;
	// the search with its export links; the admin's reset.
	op.do(chromedp.Click(chromedp.CSS("header a.who")), chromedp.WaitVisible(chromedp.CSS("#old_password")))
	if w := op.eval(`String(document.documentElement.scrollWidth)`); w != "375" {
		t.Errorf("the password page scrolls sideways on a phone: %s px", w)
	}
	op.screenshot("account-password-phone")
	op.do(chromedp.EmulateViewport(1280, 900))
	op.screenshot("account-password")
	d.open("/search?q=" + url.QueryEscape("楼道堆放杂物"))
	if s := d.text(".export-links"); !strings.Contains(s, "Excel") || !strings.Contains(s, "CSV") {
		t.Errorf("the search page's export links: %q", s)
	}
	d.screenshot("search-export")
	ad := b.as("admin")
	ad.open("/admin/users")
	ad.do(chromedp.Click(chromedp.CSS("details.reset-pw summary")))
	ad.screenshot("admin-users-reset")
}
