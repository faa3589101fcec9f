package api

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"hotline/internal/access"
	"hotline/internal/apperr"
	"hotline/internal/calendar"
	"hotline/internal/httpx"
	"hotline/internal/order"
	"hotline/internal/org"
)

func shanghai() *time.Location { return calendar.Shanghai }

type userJSON struct {
	Username    string     `json:"username"`
	Role        order.Role `json:"role"`
	Unit        *string    `json:"unit"`
	DisplayName string     `json:"display_name"`
	Active      bool       `json:"active"`
}

func userOut(u access.User) userJSON {
	return userJSON{Username: u.Username, Role: u.Role, Unit: strPtr(u.Unit), DisplayName: u.DisplayName, Active: u.Active}
}

func (a *API) login(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := decode(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	token, u, err := a.Svc.Login(r.Context(), in.Username, in.Password, clientKey(r))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: token, Path: "/", HttpOnly: true, Secure: a.SecureCookies || httpx.IsHTTPS(r),
		SameSite: http.SameSiteLaxMode, MaxAge: int(a.Svc.SessionTTL.Seconds())})
	writeJSON(w, http.StatusOK, map[string]any{"token": token, "user": userOut(u)})
}

func (a *API) logout(w http.ResponseWriter, r *http.Request) {
	if err := a.Svc.Logout(r.Context(), Token(r)); err != nil {
		a.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", HttpOnly: true, MaxAge: -1})
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

func (a *API) me(w http.ResponseWriter, r *http.Request) {
	u, _ := UserFrom(r.Context())
	writeJSON(w, http.StatusOK, map[string]any{"user": userOut(u)})
}

func (a *API) statsSummary(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s, err := a.Dash.Summary(r.Context(), actor(r), q.Get("from"), q.Get("to"), q.Get("unit"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s)
}

func (a *API) statsUnits(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	units, err := a.Dash.UnitStats(r.Context(), actor(r), q.Get("from"), q.Get("to"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"units": units})
}

func (a *API) notifications(w http.ResponseWriter, r *http.Request) {
	unread := r.URL.Query().Get("unread") == "true"
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	list, n, err := a.Svc.Notifications(r.Context(), actor(r), unread, limit)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"notifications": list, "unread": n})
}

func (a *API) markRead(w http.ResponseWriter, r *http.Request) {
	if err := a.Svc.MarkRead(r.Context(), actor(r), r.PathValue("id")); err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

func (a *API) units(w http.ResponseWriter, r *http.Request) {
	us, err := a.Svc.Units(r.Context())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"units": nonNil(us)})
}

func (a *API) putUnit(w http.ResponseWriter, r *http.Request) {
	var u org.Unit
	if err := decode(r, &u); err != nil {
		a.fail(w, r, err)
		return
	}
	u.Code = r.PathValue("code")
	if err := a.Admin.PutUnit(r.Context(), actor(r), u); err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}

func (a *API) categories(w http.ResponseWriter, r *http.Request) {
	cs, err := a.Svc.Categories(r.Context())
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"categories": nonNil(cs)})
}

func (a *API) putCategory(w http.ResponseWriter, r *http.Request) {
	var c org.Category
	if err := decode(r, &c); err != nil {
		a.fail(w, r, err)
		return
	}
	c.Code = r.PathValue("code")
	if err := a.Admin.PutCategory(r.Context(), actor(r), c); err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (a *API) compounds(w http.ResponseWriter, r *http.Request) {
	cs, err := a.Svc.Compounds(r.Context(), r.URL.Query().Get("committee"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"compounds": nonNil(cs)})
}

func (a *API) users(w http.ResponseWriter, r *http.Request) {
	us, err := a.Admin.Users(r.Context(), actor(r))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := []userJSON{}
	for _, u := range us {
		out = append(out, userOut(u))
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": out})
}

func (a *API) addUser(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Username    string     `json:"username"`
		Password    string     `json:"password"`
		Role        order.Role `json:"role"`
		Unit        string     `json:"unit"`
		DisplayName string     `json:"display_name"`
	}
	if err := decode(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	u, err := a.Admin.AddUser(r.Context(), actor(r), in.Username, in.Password, in.Role, in.Unit, in.DisplayName)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"user": userOut(u)})
}

func (a *API) auditLog(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	entries, err := a.Admin.AuditLog(r.Context(), actor(r), q.Get("actor"), q.Get("action"), q.Get("before"), limit)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": nonNil(entries)})
}

func (a *API) getPolicy(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, a.Svc.Policy())
}

func (a *API) putPolicy(w http.ResponseWriter, r *http.Request) {
	var p order.Policy
	if err := decode(r, &p); err != nil {
		a.fail(w, r, err)
		return
	}
	if err := a.Admin.PutPolicy(r.Context(), actor(r), p); err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a.Svc.Policy())
}

func (a *API) calendarYear(w http.ResponseWriter, r *http.Request) {
	y, err := strconv.Atoi(r.PathValue("year"))
	if err != nil || y < 1990 || y > 2100 {
		a.fail(w, r, apperr.Field("year", "a year from 1990 to 2100"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"year": y, "days": nonNil(a.Admin.CalendarDays(y))})
}

func (a *API) putCalendarDay(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Name   string `json:"name"`
		OffDay *bool  `json:"off_day"`
	}
	if err := decode(r, &in); err != nil {
		a.fail(w, r, err)
		return
	}
	if in.OffDay == nil {
		a.fail(w, r, apperr.Field("off_day", "required: true for a holiday, false for a make-up working day"))
		return
	}
	d := calendar.Day{Date: r.PathValue("date"), Name: strings.TrimSpace(in.Name), OffDay: *in.OffDay}
	if err := a.Admin.PutCalendarDay(r.Context(), actor(r), d); err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (a *API) loadCalendarYear(w http.ResponseWriter, r *http.Request) {
	doc, err := io.ReadAll(r.Body)
	if err != nil {
		a.fail(w, r, httpx.BodyErr(err))
		return
	}
	if err := httpx.CheckJSONText(doc); err != nil { // read raw, not through DecodeJSON
		a.fail(w, r, err)
		return
	}
	n, err := a.Admin.LoadCalendarYear(r.Context(), actor(r), doc)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"days": n})
}
