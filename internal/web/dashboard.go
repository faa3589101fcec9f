package web

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"hotline/internal/apperr"
	"hotline/internal/calendar"
	"hotline/internal/dashboard"
	"hotline/internal/order"
	"hotline/internal/org"
	"hotline/internal/service"
)

// The leaders' dashboards (issue 5): overview, unit ranking, trends, the
// hotspot map and the praise board. Every figure comes from the service's
// Dashboard* calls, the same as /api/v1/dashboard/*; the exports are links
// to /api/v1/reports with the page's filters (the session cookie works
// there). Charts are ECharts (static/vendor) fed from JSON islands; each
// has a table under it, open when JavaScript is off (static/dash.js closes
// it and draws the chart).

// dashRoles may open the dashboards; the service limits a handler to their
// own unit and refuses everyone else.
var dashRoles = []order.Role{order.RoleLeader, order.RoleDispatcher, order.RoleAdmin, order.RoleHandler}

// registerDashboards mounts the dashboard pages (called from Register).
func (w *Web) registerDashboards(mux *http.ServeMux) {
	mux.HandleFunc("GET /dashboard", w.page(dashRoles, w.dashOverview))
	mux.HandleFunc("GET /dashboard/ranking", w.page(dashRoles, w.dashRanking))
	mux.HandleFunc("GET /dashboard/trends", w.page(dashRoles, w.dashTrends))
	mux.HandleFunc("GET /dashboard/map", w.page(dashRoles, w.dashMap))
	mux.HandleFunc("GET /dashboard/praise", w.page(dashRoles, w.dashPraise))
	mux.HandleFunc("GET /bigscreen", w.page(dashRoles, w.bigscreen))
	hot := []order.Role{order.RoleLeader, order.RoleDispatcher, order.RoleOperator, order.RoleAdmin}
	mux.HandleFunc("GET /hotspots", w.page(hot, w.hotspots))
	mux.HandleFunc("POST /hotspots/{id}/merge", w.page([]order.Role{order.RoleDispatcher}, w.mergeHotspot))
	mux.HandleFunc("POST /hotspots/{id}/case", w.page([]order.Role{order.RoleDispatcher}, w.hotspotCase))
}

// dashFilter is what a dashboard page was asked for, for its filter form,
// its tabs and its export links.
type dashFilter struct {
	Path     string
	From, To string // as asked ("" = the page's default)
	Unit     string
	Category string
	Sort     string
	Weeks    int
	Own      bool       // a handler: the unit is theirs, no picker
	Units    []org.Unit // the picker
	Cats     []org.Category
	Presets  []preset
}

// preset is a quick period link.
type preset struct {
	Label, URL string
	Current    bool
}

// dashTab is one tab of the dashboards' navigation.
type dashTab struct {
	Key, Path string
}

var dashTabs = []dashTab{{"overview", "/dashboard"}, {"ranking", "/dashboard/ranking"}, {"trends", "/dashboard/trends"}, {"map", "/dashboard/map"}, {"praise", "/dashboard/praise"}}

func (w *Web) dashFilterOf(p *Page, path string) (dashFilter, error) {
	q := p.r.URL.Query()
	f := dashFilter{Path: path, From: q.Get("from"), To: q.Get("to"), Unit: q.Get("unit"), Category: q.Get("category"), Sort: q.Get("sort")}
	if n, err := strconv.Atoi(q.Get("weeks")); err == nil {
		f.Weeks = n
	}
	if p.User.Role == order.RoleHandler {
		f.Own = true
		if f.Unit == "" {
			f.Unit = p.User.Unit
		}
	} else {
		us, err := w.activeUnits(p.r.Context())
		if err != nil {
			return f, err
		}
		f.Units = us
	}
	return f, nil
}

// URL is the page (or another dashboard) with the filter and changes.
func (f dashFilter) URL(path string, kv ...string) string {
	v := url.Values{}
	for k, s := range map[string]string{"from": f.From, "to": f.To, "unit": f.Unit, "category": f.Category, "sort": f.Sort} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if f.Own {
		v.Del("unit")
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			v.Del(kv[i])
		} else {
			v.Set(kv[i], kv[i+1])
		}
	}
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

// TabURL keeps only the unit when moving between dashboards (each has its
// own default period).
func (f dashFilter) TabURL(path string) string {
	if f.Unit == "" || f.Own {
		return path
	}
	return path + "?unit=" + url.QueryEscape(f.Unit)
}

