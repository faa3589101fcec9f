package report

// The dashboards' workbooks: how the ranking, the overview, the weekly
// trends and the order list are laid out as sheets (headers, widths, notes,
// the words for "no data"). The service computes the figures and hands them
// over in the plain types below; it decides nothing about the layout, and
// this file decides nothing about the figures. (These sheets were built in
// service/dashboard.go until issue 13.)

import (
	"fmt"
	"strconv"
	"time"

	"hotline/internal/calendar"
	"hotline/internal/stats"
)

// Rates is one line's five rates and the samples behind them; a nil rate
// had no data.
type Rates struct {
	Response, OnTime, Resolution, Satisfaction, Reopen *float64
	ResponseBase, OnTimeBase, Callbacks, Closed        int
}

var rateColumns = []Column{
	{Header: "响应率", Kind: Percent, Width: 10}, {Header: "响应样本", Kind: Int, Width: 10},
	{Header: "按时办结率", Kind: Percent, Width: 12}, {Header: "按时样本", Kind: Int, Width: 10},
	{Header: "解决率", Kind: Percent, Width: 10}, {Header: "满意率", Kind: Percent, Width: 10},
	{Header: "回访样本", Kind: Int, Width: 10},
	{Header: "重办率", Kind: Percent, Width: 10}, {Header: "办结样本", Kind: Int, Width: 10},
}

func (r Rates) values() []any {
	return []any{r.Response, r.ResponseBase, r.OnTime, r.OnTimeBase, r.Resolution, r.Satisfaction, r.Callbacks, r.Reopen, r.Closed}
}

// RankedUnit is one unit's line of the ranking.
type RankedUnit struct {
	Rank   int
	Ranked bool // false: too few orders to rank fairly
	Name   string
	Kind   string // center, committee, section
	Orders int
	Rates
}

// Ranking is the unit ranking of a period (dates as YYYY-MM-DD, both
// included).
type Ranking struct {
	From, To  string
	MinSample int
	Units     []RankedUnit
}

// RankingSheet adds the ranking as a sheet called name.
func RankingSheet(b *Book, name string, rk Ranking) {
	cols := append([]Column{{Header: "排名", Width: 8}, {Header: "单位", Width: 18}, {Header: "类别", Width: 10},
		{Header: "受理量", Kind: Int, Width: 10}}, rateColumns...)
	cols = append(cols, Column{Header: "是否排名", Width: 28})
	sh := b.AddSheet(name, cols...)
	sh.Notes = []string{fmt.Sprintf("统计周期：%s 至 %s（上海时间，按首次派单时间）；派单少于 %d 件的单位不参与排名", rk.From, rk.To, rk.MinSample)}
	kinds := map[string]string{"committee": "居委会", "section": "职能科室", "center": "中心"}
	for _, u := range rk.Units {
		rank, ranked := "—", "样本不足，不排名"
		if u.Ranked {
			rank, ranked = strconv.Itoa(u.Rank), "是"
		}
		kind, ok := kinds[u.Kind]
		if !ok {
			kind = u.Kind
		}
		row := append([]any{rank, u.Name, kind, u.Orders}, u.values()...)
		sh.Add(append(row, ranked)...)
	}
}

// Named is a count under a name (and a code, where the sheet shows it).
type Named struct {
	Key, Name string
	N         int64
}

// DayInOut is one Shanghai day's orders received and closed.
type DayInOut struct {
	Day        time.Time
	In, Closed int64
}

// UnitLine is one unit's orders and rates in the overview.
type UnitLine struct {
	Name   string
	Orders int64
	Rates
}

// Overview is the overview of a period as its sheets show it. Change holds
// each rate's change against Previous in rate units (0.05 = 5 points).
type Overview struct {
	From, To, UnitName, Covers string
	OrdersIn, OrdersClosed     int64
	OverdueNow                 int
	Current, Previous          Rates
	Change                     Rates // only the five rates are read
	ByStatus                   []Named
	PerDay                     []DayInOut
	ByType, ByCategory         []Named
	ByUnit                     []UnitLine
}

