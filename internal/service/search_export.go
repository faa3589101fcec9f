package service

import (
	"context"
	"fmt"
	"strings"

	"hotline/internal/calendar"
	"hotline/internal/report"
	"hotline/internal/store"
)

// MaxSearchExport is how many rows an export of search results holds: a
// search is for finding, not for copying the database out.
const MaxSearchExport = 5000

// SearchExport is the search's results as a workbook: the rows the actor's
// search shows (ListOrders: the same visibility per unit), every caller
// masked as in the result list (ListQuery.Masked), whatever the role. Text
// a spreadsheet would run as a formula is neutralised by report's writers
// (csvsafe in CSV; typed text cells in .xlsx). Every export is written to
// the audit log, with what was searched and how many rows left, before the
// file is sent: a bulk copy of orders is worth knowing about even masked.
func (s *Service) SearchExport(ctx context.Context, a Actor, q ListQuery, what string) (*report.Book, error) {
	b := &report.Book{FileName: "查询结果"}
	sh := b.AddSheet("查询结果", report.Column{Header: "工单编号", Width: 16}, report.Column{Header: "受理时间", Kind: report.DateTime, Width: 17},
		report.Column{Header: "类型", Width: 8}, report.Column{Header: "状态", Width: 12}, report.Column{Header: "标题", Width: 30},
		report.Column{Header: "诉求内容", Width: 50}, report.Column{Header: "类别", Width: 16}, report.Column{Header: "承办单位", Width: 16},
		report.Column{Header: "地址", Width: 24}, report.Column{Header: "来电人（已遮蔽）", Width: 12}, report.Column{Header: "联系电话（已遮蔽）", Width: 14},
		report.Column{Header: "办理期限", Kind: report.DateTime, Width: 17}, report.Column{Header: "是否超期", Width: 9}, report.Column{Header: "答复", Width: 40})
	sh.Notes = []string{"导出时间：" + s.now().In(calendar.Shanghai).Format("2006-01-02 15:04") + "（上海时间）；查询条件：" + what}
	names := s.CategoryNames(ctx)
	q.Masked, q.Limit, q.Cursor = true, 200, ""
	for len(sh.Rows) < MaxSearchExport {
		views, next, err := s.ListOrders(ctx, a, q)
		if err != nil {
			return nil, err
		}
		for _, v := range views {
			if len(sh.Rows) == MaxSearchExport {
				break
			}
			over := "否"
			if v.IsOverdue {
				over = "是"
			}
			name, phone := v.CallerView.Name, v.CallerView.Phone
			if v.CallerView.Hidden {
				name, phone = "（保密）", ""
			}
			sh.Add(v.Number, v.CreatedAt, TypeNames[string(v.Type)], StatusNames[v.Status], v.Title, v.Description, nameOr(names, v.Category),
				s.UnitLabel(v.Unit), s.Place(&v.Order), name, phone, v.Due, over, v.ReplyText)
		}
		if next == "" || len(views) == 0 {
			break
		}
		q.Cursor = next
	}
	if len(sh.Rows) >= MaxSearchExport {
		sh.Notes = append(sh.Notes, fmt.Sprintf("只导出前 %d 条；请缩小查询范围", MaxSearchExport))
	}
	detail := fmt.Sprintf("rows=%d; %s", len(sh.Rows), strings.TrimSpace(what))
	if err := s.store.Audit(ctx, store.AuditEntry{At: s.now(), Actor: a.Username, Action: "export", Target: "orders:search", Detail: truncateStr(detail, 500)}); err != nil {
		return nil, err
	}
	return b, nil
}
