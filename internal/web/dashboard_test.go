package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"hotline/internal/app"
	"hotline/internal/dashboard"
	"hotline/internal/intel"
	"hotline/internal/order"
	"hotline/internal/service"
)

// withIntel runs the server with the text intelligence (hotspots, past
// cases, models), as `hotline serve` does.
func withIntel(c *app.Config) { c.Intel = intel.New() }

var dashPages = []string{"/dashboard", "/dashboard/ranking", "/dashboard/trends", "/dashboard/map", "/dashboard/praise", "/bigscreen"}

func (c *client) getJSON(path string, v any) {
	c.t.Helper()
	body, status := c.get(path)
	if status != 200 {
		c.t.Fatalf("GET %s: %d\n%s", path, status, body)
	}
	if err := json.Unmarshal([]byte(body), v); err != nil {
		c.t.Fatalf("GET %s: %v", path, err)
	}
}

func (c *client) raw(path string) ([]byte, string, int) {
	c.t.Helper()
	resp, err := c.c.Get(c.base + path)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return b, resp.Header.Get("Content-Type"), resp.StatusCode
}

// byID returns the text of the element with an id (no nested tags).
func byID(body, id string) string {
	m := regexp.MustCompile(`id="` + regexp.QuoteMeta(id) + `"[^>]*>([^<]*)<`).FindStringSubmatch(body)
	if m == nil {
		return "<missing>"
	}
	return html.UnescapeString(strings.TrimSpace(m[1]))
}

// tile returns the text of a rate tile on the overview.
func tile(body, key string) string {
	m := regexp.MustCompile(`(?s)id="rate-` + key + `">.*?<span class="rv">(.*?)</span>`).FindStringSubmatch(body)
	if m == nil {
		return "<missing>"
	}
	return m[1]
}

func pct(r *float64) string {
	if r == nil {
		return "—"
	}
	return fmt.Sprintf("%.1f%%", *r*100)
}

