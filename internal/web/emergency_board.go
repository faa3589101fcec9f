package web

import (
	"net/http"

	"hotline/internal/apperr"
)

// The leaders' live board of an emergency (community.md §4): counts by
// status and by building, who is still unchecked or needs help, the open
// rescue tasks. Like the field pages it is a shell that its script fills
// from the JSON API: the board arrives at once through the event's
// server-sent event stream and again after every change, on whichever
// instance the change was made (internal/live), so the page never polls
// nor reloads. The API decides who may watch; a refusal is shown on the
// page.

// registerBoard mounts the list of emergencies and the live board.
func (w *Web) registerBoard(mux *http.ServeMux) {
	mux.HandleFunc("GET /emergencies/{$}", w.page(nil, w.emergencyList))
	mux.HandleFunc("GET /emergencies/{id}/board", w.page(nil, w.emergencyBoard))
}

func (w *Web) emergencyList(rw http.ResponseWriter, r *http.Request, p *Page) {
	p.Title, p.Nav = p.T("emergency.board.list"), "emergencies"
	p.Data = fieldData{Strings: w.jsStrings(p.Lang, "emergency.")}
	w.render(rw, p, http.StatusOK, "emergency_list")
}

func (w *Web) emergencyBoard(rw http.ResponseWriter, r *http.Request, p *Page) {
	id := r.PathValue("id")
	if !digits(id) {
		w.fail(rw, r, p, apperr.New(apperr.NotFound, "no such emergency"))
		return
	}
	p.Title, p.Nav = p.T("emergency.board.title"), "emergencies"
	p.Data = fieldData{ID: id, Strings: w.jsStrings(p.Lang, "emergency.")}
	w.render(rw, p, http.StatusOK, "emergency_board")
}
