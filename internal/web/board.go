package web

import (
	"net/http"
	"sort"
	"time"

	"hotline/internal/calendar"
	"hotline/internal/dashboard"
	"hotline/internal/order"
	"hotline/internal/service"
)

// boardView is the leader's board.
type boardView struct {
	Today      dashboard.Summary
	Replied    int
	Closed     int
	Overdue    []unitGroup
	OverdueN   int
	OverdueMax bool
	Supervised []unitGroup
	SupN       int
	Units      []dashboard.UnitSummary
	Month      string
	Hotspots   []service.Hotspot // the top clusters of the text intelligence
	HotOff     bool              // the text intelligence is not running
}

// unitGroup is a unit's orders on the board.
type unitGroup struct {
	Unit   string
	Orders []service.OrderView
}

func groupByUnit(list []service.OrderView) []unitGroup {
	idx := map[string]int{}
	var out []unitGroup
	for _, o := range list {
		i, ok := idx[o.Unit]
		if !ok {
			i = len(out)
			idx[o.Unit] = i
			out = append(out, unitGroup{Unit: o.Unit})
		}
		out[i].Orders = append(out[i].Orders, o)
	}
	sort.SliceStable(out, func(i, j int) bool { return len(out[i].Orders) > len(out[j].Orders) })
	return out
}

func (w *Web) board(rw http.ResponseWriter, r *http.Request, p *Page) {
	p.Nav, p.Title = "board", p.T("board.title")
	ctx := r.Context()
	now := time.Now().In(calendar.Shanghai)
	today := now.Format("2006-01-02")
	var v boardView
	var err error
	if v.Today, err = w.dash.Summary(ctx, p.Actor, today, today, ""); err != nil {
		w.fail(rw, r, p, err)
		return
	}
	v.Replied = v.Today.ByStatus[order.Replied] + v.Today.ByStatus[order.Reviewed] + v.Today.ByStatus[order.Closed]
	v.Closed = v.Today.ByStatus[order.Closed] + v.Today.ByStatus[order.Answered]
	over, next, err := w.svc.ListOrders(ctx, p.Actor, service.ListQuery{Overdue: true, Status: overdueStatuses, Limit: countCap, Masked: true})
	if err != nil {
		w.fail(rw, r, p, err)
		return
	}
	v.Overdue, v.OverdueN, v.OverdueMax = groupByUnit(over), len(over), next != ""
	sup, _, err := w.svc.ListOrders(ctx, p.Actor, service.ListQuery{Supervised: true, Status: openStatuses(), Limit: countCap, Masked: true})
	if err != nil {
		w.fail(rw, r, p, err)
		return
	}
	v.Supervised, v.SupN = groupByUnit(sup), len(sup)
	v.Month = now.Format("2006-01")
	if v.Units, err = w.dash.UnitStats(ctx, p.Actor, now.Format("2006-01")+"-01", today); err != nil {
		w.fail(rw, r, p, err)
		return
	}
	v.Hotspots, v.HotOff = w.hotspotsOf(ctx, p, 5)
	p.Data = v
	w.render(rw, p, http.StatusOK, "board")
}
