package api_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"hotline/internal/calendar"
)

// get fetches a path as the client and returns the status, headers and body.
func (c *client) get(path string) (int, http.Header, []byte) {
	c.s.t.Helper()
	req, _ := http.NewRequest("GET", c.s.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, b
}

func TestDashboards(t *testing.T) {
	t.Parallel()
	startEach(t, func(t *testing.T, s *server) {
		leader := s.login("leader")
		disp := s.admin()
		// A praise naming a person, and a repeat caller at one compound.
		p := disp.create("表扬宾阳路居委会王书记", "感谢王书记耐心调解邻里纠纷", obj{"type": "praise", "compound": "sanjiang"})
		disp.act(200, p["id"].(string), "dispatch", obj{"unit": "binyang"})
		for i := 0; i < 3; i++ {
			disp.create(fmt.Sprintf("夜间施工噪音%d", i), "工地夜间施工", obj{"compound": "sanjiang", "category": "environment.noise",
				"caller": obj{"name": "李女士", "phone": "13912345678"}})
		}
		today := time.Now().In(calendar.Shanghai).Format("2006-01-02")
		from := time.Now().In(calendar.Shanghai).AddDate(0, 0, -60).Format("2006-01-02")
		period := "from=" + from + "&to=" + today

		ov := leader.must(200, "GET", "/api/v1/dashboard/overview?"+period, nil)
		sum := leader.must(200, "GET", "/api/v1/stats/summary?"+period, nil)
		for _, k := range []string{"response_rate", "on_time_rate", "resolution_rate", "satisfaction_rate", "reopen_rate"} {
			if fmt.Sprint(ov[k]) != fmt.Sprint(sum[k]) {
				t.Errorf("overview %s = %v, stats/summary %v", k, ov[k], sum[k])
			}
		}
		if fmt.Sprint(ov["orders_in"]) != fmt.Sprint(sum["orders"]) {
			t.Errorf("orders_in %v, stats/summary orders %v", ov["orders_in"], sum["orders"])
		}
		if days := ov["per_day"].([]any); len(days) != 61 {
			t.Errorf("per_day has %d days, want 61", len(days))
		}
		for _, k := range []string{"previous_rates", "change", "by_type", "by_category", "by_unit", "covers", "overdue_now", "orders_closed"} {
			if _, ok := ov[k]; !ok {
				t.Errorf("overview lacks %s", k)
			}
		}

		rk := leader.must(200, "GET", "/api/v1/dashboard/ranking?"+period, nil)
		units := rk["units"].([]any)
		if len(units) == 0 {
			t.Fatal("ranking lists no unit")
		}
		for _, u := range units {
			u := u.(map[string]any)
			ranked := u["ranked"].(bool)
			n := u["samples"].(map[string]any)["dispatched"].(float64)
			if ranked != (n >= 5) || (!ranked && u["rank"].(float64) != 0) {
				t.Errorf("unit %v: ranked %v with %v dispatched, rank %v", u["unit"], ranked, n, u["rank"])
			}
		}
		leader.must(200, "GET", "/api/v1/dashboard/ranking?sort=satisfaction_rate&"+period, nil)
		if st, o := leader.do("GET", "/api/v1/dashboard/ranking?sort=nonsense", nil); st != 400 || errFields(o)["sort"] == nil {
			t.Errorf("bad sort: %d %v", st, o)
		}

		tr := leader.must(200, "GET", "/api/v1/dashboard/trends", nil)
		callers := tr["repeat_callers"].([]any)
		found := false
		for _, c := range callers {
			c := c.(map[string]any)
			if c["count"].(float64) >= 3 {
				found = true
			}
			if strings.Contains(fmt.Sprint(c), "13912345678") || strings.Contains(fmt.Sprint(c), "5678") {
				t.Errorf("a phone number leaks: %v", c)
			}
		}
		if !found {
			t.Errorf("the caller of three orders is not a repeat caller: %v", callers)
		}
		if len(tr["repeat_places"].([]any)) == 0 || len(tr["weeks"].([]any)) != 8 {
			t.Errorf("trends: places %v weeks %d", tr["repeat_places"], len(tr["weeks"].([]any)))
		}

		mp := leader.must(200, "GET", "/api/v1/dashboard/map?"+period+"&category=environment", nil)
		var outlined, sanjiang bool
		for _, c := range mp["compounds"].([]any) {
			c := c.(map[string]any)
			if c["outline"] != nil {
				outlined = true
			}
			if c["code"] == "sanjiang" && c["orders"].(float64) >= 3 {
				sanjiang = true
			}
		}
		if !outlined || !sanjiang {
			t.Errorf("map: outlines %v, sanjiang counted %v: %v", outlined, sanjiang, mp["compounds"])
		}
		for _, pt := range mp["points"].([]any) {
			if c := pt.(map[string]any)["category"].(string); !strings.HasPrefix(c, "environment") {
				t.Errorf("category filter lets through %s", c)
			}
		}

		pr := leader.must(200, "GET", "/api/v1/dashboard/praise", nil)
		if !strings.Contains(fmt.Sprint(pr["people"]), "王书记") || len(pr["by_unit"].([]any)) == 0 {
			t.Errorf("praise board: %v", pr)
		}

		// Who may read what.
		h := s.login("binyang")
		if st, _ := h.do("GET", "/api/v1/dashboard/overview?unit=cityops", nil); st != 403 {
			t.Errorf("handler reading another unit: %d", st)
		}
		own := h.must(200, "GET", "/api/v1/dashboard/overview", nil)
		if own["unit"] != "binyang" {
			t.Errorf("handler overview unit %v", own["unit"])
		}
		if r := h.must(200, "GET", "/api/v1/dashboard/ranking", nil)["units"].([]any); len(r) != 1 {
			t.Errorf("handler ranking lists %d units", len(r))
		}
		if st, _ := s.login("operator").do("GET", "/api/v1/dashboard/overview", nil); st != 403 {
			t.Errorf("operator reading the dashboards: %d", st)
		}
		if st, _ := leader.do("GET", "/api/v1/dashboard/overview?from=2026-13-01", nil); st != 400 {
			t.Errorf("bad date: %d", st)
		}

		// Exports.
		st, hdr, body := leader.get("/api/v1/reports/ranking.xlsx?" + period)
		if st != 200 || !strings.Contains(hdr.Get("Content-Disposition"), "attachment") {
			t.Fatalf("ranking.xlsx: %d %v %s", st, hdr, body)
		}
		f, err := excelize.OpenReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := f.GetCellValue("月度排名", "A2"); v != "排名" {
			t.Errorf("ranking A2 = %q", v)
		}
		if v, _ := f.GetCellValue("月度排名", "E2"); v != "响应率" {
			t.Errorf("ranking E2 = %q", v)
		}
		if note, _ := f.GetCellValue("月度排名", "A1"); !strings.Contains(note, from) {
			t.Errorf("ranking note %q does not say the period", note)
		}
		rows, _ := f.GetRows("月度排名")
		if len(rows) != 2+len(units) {
			t.Errorf("ranking sheet has %d rows, want %d", len(rows), 2+len(units))
		}
		for _, r := range rows[2:] {
			if len(r) > 4 && r[4] != "无数据" && !strings.HasSuffix(r[4], "%") {
				t.Errorf("response rate cell %q is not a percentage", r[4])
			}
		}
		f.Close()

		st, _, body = leader.get("/api/v1/reports/overview.csv?" + period)
		if st != 200 || !bytes.HasPrefix(body, []byte("\ufeff")) || !strings.Contains(string(body), "响应率") {
			t.Errorf("overview.csv: %d %.200s", st, body)
		}

		st, _, body = leader.get("/api/v1/reports/orders.xlsx?category=environment.noise")
		if st != 200 {
			t.Fatalf("orders.xlsx: %d %s", st, body)
		}
		f, err = excelize.OpenReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		rows, _ = f.GetRows("工单清单")
		if len(rows) < 5 || rows[1][0] != "工单编号" || !strings.HasPrefix(rows[2][5], "夜间施工噪音") {
			t.Errorf("orders sheet: %v", rows)
		}
		if len(rows) > 2 {
			if _, err := time.Parse("2006-01-02 15:04", rows[2][1]); err != nil {
				t.Errorf("created cell %q is not a Shanghai date-time: %v", rows[2][1], err)
			}
		}
		if strings.Contains(fmt.Sprint(rows), "13912345678") {
			t.Error("the order export contains a phone number")
		}
		f.Close()

		st, _, body = leader.get("/api/v1/reports/weekly.xlsx?week=" + today)
		if st != 200 {
			t.Fatalf("weekly.xlsx: %d %s", st, body)
		}
		f, err = excelize.OpenReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"总览", "按状态", "每日", "按类型", "按类别", "按单位", "本周排名", "本月累计排名", "类别趋势", "重复地点"}
		if got := f.GetSheetList(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("weekly sheets %v, want %v", got, want)
		}
		if v, _ := f.GetCellValue("每日", "A4"); len(v) != 10 {
			t.Errorf("daily date cell %q", v)
		}
		f.Close()
		if st, _, _ := leader.get("/api/v1/reports/weekly.csv"); st != 400 {
			t.Errorf("weekly.csv: %d", st)
		}
		if st, _, _ := h.get("/api/v1/reports/weekly.xlsx"); st != 403 {
			t.Errorf("handler weekly: %d", st)
		}
	})
}
