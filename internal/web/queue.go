package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"hotline/internal/apperr"
	"hotline/internal/order"
	"hotline/internal/org"
	"hotline/internal/service"
)

// queueTabs are the dispatcher's tabs, in order.
var queueTabs = []string{"received", "returned", "return_requested", "replied", "reviewed", "overdue", "supervised"}

// countCap is where the overdue and supervised counts stop counting ("200+").
const countCap = 200

type tab struct {
	Key    string
	Count  int
	More   bool // the count is capped
	Active bool
}

// queueView is the dispatcher's queue.
type queueView struct {
	Heading string
	Tab     string
	Tabs    []tab
	Orders  []queueRow
	Next    string
	Units   []org.Unit
	Done    int // how many a bulk dispatch moved
	Failed  []string
}

type queueRow struct {
	service.OrderView
	Suggested string // the unit preselected for dispatch
}

// overdueStatuses are the states an order can be overdue in: naming them
// lets the database use its status index instead of scanning every order.
var overdueStatuses = []order.Status{order.Dispatched, order.Accepted, order.InProgress, order.ReturnRequested}

func openStatuses() []order.Status {
	var out []order.Status
	for _, s := range order.Statuses {
		if s.Open() {
			out = append(out, s)
		}
	}
	return out
}

// cappedCount counts a filter's orders up to countCap.
func (w *Web) cappedCount(ctx context.Context, a service.Actor, q service.ListQuery) (int, bool) {
	n, more, err := w.svc.CountOrders(ctx, a, q, countCap)
	if err != nil {
		return 0, false
	}
	return n, more
}

func (w *Web) queue(rw http.ResponseWriter, r *http.Request, p *Page) {
	p.Nav, p.Title = "queue", p.T("queue.title")
	ctx := r.Context()
	q := r.URL.Query()
	v := queueView{Tab: q.Get("tab"), Heading: p.T("queue.title")}
	tabs := queueTabs
	if p.User.Role == order.RoleOperator {
		// The operator's queue is the callbacks: one tab, named as the
		// menu names it, not the dispatcher's page with every tab.
		tabs = []string{"reviewed"}
		v.Heading = p.T("nav.callbacks")
		p.Title = v.Heading
	}
	if !slices.Contains(tabs, v.Tab) {
		v.Tab = tabs[0]
	}
	counts, err := w.svc.StatusCounts(ctx, p.Actor)
	if err != nil {
		w.fail(rw, r, p, err)
		return
	}
	for _, t := range tabs {
		tb := tab{Key: t, Active: t == v.Tab}
		switch t {
		case "overdue":
			tb.Count, tb.More = w.cappedCount(ctx, p.Actor, service.ListQuery{Overdue: true, Status: overdueStatuses})
		case "supervised":
			tb.Count, tb.More = w.cappedCount(ctx, p.Actor, service.ListQuery{Supervised: true, Status: openStatuses()})
		default:
			tb.Count = counts[order.Status(t)]
		}
		v.Tabs = append(v.Tabs, tb)
	}
	lq := service.ListQuery{Limit: PageSize, Cursor: q.Get("cursor"), Masked: true}
	switch v.Tab {
	case "overdue":
		lq.Overdue, lq.Status = true, overdueStatuses
	case "supervised":
		lq.Supervised, lq.Status = true, openStatuses()
	default:
		lq.Status = []order.Status{order.Status(v.Tab)}
	}
	list, next, err := w.svc.ListOrders(ctx, p.Actor, lq)
	if err != nil {
		w.fail(rw, r, p, err)
		return
	}
	for _, o := range list {
		row := queueRow{OrderView: o, Suggested: o.Unit}
		if row.Suggested == "" {
			row.Suggested = w.svc.SuggestUnit(&o.Order)
		}
		v.Orders = append(v.Orders, row)
	}
	v.Next = next
	if v.Units, err = w.activeUnits(ctx); err != nil {
		w.fail(rw, r, p, err)
		return
	}
	if d := q.Get("sent"); d != "" {
		v.Done, _ = strconv.Atoi(d)
		p.Flash = p.T("queue.bulk_done", v.Done)
	}
	if f := q.Get("failed"); f != "" {
		p.Error = p.T("queue.bulk_failed", f)
	}
	p.Data = v
	w.render(rw, p, http.StatusOK, "queue")
}

// activeUnits are the units an order can be dispatched to.
func (w *Web) activeUnits(ctx context.Context) ([]org.Unit, error) {
	all, err := w.svc.Units(ctx)
	if err != nil {
		return nil, err
	}
	var out []org.Unit
	for _, u := range all {
		if u.Active && u.Kind != "center" {
			out = append(out, u)
		}
	}
	return out, nil
}

// bulkDispatch dispatches the ticked orders to one unit. Each box carries
// "id:version", so an order changed since the page loaded is refused, not
// overwritten.
func (w *Web) bulkDispatch(rw http.ResponseWriter, r *http.Request, p *Page) {
	ctx := r.Context()
	unit := r.PostFormValue("unit")
	picks := r.PostForm["pick"]
	back := safeReturn(r.PostFormValue("return"), "/queue")
	if unit == "" || len(picks) == 0 {
		http.Redirect(rw, r, addQuery(back, "failed", p.T("queue.bulk_empty")), http.StatusSeeOther)
		return
	}
	if len(picks) > 200 {
		w.fail(rw, r, p, apperr.Field("pick", "at most 200 at once"))
		return
	}
	done := 0
	var failed []string
	for _, pk := range picks {
		id, ver, ok := strings.Cut(pk, ":")
		n, err := strconv.ParseInt(ver, 10, 64)
		if !ok || err != nil {
			failed = append(failed, id)
			continue
		}
		if _, err := w.svc.Act(ctx, p.Actor, id, order.ActDispatch, order.Input{Version: &n, Unit: unit}); err != nil {
			failed = append(failed, id)
			continue
		}
		done++
	}
	dest := addQuery(back, "sent", strconv.Itoa(done))
	if len(failed) > 0 {
		dest = addQuery(dest, "failed", strconv.Itoa(len(failed)))
	}
	http.Redirect(rw, r, dest, http.StatusSeeOther)
}

func addQuery(path, k, v string) string {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return path + sep + k + "=" + url.QueryEscape(v)
}
