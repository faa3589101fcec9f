package api

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"hotline/internal/apperr"
	"hotline/internal/calendar"
	"hotline/internal/report"
)

// registerDashboard mounts the dashboards and reports of issue 5
// (docs/dashboards.md).
func (a *API) registerDashboard(mux *http.ServeMux) {
	mux.Handle("GET /api/v1/dashboard/overview", a.route("dashboard.overview", a.authed(a.dashOverview)))
	mux.Handle("GET /api/v1/dashboard/ranking", a.route("dashboard.ranking", a.authed(a.dashRanking)))
	mux.Handle("GET /api/v1/dashboard/trends", a.route("dashboard.trends", a.authed(a.dashTrends)))
	mux.Handle("GET /api/v1/dashboard/map", a.route("dashboard.map", a.authed(a.dashMap)))
	mux.Handle("GET /api/v1/dashboard/praise", a.route("dashboard.praise", a.authed(a.dashPraise)))
	mux.Handle("GET /api/v1/reports/{name}", a.route("reports", a.authed(a.report)))
}

func intParam(q url.Values, name string) (int, error) {
	v := q.Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, apperr.Field(name, "a whole number")
	}
	return n, nil
}

func (a *API) dashOverview(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v, err := a.Dash.Overview(r.Context(), actor(r), q.Get("from"), q.Get("to"), q.Get("unit"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (a *API) dashRanking(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v, err := a.Dash.Ranking(r.Context(), actor(r), q.Get("from"), q.Get("to"), q.Get("sort"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (a *API) dashTrends(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	weeks, err := intParam(q, "weeks")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	min, err := intParam(q, "min_repeat")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	v, err := a.Dash.Trends(r.Context(), actor(r), q.Get("from"), q.Get("to"), q.Get("unit"), weeks, min)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (a *API) dashMap(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v, err := a.Dash.Map(r.Context(), actor(r), q.Get("from"), q.Get("to"), q.Get("unit"), q.Get("category"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (a *API) dashPraise(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	v, err := a.Dash.Praise(r.Context(), actor(r), q.Get("from"), q.Get("to"), q.Get("unit"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// report answers GET /api/v1/reports/{ranking|overview|orders|weekly}.{xlsx|csv}
// with an attachment.
func (a *API) report(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	base, ext, _ := strings.Cut(name, ".")
	if ext != "xlsx" && ext != "csv" {
		a.fail(w, r, apperr.New(apperr.NotFound, "no such report %q: use .xlsx or .csv", truncateName(name)))
		return
	}
	q := r.URL.Query()
	ctx, act := r.Context(), actor(r)
	var (
		book *report.Book
		err  error
	)
	switch base {
	case "ranking":
		book, err = a.Dash.RankingReport(ctx, act, q.Get("from"), q.Get("to"), q.Get("sort"))
	case "overview":
		book, err = a.Dash.OverviewReport(ctx, act, q.Get("from"), q.Get("to"), q.Get("unit"))
	case "orders":
		lq, perr := ParseListQuery(q)
		if perr != nil {
			a.fail(w, r, perr)
			return
		}
		book, err = a.Dash.OrdersReport(ctx, act, lq)
	case "weekly":
		if ext != "xlsx" {
			a.fail(w, r, apperr.Field("format", "the weekly report is one workbook: use weekly.xlsx"))
			return
		}
		book, err = a.Dash.WeeklyReport(ctx, act, q.Get("week"))
	default:
		err = apperr.New(apperr.NotFound, "no such report %q", truncateName(base))
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	var buf bytes.Buffer
	ctype := "text/csv; charset=utf-8"
	if ext == "xlsx" {
		ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		err = book.WriteXLSX(&buf)
	} else {
		err = book.WriteCSV(&buf)
	}
	if err != nil {
		a.fail(w, r, apperr.Wrap(err, "write the report"))
		return
	}
	file := book.FileName + "-" + time.Now().In(calendar.Shanghai).Format("20060102") + "." + ext
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="`+asciiName(base, ext)+`"; filename*=UTF-8''`+url.PathEscape(file))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	w.Write(buf.Bytes())
}

func asciiName(base, ext string) string {
	return "hotline-" + base + "-" + time.Now().In(calendar.Shanghai).Format("20060102") + "." + ext
}

func truncateName(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