// presets are this month, last month, the last 7 and 30 days and this year.
func (p *Page) presets(f dashFilter, from, to string) []preset {
	now := time.Now().In(calendar.Shanghai)
	day := func(t time.Time) string { return t.Format("2006-01-02") }
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, calendar.Shanghai)
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, calendar.Shanghai)
	list := []struct{ key, from, to string }{
		{"dash.this_month", day(month), day(today)},
		{"dash.last_month", day(month.AddDate(0, -1, 0)), day(month.AddDate(0, 0, -1))},
		{"dash.last_7", day(today.AddDate(0, 0, -6)), day(today)},
		{"dash.last_30", day(today.AddDate(0, 0, -29)), day(today)},
		{"dash.this_year", day(time.Date(now.Year(), 1, 1, 0, 0, 0, 0, calendar.Shanghai)), day(today)},
	}
	var out []preset
	for _, x := range list {
		out = append(out, preset{Label: p.T(x.key), URL: f.URL(f.Path, "from", x.from, "to", x.to), Current: x.from == from && x.to == to})
	}
	return out
}

// ScopeName names the units a page covers.
func (p *Page) ScopeName(unit string) string {
	if unit == "" {
		return p.T("dash.all_units")
	}
	return p.UnitName(unit)
}

// Rate shows a rate; no data is "—" with the tooltip "无数据", never 0% or 100%.
func (p *Page) Rate(r *float64) template.HTML {
	if r == nil {
		return template.HTML(`<span class="nodata" title="` + template.HTMLEscapeString(p.T("dash.nodata")) + `">—</span>`)
	}
	return template.HTML(template.HTMLEscapeString(p.Pct(r)))
}

// Change shows a rate's change against the previous period in percentage
// points, green when better (lower is better for the reopen rate).
func (p *Page) Change(r *float64, lowerBetter bool) template.HTML {
	if r == nil {
		return template.HTML(`<span class="chg nodata" title="` + template.HTMLEscapeString(p.T("dash.nodata_prev")) + `">—</span>`)
	}
	v := *r * 100
	cls, sign := "flat", "±"
	switch {
	case v > 0.05:
		cls, sign = "up", "▲ +"
	case v < -0.05:
		cls, sign = "down", "▼ "
	}
	if (cls == "up" && !lowerBetter) || (cls == "down" && lowerBetter) {
		cls += " good"
	} else if cls != "flat" {
		cls += " bad"
	}
	return template.HTML(fmt.Sprintf(`<span class="chg %s" title="%s">%s%.1f %s</span>`, cls, template.HTMLEscapeString(p.T("dash.change_tip")), sign, v, template.HTMLEscapeString(p.T("dash.pp"))))
}

// chart is the data of one ECharts chart (static/dash.js turns it into
// options); the page shows the same numbers in a table.
type chart struct {
	ID     string        `json:"-"`
	Title  string        `json:"-"`
	Kind   string        `json:"kind"` // line, bar, hbar (horizontal), stack
	X      []string      `json:"x"`
	Series []chartSeries `json:"series"`
	Pct    bool          `json:"pct,omitempty"` // values are rates in [0, 1]
	Links  []string      `json:"links,omitempty"`
}

type chartSeries struct {
	Name string `json:"name"`
	Data []any  `json:"data"` // numbers, or null for no data
}

func rateVal(r *float64) any {
	if r == nil {
		return nil
	}
	return *r
}

// rateRow is one of the five rates on the overview.
type rateRow struct {
	Key         string
	Rate, Prev  *float64
	Change      *float64
	Sample      int
	PrevSample  int
	LowerBetter bool
}

type statusCount struct {
	Status order.Status
	N      int
}

// overviewView is the overview page's data.
type overviewView struct {
	F          dashFilter
	O          dashboard.Overview
	Rates      []rateRow
	Statuses   []statusCount
	PerDay     chart
	ByType     chart
	ByCategory chart
	ByUnit     chart
	Export     map[string]string
	Weekly     string
	ClosedNow  int // orders received in the period that are closed now
}

