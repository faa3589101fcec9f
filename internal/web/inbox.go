package web

import (
	"net/http"
	"sort"
	"time"

	"hotline/internal/order"
	"hotline/internal/service"
)

// inboxSteps are the handler's tabs: to sign, to contact, in progress, near
// the deadline.
var inboxSteps = []string{"sign", "contact", "progress", "near"}

var stepStatus = map[string][]order.Status{
	"sign":     {order.Dispatched},
	"contact":  {order.Accepted},
	"progress": {order.InProgress, order.ReturnRequested},
}

// nearWindow is how close a deadline must be to list the order as near.
const nearWindow = 24 * time.Hour

type inboxView struct {
	Step   string
	Tabs   []tab
	Orders []service.OrderView
	Next   string
}

// nextDeadline is the deadline of the step the order waits for.
func nextDeadline(o *order.Order) *time.Time {
	switch o.Status {
	case order.Dispatched:
		return o.SignDue
	case order.Accepted:
		return o.ContactDue
	}
	return o.Due
}

func (w *Web) inbox(rw http.ResponseWriter, r *http.Request, p *Page) {
	p.Nav, p.Title = "inbox", p.T("inbox.title")
	ctx := r.Context()
	q := r.URL.Query()
	v := inboxView{Step: q.Get("step")}
	if _, ok := stepStatus[v.Step]; !ok && v.Step != "near" {
		v.Step = "sign"
	}
	// The unit's open orders, newest first: a unit holds far fewer than
	// countCap at once, so "near" is computed from them.
	open, _, err := w.svc.ListOrders(ctx, p.Actor, service.ListQuery{Unit: p.User.Unit,
		Status: []order.Status{order.Dispatched, order.Accepted, order.InProgress}, Limit: countCap})
	if err != nil {
		w.fail(rw, r, p, err)
		return
	}
	var near []service.OrderView
	now := time.Now()
	for _, o := range open {
		if d := nextDeadline(&o.Order); d != nil && d.Sub(now) < nearWindow {
			near = append(near, o)
		}
	}
	sort.SliceStable(near, func(i, j int) bool { return nextDeadline(&near[i].Order).Before(*nextDeadline(&near[j].Order)) })
	for _, s := range inboxSteps {
		t := tab{Key: s, Active: s == v.Step}
		if s == "near" {
			t.Count = len(near)
		} else {
			t.Count, t.More = w.cappedCount(ctx, p.Actor, service.ListQuery{Status: stepStatus[s]})
		}
		v.Tabs = append(v.Tabs, t)
	}
	if v.Step == "near" {
		v.Orders = near
	} else {
		list, next, err := w.svc.ListOrders(ctx, p.Actor, service.ListQuery{Status: stepStatus[v.Step], Limit: PageSize, Cursor: q.Get("cursor")})
		if err != nil {
			w.fail(rw, r, p, err)
			return
		}
		v.Orders, v.Next = list, next
	}
	p.Data = v
	w.render(rw, p, http.StatusOK, "inbox")
}
