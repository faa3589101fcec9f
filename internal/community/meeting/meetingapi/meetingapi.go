// Package meetingapi is the HTTP door of the meetings module (community.md
// §3): handlers that only translate between HTTP and meeting.Service.
package meetingapi

import (
	"net/http"
	"strconv"

	"hotline/internal/access"
	"hotline/internal/apperr"
	"hotline/internal/community/meeting"
	"hotline/internal/httpx"
)

// Mount adds the module's routes.
func Mount(rt httpx.Routes, svc *meeting.Service) {
	h := handlers{svc: svc}
	rt.Authed("POST /api/v1/meetings", "meeting.create", h.create)
	rt.Authed("GET /api/v1/meetings", "meeting.list", h.list)
	rt.Authed("GET /api/v1/meetings/thread", "meeting.thread", h.thread)
	rt.Authed("GET /api/v1/meetings/{id}", "meeting.get", h.get)
	rt.Authed("PATCH /api/v1/meetings/{id}", "meeting.patch", h.patch)
	rt.Authed("POST /api/v1/meetings/{id}/minutes", "meeting.minutes", h.minutes)
	rt.Authed("POST /api/v1/meetings/{id}/actions", "meeting.action_add", h.addAction)
	rt.Authed("POST /api/v1/meeting_actions/{id}/done", "meeting.action_done", h.done)
	rt.Authed("GET /api/v1/meeting_notices", "meeting.notices", h.notices)
}

type handlers struct{ svc *meeting.Service }

func user(r *http.Request) access.User {
	u, _ := httpx.UserFrom(r.Context())
	return u
}

func limit(v string, max int) (int, error) {
	if v == "" {
		return 50, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		return 0, apperr.Field("limit", "must be 1 to "+strconv.Itoa(max))
	}
	return n, nil
}

func (h handlers) create(w http.ResponseWriter, r *http.Request) error {
	var in meeting.Input
	if err := httpx.DecodeJSON(r.Body, &in); err != nil {
		return err
	}
	m, err := h.svc.Create(r.Context(), user(r), in)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, 201, m)
	return nil
}

func (h handlers) list(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	n, err := limit(q.Get("limit"), 500)
	if err != nil {
		return err
	}
	from, err := meeting.ParseTime("from", q.Get("from"), false)
	if err != nil {
		return err
	}
	to, err := meeting.ParseTime("to", q.Get("to"), true)
	if err != nil {
		return err
	}
	ms, next, err := h.svc.List(r.Context(), user(r), q.Get("area"),
		meeting.Filter{Compound: q.Get("compound"), From: from, To: to, Limit: n, Cursor: q.Get("cursor")}, q.Get("order"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, 200, map[string]any{"meetings": ms, "next_cursor": next})
	return nil
}

func (h handlers) thread(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	items, err := h.svc.ThreadOf(r.Context(), user(r), q.Get("compound"), q.Get("order"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, 200, map[string]any{"items": items})
	return nil
}

func (h handlers) get(w http.ResponseWriter, r *http.Request) error {
	m, err := h.svc.Get(r.Context(), user(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, 200, m)
	return nil
}

func (h handlers) patch(w http.ResponseWriter, r *http.Request) error {
	var in meeting.Input
	if err := httpx.DecodeJSON(r.Body, &in); err != nil {
		return err
	}
	m, err := h.svc.Update(r.Context(), user(r), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, 200, m)
	return nil
}

func (h handlers) minutes(w http.ResponseWriter, r *http.Request) error {
	var in meeting.MinutesInput
	if err := httpx.DecodeJSON(r.Body, &in); err != nil {
		return err
	}
	m, err := h.svc.Minutes(r.Context(), user(r), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, 200, m)
	return nil
}

func (h handlers) addAction(w http.ResponseWriter, r *http.Request) error {
	var in meeting.ActionInput
	if err := httpx.DecodeJSON(r.Body, &in); err != nil {
		return err
	}
	a, err := h.svc.AddAction(r.Context(), user(r), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, 201, a)
	return nil
}

func (h handlers) done(w http.ResponseWriter, r *http.Request) error {
	a, err := h.svc.Done(r.Context(), user(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, 200, a)
	return nil
}

func (h handlers) notices(w http.ResponseWriter, r *http.Request) error {
	n, err := limit(r.URL.Query().Get("limit"), 200)
	if err != nil {
		return err
	}
	ns, err := h.svc.Notices(r.Context(), user(r), n)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, 200, map[string]any{"notices": ns, "next_cursor": ""})
	return nil
}
