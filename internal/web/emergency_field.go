package web

import (
	"encoding/json"
	"net/http"
	"strings"

	"hotline/internal/apperr"
)

// The field pages (community.md "Working in the field, offline"): the
// emergency check list here, the campaign form in campaign_field.go. Each
// is a shell the browser fills from the JSON API (static/offline/*.js), so
// that a service worker can keep the page and its data and the page keeps
// working without a connection; the API decides who sees what.

// registerField mounts the field pages and their service worker.
func (w *Web) registerField(mux *http.ServeMux) {
	mux.HandleFunc("GET /field/sw.js", w.fieldWorker)
	mux.HandleFunc("GET /field/{$}", w.page(nil, w.fieldIndex))
	mux.HandleFunc("GET /field/emergencies/{id}", w.page(nil, w.emergencyField))
	mux.HandleFunc("GET /field/campaigns/{id}", w.page(nil, w.campaignField))
	w.registerBoard(mux) // the leaders' live board (emergency_board.go)
}

// fieldWorker serves the service worker from /field/ so that its scope
// covers the field pages (a worker controls only pages under its own path).
func (w *Web) fieldWorker(rw http.ResponseWriter, r *http.Request) {
	b, err := files.ReadFile("static/offline/sw.js")
	if err != nil {
		http.NotFound(rw, r)
		return
	}
	rw.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	rw.Header().Set("Cache-Control", "no-cache")
	rw.Write(b)
}

// fieldData is what a field page's shell carries: the id and the strings
// its script shows, in the page's language.
type fieldData struct {
	ID      string
	Strings string
}

// jsStrings returns the catalogue's entries under the prefixes as JSON.
func (w *Web) jsStrings(lang string, prefixes ...string) string {
	out := map[string]string{}
	for key := range w.catalog["zh"] {
		for _, p := range prefixes {
			if strings.HasPrefix(key, p) {
				out[key] = w.t(lang, key)
			}
		}
	}
	b, _ := json.Marshal(out)
	return string(b)
}

func digits(s string) bool {
	if s == "" || len(s) > 18 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func (w *Web) emergencyField(rw http.ResponseWriter, r *http.Request, p *Page) {
	id := r.PathValue("id")
	if !digits(id) {
		w.fail(rw, r, p, apperr.New(apperr.NotFound, "no such emergency"))
		return
	}
	p.Title = p.T("emergency.field.title")
	p.Data = fieldData{ID: id, Strings: w.jsStrings(p.Lang, "offline.", "emergency.")}
	w.render(rw, p, http.StatusOK, "emergency_field")
}

// fieldIndex lists the user's active emergencies and open campaigns.
func (w *Web) fieldIndex(rw http.ResponseWriter, r *http.Request, p *Page) {
	p.Title, p.Nav = p.T("emergency.field.index"), "field"
	p.Data = fieldData{Strings: w.jsStrings(p.Lang, "offline.", "emergency.field.")}
	w.render(rw, p, http.StatusOK, "emergency_field_index")
}