// TestDashboardPages: every dashboard answers for the roles that may read
// it (a handler only their own unit), refuses the others, shows the same
// numbers as the JSON API, and its export links download workbooks that open.
func TestDashboardPages(t *testing.T) {
	parallel(t)
	m, base := server(t, withIntel)
	for _, user := range []string{"leader", "dispatcher", "admin", "binyang"} {
		c := login(t, base, user)
		for _, p := range dashPages {
			for _, q := range []string{"", "?lang=en", "?from=2022-01-01&to=2030-12-31"} {
				if p == "/dashboard/trends" && strings.HasPrefix(q, "?from") {
					q = "?from=2026-01-01&to=2026-03-31" // at most 92 days
				}
				if body, status := c.get(p + q); status != 200 {
					t.Errorf("%s GET %s%s: %d\n%s", user, p, q, status, body)
				}
			}
		}
	}
	for _, user := range []string{"volunteer", "operator"} {
		c := login(t, base, user)
		for _, p := range dashPages {
			if _, status := c.get(p); status != 403 {
				t.Errorf("%s GET %s: %d, want 403", user, p, status)
			}
		}
	}
	// The handler sees their own unit only.
	h := login(t, base, "binyang")
	if _, status := h.get("/dashboard?unit=cityops"); status != 403 {
		t.Errorf("handler asking for another unit: %d, want 403", status)
	}
	body, _ := h.get("/dashboard")
	if cov := byID(body, "covers"); !strings.Contains(cov, "宾阳") {
		t.Errorf("handler's overview does not say it covers their unit: %q", cov)
	}
	var hov dashboard.Overview
	h.getJSON("/api/v1/dashboard/overview", &hov)
	if got := byID(body, "ov-in"); got != fmt.Sprint(hov.OrdersIn) {
		t.Errorf("handler's orders in: page %s, API %d", got, hov.OrdersIn)
	}
	if strings.Contains(body, `data-export="weekly_xlsx"`) {
		t.Error("a handler is offered the weekly report (refused to handlers)")
	}

	// The leader's numbers equal the API's, for the default and another period.
	c := login(t, base, "leader")
	for _, q := range []string{"", "?from=2022-01-01&to=2030-12-31", "?unit=binyang"} {
		body, _ := c.get("/dashboard" + q)
		var ov dashboard.Overview
		c.getJSON("/api/v1/dashboard/overview"+q, &ov)
		for id, want := range map[string]int64{"ov-in": ov.OrdersIn, "ov-closed": ov.OrdersClosed, "ov-overdue": int64(ov.OverdueNow), "ov-dispatched": int64(ov.Samples.Dispatched)} {
			if got := byID(body, id); got != fmt.Sprint(want) {
				t.Errorf("overview%s %s: page %s, API %d", q, id, got, want)
			}
		}
		for key, r := range map[string]*float64{"response": ov.Response, "on_time": ov.OnTime, "resolution": ov.Resolution, "satisfaction": ov.Satisfaction, "reopen": ov.Reopen} {
			got := tile(body, key)
			if !strings.Contains(got, pct(r)) {
				t.Errorf("overview%s rate %s: page %q, API %s", q, key, got, pct(r))
			}
			if r == nil && !strings.Contains(got, `title="无数据"`) {
				t.Errorf("overview%s rate %s without data lacks the 无数据 tooltip: %q", q, key, got)
			}
		}
		if cov := byID(body, "covers"); !strings.Contains(cov, ov.Period.From) || !strings.Contains(cov, ov.Period.To) {
			t.Errorf("overview%s does not say its period %s–%s: %q", q, ov.Period.From, ov.Period.To, cov)
		}
		if !strings.Contains(body, `id="c-perday-data"`) || !strings.Contains(body, "<details class=\"chart-table\" open") {
			t.Errorf("overview%s lacks a chart's data or its table", q)
		}
	}
	// A period with no dispatches: rates are "—" (无数据), never 0% or 100%.
	body, _ = c.get("/dashboard?from=2001-01-01&to=2001-01-31")
	for _, key := range []string{"response", "on_time", "resolution", "satisfaction", "reopen"} {
		if got := tile(body, key); !strings.Contains(got, "—") || strings.Contains(got, "%") {
			t.Errorf("empty period rate %s: %q", key, got)
		}
	}

	// Ranking: the page's units in the API's order, small samples marked.
	body, _ = c.get("/dashboard/ranking?sort=satisfaction_rate")
	var rk dashboard.Ranking
	c.getJSON("/api/v1/dashboard/ranking?sort=satisfaction_rate", &rk)
	rows := regexp.MustCompile(`<th scope="row">([^<]+?) <small`).FindAllStringSubmatch(body, -1)
	if len(rows) != len(rk.Units) {
		t.Fatalf("ranking shows %d units, API %d", len(rows), len(rk.Units))
	}
	unranked := 0
	for i, u := range rk.Units {
		if want := html.EscapeString(u.Name); rows[i][1] != want && rows[i][1] != u.Name {
			t.Errorf("ranking row %d: %q, API %q", i, rows[i][1], u.Name)
		}
		if !u.Ranked {
			unranked++
		}
	}
	if got := strings.Count(body, `class="unranked"`); got != unranked {
		t.Errorf("ranking marks %d units unranked, API %d", got, unranked)
	}

	// Exports from the pages' links open in Excel (excelize) and as CSV.
	ovBody, _ := c.get("/dashboard")
	rkBody, _ := c.get("/dashboard/ranking")
	links := map[string]string{}
	for _, b := range []string{ovBody, rkBody} {
		for _, m := range regexp.MustCompile(`href="([^"]+)" download data-export="([a-z_]+)"`).FindAllStringSubmatch(b, -1) {
			links[m[2]] = html.UnescapeString(m[1])
		}
	}
	sheets := map[string]string{"overview_xlsx": "总览", "ranking_xlsx": "月度排名", "orders_xlsx": "工单清单", "weekly_xlsx": "本周排名"}
	for name, sheet := range sheets {
		link, ok := links[name]
		if !ok {
			t.Errorf("no %s link on the pages", name)
			continue
		}
		b, ctype, status := c.raw(link)
		if status != 200 || !strings.Contains(ctype, "spreadsheetml") {
			t.Errorf("%s %s: %d %s\n%.300s", name, link, status, ctype, b)
			continue
		}
		f, err := excelize.OpenReader(bytes.NewReader(b))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if idx, err := f.GetSheetIndex(sheet); err != nil || idx < 0 {
			t.Errorf("%s lacks the sheet %s: %v", name, sheet, f.GetSheetList())
		}
		f.Close()
	}
	if u, err := url.Parse(links["overview_xlsx"]); err != nil || u.Query().Get("from") == "" || u.Query().Get("to") == "" {
		t.Errorf("the overview export does not carry the page's period: %q", links["overview_xlsx"])
	}
	for _, name := range []string{"overview_csv", "ranking_csv", "orders_csv"} {
		b, _, status := c.raw(links[name])
		if status != 200 || !bytes.HasPrefix(b, []byte("\xef\xbb\xbf")) {
			t.Errorf("%s: %d, %.80q", name, status, b)
		}
	}

	// Bad input is refused, never a 500.
	for _, p := range []string{"/dashboard?from=2026-13-45", "/dashboard?unit=nope", "/dashboard?from=2026-05-01&to=2026-04-01", "/dashboard/ranking?sort=nope",
		"/dashboard/trends?weeks=99", "/dashboard/trends?weeks=x", "/dashboard/map?category=" + strings.Repeat("x", 200), "/dashboard/praise?to=zz", "/bigscreen?from=zz"} {
		if b, s := c.get(p); s >= 500 || s == 200 && strings.Contains(p, "nope") {
			t.Errorf("GET %s: %d\n%.300s", p, s, b)
		}
	}
	// A refused filter is worded by its problem's code (apperr.Problem),
	// in the page's language.
	// (Each asks for its language: ?lang= is remembered in a cookie.)
	for q, want := range map[string]string{"&lang=zh": "未知单位 nope", "&lang=en": "Unknown unit nope"} {
		if b, _ := c.get("/dashboard?unit=nope" + q); !strings.Contains(b, want) {
			t.Errorf("GET /dashboard?unit=nope%s does not say %q:\n%.600s", q, want, b)
		}
	}
	_ = m
}

