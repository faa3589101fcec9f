package web

import (
	"hotline/internal/order"
	"net/http"
)

type notifyView struct {
	List   []order.Notification
	Unread bool
}

func (w *Web) notifications(rw http.ResponseWriter, r *http.Request, p *Page) {
	p.Nav, p.Title = "notifications", p.T("notify.title")
	unread := r.URL.Query().Get("unread") != ""
	list, n, err := w.svc.Notifications(r.Context(), p.Actor, unread, PageSize)
	if err != nil {
		w.fail(rw, r, p, err)
		return
	}
	p.Unread = n
	p.Data = notifyView{List: list, Unread: unread}
	w.render(rw, p, http.StatusOK, "notifications")
}

// markRead marks one notification read; htmx swaps the row, a plain form
// post comes back to the list.
func (w *Web) markRead(rw http.ResponseWriter, r *http.Request, p *Page) {
	if err := w.svc.MarkRead(r.Context(), p.Actor, r.PathValue("id")); err != nil {
		w.fail(rw, r, p, err)
		return
	}
	if r.Header.Get("HX-Request") != "" {
		rw.Header().Set("HX-Refresh", "true")
		rw.WriteHeader(http.StatusNoContent)
		return
	}
	http.Redirect(rw, r, safeReturn(r.PostFormValue("return"), "/notifications"), http.StatusSeeOther)
}
