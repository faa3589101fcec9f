package api

import (
	"net/http"
	"strconv"
)

func (a *API) registerInsight(mux *http.ServeMux) {
	mux.Handle("GET /api/v1/orders/{id}/similar-cases", a.route("insight.cases", a.authed(a.similarCases)))
	mux.Handle("GET /api/v1/hotspots", a.route("insight.hotspots", a.authed(a.hotspots)))
	mux.Handle("POST /api/v1/hotspots/{id}/merge", a.route("insight.merge", a.authed(a.mergeHotspot)))
	mux.Handle("POST /api/v1/hotspots/{id}/case", a.route("insight.case", a.authed(a.hotspotCase)))
	mux.Handle("POST /api/v1/intelligence/train", a.route("insight.train", a.authed(a.train)))
	mux.Handle("GET /api/v1/intelligence/models", a.route("insight.models", a.authed(a.models)))
}

func (a *API) similarCases(w http.ResponseWriter, r *http.Request) {
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	cases, err := a.Svc.PastCases(r.Context(), actor(r), r.PathValue("id"), limit)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"cases": cases})
}

func (a *API) hotspots(w http.ResponseWriter, r *http.Request) {
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	hs, err := a.Svc.Hotspots(r.Context(), actor(r), limit)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"hotspots": hs})
}

func (a *API) mergeHotspot(w http.ResponseWriter, r *http.Request) {
	v, err := a.Svc.MergeHotspot(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, OrderOut(v))
}

// hotspotCase turns a hotspot into one proactive case (service.CaseFromHotspot).
func (a *API) hotspotCase(w http.ResponseWriter, r *http.Request) {
	v, err := a.Svc.CaseFromHotspot(r.Context(), actor(r), r.PathValue("id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, OrderOut(v))
}

func (a *API) train(w http.ResponseWriter, r *http.Request) {
	res, err := a.Svc.Retrain(r.Context(), actor(r))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (a *API) models(w http.ResponseWriter, r *http.Request) {
	ms, err := a.Svc.Models(r.Context(), actor(r))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"models": ms})
}