func rateRows(o dashboard.Overview) []rateRow {
	return []rateRow{
		{"response", o.Response, o.PreviousRates.Response, o.Change.Response, o.Samples.ResponseBase, o.PreviousSamples.ResponseBase, false},
		{"on_time", o.OnTime, o.PreviousRates.OnTime, o.Change.OnTime, o.Samples.OnTimeBase, o.PreviousSamples.OnTimeBase, false},
		{"resolution", o.Resolution, o.PreviousRates.Resolution, o.Change.Resolution, o.Samples.Callbacks, o.PreviousSamples.Callbacks, false},
		{"satisfaction", o.Satisfaction, o.PreviousRates.Satisfaction, o.Change.Satisfaction, o.Samples.Callbacks, o.PreviousSamples.Callbacks, false},
		{"reopen", o.Reopen, o.PreviousRates.Reopen, o.Change.Reopen, o.Samples.Closed, o.PreviousSamples.Closed, true},
	}
}

func statusCounts(m map[order.Status]int) []statusCount {
	var out []statusCount
	for _, s := range order.Statuses {
		if n := m[s]; n > 0 {
			out = append(out, statusCount{s, n})
		}
	}
	return out
}

func (w *Web) dashOverview(rw http.ResponseWriter, r *http.Request, p *Page) {
	p.Nav, p.Title = "dashboard", p.T("dash.overview.title")
	f, err := w.dashFilterOf(p, "/dashboard")
	if err != nil {
		w.dashFail(rw, r, p, err)
		return
	}
	o, err := w.dash.Overview(r.Context(), p.Actor, f.From, f.To, f.Unit)
	if err != nil {
		w.dashFail(rw, r, p, err)
		return
	}
	f.Presets = p.presets(f, o.Period.From, o.Period.To)
	v := overviewView{F: f, O: o, Rates: rateRows(o), Statuses: statusCounts(o.ByStatus), ClosedNow: o.ByStatus[order.Closed]}
	v.PerDay, v.ByType, v.ByCategory, v.ByUnit = p.overviewCharts(o)
	v.Export = exportLinks(o.Period, o.Unit)
	if p.User.Role != order.RoleHandler {
		v.Weekly = "/api/v1/reports/weekly.xlsx"
	}
	p.Data = v
	w.render(rw, p, http.StatusOK, "dashboard_overview")
}

// overviewCharts are the overview's charts: orders per day, by type, by
// category and by unit.
func (p *Page) overviewCharts(o dashboard.Overview) (perDay, byType, byCat, byUnit chart) {
	perDay = chart{ID: "c-perday", Title: p.T("dash.per_day"), Kind: "line", Series: []chartSeries{{Name: p.T("dash.in")}, {Name: p.T("dash.closed")}}}
	for _, d := range o.PerDay {
		perDay.X = append(perDay.X, d.Date[5:])
		perDay.Series[0].Data = append(perDay.Series[0].Data, d.In)
		perDay.Series[1].Data = append(perDay.Series[1].Data, d.Closed)
	}
	byType = chart{ID: "c-type", Title: p.T("dash.by_type"), Kind: "bar", Series: []chartSeries{{Name: p.T("dash.orders")}}}
	for _, k := range o.ByType {
		byType.X = append(byType.X, p.TypeName(order.Type(k.Key)))
		byType.Series[0].Data = append(byType.Series[0].Data, k.N)
	}
	byCat = chart{ID: "c-cat", Title: p.T("dash.by_category"), Kind: "hbar", Series: []chartSeries{{Name: p.T("dash.orders")}}}
	for i, k := range o.ByCategory {
		if i >= 15 {
			break
		}
		byCat.X = append(byCat.X, p.catLabel(k))
		byCat.Series[0].Data = append(byCat.Series[0].Data, k.N)
	}
	byUnit = chart{ID: "c-unit", Title: p.T("dash.by_unit"), Kind: "bar", Series: []chartSeries{{Name: p.T("dash.orders")}}}
	for _, u := range o.ByUnit {
		byUnit.X = append(byUnit.X, p.UnitName(u.Unit))
		byUnit.Series[0].Data = append(byUnit.Series[0].Data, u.Orders)
	}
	return
}

// catLabel names a category count in the page's language.
func (p *Page) catLabel(k dashboard.KeyCount) string {
	if k.Key == "" {
		return p.T("dash.no_category")
	}
	if n := p.CatName(k.Key); n != "" && n != k.Key {
		return n
	}
	if k.Name != "" {
		return k.Name
	}
	return k.Key
}

