package service

import (
	"context"

	"hotline/internal/order"
)

// The Chinese names the orders' pages, exports and the dashboards show. One
// place, so that a page and a workbook say the same.

// TypeNames are the Chinese names of the order types.
var TypeNames = map[string]string{"consultation": "咨询", "help": "求助", "complaint": "投诉", "report": "举报", "suggestion": "建议", "praise": "表扬"}

// StatusNames are the Chinese names of the states.
var StatusNames = map[order.Status]string{order.Received: "已受理", order.Answered: "已直接答复", order.Dispatched: "已派单", order.Accepted: "已签收",
	order.InProgress: "办理中", order.ReturnRequested: "退单申请中", order.Returned: "已退回", order.Replied: "已答复待审核", order.Reviewed: "待回访",
	order.Closed: "已办结", order.Merged: "已并单", order.Invalid: "无效工单"}

// UnitLabel is a unit's name in figures and exports, where the empty unit
// is the center before dispatch; an unknown code shows as itself (UnitName
// leaves "" empty).
func (s *Service) UnitLabel(code string) string {
	if code == "" {
		return "城运中心（未派单）"
	}
	if u, ok := s.Unit(code); ok {
		return u.Name
	}
	return code
}

// CategoryNames maps each category's code to its name, "" to 未分类. It
// reads the store, not the cache, so a category added on another instance
// is named at once.
func (s *Service) CategoryNames(ctx context.Context) map[string]string {
	cats, _ := s.store.Categories(ctx)
	m := map[string]string{"": "未分类"}
	for _, c := range cats {
		m[c.Code] = c.Name
	}
	return m
}

func nameOr(m map[string]string, k string) string {
	if n, ok := m[k]; ok {
		return n
	}
	return k
}
