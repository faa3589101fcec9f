package web

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"hotline/internal/dashboard"
)

// TestBrowserDashboards loads each dashboard as a leader in Chromium: the
// charts are drawn, the numbers equal the API's, and the screenshots
// docs/screenshots/dashboard-*.png (the big screen at 1920×1080).
func TestBrowserDashboards(t *testing.T) {
	b := newBrowser(t, withIntel)
	lead := b.as("leader")
	var ov dashboard.Overview
	api := login(t, b.base, "leader")
	api.getJSON("/api/v1/dashboard/overview", &ov)

	lead.open("/dashboard")
	lead.do(chromedp.WaitVisible(chromedp.CSS(`[data-chart="c-perday"] canvas`)))
	if got := lead.text("#ov-in"); got != fmt.Sprint(ov.OrdersIn) {
		t.Errorf("orders in: page %s, API %d", got, ov.OrdersIn)
	}
	if got := lead.text("#ov-overdue"); got != fmt.Sprint(ov.OverdueNow) {
		t.Errorf("overdue now: page %s, API %d", got, ov.OverdueNow)
	}
	if open := lead.eval(`String(document.querySelector('details.chart-table').open)`); open != "false" {
		t.Error("with JavaScript on, the chart's table is not folded away")
	}
	if over := lead.eval(`String(document.documentElement.scrollWidth > window.innerWidth)`); over != "false" {
		t.Error("the overview is wider than the window")
	}
	lead.screenshot("dashboard-overview")

	for _, pg := range []struct{ path, wait, shot string }{
		{"/dashboard/ranking", `[data-chart="c-rank"] canvas`, "dashboard-ranking"},
		{"/dashboard/trends", `#trend-cats`, "dashboard-trends"},
		{"/dashboard/map", `svg.dmap polygon`, "dashboard-map"},
		{"/dashboard/praise", `#praise-units`, "dashboard-praise"},
	} {
		lead.open(pg.path)
		lead.do(chromedp.WaitVisible(chromedp.CSS(pg.wait)))
		if over := lead.eval(`String(document.documentElement.scrollWidth > window.innerWidth)`); over != "false" {
			t.Errorf("%s is wider than the window", pg.path)
		}
		lead.screenshot(pg.shot)
	}
	// A click on a point of the map opens its order.
	lead.open("/dashboard/map")
	href := lead.eval(`document.querySelector('svg.dmap a.pt').getAttribute('href')`)
	if !strings.HasPrefix(href, "/orders/") {
		t.Errorf("a map point links to %q", href)
	}

	// The big screen at 1920×1080: everything on one screen.
	lead.do(chromedp.EmulateViewport(1920, 1080))
	lead.open("/bigscreen")
	lead.do(chromedp.WaitVisible(chromedp.CSS(`[data-chart="b-perday"] canvas`)))
	if got := lead.text("#bs-in"); got != fmt.Sprint(ov.OrdersIn) {
		t.Errorf("big screen orders in: %s, API %d", got, ov.OrdersIn)
	}
	var size struct{ W, H int }
	_ = json.Unmarshal([]byte(lead.eval(`JSON.stringify({W: document.documentElement.scrollWidth, H: document.documentElement.scrollHeight})`)), &size)
	if size.W > 1920 || size.H > 1080 {
		t.Errorf("the big screen needs %d×%d, more than 1920×1080", size.W, size.H)
	}
	if b.shot != "" {
		ctx, cancel := context.WithTimeout(lead.ctx, 20*time.Second)
		defer cancel()
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(b.shot, "dashboard-bigscreen.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