// CatKN names a category given its code and the service's name.
func (p *Page) CatKN(key, name string) string {
	return p.catLabel(dashboard.KeyCount{Key: key, Name: name})
}

// StatusText names a status given as a string.
func (p *Page) StatusText(s string) string { return p.StatusName(order.Status(s)) }

// exportLinks are the /api/v1/reports links of a period and unit.
func exportLinks(per dashboard.DashPeriod, unit string) map[string]string {
	v := url.Values{"from": {per.From}, "to": {per.To}}
	if unit != "" {
		v.Set("unit", unit)
	}
	q := v.Encode()
	return map[string]string{
		"overview_xlsx": "/api/v1/reports/overview.xlsx?" + q,
		"overview_csv":  "/api/v1/reports/overview.csv?" + q,
		"orders_xlsx":   "/api/v1/reports/orders.xlsx?" + q,
		"orders_csv":    "/api/v1/reports/orders.csv?" + q,
	}
}

// rankingView is the unit ranking page.
type rankingView struct {
	F      dashFilter
	R      dashboard.Ranking
	Chart  chart
	Sorts  []string
	Export map[string]string
}

func (w *Web) dashRanking(rw http.ResponseWriter, r *http.Request, p *Page) {
	p.Nav, p.Title = "dashboard", p.T("dash.ranking.title")
	f, err := w.dashFilterOf(p, "/dashboard/ranking")
	if err != nil {
		w.dashFail(rw, r, p, err)
		return
	}
	rk, err := w.dash.Ranking(r.Context(), p.Actor, f.From, f.To, f.Sort)
	if err != nil {
		w.dashFail(rw, r, p, err)
		return
	}
	f.Presets = p.presets(f, rk.Period.From, rk.Period.To)
	v := rankingView{F: f, R: rk, Sorts: dashboard.RankSorts}
	v.Chart = chart{ID: "c-rank", Title: p.T("dash.ranking.chart"), Kind: "bar", Pct: true,
		Series: []chartSeries{{Name: p.T("rate.satisfaction")}, {Name: p.T("rate.resolution")}, {Name: p.T("rate.response")}}}
	for _, u := range rk.Units {
		if !u.Ranked {
			continue
		}
		v.Chart.X = append(v.Chart.X, p.UnitName(u.Code))
		v.Chart.Series[0].Data = append(v.Chart.Series[0].Data, rateVal(u.Satisfaction))
		v.Chart.Series[1].Data = append(v.Chart.Series[1].Data, rateVal(u.Resolution))
		v.Chart.Series[2].Data = append(v.Chart.Series[2].Data, rateVal(u.Response))
	}
	q := url.Values{"from": {rk.Period.From}, "to": {rk.Period.To}, "sort": {rk.Sort}}.Encode()
	v.Export = map[string]string{"ranking_xlsx": "/api/v1/reports/ranking.xlsx?" + q, "ranking_csv": "/api/v1/reports/ranking.csv?" + q}
	p.Data = v
	w.render(rw, p, http.StatusOK, "dashboard_ranking")
}

// trendsView is the trends page.
type trendsView struct {
	F     dashFilter
	T     dashboard.TrendsView
	Weeks []string
	Chart chart
}

func (w *Web) dashTrends(rw http.ResponseWriter, r *http.Request, p *Page) {
	p.Nav, p.Title = "dashboard", p.T("dash.trends.title")
	f, err := w.dashFilterOf(p, "/dashboard/trends")
	if err != nil {
		w.dashFail(rw, r, p, err)
		return
	}
	tv, err := w.dash.Trends(r.Context(), p.Actor, f.From, f.To, f.Unit, f.Weeks, 0)
	if err != nil {
		w.dashFail(rw, r, p, err)
		return
	}
	f.Presets = p.presets(f, tv.Period.From, tv.Period.To)
	v := trendsView{F: f, T: tv}
	for _, wk := range tv.Weeks {
		v.Weeks = append(v.Weeks, wk.From[5:])
	}
	v.Chart = chart{ID: "c-trends", Title: p.T("dash.trends.chart"), Kind: "line", X: v.Weeks}
	for i, c := range tv.Categories {
		if i >= 6 {
			break
		}
		s := chartSeries{Name: p.catLabel(dashboard.KeyCount{Key: c.Key, Name: c.Name})}
		for _, n := range c.Weeks {
			s.Data = append(s.Data, n)
		}
		v.Chart.Series = append(v.Chart.Series, s)
	}
	p.Data = v
	w.render(rw, p, http.StatusOK, "dashboard_trends")
}

