package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"hotline/internal/apperr"
	"hotline/internal/order"
	"hotline/internal/org"
	"hotline/internal/service"
)

// orderView is the order page's data.
type orderView struct {
	service.OrderView
	Parent    *service.OrderView
	Children  []childRow
	Units     []org.Unit
	Suggested string
	Forms     []order.Action // the allowed actions that have a form
	Return    string
	Past      []service.PastCase // similar closed orders with their replies
	PastOn    bool               // the block is shown (the user's role, the intelligence running)
	Photos    []order.Photo      // the citizen's and the handlers' photos, without bytes
}

type childRow struct {
	ID, Number, Title string
}

// quickActions need no body: one button each.
var quickActions = map[order.Action]bool{order.ActAccept: true}

func (w *Web) orderData(p *Page, id string) (orderView, error) {
	ctx := p.r.Context()
	o, err := w.svc.GetOrder(ctx, p.Actor, id)
	if err != nil {
		return orderView{}, err
	}
	v := orderView{OrderView: o, Return: safeReturn(p.r.URL.Query().Get("return"), "")}
	if o.Parent != "" {
		if par, err := w.svc.GetOrder(ctx, p.Actor, o.Parent); err == nil {
			v.Parent = &par
		}
	}
	for i, c := range o.Children {
		if i >= 50 {
			break
		}
		row := childRow{ID: c, Number: c}
		if ch, err := w.svc.GetOrder(ctx, p.Actor, c); err == nil {
			row.Number, row.Title = ch.Number, ch.Title
		}
		v.Children = append(v.Children, row)
	}
	if hasAction(o.Allowed, "dispatch") || hasAction(o.Allowed, "redispatch") {
		if v.Units, err = w.activeUnits(ctx); err != nil {
			return v, err
		}
		v.Suggested = w.svc.SuggestUnit(&o.Order)
	}
	if v.Photos, err = w.svc.OrderPhotos(ctx, p.Actor, o.ID); err != nil {
		return v, err
	}
	if p.Is("operator", "dispatcher", "handler") {
		if past, err := w.svc.PastCases(ctx, p.Actor, o.ID, 5); err == nil {
			v.Past, v.PastOn = past, true
		}
	}
	for _, a := range o.Allowed {
		if !quickActions[a] {
			v.Forms = append(v.Forms, a)
		}
	}
	return v, nil
}

func (w *Web) orderPage(rw http.ResponseWriter, r *http.Request, p *Page) {
	v, err := w.orderData(p, r.PathValue("id"))
	if err != nil {
		w.fail(rw, r, p, err)
		return
	}
	p.Nav, p.Title = "", p.T("order.title", v.Number)
	q := r.URL.Query()
	if q.Get("linked") != "" {
		p.Flash = p.T("order.linked")
	}
	p.Data = v
	w.render(rw, p, http.StatusOK, "order")
}

// inputFrom reads an action's body from a form.
func inputFrom(f url.Values) (order.Input, error) {
	in := order.Input{Unit: f.Get("unit"), Note: f.Get("note"), Reason: f.Get("reason"), Reply: f.Get("reply"),
		Text: f.Get("text"), Kind: f.Get("kind"), MeetingID: f.Get("meeting_id"), Result: f.Get("result"),
		Outcome: f.Get("outcome"), Into: strings.TrimSpace(f.Get("into"))}
	fe := apperr.Fields{}
	ver, err := strconv.ParseInt(f.Get("version"), 10, 64)
	if err != nil {
		fe.Add("version", "required: the version of the order you are acting on")
	} else {
		in.Version = &ver
	}
	for _, c := range f["co_units"] {
		if c != "" && c != in.Unit {
			in.CoUnits = append(in.CoUnits, c)
		}
	}
	if d := f.Get("days"); d != "" {
		n, err := strconv.Atoi(strings.TrimSpace(d))
		if err != nil {
			fe.Add("days", "must be 1 to 30 working days")
		}
		in.Days = n
	}
	switch f.Get("resolved") {
	case "yes":
		t := true
		in.Resolved = &t
	case "no":
		t := false
		in.Resolved = &t
	}
	return in, fe.Err()
}

// orderAct takes one action from the order page (or a list's button).
func (w *Web) orderAct(rw http.ResponseWriter, r *http.Request, p *Page) {
	id, act := r.PathValue("id"), order.Action(r.PathValue("action"))
	if !order.Known(act) {
		w.fail(rw, r, p, apperr.New(apperr.NotFound, "unknown action"))
		return
	}
	in, err := inputFrom(r.PostForm)
	if err == nil {
		_, err = w.svc.Act(r.Context(), p.Actor, id, act, in)
	}
	if err == nil {
		back := safeReturn(r.PostFormValue("return"), "/orders/"+id)
		http.Redirect(rw, r, addQuery(back, "done", string(act)), http.StatusSeeOther)
		return
	}
	// Refused: show the order as it is now, with the user's text kept in
	// the form they used and the problem next to the field.
	p.Form, p.Open = r.PostForm, string(act)
	status := w.applyErr(p, err)
	v, gerr := w.orderData(p, id)
	if gerr != nil {
		w.fail(rw, r, p, gerr)
		return
	}
	p.Title = p.T("order.title", v.Number)
	v.Return = safeReturn(r.PostFormValue("return"), "")
	p.Data = v
	w.render(rw, p, status, "order")
}

// orderPhoto sends one photo of an order to staff who may see the order
// (the page's thumbnails and their enlargement). Never cached by a shared
// cache: the citizen's photos are personal data.
func (w *Web) orderPhoto(rw http.ResponseWriter, r *http.Request, p *Page) {
	ph, err := w.svc.OrderPhoto(r.Context(), p.Actor, r.PathValue("id"), r.PathValue("photo"))
	if err != nil {
		w.fail(rw, r, p, err)
		return
	}
	rw.Header().Set("Content-Type", ph.ContentType)
	rw.Header().Set("Content-Length", strconv.Itoa(len(ph.Data)))
	rw.Header().Set("Cache-Control", "private, max-age=3600")
	rw.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = rw.Write(ph.Data)
}
