package dashboard

import (
	"context"
	"time"

	"hotline/internal/apperr"
	"hotline/internal/calendar"
	"hotline/internal/order"
	"hotline/internal/report"
	"hotline/internal/service"
	"hotline/internal/store"
)

// Reports (exports): the same figures as the dashboards, as report.Books.
// The figures are the dashboards'; how they are laid out is report's.

func reportRates(r Rates, sm Samples) report.Rates {
	return report.Rates{Response: r.Response, OnTime: r.OnTime, Resolution: r.Resolution, Satisfaction: r.Satisfaction, Reopen: r.Reopen,
		ResponseBase: sm.ResponseBase, OnTimeBase: sm.OnTimeBase, Callbacks: sm.Callbacks, Closed: sm.Closed}
}

func reportRanking(rk Ranking) report.Ranking {
	out := report.Ranking{From: rk.Period.From, To: rk.Period.To, MinSample: rk.MinSample}
	for _, u := range rk.Units {
		out.Units = append(out.Units, report.RankedUnit{Rank: u.Rank, Ranked: u.Ranked, Name: u.Name, Kind: u.Kind,
			Orders: u.Orders, Rates: reportRates(u.Rates, u.Samples)})
	}
	return out
}

// RankingReport is the unit ranking as a workbook.
func (s *Service) RankingReport(ctx context.Context, a order.Actor, from, to, sortBy string) (*report.Book, error) {
	rk, err := s.Ranking(ctx, a, from, to, sortBy)
	if err != nil {
		return nil, err
	}
	b := &report.Book{FileName: "单位排名-" + rk.Period.From + "至" + rk.Period.To}
	report.RankingSheet(b, "月度排名", reportRanking(rk))
	return b, nil
}

func reportOverview(ov Overview) report.Overview {
	ch := ov.Change
	out := report.Overview{From: ov.Period.From, To: ov.Period.To, UnitName: ov.UnitName, Covers: ov.Covers,
		OrdersIn: ov.OrdersIn, OrdersClosed: ov.OrdersClosed, OverdueNow: ov.OverdueNow,
		Current: reportRates(ov.Rates, ov.Samples), Previous: reportRates(ov.PreviousRates, ov.PreviousSamples),
		Change: report.Rates{Response: ch.Response, OnTime: ch.OnTime, Resolution: ch.Resolution, Satisfaction: ch.Satisfaction, Reopen: ch.Reopen}}
	for _, x := range order.Statuses {
		out.ByStatus = append(out.ByStatus, report.Named{Key: string(x), Name: service.StatusNames[x], N: int64(ov.ByStatus[x])})
	}
	for _, x := range ov.PerDay {
		t, _ := time.ParseInLocation("2006-01-02", x.Date, calendar.Shanghai)
		out.PerDay = append(out.PerDay, report.DayInOut{Day: t, In: x.In, Closed: x.Closed})
	}
	for _, x := range ov.ByType {
		out.ByType = append(out.ByType, report.Named(x))
	}
	for _, x := range ov.ByCategory {
		out.ByCategory = append(out.ByCategory, report.Named(x))
	}
	for _, x := range ov.ByUnit {
		out.ByUnit = append(out.ByUnit, report.UnitLine{Name: x.Name, Orders: x.Orders, Rates: reportRates(x.Rates, x.Samples)})
	}
	return out
}

// OverviewReport is the overview as a workbook.
func (s *Service) OverviewReport(ctx context.Context, a order.Actor, from, to, unit string) (*report.Book, error) {
	ov, err := s.Overview(ctx, a, from, to, unit)
	if err != nil {
		return nil, err
	}
	b := &report.Book{FileName: "工单总览-" + ov.Period.From + "至" + ov.Period.To}
	report.OverviewSheets(b, reportOverview(ov))
	return b, nil
}

// MaxExportOrders caps an order-list export.
const MaxExportOrders = 20000

