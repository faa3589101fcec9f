package emergency

import (
	"slices"

	"hotline/internal/calendar"
	"hotline/internal/report"
)

// statusZH is how a check status reads in the exported report.
var statusZH = map[CheckStatus]string{
	Unchecked: "未核查", Safe: "安全", NeedsHelp: "需要帮助", Evacuated: "已转移", Unreachable: "联系不上",
}

// ReportBook is a closed event's report as a workbook: the summary, counts
// by building, who was evacuated (with the worker's note of where to),
// who was still not safe at the close, and the tasks' counts. Names and
// rooms are there because the committee needs them to follow up; no ID
// numbers or phones.
func ReportBook(ev Event, r Report) *report.Book {
	b := &report.Book{FileName: "应急事件报告-" + ev.Name}
	sum := b.AddSheet("汇总", report.Column{Header: "项目", Width: 20}, report.Column{Header: "数值", Width: 30})
	sum.Notes = []string{ev.Name + "（" + string(ev.Kind) + "，" + string(ev.Level) + "）"}
	sum.Add("开始时间", ev.StartedAt.In(calendar.Shanghai).Format("2006-01-02 15:04"))
	sum.Add("结束时间", r.ClosedAt.In(calendar.Shanghai).Format("2006-01-02 15:04"))
	sum.Add("核查对象", r.Checks)
	for _, st := range CheckStatuses {
		sum.Add(statusZH[st], r.Counts[st])
	}
	for _, st := range []TaskStatus{TaskOpen, TaskInProgress, TaskDone} {
		sum.Add("救援任务 "+string(st), r.Tasks[st])
	}
	sum.Add("历史记录条数", r.HistorySize)
	cols := []report.Column{{Header: "楼栋", Width: 14}}
	for _, st := range CheckStatuses {
		cols = append(cols, report.Column{Header: statusZH[st], Kind: report.Int})
	}
	bb := b.AddSheet("按楼栋", cols...)
	var blds []string
	for k := range r.ByBuilding {
		blds = append(blds, k)
	}
	slices.Sort(blds)
	for _, k := range blds {
		row := []any{k}
		for _, st := range CheckStatuses {
			row = append(row, r.ByBuilding[k][st])
		}
		bb.Add(row...)
	}
	people := []report.Column{{Header: "楼栋", Width: 14}, {Header: "房间", Width: 10}, {Header: "姓名", Width: 12},
		{Header: "状态", Width: 12}, {Header: "说明（转移去向）", Width: 40}, {Header: "核查人", Width: 12}, {Header: "核查时间", Kind: report.DateTime, Width: 18}}
	for _, s := range []struct {
		name string
		v    []Check
	}{{"已转移", r.Evacuated}, {"未确认安全", r.StillOpen}} {
		sh := b.AddSheet(s.name, people...)
		for _, c := range s.v {
			sh.Add(c.Building, c.Room, c.ResidentName, statusZH[c.Status], c.Note, c.CheckedBy, c.CheckedAt)
		}
	}
	return b
}