// TestDashboardIntelligence: the board's hotspots and the dispatcher's
// merge, past cases on the order page, the admin's models and retraining,
// "no suggestion" at intake.
func TestDashboardIntelligence(t *testing.T) {
	parallel(t)
	m, base := server(t, withIntel)
	ctx := context.Background()
	// Two more calls about the demo's construction-site noise: a hotspot
	// with at least two open orders.
	opr := service.Actor{Username: "operator", Role: order.RoleOperator}
	for i := range 2 {
		_, err := m.Svc.CreateOrder(ctx, opr, order.NewOrder{Type: order.Complaint, Title: "三江小区夜间施工噪音，睡不着", Description: fmt.Sprintf("三江小区29号楼旁工地夜间施工噪音太大，第%d次反映", i+1),
			Caller: &order.Caller{Name: "市民", Phone: fmt.Sprintf("1390000000%d", i)}, Urgency: order.Normal, Source: order.SourceHotline, Compound: "sanjiang"})
		if err != nil {
			t.Fatal(err)
		}
	}
	hs, err := m.Svc.Hotspots(ctx, service.Actor{Username: "leader", Role: order.RoleLeader}, 20)
	if err != nil || len(hs) == 0 {
		t.Fatalf("no hotspots: %v", err)
	}
	var hot service.Hotspot
	for _, h := range hs {
		if h.Open >= 2 {
			hot = h
			break
		}
	}
	lead := login(t, base, "leader")
	body, _ := lead.get("/board")
	if !strings.Contains(body, `id="board-hotspots"`) || !strings.Contains(body, html.EscapeString(hs[0].Label)) {
		t.Errorf("the board does not list the top hotspot %q", hs[0].Label)
	}
	if strings.Contains(body, "/merge") {
		t.Error("a leader is offered the merge (dispatchers only)")
	}
	body, _ = lead.get("/dashboard/map")
	if !strings.Contains(body, `class="cl"`) {
		t.Error("the map does not draw the hotspot clusters")
	}
	if n := strings.Count(body, `<polygon points=`); n < 8 {
		t.Errorf("the map draws %d compound outlines, want the demo's 8", n)
	}
	d := login(t, base, "dispatcher")
	tok := d.csrf()
	if _, s := d.post("/hotspots/nope/merge", url.Values{"csrf": {tok}}); s != 404 {
		t.Errorf("merging an unknown hotspot: %d, want 404", s)
	}
	if _, s := d.post("/hotspots/"+hot.ID+"/merge", url.Values{}); s != 403 {
		t.Errorf("merging without the CSRF token: %d, want 403", s)
	}
	if _, s := lead.post("/hotspots/"+hot.ID+"/merge", url.Values{"csrf": {lead.csrf()}}); s != 403 {
		t.Errorf("a leader merging: %d, want 403", s)
	}
	if hot.ID == "" {
		t.Fatalf("no hotspot with two open orders: %+v", hs)
	}
	body, _ = d.get("/board")
	if !strings.Contains(body, `action="/hotspots/`+hot.ID+`/merge"`) {
		t.Errorf("the dispatcher's board has no merge button for %s", hot.ID)
	}
	body, s := d.post("/hotspots/"+hot.ID+"/merge", url.Values{"csrf": {tok}})
	if s != 200 || !strings.Contains(body, "flash ok") {
		t.Fatalf("merge: %d\n%.500s", s, body)
	}
	open := 0
	for _, id := range hot.Members {
		if o, err := m.Store.GetOrder(ctx, id); err == nil && o.Status.Open() {
			open++
		}
	}
	if open != 1 {
		t.Errorf("after the merge %d orders of the hotspot are open, want 1 (the case)", open)
	}

	// Similar past cases, with their replies, for the desk and the unit.
	for _, user := range []string{"dispatcher", "operator", "binyang"} {
		c := login(t, base, user)
		list, _, _ := m.Svc.ListOrders(ctx, service.Actor{Username: "binyang", Role: order.RoleHandler, Unit: "binyang"}, service.ListQuery{Limit: 1})
		body, _ := c.get("/orders/" + list[0].ID)
		if !strings.Contains(body, `id="past-cases"`) {
			t.Errorf("%s: the order page has no similar past cases block", user)
		}
	}
	body, _ = lead.get("/orders/1")
	if strings.Contains(body, `id="past-cases"`) {
		t.Error("the leader's order page shows past cases (for the desk and the unit)")
	}

	// The admin's models and "retrain now".
	a := login(t, base, "admin")
	if body, s := a.get("/admin/models"); s != 200 || !strings.Contains(body, `id="models"`) {
		t.Errorf("/admin/models: %d", s)
	}
	body, s = a.post("/admin/models/retrain", url.Values{"csrf": {a.csrf()}})
	if s != 200 || !(strings.Contains(body, "flash ok") || strings.Contains(body, "未训练")) {
		t.Errorf("retrain: %d\n%.500s", s, body)
	}
	if _, s := lead.post("/admin/models/retrain", url.Values{"csrf": {lead.csrf()}}); s != 403 {
		t.Errorf("a leader retraining: %d, want 403", s)
	}

	// Intake says "无建议" when there is no suggestion.
	op := login(t, base, "operator")
	body, _ = op.get("/intake/assist?title=" + url.QueryEscape("qwxz zzkv") + "&description=")
	if !strings.Contains(body, "无建议") {
		t.Errorf("intake assist without a suggestion does not say 无建议:\n%s", body)
	}
}
