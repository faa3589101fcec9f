package web

import (
	"net/http"

	"hotline/internal/apperr"
)

// campaignField is the collector's form page (see emergency_field.go for
// how the field pages work offline).
func (w *Web) campaignField(rw http.ResponseWriter, r *http.Request, p *Page) {
	id := r.PathValue("id")
	if !digits(id) {
		w.fail(rw, r, p, apperr.New(apperr.NotFound, "no such campaign"))
		return
	}
	p.Title = p.T("campaign.field.title")
	p.Data = fieldData{ID: id, Strings: w.jsStrings(p.Lang, "offline.", "campaign.")}
	w.render(rw, p, http.StatusOK, "campaign_field")
}
