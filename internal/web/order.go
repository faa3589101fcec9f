package web

import (
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"hotline/internal/apperr"
	"hotline/internal/order"
	"hotline/internal/org"
	"hotline/internal/photoclean"
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
	// EventPhotos are the handlers' site photos by the timeline event
	// (seq) they were taken with.
	EventPhotos map[int][]order.Photo
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
	v.EventPhotos = map[int][]order.Photo{}
	for _, ph := range v.Photos {
		if ph.EventSeq > 0 {
			v.EventPhotos[ph.EventSeq] = append(v.EventPhotos[ph.EventSeq], ph)
		}
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
	var photos []order.Photo
	if err == nil {
		photos, err = sitePhotos(r)
	}
	if err == nil {
		_, err = w.svc.ActWithPhotos(r.Context(), p.Actor, id, act, in, photos)
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

// printView is the print page's data: the order as the user may see it
// (the caller masked as on the order page) and when it was printed.
type printView struct {
	service.OrderView
	Printed time.Time
}

// orderPrint is an order on one A4 page for the paper file: the 工单 with
// its timeline, without the site's navigation (order_print.html has its
// own layout and print.css).
func (w *Web) orderPrint(rw http.ResponseWriter, r *http.Request, p *Page) {
	o, err := w.svc.GetOrder(r.Context(), p.Actor, r.PathValue("id"))
	if err != nil {
		w.fail(rw, r, p, err)
		return
	}
	p.Title = p.T("order.title", o.Number)
	p.Data = printView{OrderView: o, Printed: time.Now()}
	w.render(rw, p, http.StatusOK, "order_print")
}

// actionMaxBytes is the action form's limit: the site photos at their
// largest plus the text.
const actionMaxBytes = service.MaxActionPhotos*photoclean.MaxBytes + 1<<20

func init() { uploadLimits["POST /orders/{id}/act/{action}"] = actionMaxBytes }

// sitePhotos reads the site photos sent with a note or a reply (field
// "photos", several files) and cleans each as a citizen's photo is cleaned
// (photoclean: type and size checked, re-encoded without EXIF or GPS).
// An empty file input sends one part without a name; it is not a photo.
func sitePhotos(r *http.Request) ([]order.Photo, error) {
	if r.MultipartForm == nil {
		return nil, nil
	}
	var out []order.Photo
	for _, fh := range r.MultipartForm.File["photos"] {
		if fh.Size == 0 && fh.Filename == "" {
			continue
		}
		if len(out) == service.MaxActionPhotos {
			return nil, apperr.Field("photos", "at most 4 photos")
		}
		if fh.Size > photoclean.MaxBytes {
			return nil, &apperr.Error{Code: apperr.TooLarge, Message: "photo over 5 MB", Fields: map[string]string{"photos": "at most 5 MB"}}
		}
		f, err := fh.Open()
		if err != nil {
			return nil, apperr.Field("photos", "the upload is damaged")
		}
		data, err := io.ReadAll(io.LimitReader(f, photoclean.MaxBytes+1))
		f.Close()
		if err != nil {
			return nil, apperr.Field("photos", "the upload is damaged")
		}
		c, err := photoclean.Process("photos", data)
		if err != nil {
			return nil, err
		}
		out = append(out, order.Photo{ContentType: c.ContentType, Width: c.Width, Height: c.Height, Size: len(c.Data), Data: c.Data})
	}
	return out, nil
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
