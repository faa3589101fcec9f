package web

import (
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
		fe.Add("q", "too long: at most 200 characters")
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
	status := http.StatusOK
	if err := fe.Err(); err != nil {
		status = w.applyErr(p, err)
	} else {
		lq.Masked = true // a result list needs no full numbers; the order page shows them
		list, next, err := w.svc.ListOrders(ctx, p.Actor, lq)
		if err != nil {
			status = w.applyErr(p, err)
		} else {
			v.Orders, v.Searched = list, true
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
