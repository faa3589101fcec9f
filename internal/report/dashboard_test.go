package report

import (
	"reflect"
	"testing"
	"time"

	"hotline/internal/calendar"
)

// The dashboards' sheets are laid out here from plain figures; these pin
// the words a leader reads (no data, points of change, unranked units) so
// that moving the figures' computation never changes the export.
func TestDashboardSheets(t *testing.T) {
	half, tenth := 0.5, 0.1
	b := &Book{}
	RankingSheet(b, "本周排名", Ranking{From: "2026-11-23", To: "2026-11-29", MinSample: 5, Units: []RankedUnit{
		{Rank: 1, Ranked: true, Name: "宾阳", Kind: "committee", Orders: 9, Rates: Rates{Response: &half, ResponseBase: 8}},
		{Name: "城管科", Kind: "other", Orders: 2},
	}})
	OverviewSheets(b, Overview{From: "2026-11-01", To: "2026-11-30", UnitName: "全部", OrdersIn: 3,
		Current: Rates{Response: &half, ResponseBase: 4}, Change: Rates{Response: &tenth},
		ByStatus: []Named{{Key: "closed", Name: "已办结", N: 2}},
		PerDay:   []DayInOut{{Day: time.Date(2026, 11, 2, 0, 0, 0, 0, calendar.Shanghai), In: 3, Closed: 1}}})
	var names []string
	for _, s := range b.Sheets {
		names = append(names, s.Name)
	}
	if want := []string{"本周排名", "总览", "按状态", "每日", "按类型", "按类别", "按单位"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("sheets %v, want %v", names, want)
	}
	rk := b.Sheets[0]
	if got := rk.Rows[0][:4]; !reflect.DeepEqual(got, []any{"1", "宾阳", "居委会", 9}) {
		t.Errorf("ranked line %v", got)
	}
	if got := rk.Rows[1]; got[0] != "—" || got[2] != "other" || got[len(got)-1] != "样本不足，不排名" {
		t.Errorf("unranked line %v", got)
	}
	ov := b.Sheets[1]
	if got := ov.Rows[3]; !reflect.DeepEqual(got, []any{"响应率", "50.0%", NoData, "10.0个百分点", 4}) {
		t.Errorf("response line %v", got)
	}
	if got := ov.Rows[4]; !reflect.DeepEqual(got, []any{"按时办结率", NoData, NoData, "—", 0}) {
		t.Errorf("on-time line %v", got)
	}
	if got := b.Sheets[2].Rows[0]; !reflect.DeepEqual(got, []any{"已办结", 2}) {
		t.Errorf("status line %v", got)
	}
}

func TestOrdersSheetCut(t *testing.T) {
	b := &Book{}
	l := OrdersSheet(b, time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC))
	l.Add(OrderLine{Number: "1", Overdue: true})
	l.Add(OrderLine{Number: "2"})
	l.Done(3)
	sh := b.Sheets[0]
	if len(sh.Notes) != 1 || sh.Notes[0] != "导出时间：2026-12-01 10:00（上海时间）；筛选条件同工单列表" {
		t.Errorf("notes %q", sh.Notes)
	}
	if sh.Rows[0][13] != "是" || sh.Rows[1][13] != "否" {
		t.Errorf("overdue column %v %v", sh.Rows[0][13], sh.Rows[1][13])
	}
	l.Done(2)
	if len(sh.Notes) != 2 {
		t.Errorf("a list cut at its limit says so: %q", sh.Notes)
	}
}
