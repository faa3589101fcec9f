package web

import (
	"net/http"

	"hotline/internal/apperr"
	"hotline/internal/order"
)

// callbackForm is the 回访 page: the script, the caller (and co-callers),
// the unit's reply, the outcome and resolved choices, and — for a
// dispatcher — reopening in the same step when the caller is dissatisfied.
func (w *Web) callbackForm(rw http.ResponseWriter, r *http.Request, p *Page) {
	v, err := w.orderData(p, r.PathValue("id"))
	if err != nil {
		w.fail(rw, r, p, err)
		return
	}
	p.Nav, p.Title = "queue", p.T("callback.title", v.Number)
	p.Data = v
	w.render(rw, p, http.StatusOK, "callback")
}

func (w *Web) callbackPost(rw http.ResponseWriter, r *http.Request, p *Page) {
	id := r.PathValue("id")
	ctx := r.Context()
	f := r.PostForm
	in, err := inputFrom(f)
	reopen := f.Get("reopen") != "" && f.Get("outcome") == "dissatisfied"
	if err == nil && f.Get("resolved") == "" {
		err = apperr.Field("resolved", "required")
	}
	if err == nil && reopen && p.User.Role != order.RoleDispatcher {
		err = apperr.New(apperr.Forbidden, "role %s may not reopen", p.User.Role)
	}
	if err == nil && reopen && f.Get("reopen_note") == "" {
		err = apperr.Field("reopen_note", "required")
	}
	if err == nil {
		o, aerr := w.svc.Act(ctx, p.Actor, id, order.ActCallback, in)
		err = aerr
		if err == nil && reopen {
			ver := o.Version
			if _, err = w.svc.Act(ctx, p.Actor, id, order.ActReopen, order.Input{Version: &ver, Note: f.Get("reopen_note")}); err == nil {
				http.Redirect(rw, r, "/orders/"+id+"?done=reopen", http.StatusSeeOther)
				return
			}
		}
		if err == nil {
			http.Redirect(rw, r, "/orders/"+id+"?done=callback", http.StatusSeeOther)
			return
		}
	}
	p.Form = f
	status := w.applyErr(p, err)
	v, gerr := w.orderData(p, id)
	if gerr != nil {
		w.fail(rw, r, p, gerr)
		return
	}
	p.Nav, p.Title = "queue", p.T("callback.title", v.Number)
	p.Data = v
	w.render(rw, p, status, "callback")
}
