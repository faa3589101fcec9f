package web

import (
	"bytes"
	"net/http"
	"net/url"
	"time"

	"hotline/internal/apperr"
	"hotline/internal/calendar"
	"hotline/internal/order"
	"hotline/internal/org"
	"hotline/internal/service"
)

// searchView is the search page: the filters, a page of results and the
// cursor of the next page.
type searchView struct {
	Orders   []service.OrderView
	NextURL  string
	Units    []org.Unit
	Cats     []org.Category
	Searched bool
	Export   string // "?" and the search's query, for its export links
}

func (w *Web) search(rw http.ResponseWriter, r *http.Request, p *Page) {
	p.Nav, p.Title = "search", p.T("search.title")
	ctx := r.Context()
	q := r.URL.Query()
	p.Form = q
	var v searchView
	var err error
	if v.Units, err = w.svc.Units(ctx); err != nil {
		w.fail(rw, r, p, err)
		return
	}
	if v.Cats, err = w.svc.Categories(ctx); err != nil {
		w.fail(rw, r, p, err)
		return
	}
	lq, perr := searchQuery(q)
	status := http.StatusOK
	if perr != nil {
		status = w.applyErr(p, perr)
	} else {
		lq.Masked = true // a result list needs no full numbers; the order page shows them
		list, next, err := w.svc.ListOrders(ctx, p.Actor, lq)
		if err != nil {
			status = w.applyErr(p, err)
		} else {
			v.Orders, v.Searched = list, true
			v.Export = "?" + exportQuery(q)
			if next != "" {
				nq := url.Values{}
				for k, vs := range q {
					nq[k] = vs
				}
				nq.Set("cursor", next)
				nq.Del("lang")
				v.NextURL = "/search?" + nq.Encode()
			}
		}
	}
	p.Data = v
	w.render(rw, p, status, "search")
}

// searchQuery reads the search's filters (the page and its export share
// them, so an export holds exactly the rows searched).
func searchQuery(q url.Values) (service.ListQuery, error) {
	lq := service.ListQuery{Q: q.Get("q"), Unit: q.Get("unit"), Type: order.Type(q.Get("type")), Category: q.Get("category"),
		Overdue: q.Get("overdue") != "", Limit: PageSize, Cursor: q.Get("cursor"), Sort: service.SortRelevance}
	if q.Get("sort") == service.SortNewest {
		lq.Sort = service.SortNewest
	}
	if s := q.Get("status"); s != "" {
		lq.Status = []order.Status{order.Status(s)}
	} else if lq.Overdue {
		lq.Status = overdueStatuses
	}
	fe := apperr.Fields{}
	if len([]rune(lq.Q)) > 200 {
		fe.AddProblem("q", apperr.TooLong(200))
	}
	for _, k := range []string{"from", "to"} {
		if s := q.Get(k); s != "" {
			t, err := time.ParseInLocation("2006-01-02", s, calendar.Shanghai)
			if err != nil {
				fe.Add(k, "a date like 2026-11-01")
				continue
			}
			if k == "to" {
				t = t.AddDate(0, 0, 1)
				lq.To = &t
			} else {
				lq.From = &t
			}
		}
	}
	return lq, fe.Err()
}

// exportQuery is the search's query without the page cursor or the
// language: an export starts from the first row.
func exportQuery(q url.Values) string {
	e := url.Values{}
	for k, vs := range q {
		if k != "cursor" && k != "lang" {
			e[k] = vs
		}
	}
	return e.Encode()
}

// searchExport sends the current search's rows as .xlsx or .csv
// (service.SearchExport: the list's visibility and masking, audited).
func (w *Web) searchExport(rw http.ResponseWriter, r *http.Request, p *Page) {
	format := r.PathValue("format")
	if format != "xlsx" && format != "csv" {
		w.fail(rw, r, p, apperr.New(apperr.NotFound, "use .xlsx or .csv"))
		return
	}
	lq, err := searchQuery(r.URL.Query())
	if err != nil {
		w.fail(rw, r, p, err)
		return
	}
	book, err := w.svc.SearchExport(r.Context(), p.Actor, lq, exportQuery(r.URL.Query()))
	if err != nil {
		w.fail(rw, r, p, err)
		return
	}
	var buf bytes.Buffer
	ctype := "text/csv; charset=utf-8"
	if format == "xlsx" {
		ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		err = book.WriteXLSX(&buf)
	} else {
		err = book.WriteCSV(&buf)
	}
	if err != nil {
		w.fail(rw, r, p, apperr.Wrap(err, "write the export"))
		return
	}
	day := time.Now().In(calendar.Shanghai).Format("20060102")
	rw.Header().Set("Content-Type", ctype)
	rw.Header().Set("Content-Disposition", `attachment; filename="hotline-search-`+day+`.`+format+`"; filename*=UTF-8''`+url.PathEscape(book.FileName+"-"+day+"."+format))
	rw.Header().Set("Cache-Control", "no-store")
	rw.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = rw.Write(buf.Bytes())
}