// OrdersReport is the order list with the list's filters (the same as GET
// /api/v1/orders, every page up to MaxExportOrders). Caller names and phone
// numbers are not exported.
func (s *Service) OrdersReport(ctx context.Context, a order.Actor, q service.ListQuery) (*report.Book, error) {
	if _, err := s.dashboardScope(a, ""); err != nil {
		return nil, err
	}
	b := &report.Book{FileName: "工单清单"}
	list := report.OrdersSheet(b, s.now())
	urg := map[order.Urgency]string{order.Normal: "一般", order.Urgent: "紧急", order.Emergency: "特急"}
	outcome := map[string]string{"satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意", "unreachable": "未接通", "": ""}
	names := s.orders.CategoryNames(ctx)
	q.Limit = 200
	for n := 0; n < MaxExportOrders; {
		views, next, err := s.orders.ListOrders(ctx, a, q)
		if err != nil {
			return nil, err
		}
		for _, v := range views {
			list.Add(report.OrderLine{Number: v.Number, Created: v.CreatedAt, Type: service.TypeNames[string(v.Type)], Urgency: urg[v.Urgency],
				Status: service.StatusNames[v.Status], Title: v.Title, Category: nameOr(names, v.Category), Unit: s.orders.UnitLabel(v.Unit),
				Place: s.orders.Place(&v.Order), Dispatched: v.DispatchedAt, Due: v.Due, Replied: v.RepliedAt, Closed: v.ClosedAt,
				Overdue: v.IsOverdue, Reopens: v.ReopenCount, Callback: nameOr(outcome, v.Satisfaction)})
			n++
		}
		if next == "" || len(views) == 0 {
			break
		}
		q.Cursor = next
	}
	list.Done(MaxExportOrders)
	return b, nil
}

// WeeklyReport is the weekly report as one workbook: the week's overview
// sheets, the unit ranking of the week and of the month so far, and the
// trends. week is any date of the week (Monday to Sunday), default the
// previous full week.
func (s *Service) WeeklyReport(ctx context.Context, a order.Actor, week string) (*report.Book, error) {
	if _, err := s.dashboardScope(a, ""); err != nil {
		return nil, err
	}
	if a.Role == order.RoleHandler {
		return nil, apperr.New(apperr.Forbidden, "the weekly report covers every unit: leaders, dispatchers and admins")
	}
	day := store.DayOf(s.now()) - 7
	if week != "" {
		t, err := time.ParseInLocation("2006-01-02", week, calendar.Shanghai)
		if err != nil {
			return nil, apperr.Field("week", "a date like 2026-11-23")
		}
		day = store.DayOf(t)
	}
	monday := day - ((day-4)%7+7)%7
	w := daysPeriod(monday, monday+7)
	ov, err := s.Overview(ctx, a, w.From, w.To, "")
	if err != nil {
		return nil, err
	}
	b := &report.Book{FileName: "12345工单周报-" + w.From + "至" + w.To}
	report.OverviewSheets(b, reportOverview(ov))
	rk, err := s.Ranking(ctx, a, w.From, w.To, "")
	if err != nil {
		return nil, err
	}
	report.RankingSheet(b, "本周排名", reportRanking(rk))
	ms := store.DayOf(store.DayStart(monday+6).In(calendar.Shanghai).AddDate(0, 0, 0))
	l := store.DayStart(ms).In(calendar.Shanghai)
	mFrom := time.Date(l.Year(), l.Month(), 1, 0, 0, 0, 0, calendar.Shanghai).Format("2006-01-02")
	mk, err := s.Ranking(ctx, a, mFrom, w.To, "")
	if err != nil {
		return nil, err
	}
	report.RankingSheet(b, "本月累计排名", reportRanking(mk))
	tv, err := s.Trends(ctx, a, w.From, w.To, "", 4, 0)
	if err != nil {
		return nil, err
	}
	var places []report.Named
	for _, r := range tv.RepeatPlaces {
		places = append(places, report.Named{Key: r.Key, Name: r.Name, N: int64(r.Count)})
	}
	report.TrendSheets(b, tv.Categories, places)
	return b, nil
}
