package report

import (
	"strings"

	"hotline/internal/calendar"
	"hotline/internal/textproc"
)

// HotspotMessage is one message as the detail sheet shows it.
type HotspotMessage struct {
	ID, Subject, Text string
	At                any // time.Time, or nil when the source has none
	Likes, Dislikes   int
}

// HotspotBook is the workbook of a hotspot ranking in the layout of the
// 2020 Teddy Cup's hotspot task (表2 热点问题表, 表3 热点问题留言明细表):
// the ranking (rank, hotspot id, heat, time range, place or group, problem)
// and every message of each ranked hotspot. The hotspot id is its rank, as
// in the competition's tables. The sender column of the competition's
// detail sheet is left out: it identifies a person and a ranking does not
// need it.
func HotspotBook(ranked []textproc.Ranked, msgs map[string]HotspotMessage) *Book {
	b := &Book{FileName: "热点问题"}
	top := b.AddSheet("热点问题表",
		Column{Header: "热度排名", Kind: Int, Width: 10},
		Column{Header: "问题ID", Kind: Int, Width: 10},
		Column{Header: "热度指数", Width: 12},
		Column{Header: "时间范围", Width: 26},
		Column{Header: "地点/人群", Width: 24},
		Column{Header: "问题描述", Width: 40})
	detail := b.AddSheet("热点问题留言明细表",
		Column{Header: "问题ID", Kind: Int, Width: 10},
		Column{Header: "留言编号", Width: 12},
		Column{Header: "留言主题", Width: 40},
		Column{Header: "留言时间", Kind: DateTime, Width: 20},
		Column{Header: "留言详情", Width: 80},
		Column{Header: "点赞数", Kind: Int, Width: 8},
		Column{Header: "反对数", Kind: Int, Width: 8})
	for _, r := range ranked {
		top.Add(r.Rank, r.Rank, r.Heat.Value, TimeRange(r.Cluster), r.Place, Problem(r.Cluster))
		for _, id := range r.Members {
			m := msgs[id]
			detail.Add(r.Rank, id, m.Subject, m.At, m.Text, m.Likes, m.Dislikes)
		}
	}
	return b
}

// TimeRange is a hotspot's first and last day in China time, as the
// competition wrote it ("2019/07/07 至 2019/09/01"); "" without times.
func TimeRange(c textproc.Cluster) string {
	if c.First.IsZero() {
		return ""
	}
	const layout = "2006/01/02"
	return c.First.In(calendar.Shanghai).Format(layout) + " 至 " + c.Last.In(calendar.Shanghai).Format(layout)
}

// Problem describes a hotspot's problem by its key terms.
func Problem(c textproc.Cluster) string { return strings.Join(c.Terms, " ") }