// ShortKey shows the beginning of a repeat caller's hash (never a number).
func (p *Page) ShortKey(k string) string {
	if len(k) > 10 {
		return k[:10] + "…"
	}
	return k
}

// Ratio shows a week-over-week ratio as a percentage, "—" when the week
// before had nothing.
func (p *Page) Ratio(r *float64) template.HTML {
	if r == nil {
		return template.HTML(`<span class="nodata" title="` + template.HTMLEscapeString(p.T("dash.ratio_none")) + `">—</span>`)
	}
	return template.HTML(fmt.Sprintf("%+.0f%%", *r*100))
}

// When shows an RFC 3339 time in Asia/Shanghai.
func (p *Page) When(s string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return p.Time(t)
}

// Firsts returns at most n strings of a list.
func (p *Page) Firsts(l []string, n int) []string {
	if len(l) > n {
		return l[:n]
	}
	return l
}

// praiseView is the praise board.
type praiseView struct {
	F      dashFilter
	P      dashboard.PraiseView
	Months []string
	Chart  chart
}

func (w *Web) dashPraise(rw http.ResponseWriter, r *http.Request, p *Page) {
	p.Nav, p.Title = "dashboard", p.T("dash.praise.title")
	f, err := w.dashFilterOf(p, "/dashboard/praise")
	if err != nil {
		w.dashFail(rw, r, p, err)
		return
	}
	pv, err := w.dash.Praise(r.Context(), p.Actor, f.From, f.To, f.Unit)
	if err != nil {
		w.dashFail(rw, r, p, err)
		return
	}
	f.Presets = p.presets(f, pv.Period.From, pv.Period.To)
	v := praiseView{F: f, P: pv, Months: pv.Months}
	v.Chart = chart{ID: "c-praise", Title: p.T("dash.praise.chart"), Kind: "stack", X: pv.Months}
	for _, u := range pv.ByUnit {
		s := chartSeries{Name: p.UnitName(u.Unit)}
		for _, n := range u.PerMonth {
			s.Data = append(s.Data, n)
		}
		v.Chart.Series = append(v.Chart.Series, s)
	}
	p.Data = v
	w.render(rw, p, http.StatusOK, "dashboard_praise")
}

// hotspotsOf reads the top clusters; off is true when the text
// intelligence is not running (no clusters to show, not an error).
func (w *Web) hotspotsOf(ctx context.Context, p *Page, limit int) (hs []service.Hotspot, off bool) {
	hs, err := w.svc.Hotspots(ctx, p.Actor, limit)
	if err != nil {
		return nil, true
	}
	sort.SliceStable(hs, func(i, j int) bool { return hs[i].Heat > hs[j].Heat })
	return hs, false
}

// Heat shows a hotspot's heat score.
func (p *Page) Heat(h float64) string { return strconv.FormatFloat(h, 'f', 1, 64) }

// DashTabs are the dashboards' tabs; RankSorts the ranking's sort keys.
func (p *Page) DashTabs() []dashTab { return dashTabs }
func (p *Page) RankSorts() []string { return dashboard.RankSorts }

// Cell shows one value of a chart's table: a count, a rate, or "—".
func (p *Page) Cell(pct bool, v any) template.HTML {
	if v == nil {
		return p.Rate(nil)
	}
	if pct {
		if f, ok := v.(float64); ok {
			return p.Rate(&f)
		}
	}
	return template.HTML(template.HTMLEscapeString(fmt.Sprint(v)))
}

// dashFail is fail, with a refused filter named in the message (the
// dashboards' filters are in the URL, not a form to mark).
func (w *Web) dashFail(rw http.ResponseWriter, r *http.Request, p *Page, err error) {
	e := apperr.As(err)
	if e.Code == apperr.Invalid && len(e.Fields) > 0 {
		var parts []string
		for f := range e.Fields {
			parts = append(parts, p.T("dash.field."+f)+"："+w.problem(p.Lang, e.Problem(f)))
		}
		sort.Strings(parts)
		err = apperr.New(apperr.Invalid, "%s", strings.Join(parts, "；"))
	}
	w.fail(rw, r, p, err)
}
