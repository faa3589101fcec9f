package web

import (
	"net/http"
	"time"

	"hotline/internal/calendar"
	"hotline/internal/dashboard"
	"hotline/internal/order"
	"hotline/internal/service"
)

// bigscreenView is the big-screen (大屏) page: this month's key numbers at
// 1920×1080, refreshed every 60 s (htmx; a meta refresh without JavaScript).
type bigscreenView struct {
	Month    dashboard.Overview
	Today    dashboard.Overview
	Rates    []rateRow
	Ranking  []dashboard.UnitSummary
	Hotspots []service.Hotspot
	PerDay   chart
	ByCat    chart
	SVG      svgMap
	Now      string
}

// BigscreenRefresh is the big screen's refresh interval in seconds.
const BigscreenRefresh = 60

func (w *Web) bigscreen(rw http.ResponseWriter, r *http.Request, p *Page) {
	p.Nav, p.Title = "bigscreen", p.T("big.title")
	ctx := r.Context()
	unit := ""
	if p.User.Role == order.RoleHandler {
		unit = p.User.Unit
	}
	now := time.Now().In(calendar.Shanghai)
	today := now.Format("2006-01-02")
	var v bigscreenView
	var err error
	if v.Month, err = w.dash.Overview(ctx, p.Actor, "", "", unit); err != nil {
		w.dashFail(rw, r, p, err)
		return
	}
	if v.Today, err = w.dash.Overview(ctx, p.Actor, today, today, unit); err != nil {
		w.dashFail(rw, r, p, err)
		return
	}
	v.Rates = rateRows(v.Month)
	rk, err := w.dash.Ranking(ctx, p.Actor, "", "", "")
	if err != nil {
		w.dashFail(rw, r, p, err)
		return
	}
	v.Ranking = rk.Units
	if len(v.Ranking) > 8 {
		v.Ranking = v.Ranking[:8]
	}
	if unit == "" {
		v.Hotspots, _ = w.hotspotsOf(ctx, p, 5)
	}
	mv, err := w.dash.Map(ctx, p.Actor, "", "", unit, "")
	if err != nil {
		w.dashFail(rw, r, p, err)
		return
	}
	v.SVG = drawMap(mv, v.Hotspots, 620, 420)
	v.PerDay, _, v.ByCat, _ = p.overviewCharts(v.Month)
	v.PerDay.ID, v.ByCat.ID = "b-perday", "b-cat"
	if len(v.ByCat.X) > 8 {
		v.ByCat.X, v.ByCat.Series[0].Data = v.ByCat.X[:8], v.ByCat.Series[0].Data[:8]
	}
	v.Now = now.Format("2006-01-02 15:04")
	p.Data = v
	if r.Header.Get("HX-Request") != "" {
		w.partial(rw, p, "bigscreen", "bs-body")
		return
	}
	w.render(rw, p, http.StatusOK, "bigscreen")
}

// Refresh is the big screen's refresh interval, for the template.
func (p *Page) Refresh() int { return BigscreenRefresh }