// OverviewSheets adds the overview's six sheets.
func OverviewSheets(b *Book, ov Overview) {
	sh := b.AddSheet("总览", Column{Header: "指标", Width: 20}, Column{Header: "本期", Width: 14},
		Column{Header: "上期", Width: 14}, Column{Header: "变化", Width: 16}, Column{Header: "样本（本期）", Width: 14})
	sh.Notes = []string{"统计周期：" + ov.From + " 至 " + ov.To + "；单位：" + ov.UnitName, ov.Covers}
	sh.Add("受理量", ov.OrdersIn, "", "", "")
	sh.Add("办结量", ov.OrdersClosed, "", "", "")
	sh.Add("当前超期", ov.OverdueNow, "", "", "")
	pct := func(label string, cur, prev, ch *float64, n int) {
		sh.Add(label, pctText(cur), pctText(prev), changeText(ch), n)
	}
	c, p, ch := ov.Current, ov.Previous, ov.Change
	pct("响应率", c.Response, p.Response, ch.Response, c.ResponseBase)
	pct("按时办结率", c.OnTime, p.OnTime, ch.OnTime, c.OnTimeBase)
	pct("解决率", c.Resolution, p.Resolution, ch.Resolution, c.Callbacks)
	pct("满意率", c.Satisfaction, p.Satisfaction, ch.Satisfaction, c.Callbacks)
	pct("重办率", c.Reopen, p.Reopen, ch.Reopen, c.Closed)

	st := b.AddSheet("按状态", Column{Header: "状态", Width: 14}, Column{Header: "工单数", Kind: Int})
	for _, x := range ov.ByStatus {
		st.Add(x.Name, int(x.N))
	}
	d := b.AddSheet("每日", Column{Header: "日期", Kind: Date, Width: 12}, Column{Header: "受理", Kind: Int},
		Column{Header: "办结", Kind: Int})
	for _, x := range ov.PerDay {
		d.Add(x.Day, x.In, x.Closed)
	}
	ty := b.AddSheet("按类型", Column{Header: "类型", Width: 12}, Column{Header: "工单数", Kind: Int})
	for _, x := range ov.ByType {
		ty.Add(x.Name, x.N)
	}
	ca := b.AddSheet("按类别", Column{Header: "类别代码", Width: 22}, Column{Header: "类别", Width: 18}, Column{Header: "工单数", Kind: Int})
	for _, x := range ov.ByCategory {
		ca.Add(x.Key, x.Name, x.N)
	}
	un := b.AddSheet("按单位", append([]Column{{Header: "单位", Width: 18}, {Header: "受理量", Kind: Int}}, rateColumns...)...)
	for _, x := range ov.ByUnit {
		un.Add(append([]any{x.Name, x.Orders}, x.values()...)...)
	}
}

func pctText(r *float64) string {
	if r == nil {
		return NoData
	}
	return strconv.FormatFloat(*r*100, 'f', 1, 64) + "%"
}

func changeText(r *float64) string {
	if r == nil {
		return "—"
	}
	return strconv.FormatFloat(*r*100, 'f', 1, 64) + "个百分点"
}

// TrendSheets adds the weekly report's category trends and repeat places.
func TrendSheets(b *Book, trends []stats.Trend, places []Named) {
	tr := b.AddSheet("类别趋势", Column{Header: "类别", Width: 18}, Column{Header: "本周", Kind: Int},
		Column{Header: "上周", Kind: Int}, Column{Header: "变化", Kind: Int}, Column{Header: "趋势", Width: 8})
	tr.Notes = []string{"按周一至周日统计受理量（不含表扬）"}
	for _, t := range trends {
		dir := "下降"
		if t.Rising {
			dir = "上升"
		}
		tr.Add(t.Name, t.Last, t.Previous, t.Change, dir)
	}
	rp := b.AddSheet("重复地点", Column{Header: "地点", Width: 24}, Column{Header: "本周工单数", Kind: Int})
	for _, r := range places {
		rp.Add(r.Name, int(r.N))
	}
}

// OrderLine is one order of the order-list export, its codes already turned
// into names. It carries no caller: names and phones are never exported.
type OrderLine struct {
	Number                           string
	Created                          time.Time
	Type, Urgency, Status, Title     string
	Category, Unit, Place            string
	Dispatched, Due, Replied, Closed *time.Time
	Overdue                          bool
	Reopens                          int
	Callback                         string
}

// OrderList is the order-list export's sheet; Add its lines, then Done.
type OrderList struct{ sh *Sheet }

// OrdersSheet adds the order list's sheet, noting when it was exported.
func OrdersSheet(b *Book, exported time.Time) OrderList {
	sh := b.AddSheet("工单清单", Column{Header: "工单编号", Width: 16}, Column{Header: "受理时间", Kind: DateTime, Width: 17},
		Column{Header: "类型", Width: 8}, Column{Header: "紧急程度", Width: 9}, Column{Header: "状态", Width: 12},
		Column{Header: "标题", Width: 30}, Column{Header: "类别", Width: 16}, Column{Header: "承办单位", Width: 16},
		Column{Header: "地址", Width: 24}, Column{Header: "派单时间", Kind: DateTime, Width: 17},
		Column{Header: "办理期限", Kind: DateTime, Width: 17}, Column{Header: "答复时间", Kind: DateTime, Width: 17},
		Column{Header: "办结时间", Kind: DateTime, Width: 17}, Column{Header: "是否超期", Width: 9},
		Column{Header: "重办次数", Kind: Int, Width: 9}, Column{Header: "回访结果", Width: 10})
	sh.Notes = []string{"导出时间：" + exported.In(calendar.Shanghai).Format("2006-01-02 15:04") + "（上海时间）；筛选条件同工单列表"}
	return OrderList{sh}
}

// Add appends one order.
func (l OrderList) Add(o OrderLine) {
	over := "否"
	if o.Overdue {
		over = "是"
	}
	l.sh.Add(o.Number, o.Created, o.Type, o.Urgency, o.Status, o.Title, o.Category, o.Unit, o.Place,
		o.Dispatched, o.Due, o.Replied, o.Closed, over, o.Reopens, o.Callback)
}

// Done notes that the list was cut at max orders when it holds that many.
func (l OrderList) Done(max int) {
	if len(l.sh.Rows) >= max {
		l.sh.Notes = append(l.sh.Notes, fmt.Sprintf("只导出最新的 %d 条；请缩小筛选范围", max))
	}
}
